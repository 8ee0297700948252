// browser.mjs: starts Debian's headless Chromium through playwright-core (flags from
// /work/shared/TOOLCHAIN.md) and the demo's static server, for the tests and the screenshot script.

import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const haveChromium = existsSync(chromiumPath);

// Serves web/dist (or `dir`) on a free port with tools/serve-demo.mjs; resolves to {url, close}.
export async function serve({ dir = join(repo, 'web/dist'), isolation = true } = {}) {
  const args = [join(repo, 'tools/serve-demo.mjs'), '--port', '0', '--dir', dir];
  if (!isolation) args.push('--no-isolation');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((ok, fail) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /(http:\/\/\S+\/)/.exec(buf);
      if (m) ok(m[1]);
    });
    child.on('exit', (code) => fail(new Error(`serve-demo exited with ${code}`)));
  });
  return { url, close: () => child.kill() };
}

// A persistent context (so OPFS and IndexedDB survive a reload) in a fresh profile folder.
export async function launch({ viewport = { width: 1280, height: 800 }, colorScheme = 'light', ...rest } = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'chord-demo-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport,
    colorScheme,
    acceptDownloads: true,
    args: [
      '--enable-unsafe-webgpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    ...rest,
  });
  const close = async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  };
  return { context, close };
}

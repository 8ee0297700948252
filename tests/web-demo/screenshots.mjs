// screenshots.mjs: the README's pictures of the chat page: desktop and phone layouts in light and dark
// mode (docs/demo-*.png) and an animated capture of a conversation (docs/demo-chat.gif), taken in
// headless Chromium with the trained demo model (assets/fortune-demo.f16.gguf) and assembled with
// ImageMagick's convert. Not a test; run by hand after a change to the page:
//
//   node web/demo/build.mjs && node tests/web-demo/screenshots.mjs [OUT_DIR]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, serve, repo } from './browser.mjs';

const out = process.argv[2] ?? join(repo, 'docs');
const srv = await serve();
const frames = mkdtempSync(join(tmpdir(), 'chord-frames-'));

const PROMPTS = ["Murphy's Law:", 'Cynic, n.:'];

async function session({ viewport, colorScheme }) {
  const b = await launch({ viewport, colorScheme });
  const page = b.context.pages()[0] ?? (await b.context.newPage());
  await page.goto(srv.url);
  await page.waitForSelector('body[data-ready=true]');
  await page.locator('#settings-form [name="seed"]').fill('4');
  await page.locator('#settings-form [name="seed"]').dispatchEvent('change');
  await page.click('#empty-demo');
  await page.waitForSelector('.model-chip.loaded', { timeout: 60_000 });
  for (const b of await page.locator('.banner .link-btn').all()) await b.click();
  return { b, page };
}

async function ask(page, prompt, onFrame) {
  await page.fill('#prompt', prompt);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.msg.assistant.streaming');
  while (await page.locator('.msg.assistant.streaming').count()) {
    await onFrame?.();
    await page.waitForTimeout(onFrame ? 220 : 100);
  }
  await page.waitForSelector('#send:not([hidden])');
}

const optimize = (file) => execFileSync('convert', [file, '-strip', '+dither', '-colors', '128', `PNG8:${file}`]);

for (const colorScheme of ['light', 'dark']) {
  {
    const { b, page } = await session({ viewport: { width: 1280, height: 800 }, colorScheme });
    for (const p of PROMPTS) await ask(page, p);
    await page.click('#model-details summary');
    const file = join(out, `demo-desktop-${colorScheme}.png`);
    await page.screenshot({ path: file });
    optimize(file);
    await b.close();
  }
  {
    const { b, page } = await session({ viewport: { width: 390, height: 844 }, colorScheme, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    for (const p of PROMPTS) await ask(page, p);
    const file = join(out, `demo-phone-${colorScheme}.png`);
    await page.screenshot({ path: file });
    optimize(file);
    await b.close();
  }
}

// The animated capture: typing a prompt, the answer streaming in, stats at the end.
{
  const { b, page } = await session({ viewport: { width: 760, height: 640 }, colorScheme: 'light' });
  await page.evaluate(() => document.body.classList.add('settings-hidden'));
  let n = 0;
  const frame = async (repeat = 1) => {
    const f = join(frames, `f${String(n++).padStart(4, '0')}.png`);
    await page.screenshot({ path: f });
    for (let i = 1; i < repeat; i++) execFileSync('cp', [f, join(frames, `f${String(n++).padStart(4, '0')}.png`)]);
  };
  await frame(6);
  for (const p of PROMPTS) {
    for (let i = 2; i <= p.length; i += 3) {
      await page.fill('#prompt', p.slice(0, i));
      await frame();
    }
    await page.fill('#prompt', p);
    await frame(3);
    await ask(page, p, frame);
    await frame(12);
  }
  await b.close();
  const gif = join(out, 'demo-chat.gif');
  // One palette for all frames (+remap), so unchanged pixels stay unchanged and frames shrink to
  // the region that changed.
  execFileSync('convert', ['-delay', '15', '-loop', '0', join(frames, 'f*.png'), '-resize', '75%', '+dither', '+remap', '-layers', 'Optimize', gif]);
}

srv.close();
rmSync(frames, { recursive: true, force: true });
for (const f of ['demo-desktop-light.png', 'demo-desktop-dark.png', 'demo-phone-light.png', 'demo-phone-dark.png', 'demo-chat.gif']) {
  console.log(`${f}: ${(statSync(join(out, f)).size / 1024).toFixed(0)} KiB`);
}

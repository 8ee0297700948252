// build.mjs: builds the chat page into web/dist/, a static site for any host that can send the
// COOP/COEP headers (see README). Bundles src/main.js and styles.css with esbuild, copies index.html,
// the wasm-chord package (imported at run time from dist/chord/, so its Worker and .wasm resolve beside
// it) and, when present, the demo model as dist/models/demo.gguf.
//
//   node web/demo/build.mjs [--engine DIR] [--model FILE | --no-model] [--dev-mock-engine] [--out DIR]

import { build } from 'esbuild';
import { cp, mkdir, rm, writeFile, copyFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const out = resolve(opt('--out') ?? join(root, 'web/dist'));

// The package's browser files: the first folder that holds an index.js.
const engineCandidates = [opt('--engine'), process.env.CHORD_PACKAGE_DIR, join(root, 'web/dist-package'), join(root, 'web/lib'), join(root, 'web/src')];
const engineDir = args.includes('--dev-mock-engine') ? null : engineCandidates.find((d) => d && existsSync(join(d, 'index.js')));

const modelCandidates = [opt('--model'), process.env.CHORD_DEMO_MODEL, join(root, 'assets/fortune-demo.f16.gguf'), join(root, 'models/demo.gguf')];
const model = args.includes('--no-model') ? null : modelCandidates.find((f) => f && existsSync(f));

await rm(out, { recursive: true, force: true });
await mkdir(join(out, 'assets'), { recursive: true });

await build({
  entryPoints: { app: join(here, 'src/main.js') },
  bundle: true,
  format: 'esm',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  minify: true,
  sourcemap: 'linked',
  outdir: join(out, 'assets'),
  legalComments: 'linked',
  logLevel: 'warning',
});
await build({
  entryPoints: { app: join(here, 'styles.css') },
  bundle: true,
  minify: true,
  outdir: join(out, 'assets'),
  logLevel: 'warning',
});
await copyFile(join(here, 'index.html'), join(out, 'index.html'));

if (engineDir) {
  await cp(engineDir, join(out, 'chord'), { recursive: true });
} else if (args.includes('--dev-mock-engine')) {
  await mkdir(join(out, 'chord'), { recursive: true });
  await copyFile(join(here, 'dev/mock-chord.js'), join(out, 'chord/index.js'));
} else {
  console.warn('build.mjs: no wasm-chord package found (build it first, or pass --engine DIR): the page will say the engine is missing');
}

if (model) {
  await mkdir(join(out, 'models'), { recursive: true });
  await copyFile(model, join(out, 'models/demo.gguf'));
}

// Headers for static hosts that read a _headers file (Netlify, Cloudflare Pages): cross-origin
// isolation for threads, and the .wasm MIME type.
await writeFile(join(out, '_headers'), `/*
  Cross-Origin-Opener-Policy: same-origin
  Cross-Origin-Embedder-Policy: require-corp
  Cross-Origin-Resource-Policy: same-origin
/*.wasm
  Content-Type: application/wasm
`);

const size = async (f) => (await stat(join(out, f))).size;
console.log(`build.mjs: web/dist ready in ${out} (app.js ${((await size('assets/app.js')) / 1024).toFixed(0)} KiB, ` +
  `engine ${engineDir ? engineDir.replace(root + '/', '') : args.includes('--dev-mock-engine') ? 'MOCK' : 'missing'}, ` +
  `demo model ${model ? model.replace(root + '/', '') : 'none'})`);

// build.mjs: builds the chat page into web/dist/, a static site for any host that can send the
// COOP/COEP headers (see README). Bundles src/main.js and styles.css with esbuild, copies index.html,
// the wasm-chord package (web/src, imported at run time from dist/chord/src/, with its two wasm builds
// from the wasm preset's output in dist/chord/dist/, the package's own layout) and, when present, the
// demo model as dist/models/demo.gguf. web/dist is also where the wasm preset writes the package's
// modules: this script replaces only its own files there.
//
//   node web/demo/build.mjs [--wasm DIR] [--model FILE | --no-model] [--dev-mock-engine] [--out DIR]

import { build } from 'esbuild';
import { cp, mkdir, readdir, rm, writeFile, copyFile, stat } from 'node:fs/promises';
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

// The package's wasm builds (chord-threaded.*, chord-single.*), written by the wasm preset.
const wasmDir = resolve(opt('--wasm') ?? join(root, 'web/dist'));
const wasmFiles = existsSync(wasmDir) ? (await readdir(wasmDir)).filter((f) => /^chord-(threaded|single)[.]/.test(f)) : [];
const mock = args.includes('--dev-mock-engine');

const modelCandidates = [opt('--model'), process.env.CHORD_DEMO_MODEL, join(root, 'assets/fortune-demo.f16.gguf'), join(root, 'models/demo.gguf')];
const model = args.includes('--no-model') ? null : modelCandidates.find((f) => f && existsSync(f));

for (const f of ['index.html', 'assets', 'chord', 'models', '_headers']) await rm(join(out, f), { recursive: true, force: true });
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

await mkdir(join(out, 'chord/src'), { recursive: true });
if (mock) {
  await copyFile(join(here, 'dev/mock-chord.js'), join(out, 'chord/src/index.js'));
} else {
  await cp(join(root, 'web/src'), join(out, 'chord/src'), { recursive: true, filter: (f) => !f.endsWith('.d.ts') });
  await mkdir(join(out, 'chord/dist'), { recursive: true });
  for (const f of wasmFiles) await copyFile(join(wasmDir, f), join(out, 'chord/dist', f));
  // emscripten's pthread worker script is CommonJS; in node the package marks its folder so.
  await writeFile(join(out, 'chord/dist/package.json'), '{ "type": "commonjs" }\n');
  if (!wasmFiles.some((f) => f.endsWith('.wasm'))) {
    console.warn(`build.mjs: no wasm builds in ${wasmDir} (build the wasm preset first): the page will say the engine is missing`);
  }
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
  `engine ${mock ? 'MOCK' : wasmFiles.filter((f) => f.endsWith('.wasm')).join(' + ') || 'missing'}, ` +
  `demo model ${model ? model.replace(root + '/', '') : 'none'})`);

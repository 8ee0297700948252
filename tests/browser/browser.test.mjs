// The npm package in headless Chromium (Debian's, through playwright-core): on a cross-origin-isolated
// page Chord.load picks the threaded build, on a plain page the single-threaded one; both load a
// synthesized model by URL and as a File, tokenize, complete greedily with the native CLI's text,
// stream, abort mid-run, and reject a file that is not GGUF and a truncated one.
// Needs CHORD_BIN, the vocabulary testdata, web/dist and tests/browser/node_modules (fetch-testdata.sh);
// skips without them unless CHORD_REQUIRE_TESTDATA=1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { serve, launch } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const vocab = path.join(root, 'testdata/vocab/ggml-vocab-llama-spm.gguf');
const bin = process.env.CHORD_BIN;
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
const missing = [
  !bin && 'CHORD_BIN',
  !fs.existsSync(vocab) && vocab,
  !fs.existsSync(path.join(root, 'web/dist/chord-threaded.mjs')) && 'web/dist (build the wasm preset)',
  !fs.existsSync(path.join(here, 'node_modules/playwright-core')) && 'tests/browser/node_modules (tools/fetch-testdata.sh)',
  !fs.existsSync(chromium) && chromium,
].filter(Boolean);
if (missing.length && process.env.CHORD_REQUIRE_TESTDATA === '1') throw new Error(`missing: ${missing.join(', ')}`);
const skip = missing.length ? `missing ${missing.join(', ')}` : false;

const PROMPT = 'Once upon a time';
let dir;
let server;
let browser;
let expected;

before(async () => {
  if (skip) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chord-browser-'));
  const model = path.join(dir, 'tiny.gguf');
  execFileSync(bin, ['synth', '-o', model, '--vocab', vocab, '--type', 'f16', '--layers', '2'], { stdio: 'ignore' });
  expected = execFileSync(bin, ['run', '-m', model, '-p', PROMPT, '-n', '24', '--temp', '0', '--no-display-prompt',
    '--no-perf', '-t', '1'], { encoding: 'utf8' });
  fs.writeFileSync(path.join(dir, 'junk.gguf'), Buffer.alloc(4096, 'not a model '));
  const bytes = fs.readFileSync(model);
  fs.writeFileSync(path.join(dir, 'truncated.gguf'), bytes.subarray(0, bytes.length - 1000));
  server = await serve({ '/pkg/': path.join(root, 'web'), '/models/': dir, '/test/': path.join(here, 'pages') });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// Runs in the page: the flows of web/test/api.test.mjs, reported back as plain data.
async function flows({ prompt }) {
  const { Chord, ChordError } = await import('/pkg/src/index.js');
  const out = { isolated: self.crossOriginIsolated };
  const progress = [];
  const chord = await Chord.load('/models/tiny.gguf', { nCtx: 256, threads: 2, onProgress: (p) => progress.push(p) });
  out.build = chord.info.build;
  out.threads = chord.info.threads;
  out.lastProgress = progress.at(-1);
  out.tokens = await chord.tokenize('Hello world');
  const pieces = [];
  for await (const p of chord.complete(prompt, { maxTokens: 24, temperature: 0 })) pieces.push(p);
  out.pieces = pieces.length;
  out.text = pieces.join('');
  out.stats = chord.stats;

  const controller = new AbortController();
  let n = 0;
  try {
    for await (const p of chord.complete(prompt, { maxTokens: 400, temperature: 0, signal: controller.signal })) {
      void p;
      if (++n === 3) controller.abort();
    }
    out.abort = 'not aborted';
  } catch (e) {
    out.abort = e instanceof ChordError ? e.code : String(e);
  }
  out.abortedAfter = chord.stats.generatedTokens;
  let again = '';
  for await (const p of chord.complete(prompt, { maxTokens: 24, temperature: 0 })) again += p;
  out.again = again;
  await chord.unload();

  // A File from the bytes (as an <input type=file> gives), loaded in several chunks.
  const blob = await (await fetch('/models/tiny.gguf')).blob();
  const file = new File([blob], 'tiny.gguf');
  const fromFile = await Chord.load(file, { nCtx: 128, chunkSize: 20 << 20 });
  out.fileChunks = fromFile.info.chunks;
  let fileText = '';
  for await (const p of fromFile.complete(prompt, { maxTokens: 24, temperature: 0 })) fileText += p;
  out.fileText = fileText;
  await fromFile.unload();

  const failure = async (src) => {
    try {
      const c = await Chord.load(src);
      await c.unload();
      return 'loaded';
    } catch (e) {
      return `${e.code}: ${e.message}`;
    }
  };
  out.junk = await failure('/models/junk.gguf');
  out.truncated = await failure('/models/truncated.gguf');
  out.absent = await failure('/models/absent.gguf');
  return out;
}

for (const [name, prefix, build] of [['cross-origin isolated', '', 'threaded'], ['plain', '/plain', 'single']]) {
  test(`${name} page: ${build} build, load, greedy text, stream, abort, bad files`, { skip }, async () => {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await page.goto(`${server.url}${prefix}/test/index.html`);
      const r = await page.evaluate(flows, { prompt: PROMPT });
      assert.equal(r.isolated, build === 'threaded');
      assert.equal(r.build, build);
      assert.equal(r.threads, build === 'threaded' ? 2 : 1);
      assert.equal(r.lastProgress.loaded, r.lastProgress.total);
      assert.deepEqual(r.tokens, [1, 15043, 3186]);
      assert.equal(r.text, expected);
      assert.ok(r.pieces > 1);
      assert.equal(r.stats.generatedTokens, 24);
      assert.equal(r.abort, 'ABORTED');
      if (build === 'threaded') assert.ok(r.abortedAfter < 400, `stopped after ${r.abortedAfter} tokens`);
      assert.equal(r.again, expected);
      assert.ok(r.fileChunks >= 2);
      assert.equal(r.fileText, expected);
      assert.match(r.junk, /^FORMAT: .*not a GGUF/);
      assert.match(r.truncated, /^FORMAT: .*past the end/);
      assert.match(r.absent, /^IO: /);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
}

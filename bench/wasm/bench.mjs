// wasm-chord against wllama (llama.cpp compiled to WebAssembly, npm @wllama/wllama) in one headless
// Chromium, on the same GGUF files and thread counts, plus our native `chord bench` for the ratio.
// Both engines run on a cross-origin-isolated page (threads on), CPU only (wllama: n_gpu_layers 0),
// greedy, the same prompt text (same vocabulary: same token count), a warm-up run first.
//
//   node bench/wasm/bench.mjs --models a.gguf,b.gguf [--threads 1,2] [--prompt 128] [--gen 32]
//        [--chord build/release/apps/chord/chord] [--json out.json]
//
// Needs web/dist (the wasm preset), bench/wasm/node_modules (npm ci in bench/wasm) and
// tests/browser/node_modules (tools/fetch-testdata.sh). Prints a Markdown table.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { serve, launch } from '../../tests/browser/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const models = (args.models || '').split(',').filter(Boolean).map((m) => path.resolve(m));
if (!models.length) {
  console.error('usage: node bench/wasm/bench.mjs --models a.gguf,b.gguf [--threads 1,2] [--prompt 128] [--gen 32]');
  process.exit(2);
}
const threadList = (args.threads || '1,2').split(',').map(Number);
const nPrompt = Number(args.prompt || 128);
const nGen = Number(args.gen || 32);
const chordBin = args.chord || path.join(root, 'build/release/apps/chord/chord');
const wllamaDir = path.join(here, 'node_modules/@wllama/wllama');
const wllamaVersion = JSON.parse(fs.readFileSync(path.join(wllamaDir, 'package.json'), 'utf8')).version;

// A prompt of plain words; the page trims it to nPrompt tokens with our tokenizer.
const WORDS = 'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her she there one all we their been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three'.split(' ');
function promptText(seed, nWords) {
  let x = seed;
  const out = [];
  for (let i = 0; i < nWords; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(WORDS[x % WORDS.length]);
  }
  return out.join(' ');
}

// In the page: one engine, one model, one thread count. Returns tokens/s and what ran.
async function runChord({ model, threads, prompts, nGen }) {
  const { Chord } = await import('/pkg/src/index.js');
  const chord = await Chord.load(model, { threads, nCtx: 1024, build: 'threaded' });
  try {
    const fit = async (text, n) => {
      // The longest word prefix of `text` with at most n tokens (BOS included).
      const words = text.split(' ');
      let lo = 1;
      let hi = words.length;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if ((await chord.tokenize(words.slice(0, mid).join(' '))).length <= n) lo = mid;
        else hi = mid - 1;
      }
      return words.slice(0, lo).join(' ');
    };
    const warm = await fit(prompts.warm, 16);
    const text = await fit(prompts.text, prompts.n);
    for await (const p of chord.complete(warm, { maxTokens: 4, temperature: 0 })) void p;
    for await (const p of chord.complete(text, { maxTokens: nGen, temperature: 0 })) void p;
    const s = chord.stats;
    return {
      text,
      promptTokens: s.promptTokens - s.promptTokensCached,
      pp: s.promptTokensPerSecond,
      generated: s.generatedTokens,
      tg: s.generationTokensPerSecond,
      threads: chord.info.threads,
      build: chord.info.build,
    };
  } finally {
    await chord.unload();
  }
}

async function runWllama({ model, threads, prompts, text, nGen }) {
  const { Wllama } = await import('/wllama/esm/index.js');
  const wllama = new Wllama({ default: '/wllama/esm/wasm/wllama.wasm' }, { suppressNativeLog: true });
  await wllama.loadModelFromUrl(new URL(model, location.href).href, { n_threads: threads, n_ctx: 1024, n_batch: 512, n_gpu_layers: 0, useCache: false });
  try {
    await wllama.createCompletion({ prompt: prompts.warm.split(' ').slice(0, 8).join(' '), max_tokens: 4, temperature: 0 });
    const r = await wllama.createCompletion({ prompt: text, max_tokens: nGen, temperature: 0, ignore_eos: true });
    const t = r.timings;
    return {
      promptTokens: t.prompt_n,
      pp: t.prompt_per_second,
      generated: t.predicted_n,
      tg: t.predicted_per_second,
      threads: wllama.getNumThreads(),
      multithread: wllama.isMultithread(),
    };
  } finally {
    await wllama.exit();
  }
}

function nativeBench(model, threads) {
  if (!fs.existsSync(chordBin)) return null;
  const out = execFileSync(chordBin, ['bench', '-m', model, '-t', String(threads), '-p', String(nPrompt), '-n', String(nGen),
    '-r', '1', '--json'], { encoding: 'utf8' });
  const rows = JSON.parse(out);
  const pick = (prefix) => rows.find((r) => String(r.test).startsWith(prefix))?.avg_ts ?? null;
  return { pp: pick('pp'), tg: pick('tg') };
}

const dirs = {
  '/pkg/': path.join(root, 'web'),
  '/wllama/': wllamaDir,
  '/models/': path.dirname(models[0]),
  '/test/': path.join(root, 'tests/browser/pages'),
};
for (const m of models)
  if (path.dirname(m) !== dirs['/models/']) throw new Error('put every model in one folder');
const server = await serve(dirs);
const browser = await launch();
const page = await browser.context.newPage();
page.on('console', (m) => {
  if (m.type() === 'error') console.error('[page]', m.text());
});
await page.goto(`${server.url}/test/index.html`);
const chromiumVersion = browser.context.browser()?.version() ?? '';
const results = [];
try {
  for (const model of models) {
    for (const threads of threadList) {
      const url = `/models/${path.basename(model)}`;
      const prompts = { warm: promptText(7, 64), text: promptText(1, nPrompt * 2), n: nPrompt };
      const chord = await page.evaluate(runChord, { model: url, threads, prompts, nGen });
      const wllama = await page.evaluate(runWllama, { model: url, threads, prompts, text: chord.text, nGen });
      const native = nativeBench(model, threads);
      delete chord.text;
      const row = { model: path.basename(model), threads, chord, wllama, native };
      results.push(row);
      console.error(JSON.stringify(row));
    }
  }
} finally {
  await browser.close();
  await server.close();
}

const f = (x, d = 1) => (x == null ? '–' : x.toFixed(d));
const lines = [
  `| model | threads | prompt tok/s: wasm-chord | wllama | ratio | native | wasm/native | gen tok/s: wasm-chord | wllama | ratio | native | wasm/native |`,
  `|---|---|---|---|---|---|---|---|---|---|---|---|`,
];
for (const r of results) {
  lines.push(`| ${r.model} | ${r.threads} | ${f(r.chord.pp)} | ${f(r.wllama.pp)} | ${f(r.chord.pp / r.wllama.pp, 2)}x | ${f(r.native?.pp)} | ${f(r.native ? r.chord.pp / r.native.pp : null, 2)} | ${f(r.chord.tg, 2)} | ${f(r.wllama.tg, 2)} | ${f(r.chord.tg / r.wllama.tg, 2)}x | ${f(r.native?.tg, 2)} | ${f(r.native ? r.chord.tg / r.native.tg : null, 2)} |`);
}
console.log(`wllama ${wllamaVersion}, Chromium ${chromiumVersion}, prompt ${nPrompt} tokens, ${nGen} generated, ${os.cpus()[0].model}`);
console.log(lines.join('\n'));
if (args.json) fs.writeFileSync(args.json, JSON.stringify(results, null, 2));

// wasm-chord's tokenizers against llama.cpp's on generated text: for every SentencePiece and BPE
// vocabulary under testdata/vocab, thousands of seeded random strings (mixed scripts, emoji, digits,
// white space runs, code, special-token lookalikes, random code points) are tokenized by llama.cpp
// (oracle.mjs serve) and by `chord tokenize --jsonl`, and must give the same ids: with add_special and
// parse_special off, and on. llama.cpp's ids must also decode to the same text in both, and
// decode(encode(s)) == s must hold in wasm-chord exactly where it holds in llama.cpp.
//   CHORD_BIN=build/release/apps/chord/chord node --test tests/oracle/tokenizer_parity.test.mjs
// Environment: CHORD_PARITY_COUNT (strings per vocabulary, default 2000), CHORD_PARITY_SEED (default 1),
// CHORD_PARITY_VOCABS (comma-separated names, default all). Pre-tokenizer names that no test vocabulary
// carries are tried on llama-bpe's vocabulary with tokenizer.ggml.pre rewritten (CHORD_PARITY_VARIANT_COUNT
// strings each, default 500).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { withStringValue } from "./gguf_edit.mjs";
import { generateStrings } from "./tokenizer_strings.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const chord = process.env.CHORD_BIN ?? path.join(root, "build/release/apps/chord/chord");
const vocabDir = path.join(root, "testdata/vocab");
const count = Number(process.env.CHORD_PARITY_COUNT ?? 2000);
const seed = Number(process.env.CHORD_PARITY_SEED ?? 1);

const VOCABS = ["llama-spm", "phi-3", "baichuan", "llama-bpe", "qwen2", "qwen35", "gpt-2", "deepseek-llm",
  "deepseek-coder", "falcon", "mpt", "starcoder", "refact", "command-r", "aquila", "gpt-neox"];
// Other tokenizer.ggml.pre names, one per distinct behaviour in src/tokenizer/pre_tokenizer.cpp.
const VARIANTS = ["dbrx", "glm4", "stablelm2", "trillion", "laguna", "smollm", "exaone4", "grok-2", "minerva-7b",
  "jina-v2-code", "gpt-4o", "tekken", "granite-embed-multi-97m", "deepseek-v3", "seed-coder", "minicpm5", "bailingmoe",
  "exaone-moe", "poro-chat", "bloom", "viking"];
const variantCount = Number(process.env.CHORD_PARITY_VARIANT_COUNT ?? 500);
const wanted = process.env.CHORD_PARITY_VOCABS ? process.env.CHORD_PARITY_VOCABS.split(",") : VOCABS;

const missing = !fs.existsSync(path.join(here, "node_modules/node-llama-cpp")) || !fs.existsSync(vocabDir) ||
  !fs.existsSync(chord);
if (missing && process.env.CHORD_REQUIRE_TESTDATA) throw new Error("oracle, test data or chord missing");

// A child process answering one JSON line per request line, in order.
class LineServer {
  constructor(command, args) {
    this.proc = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
    this.waiting = [];
    this.closed = new Promise((resolve) => this.proc.on("close", resolve));
    readline.createInterface({ input: this.proc.stdout, crlfDelay: Infinity }).on("line", (line) => {
      const next = this.waiting.shift();
      if (next) next(JSON.parse(line));
    });
  }
  ask(request) {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin.write(JSON.stringify(request) + "\n");
    });
  }
  async close() {
    this.proc.stdin.end();
    await this.closed;
  }
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function compare(model, count) {
  const oracle = new LineServer(process.execPath, [path.join(here, "oracle.mjs"), "serve", "--model", model]);
  const ours = new LineServer(chord, ["tokenize", "-m", model, "--jsonl"]);
  const strings = generateStrings(count, seed);
  // A few long texts too (the BPE word cache starts at 4 KiB).
  const pool = generateStrings(4000, seed + 1000);
  for (let i = 0; i < 4 && count >= 1000; i++)
    strings.push(pool.slice(i * 1000, i * 1000 + 300 + 200 * i).join(i % 2 ? "\n" : " "));
  const stats = { plain: 0, special: 0, decode: 0, roundtrip: 0 };
  const failures = [];
  const fail = (kind, text, want, got) => failures.push({ kind, text, want, got });

  await Promise.all(strings.map(async (text, i) => {
    const plain = { text, add_special: false, parse_special: false };
    const [want, got] = await Promise.all([oracle.ask({ cmd: "tokenize", ...plain }), ours.ask(plain)]);
    if (same(want.ids, got)) stats.plain++;
    else fail("tokenize", text, want.ids ?? want, got);

    // Every string is also tokenized with BOS/EOS and special-token parsing on.
    const special = { text, add_special: true, parse_special: true };
    const [wantS, gotS] = await Promise.all([oracle.ask({ cmd: "tokenize", ...special }), ours.ask(special)]);
    if (same(wantS.ids, gotS)) stats.special++;
    else fail("tokenize+special", text, wantS.ids ?? wantS, gotS);

    // Decoding llama.cpp's ids (special tokens shown for every other string).
    const ids = want.ids ?? [];
    const show = i % 2 === 1;
    const [wantText, gotText] = await Promise.all([
      oracle.ask({ cmd: "detokenize", ids, special: show }), ours.ask({ ids, special: show })]);
    if (wantText.text === gotText) stats.decode++;
    else fail("decode", text, wantText.text ?? wantText, gotText);

    // decode(encode(s)) == s holds for both or for neither.
    const [theirsBack, oursBack] = await Promise.all([
      oracle.ask({ cmd: "detokenize", ids, special: false }), ours.ask({ ids: got, special: false })]);
    if ((theirsBack.text === text) === (oursBack === text)) stats.roundtrip++;
    else fail("roundtrip", text, theirsBack.text === text, oursBack === text);
  }));
  await Promise.all([oracle.close(), ours.close()]);
  return { stats, failures, n: strings.length };
}

const pct = (k, n) => `${k}/${n} (${(100 * k / n).toFixed(2)}%)`;

function report(name, { stats, failures, n }) {
  console.log(`${name}: tokenize ${pct(stats.plain, n)}, tokenize+special ${pct(stats.special, n)}, ` +
    `decode ${pct(stats.decode, n)}, round-trip agreement ${pct(stats.roundtrip, n)}`);
  for (const f of failures.slice(0, 8))
    console.log(`  ${f.kind}: ${JSON.stringify(f.text)}\n    llama.cpp: ${JSON.stringify(f.want)}\n` +
      `    wasm-chord: ${JSON.stringify(f.got)}`);
  assert.equal(failures.length, 0, `${failures.length} mismatches for ${name}`);
}

for (const vocab of wanted) {
  const file = path.join(vocabDir, `ggml-vocab-${vocab}.gguf`);
  test(`tokenizer parity with llama.cpp: ${vocab}`, { skip: missing || !fs.existsSync(file) }, async () => {
    report(vocab, await compare(file, count));
  });
}

const base = path.join(vocabDir, "ggml-vocab-llama-bpe.gguf");
for (const pre of process.env.CHORD_PARITY_VOCABS ? [] : VARIANTS) {
  test(`tokenizer parity with llama.cpp: llama-bpe as pre-tokenizer ${pre}`,
    { skip: missing || !fs.existsSync(base) }, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chord-pre-"));
      const file = path.join(dir, `llama-bpe-${pre}.gguf`);
      withStringValue(base, file, "tokenizer.ggml.pre", pre);
      try {
        report(`llama-bpe as ${pre}`, await compare(file, variantCount));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
}

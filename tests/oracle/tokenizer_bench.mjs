// Tokenizing 1 MiB of text: wasm-chord (`chord tokenize --timing`) against llama.cpp (node-llama-cpp's
// model.tokenize, the same llama_tokenize call), same text, same vocabulary, on this machine. Both
// times cover encoding only (not loading the vocabulary or reading the file); each side runs 5 times and
// the median is reported. The ids must be identical. The text is built deterministically: English
// prose (Debian's /usr/share/common-licenses), JavaScript (node-llama-cpp's own dist files) and the
// parity test's generated multilingual strings.
//   node tests/oracle/tokenizer_bench.mjs [--chord build/release/apps/chord/chord] [--vocabs a,b] [--runs 5]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { generateStrings } from "./tokenizer_strings.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const { values: opts } = parseArgs({
  options: {
    chord: { type: "string", default: path.join(root, "build/release/apps/chord/chord") },
    vocabs: { type: "string", default: "llama-spm,llama-bpe,qwen2,gpt-2,deepseek-llm,falcon,starcoder,phi-3" },
    runs: { type: "string", default: "5" },
    bytes: { type: "string", default: String(1 << 20) },
  },
});
const runs = Number(opts.runs);
const size = Number(opts.bytes);

function files(dir, ext) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out;
}

// Fills `budget` bytes from the sources in turn, cutting at a character boundary.
function take(texts, budget) {
  let s = "";
  for (let i = 0; Buffer.byteLength(s) < budget; i++) s += texts[i % texts.length] + "\n";
  const buf = Buffer.from(s).subarray(0, budget);
  return buf.toString("utf8").replace(/\ufffd$/, "");
}

function corpus() {
  const licenses = files("/usr/share/common-licenses", "").filter((f) => fs.statSync(f).isFile())
    .map((f) => fs.readFileSync(f, "utf8"));
  const code = files(path.join(here, "node_modules/node-llama-cpp/dist"), ".js").map((f) => fs.readFileSync(f, "utf8"));
  const mixed = generateStrings(20000, 7);
  return take(licenses, Math.floor(size * 0.55)) + take(code, Math.floor(size * 0.30)) +
    take(mixed, size - Math.floor(size * 0.55) - Math.floor(size * 0.30));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const text = corpus();
const textFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "chord-bench-")), "corpus.txt");
fs.writeFileSync(textFile, text);
console.log(`text: ${Buffer.byteLength(text)} bytes (${textFile}); ${runs} runs each, median; CPU: ${os.cpus()[0].model}`);
console.log("| vocabulary | tokens | llama.cpp ms | wasm-chord ms | speed-up | same ids |");
console.log("|------------|--------|--------------|---------------|----------|----------|");

const llama = await getLlama({ gpu: false, build: "never", usePrebuiltBinaries: true, skipDownload: true,
  progressLogs: false, logLevel: LlamaLogLevel.error });
for (const vocab of opts.vocabs.split(",")) {
  const modelPath = path.join(root, "testdata/vocab", `ggml-vocab-${vocab}.gguf`);
  if (!fs.existsSync(modelPath)) continue;
  const model = await llama.loadModel({ modelPath, vocabOnly: true, gpuLayers: 0 });
  let theirs = model.tokenize(text, false);
  const theirTimes = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    theirs = model.tokenize(text, false);
    theirTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await model.dispose();

  const ourTimes = [];
  let ours = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(opts.chord, ["tokenize", "-m", modelPath, "-f", textFile, "--ids", "--no-bos", "--timing"],
      { encoding: "utf8", maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`chord failed: ${r.stderr}`);
    if (i === 0) ours = JSON.parse(r.stdout);
    ourTimes.push(Number(/in ([0-9.]+) ms/.exec(r.stderr)[1]));
  }
  const same = ours.length === theirs.length && ours.every((id, i) => id === theirs[i]);
  const a = median(theirTimes), b = median(ourTimes);
  console.log(`| ${vocab} | ${theirs.length} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(a / b).toFixed(2)}x | ${same ? "yes" : "NO"} |`);
}
await llama.dispose();

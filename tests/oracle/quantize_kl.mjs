// What each quantization type costs, measured with wasm-chord's own engine: a `chord synth` F32 model is
// converted by `chord quantize` to every type (--pure) and to llama.cpp's mixes, and at every position of
// a prompt the next-token distribution of each file is compared with the F32 model's:
// KL(F32 ‖ quantized) over the whole vocabulary, mean and max over positions, with an F32 KV cache so
// that only the weights differ. Prints a Markdown table (docs/BENCHMARKS.md) and writes nothing else.
//   node tests/oracle/quantize_kl.mjs [--chord build/release/apps/chord/chord] [--types Q4_0,Q4_K_M,...]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const chord = arg("--chord", process.env.CHORD_BIN ?? path.join(root, "build/release/apps/chord/chord"));
const vocab = path.join(root, "testdata/vocab/ggml-vocab-llama-spm.gguf");
const TYPES = arg("--types", "Q8_0,Q6_K,Q5_1,Q5_0,Q5_K_S,Q5_K_M,Q4_1,Q4_0,Q4_K_S,Q4_K_M,IQ4_NL,IQ4_XS,Q3_K_L," +
  "Q3_K_M,Q3_K_S,Q2_K,BF16,F16").split(",");
// The shape of quant_parity.test.mjs's models (dim 256, 2 layers), and a deeper one where the mixes'
// per-layer rules have layers to choose between.
const SHAPES = {
  "2 layers": ["--dim", "256", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--ffn", "512", "--seed", "11"],
  "8 layers": ["--dim", "256", "--layers", "8", "--heads", "4", "--kv-heads", "1", "--ffn", "768", "--seed", "11"],
};
const TEXT = "The old lighthouse keeper counted the ships that passed in the night, and wrote each name in a " +
  "small blue book.";
const big = { maxBuffer: 1 << 30, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chord-kl-"));

const logprobs = (model, ids) =>
  JSON.parse(execFileSync(chord, ["logits", "-m", model, "-c", "256", "-ctk", "f32", "-ctv", "f32", "--ids",
    ids.join(","), "--top", "0", "--all-positions"], big)).positions.map((p) => {
    const lp = new Float64Array(p.top.length);
    for (const { id, logprob } of p.top) lp[id] = logprob;
    return lp;
  });
const kl = (p, q) => {  // KL(p ‖ q) in nats
  let s = 0;
  for (let i = 0; i < p.length; ++i) s += Math.exp(p[i]) * (p[i] - q[i]);
  return Math.max(0, s);
};

try {
  const rows = new Map();
  for (const [shape, flags] of Object.entries(SHAPES)) {
    const f32 = path.join(tmp, "f32.gguf");
    execFileSync(chord, ["synth", "--vocab", vocab, "-o", f32, "--type", "f32", ...flags], big);
    const ids = JSON.parse(execFileSync(chord, ["tokenize", "-m", f32, "--ids", TEXT], big));
    const reference = logprobs(f32, ids);
    const params = fs.statSync(f32).size / 4;  // F32 file: about 4 bytes per parameter
    for (const type of TYPES) {
      for (const pure of type.match(/_[SML]$|^Q2_K$/) ? [false] : [true]) {
        const out = path.join(tmp, `${type}.gguf`);
        execFileSync(chord, ["quantize", f32, out, type, "-t", "2", ...(pure ? ["--pure"] : [])], big);
        const d = logprobs(out, ids).map((q, i) => kl(reference[i], q));
        const key = `${type}${pure ? " (pure)" : ""}`;
        if (!rows.has(key)) rows.set(key, { bpw: (fs.statSync(out).size * 8) / params, cells: {} });
        rows.get(key).cells[shape] = `${(d.reduce((a, b) => a + b, 0) / d.length).toExponential(1)} / ` +
          `${Math.max(...d).toExponential(1)}`;
      }
    }
    console.error(`${shape}: ${ids.length} positions`);
  }
  console.log(`| type | bits/weight (2 layers) | ${Object.keys(SHAPES).map((s) => `${s}: mean / max`).join(" | ")} |`);
  console.log(`|------|------|${Object.keys(SHAPES).map(() => "------").join("|")}|`);
  for (const [key, r] of rows)
    console.log(`| ${key} | ${r.bpw.toFixed(2)} | ${Object.keys(SHAPES).map((s) => r.cells[s]).join(" | ")} |`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

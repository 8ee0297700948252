// Quantized models against llama.cpp. For each block format, a `chord synth` model (same seed, so the
// same underlying weights) is evaluated by llama.cpp and by wasm-chord over a prompt and 16 greedy
// tokens, and at every position:
//   - with an F32 KV cache on both sides, KL(llama.cpp ‖ wasm-chord) over the whole vocabulary must be
//     small: ~1e-12 for most types (the same activation quantization and integer block sums give the
//     same logits), up to ~7e-4 for q5_1, q5_k and bf16 (float rounding order in llama.cpp's SIMD
//     kernels differs), and the argmax must agree wherever llama.cpp's top-2 margin exceeds 0.1;
//   - with the default F16 cache (types in F16_KV_TYPES), F16 rounding of q and of the softmax weights
//     turns summation-order differences in attention into small differences: KL is reported and bounded,
//     and the argmax must agree where the margin exceeds 0.25;
//   - KL(llama.cpp F32 model ‖ llama.cpp quantized model) is reported: what the format itself costs.
//   CHORD_BIN=build/release/apps/chord/chord node --test tests/oracle/quant_parity.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const chord = process.env.CHORD_BIN ?? path.join(root, "build/release/apps/chord/chord");
const vocab = path.join(root, "testdata/vocab/ggml-vocab-llama-spm.gguf");
const oracle = path.join(here, "oracle.mjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chord-quant-"));

const missing = !fs.existsSync(path.join(here, "node_modules/node-llama-cpp")) || !fs.existsSync(vocab);
if (missing && process.env.CHORD_REQUIRE_TESTDATA) throw new Error("oracle or test data missing: run tools/fetch-testdata.sh");

const TYPES = (process.env.CHORD_QUANT_TYPES ?? "q8_0,q4_0,q4_k,q6_k,q4_1,q5_0,q5_1,q2_k,q3_k,q5_k,iq4_nl,iq4_xs,bf16")
  .split(",");
const F16_KV_TYPES = ["q8_0", "q4_0", "q4_k", "q6_k"];
// Nats, the largest over positions, and the margin above which argmaxes must agree.
const LIMITS = { f32: { kl: 2e-3, margin: 0.1 }, f16: { kl: 2e-2, margin: 0.25 } };
const big = { maxBuffer: 1 << 30, encoding: "utf8" };

const synth = (type) => {
  const file = path.join(tmp, `${type}.gguf`);
  if (!fs.existsSync(file))
    execFileSync(chord, ["synth", "--vocab", vocab, "-o", file, "--type", type, "--dim", "256", "--layers", "2",
      "--heads", "4", "--kv-heads", "2", "--ffn", "512", "--seed", "11"]);
  return file;
};
const theirs = (model, kv, ...args) =>
  JSON.parse(execFileSync("node", [oracle, ...args, "--model", model, "--ctx", "128", "--kv-type", kv], big));
const ours = (model, kv, ...args) =>
  JSON.parse(execFileSync(chord, ["logits", "-m", model, "-c", "128", "-ctk", kv, "-ctv", kv, ...args], big));

// Full distributions (id -> logprob) at every position.
const dists = (positions) => positions.map((p) => {
  const lp = new Float64Array(p.top.length);
  for (const { id, logprob } of p.top) lp[id] = logprob ?? -Infinity;
  return lp;
});
function kl(p, q) {  // KL(p ‖ q) in nats
  let s = 0;
  for (let i = 0; i < p.length; ++i) if (p[i] > -Infinity) s += Math.exp(p[i]) * (p[i] - q[i]);
  return Math.max(0, s);
}

let prompt;
if (!missing) {
  const f32 = synth("f32");
  prompt = theirs(f32, "f16", "tokenize", "--text", "The old lighthouse keeper counted the ships").ids;
}

function compare(type, kv) {
  const model = synth(type);
  const greedy = theirs(model, kv, "greedy", "--ids", prompt.join(","), "--n", "16").ids;
  const ids = prompt.concat(greedy).join(",");
  const a = theirs(model, kv, "logprobs", "--ids", ids, "--top", "0", "--all-positions").positions;
  const b = ours(model, kv, "--ids", ids, "--top", "0", "--all-positions").positions;
  const reference = dists(theirs(synth("f32"), kv, "logprobs", "--ids", ids, "--top", "0", "--all-positions").positions);
  const pa = dists(a), pb = dists(b);
  let worst = 0, mean = 0, checked = 0, formatCost = 0;
  const misses = [];
  for (let i = 0; i < pa.length; ++i) {
    const d = kl(pa[i], pb[i]);
    worst = Math.max(worst, d);
    mean += d / pa.length;
    formatCost += kl(reference[i], pa[i]) / pa.length;
    if (a[i].margin > LIMITS[kv].margin) {
      ++checked;
      if (b[i].top[0].id !== a[i].top[0].id)
        misses.push(`position ${i}: ${b[i].top[0].id} vs llama.cpp's ${a[i].top[0].id} (margin ${a[i].margin.toFixed(3)})`);
    }
  }
  console.log(`# ${type}, ${kv} KV cache: KL(llama.cpp‖wasm-chord) mean ${mean.toExponential(2)} max ` +
    `${worst.toExponential(2)}; argmax equal at ${checked - misses.length}/${checked} positions with margin > ` +
    `${LIMITS[kv].margin}; KL(F32‖${type}) in llama.cpp ${formatCost.toExponential(2)}`);
  assert.deepEqual(misses, []);
  assert.ok(worst < LIMITS[kv].kl, `max KL ${worst}`);
}

for (const type of TYPES) {
  test(`${type}: wasm-chord's next-token distribution is llama.cpp's`, { skip: missing }, () => {
    compare(type, "f32");
    if (F16_KV_TYPES.includes(type)) compare(type, "f16");
  });
}

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// RoPE scaling against llama.cpp: `chord synth` models with linear scaling (llama: NORM rotation, qwen2:
// NEOX) and with Llama 3's frequency divisors (rope_freqs.weight) give, at every position of a prompt and
// of llama.cpp's 128-token greedy continuation, the same argmax and top-10 log-probabilities within 1e-3
// (F32 weights, F32 KV cache). The Llama 3 model's original context is 32 tokens, so most positions lie
// well past it and every kind of divisor (kept, interpolated, slowed by the whole factor) is in use. Each
// test also checks that the scaling matters: the same weights without it give log-probabilities that
// differ by far more than the tolerance.
//   CHORD_BIN=build/release/apps/chord/chord node --test tests/oracle/rope_scaling_parity.test.mjs
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
const vocabDir = path.join(root, "testdata/vocab");
const oracle = path.join(here, "oracle.mjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chord-rope-"));

const missing = !fs.existsSync(path.join(here, "node_modules/node-llama-cpp")) || !fs.existsSync(vocabDir);
if (missing && process.env.CHORD_REQUIRE_TESTDATA) throw new Error("oracle or test data missing: run tools/fetch-testdata.sh");

const CTX = "256";
const ask = (model, ...args) => JSON.parse(execFileSync("node",
  [oracle, ...args, "--model", model, "--ctx", CTX, "--kv-type", "f32"], { encoding: "utf8" }));
const ours = (model, ...args) => JSON.parse(execFileSync(chord,
  ["logits", "-m", model, "-c", CTX, "-ctk", "f32", "-ctv", "f32", ...args], { encoding: "utf8" }));
const synth = (model, arch, vocab, extra) => execFileSync(chord, ["synth", "--arch", arch,
  "--vocab", path.join(vocabDir, `ggml-vocab-${vocab}.gguf`), "-o", model, "--type", "f32", "--dim", "128",
  "--layers", "3", "--heads", "4", "--kv-heads", "2", "--ffn", "320", "--seed", "11", ...extra]);

const PROMPT = "The old lighthouse keeper climbed the spiral stairs every evening, counting the steps " +
  "and listening to the waves below, until one night the light would not turn on and he";
const TOLERANCE = 1e-3;

// The largest |Δ logprob| over llama.cpp's top 10 at every position; the greedy token must match.
function compare(mine, theirs, ids, promptLength) {
  assert.equal(mine.length, theirs.length);
  let worst = 0;
  for (let i = 0; i < theirs.length; ++i) {
    const byId = new Map(mine[i].top.map((e) => [e.id, e.logprob]));
    for (const { id, logprob } of theirs[i].top) {
      if (logprob == null) continue;
      assert.ok(byId.has(id), `position ${i}: llama.cpp's top token ${id} is not in our top 16`);
      worst = Math.max(worst, Math.abs(byId.get(id) - logprob));
    }
    if (i >= promptLength - 1 && i < ids.length - 1)
      assert.equal(mine[i].top[0].id, ids[i + 1], `greedy token after position ${i}`);
  }
  return worst;
}

// Positions where two of our runs (same ids) pick different argmaxes.
const argmaxChanges = (a, b) => a.filter((p, i) => p.top[0].id !== b[i].top[0].id).length;

const CASES = [
  { name: "llama linear x4", arch: "llama", vocab: "llama-spm", flags: ["--rope-scaling-linear", "4"] },
  { name: "llama llama3 8,1,4,32", arch: "llama", vocab: "llama-spm", flags: ["--rope-llama3", "8,1,4,32"] },
  { name: "qwen2 linear x2.5 (NEOX)", arch: "qwen2", vocab: "llama-spm", flags: ["--rope-scaling-linear", "2.5"] },
];

for (const c of CASES) {
  test(`${c.name}: same greedy continuation and top-10 log-probabilities as llama.cpp`, { skip: missing }, () => {
    const model = path.join(tmp, `${c.arch}-${c.flags.join("").replace(/[^a-z0-9]/gi, "")}.gguf`);
    const plain = path.join(tmp, `${c.arch}-${c.vocab}-plain.gguf`);
    synth(model, c.arch, c.vocab, c.flags);
    synth(plain, c.arch, c.vocab, []);
    const prompt = ask(model, "tokenize", "--text", PROMPT).ids;
    const greedy = ask(model, "greedy", "--ids", prompt.join(","), "--n", "128").ids;
    const ids = prompt.concat(greedy);
    const theirs = ask(model, "logprobs", "--ids", ids.join(","), "--top", "10", "--all-positions").positions;
    const mine = ours(model, "--ids", ids.join(","), "--top", "16", "--all-positions").positions;
    const worst = compare(mine, theirs, ids, prompt.length);
    const changed = argmaxChanges(mine, ours(plain, "--ids", ids.join(","), "--top", "1", "--all-positions").positions);
    console.log(`# ${c.name}: ${prompt.length}+128 positions, max |Δ logprob| ${worst.toExponential(2)}; ` +
      `without the scaling the argmax changes at ${changed} positions`);
    assert.ok(worst < TOLERANCE, `max log-probability difference ${worst}`);
    assert.ok(changed >= ids.length / 4, `the scaling barely changes the output (${changed} argmaxes)`);
  });
}

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// llama.cpp loads what `chord synth` writes: for the llama architecture with a SentencePiece
// (llama-spm) and a BPE (llama-bpe) vocabulary, in F32 and F16, llama.cpp evaluates the model and its
// next-token distribution has a clear top token (the synth weight scaling's purpose). The top-2
// log-probability margins are printed so they can be quoted.
//   CHORD_BIN=build/release/apps/chord/chord node --test tests/oracle/synth_loads.test.mjs
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
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chord-synth-"));

function ask(model, ...args) {
  const out = execFileSync("node", [oracle, ...args, "--model", model], { encoding: "utf8" });
  return JSON.parse(out);
}

// Without the oracle (tools/fetch-testdata.sh not run) there is nothing to compare with, unless the
// caller insists (CI sets CHORD_REQUIRE_TESTDATA).
const missing = !fs.existsSync(path.join(here, "node_modules/node-llama-cpp")) || !fs.existsSync(vocabDir);
if (missing && process.env.CHORD_REQUIRE_TESTDATA) throw new Error("oracle or test data missing: run tools/fetch-testdata.sh");

const cases = [];
for (const vocab of ["llama-spm", "llama-bpe"]) for (const type of ["f32", "f16"]) cases.push({ vocab, type });

for (const { vocab, type } of cases) {
  test(`llama.cpp runs chord synth --type ${type} with the ${vocab} vocabulary`, { skip: missing }, () => {
    const model = path.join(tmp, `${vocab}-${type}.gguf`);
    execFileSync(chord, ["synth", "--vocab", path.join(vocabDir, `ggml-vocab-${vocab}.gguf`), "-o", model,
      "--type", type, "--dim", "128", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--ffn", "256"]);
    const prompt = ask(model, "tokenize", "--text", "The quick brown fox jumps over the lazy dog").ids;
    assert.ok(prompt.length > 5);
    const greedy = ask(model, "greedy", "--ids", prompt.join(","), "--n", "8").ids;
    assert.equal(greedy.length, 8);
    const positions = ask(model, "logprobs", "--ids", prompt.concat(greedy).join(","), "--top", "2",
      "--all-positions").positions;
    const margins = positions.map((p) => p.margin).filter((m) => m != null);
    margins.sort((a, b) => a - b);
    const median = margins[Math.floor(margins.length / 2)];
    console.log(`# ${vocab} ${type}: top-2 log-prob margin over ${margins.length} positions: ` +
      `min ${margins[0].toFixed(3)}, median ${median.toFixed(3)}`);
    // Greedy continuation is the argmax of the distribution at each step.
    for (let i = 0; i < greedy.length; ++i)
      assert.equal(positions[prompt.length - 1 + i].top[0].id, greedy[i]);
    assert.ok(median > 0.5, `median margin ${median} is too small for argmax comparisons`);
  });
}

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// `chord perplexity` against llama.cpp's perplexity (llama-perplexity's method, computed by the oracle
// from llama.cpp's own next-token probabilities) for the trained demo model, assets/fortune-demo.f16.gguf,
// in F16 and in F32 (made with `chord quantize ... F32`), on a short held-out text
// (tests/data/fortune-heldout-short.txt: the first held-out fortunes, see tools/fortune_corpus.py):
// the two perplexities must agree within 0.1%, over the same tokens and chunks.
//   CHORD_BIN=build/release/apps/chord/chord node --test tests/oracle/perplexity_parity.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const chord = process.env.CHORD_BIN ?? path.join(root, "build/release/apps/chord/chord");
const model = path.join(root, "assets/fortune-demo.f16.gguf");
const text = path.join(root, "tests/data/fortune-heldout-short.txt");
const oracle = path.join(here, "oracle.mjs");
const run = promisify(execFile);
const CTX = "128";
const TOLERANCE = 1e-3;  // relative

const missing = !fs.existsSync(path.join(here, "node_modules/node-llama-cpp"));
if (missing && process.env.CHORD_REQUIRE_TESTDATA) throw new Error("oracle missing: run tools/fetch-testdata.sh");

test("chord perplexity equals llama.cpp's (F16 and F32 demo model)", { skip: missing && "oracle not installed" }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chord-ppl-"));
  const f32 = path.join(tmp, "demo.f32.gguf");
  execFileSync(chord, ["quantize", model, f32, "F32"], { stdio: "ignore" });
  try {
    // Both oracles at once (each loads its own llama.cpp context); ours after them.
    const theirs = await Promise.all([model, f32].map((m) =>
      run("node", [oracle, "perplexity", "--model", m, "--text-file", text, "--ctx", CTX, "--threads", "1"])
        .then(({ stdout }) => JSON.parse(stdout))));
    for (const [i, m] of [model, f32].entries()) {
      const ours = JSON.parse(execFileSync(chord, ["perplexity", "-m", m, "-f", text, "-c", CTX, "--json"],
        { encoding: "utf8" }));
      const ref = theirs[i];
      const label = path.basename(m);
      console.log(`${label}: chord ${ours.ppl.toFixed(4)} ± ${ours.error.toFixed(4)}, llama.cpp ` +
        `${ref.ppl.toFixed(4)} ± ${ref.error.toFixed(4)} (${ours.chunks} chunks of ${ours.n_ctx}, ` +
        `${ours.scored} tokens scored), relative difference ${(Math.abs(ours.ppl / ref.ppl - 1)).toExponential(2)}`);
      assert.equal(ours.tokens, ref.tokens, `${label}: token count`);
      assert.equal(ours.chunks, ref.chunks, `${label}: chunks`);
      assert.equal(ours.scored, ref.scored, `${label}: scored tokens`);
      assert.ok(ours.chunks >= 5, "the text should give several chunks");
      assert.ok(Math.abs(ours.ppl / ref.ppl - 1) < TOLERANCE, `${label}: ${ours.ppl} vs llama.cpp's ${ref.ppl}`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("chord perplexity: --chunks, and a text too short for the context", { skip: missing && "oracle not installed" }, () => {
  const two = JSON.parse(execFileSync(chord, ["perplexity", "-m", model, "-f", text, "-c", CTX, "--chunks", "2", "--json"],
    { encoding: "utf8" }));
  assert.equal(two.chunks, 2);
  assert.equal(two.scored, 2 * (Number(CTX) / 2 - 1));
  assert.throws(() => execFileSync(chord, ["perplexity", "-m", model, "-f", text, "-c", "4096"], { stdio: "pipe" }),
    /needs at least/);
});

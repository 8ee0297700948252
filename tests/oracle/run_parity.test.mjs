// `chord run --temp 0` against llama.cpp's greedy continuation: for each supported architecture with a
// SentencePiece and a BPE vocabulary, F32 and F16 `chord synth` models (both sides with an F32 KV
// cache, where engine_parity.test.mjs shows the same argmax at every position), the text chord streams
// to stdout equals llama.cpp's 48 greedy tokens detokenized after the prompt, cut where chord reports
// an end-of-generation token (which must then be llama.cpp's token there too).
//   CHORD_BIN=build/release/apps/chord/chord node --test tests/oracle/run_parity.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const chord = process.env.CHORD_BIN ?? path.join(root, "build/release/apps/chord/chord");
const vocabDir = path.join(root, "testdata/vocab");
const oracle = path.join(here, "oracle.mjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chord-run-parity-"));

const missing = !fs.existsSync(path.join(here, "node_modules/node-llama-cpp")) || !fs.existsSync(vocabDir);
if (missing && process.env.CHORD_REQUIRE_TESTDATA) throw new Error("oracle or test data missing: run tools/fetch-testdata.sh");

const ask = (model, ...args) => JSON.parse(execFileSync("node",
  [oracle, ...args, "--model", model, "--ctx", "256", "--kv-type", "f32"], { encoding: "utf8" }));

const PROMPT = "Once upon a time, in a land far away, there lived a";
const N = 48;

for (const arch of ["llama", "qwen2"]) {
  for (const vocab of ["llama-spm", "llama-bpe"]) {
    for (const type of ["f32", "f16"]) {
      test(`${arch} ${vocab} ${type}: chord run --temp 0 prints llama.cpp's greedy continuation`, { skip: missing }, () => {
        const model = path.join(tmp, `${arch}-${vocab}-${type}.gguf`);
        execFileSync(chord, ["synth", "--arch", arch, "--vocab", path.join(vocabDir, `ggml-vocab-${vocab}.gguf`),
          "-o", model, "--type", type, "--dim", "128", "--layers", "3", "--heads", "4", "--kv-heads", "2",
          "--ffn", "320", "--seed", "5"]);
        const prompt = ask(model, "tokenize", "--text", PROMPT, "--add-special", "--parse-special").ids;
        const greedy = ask(model, "greedy", "--ids", prompt.join(","), "--n", String(N)).ids;

        const run = spawnSync(chord, ["run", "-m", model, "-p", PROMPT, "--temp", "0", "-n", String(N), "-c", "256",
          "-ctk", "f32", "-ctv", "f32", "--no-display-prompt"]);
        assert.equal(run.status, 0, run.stderr.toString());
        const stats = run.stderr.toString();
        const generated = Number(/generated (\d+) tokens/.exec(stats)[1]);
        let ids = greedy;
        if (/stop: eog/.test(stats)) {
          const info = ask(model, "info");
          assert.ok([info.eos, info.eot].includes(greedy[generated - 1]),
            `chord ended at token ${generated - 1}, llama.cpp has ${greedy[generated - 1]} there`);
          ids = greedy.slice(0, generated - 1);
        } else {
          assert.match(stats, /stop: max_tokens/);
          assert.equal(generated, N);
        }
        const before = ask(model, "detokenize", "--ids", prompt.join(",")).text;
        const after = ask(model, "detokenize", "--ids", prompt.concat(ids).join(",")).text;
        assert.ok(after.startsWith(before));
        assert.equal(run.stdout.toString("utf8"), after.slice(before.length));
        console.log(`${arch} ${vocab} ${type}: ${ids.length} tokens equal (${/stop: (\w+)/.exec(stats)[1]})`);
      });
    }
  }
}

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// The chord CLI's generation commands as a user meets them: `chord run` repeats its output exactly for
// a seed; bad input of every kind (missing or broken model, unknown flag, bad number, prompt longer than
// the context, a chat template the interpreter cannot run, ...) gives one line on stderr and a non-zero
// exit, never a crash; `--help` documents llama.cpp's flags; `chord chat` driven through stdin keeps a
// multi-turn history, /save writes it and /reset clears it; `chord quantize` writes a mix that runs.
// Uses a small model synthesized with llama.cpp's Llama 2 vocabulary (tools/fetch-testdata.sh).
//   CHORD_BIN=build/release/apps/chord/chord node --test tests/cli/cli.test.mjs
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
const vocab = path.join(root, "testdata/vocab/ggml-vocab-llama-spm.gguf");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chord-cli-"));
const model = path.join(tmp, "model.gguf");

const missing = !fs.existsSync(vocab);
if (missing && process.env.CHORD_REQUIRE_TESTDATA) throw new Error("test data missing: run tools/fetch-testdata.sh");
if (!missing)
  execFileSync(chord, ["synth", "--vocab", vocab, "-o", model, "--dim", "64", "--layers", "2", "--heads", "4",
    "--kv-heads", "2", "--ffn", "128", "--seed", "3"]);

const run = (args, input = "") => spawnSync(chord, args, { input, encoding: "utf8" });

test("chord run: the same seed gives the same text, another seed another", { skip: missing }, () => {
  const args = ["run", "-m", model, "-p", "Once upon a time", "-n", "40", "--temp", "1.0", "--ignore-eos"];
  const a = run([...args, "--seed", "1234"]);
  const b = run([...args, "--seed", "1234"]);
  const c = run([...args, "-s", "99"]);
  assert.equal(a.status, 0, a.stderr);
  assert.ok(a.stdout.startsWith("Once upon a time") && a.stdout.length > 40, a.stdout);
  assert.equal(a.stdout, b.stdout);
  assert.notEqual(a.stdout, c.stdout);
  assert.match(a.stderr, /generated 40 tokens at [\d.]+ tok\/s.*seed 1234/);
  const greedy = run(["run", "-m", model, "-p", "Once upon a time", "-n", "24", "--temp", "0"]);
  assert.equal(greedy.stdout, run(["run", "-m", model, "-p", "Once upon a time", "-n", "24", "--temp", "0", "-s", "7"]).stdout);
});

test("chord run: stop strings, -f and escapes", { skip: missing }, () => {
  const full = run(["run", "-m", model, "-p", "Hi", "-n", "24", "--temp", "0", "--ignore-eos", "--no-display-prompt"]).stdout;
  const stop = full.slice(10, 13);
  const cut = run(["run", "-m", model, "-p", "Hi", "-n", "24", "--temp", "0", "--ignore-eos", "--no-display-prompt",
    "-r", stop]);
  assert.equal(cut.stdout, full.slice(0, full.indexOf(stop)));
  assert.match(cut.stderr, /stop: stop_string/);
  const file = path.join(tmp, "prompt.txt");
  fs.writeFileSync(file, "A\\nB");
  assert.equal(run(["run", "-m", model, "-f", file, "-n", "1", "--temp", "0"]).stdout.slice(0, 4), "A\\nB");
  assert.equal(run(["run", "-m", model, "-p", "A\\nB", "-n", "1", "--temp", "0"]).stdout.slice(0, 3), "A\nB");
  assert.equal(run(["run", "-m", model, "-p", "A\\nB", "--no-escape", "-n", "1", "--temp", "0"]).stdout.slice(0, 4), "A\\nB");
});

test("bad input: one line on stderr, a non-zero exit, no crash", { skip: missing }, () => {
  const notGguf = path.join(tmp, "not-a-model.gguf");
  fs.writeFileSync(notGguf, "this is not a GGUF file");
  const badSyntax = path.join(tmp, "bad-syntax.jinja");
  fs.writeFileSync(badSyntax, "{% for message in messages %}{{ message.content }}");  // no endfor
  const badFilter = path.join(tmp, "bad-filter.jinja");
  fs.writeFileSync(badFilter, "{% for m in messages %}{{ m.content | no_such_filter }}{% endfor %}");
  const cases = {
    "missing model file": ["run", "-m", path.join(tmp, "nope.gguf"), "-p", "hi"],
    "not a GGUF": ["run", "-m", notGguf, "-p", "hi"],
    "unknown flag": ["run", "-m", model, "--no-such-flag"],
    "unknown subcommand flag for chat": ["chat", "-m", model, "--bogus", "1"],
    "bad number": ["run", "-m", model, "--temp", "warm"],
    "bad integer": ["run", "-m", model, "-n", "1.5"],
    "bad seed": ["run", "-m", model, "--seed", "-7"],
    "bad logit bias": ["run", "-m", model, "-l", "15043*2"],
    "bad penalty": ["run", "-m", model, "--repeat-penalty", "0"],
    "prompt longer than the context": ["run", "-m", model, "-c", "8", "-p", "a prompt with many more tokens than eight"],
    "missing prompt file": ["run", "-m", model, "-f", path.join(tmp, "nope.txt")],
    "unknown chat template": ["chat", "-m", model, "--chat-template", "no-such-template"],
    "chat template that does not parse": ["chat", "-m", model, "--chat-template", badSyntax],
    "chat template that cannot render": ["chat", "-m", model, "--chat-template", badFilter],
    "missing model for chat": ["chat", "-m", path.join(tmp, "nope.gguf")],
  };
  for (const [name, args] of Object.entries(cases)) {
    const r = run(args, "hello\n");
    assert.equal(r.signal, null, `${name}: killed by ${r.signal}`);
    assert.notEqual(r.status, 0, `${name}: exit status 0`);
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `${name}: ${JSON.stringify(r.stderr)}`);
    assert.match(lines[0], /^chord: error: \S/, name);
    assert.equal(r.stdout, "", `${name}: stdout ${JSON.stringify(r.stdout)}`);
  }
});

test("chord quantize: a mix with fallbacks runs; bad input is one line", { skip: missing }, () => {
  // dim 64 fits no 256-element block: the K types fall back to 32-element types, and say so.
  const q = path.join(tmp, "q4_k_m.gguf");
  const r = run(["quantize", model, q, "q4_k_m", "-t", "2"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /blk\.0\.attn_q\.weight: row length 64 does not fit the mix's block size, used q5_0/);
  assert.match(r.stderr, /wrote .*q4_k_m\.gguf \(Q4_K_M; converted 13 q5_0, 3 q8_0; kept 5;/);
  const info = run(["info", q]).stdout;
  assert.match(info, /Q4_K_M/);
  assert.equal(run(["run", "-m", q, "-p", "Hi", "-n", "4", "--temp", "0"]).status, 0);
  const cases = {
    "unknown type": ["quantize", model, q, "Q9_K"],
    "a llama.cpp type without a quantizer": ["quantize", model, q, "IQ2_XXS"],
    "missing input": ["quantize", path.join(tmp, "nope.gguf"), q, "Q4_0"],
    "a vocabulary without tensors": ["quantize", vocab, q, "Q4_0"],
    "missing type": ["quantize", model, q],
    "bad thread count": ["quantize", model, q, "Q4_0", "-t", "two"],
  };
  for (const [name, args] of Object.entries(cases)) {
    const bad = run(args);
    assert.equal(bad.signal, null, `${name}: killed by ${bad.signal}`);
    assert.notEqual(bad.status, 0, `${name}: exit status 0`);
    const lines = bad.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `${name}: ${JSON.stringify(bad.stderr)}`);
    assert.match(lines[0], /^chord: error: \S/, name);
  }
});

test("--help documents llama.cpp's flags", () => {
  const runHelp = run(["run", "--help"]).stdout;
  for (const flag of ["-m", "-p", "-f", "-n", "-c", "-t", "-b", "--temp", "--top-k", "--top-p", "--min-p", "--typical",
    "--repeat-penalty", "--repeat-last-n", "--presence-penalty", "--frequency-penalty", "--seed", "--logit-bias",
    "--ignore-eos", "--reverse-prompt", "--escape", "--no-display-prompt"])
    assert.ok(runHelp.includes(flag), `chord run --help lacks ${flag}`);
  const chatHelp = run(["chat", "--help"]).stdout;
  for (const flag of ["-m", "--system", "--chat-template", "--temp", "-n", "--seed"])
    assert.ok(chatHelp.includes(flag), `chord chat --help lacks ${flag}`);
});

test("chord chat on stdin: turns, /save, /reset, /exit", { skip: missing }, () => {
  const saved = path.join(tmp, "conversation.json");
  const input = ["Hello there", "And a second \\", "line", `/save ${saved}`, "/reset", "After the reset", "/exit",
    "never read"].join("\n") + "\n";
  const r = run(["chat", "-m", model, "-sys", "Be brief.", "-n", "8", "--temp", "0", "--chat-template", "chatml"], input);
  assert.equal(r.status, 0, r.stderr);
  // Six prompts: three messages, /save, /reset and /exit; nothing after /exit is read.
  assert.equal(r.stdout.split("> ").length - 1, 6, r.stdout);
  const messages = JSON.parse(fs.readFileSync(saved, "utf8"));
  assert.deepEqual(messages.map((m) => m.role), ["system", "user", "assistant", "user", "assistant"]);
  assert.equal(messages[0].content, "Be brief.");
  assert.equal(messages[3].content, "And a second \nline");
  assert.match(r.stderr, /conversation cleared/);
  assert.match(r.stderr, /3 answers/);
  assert.match(r.stderr, /chat template: built-in template 'chatml'/);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

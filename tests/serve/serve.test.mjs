// `chord serve` driven by the official OpenAI client (npm `openai`, pinned in tests/serve/package.json,
// installed by tools/fetch-testdata.sh): chat and text completions, streamed and whole, greedy answers
// equal to `chord run`'s and `chord chat`'s, stop strings, seeds, logit_bias, bad requests and a wrong
// API key (OpenAI error objects with the right status), a client that goes away mid-answer (its
// generation stops), a full queue (503), concurrent slots, and the web demo's files with COOP/COEP.
// Uses a small model synthesized with llama.cpp's Llama 2 vocabulary.
//   CHORD_BIN=build/release/apps/chord/chord node --test tests/serve/serve.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const chord = process.env.CHORD_BIN ?? path.join(root, "build/release/apps/chord/chord");
const vocab = path.join(root, "testdata/vocab/ggml-vocab-llama-spm.gguf");
const clientDir = path.join(here, "node_modules/openai");
const missing = !fs.existsSync(vocab) || !fs.existsSync(clientDir);
if (missing && process.env.CHORD_REQUIRE_TESTDATA)
  throw new Error("test data or the openai client missing: run tools/fetch-testdata.sh");

const { default: OpenAI } = missing ? { default: null } : await import("openai");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chord-serve-"));
const model = path.join(tmp, "model.gguf");
const KEY = "sk-test-key";
const EOS = 2;  // </s> in the Llama 2 vocabulary: a bias of -100 keeps the model talking

// Starts `chord serve` on a free port; resolves when it prints its address.
function startServer(args) {
  return new Promise((resolve, reject) => {
    const web = args.includes("--static") ? [] : ["--no-static"];
    const proc = spawn(chord, ["serve", "-m", model, "--port", "0", ...web, ...args]);
    let log = "";
    proc.stderr.setEncoding("utf8");
    proc.stderr.on("data", (d) => {
      log += d;
      const m = log.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (m && !proc.url) {
        proc.url = m[1];
        resolve(proc);
      }
    });
    proc.log = () => log;
    proc.on("exit", (code) => { if (!proc.url) reject(new Error(`chord serve exited ${code}: ${log}`)); });
  });
}

function stopServer(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve(proc.exitCode);
    proc.on("exit", (code, signal) => resolve(code ?? signal));
    proc.kill("SIGTERM");
  });
}

let server, client;
before(async () => {
  if (missing) return;
  execFileSync(chord, ["synth", "--vocab", vocab, "-o", model, "--dim", "64", "--layers", "2", "--heads", "4",
    "--kv-heads", "2", "--ffn", "128", "--seed", "3"]);
  server = await startServer(["--api-key", KEY, "--parallel", "2", "-c", "4096", "-t", "1", "-v"]);
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
});
after(async () => {
  if (server) assert.equal(await stopServer(server), 0, server.log());
  fs.rmSync(tmp, { recursive: true, force: true });
});

const chordRun = (prompt, n) =>
  execFileSync(chord, ["run", "-m", model, "-p", prompt, "-n", String(n), "--temp", "0", "--no-display-prompt",
    "--no-perf"], { encoding: "utf8" });

async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const skip = { skip: missing };

test("completions: greedy text equals chord run's, streamed and whole", skip, async () => {
  const prompt = "Once upon a time";
  const expected = chordRun(prompt, 16);
  const r = await client.completions.create({ model: "m", prompt, max_tokens: 16, temperature: 0 });
  assert.equal(r.object, "text_completion");
  assert.match(r.id, /^cmpl-/);
  assert.equal(r.model, "model.gguf");
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].text, expected);
  assert.equal(r.choices[0].index, 0);
  assert.equal(r.choices[0].finish_reason, expected.length > 0 ? "length" : "stop");
  assert.equal(r.usage.prompt_tokens, 5);  // BOS + 4
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);

  const chunks = await collect(await client.completions.create({ model: "m", prompt, max_tokens: 16, temperature: 0,
    stream: true, stream_options: { include_usage: true } }));
  const text = chunks.flatMap((c) => c.choices.map((ch) => ch.text)).join("");
  assert.equal(text, expected);
  for (const c of chunks) assert.equal(c.object, "text_completion");
  const finishes = chunks.flatMap((c) => c.choices.filter((ch) => ch.finish_reason).map((ch) => ch.finish_reason));
  assert.deepEqual(finishes, [r.choices[0].finish_reason]);
  assert.deepEqual(chunks.at(-1).usage, r.usage);
  assert.equal(chunks.at(-1).choices.length, 0);

  const echoed = await client.completions.create({ model: "m", prompt, max_tokens: 4, temperature: 0, echo: true });
  assert.equal(echoed.choices[0].text, prompt + chordRun(prompt, 4));
  // The prompt as token ids (BOS included) gives the same answer.
  const ids = JSON.parse(execFileSync(chord, ["tokenize", "-m", model, "--ids", prompt], { encoding: "utf8" }));
  const byIds = await client.completions.create({ model: "m", prompt: ids, max_tokens: 16, temperature: 0 });
  assert.equal(byIds.choices[0].text, expected);
  assert.equal(byIds.usage.prompt_tokens, ids.length);
});

test("chat: greedy answer equals chord chat's, streamed and whole", skip, async () => {
  const saved = path.join(tmp, "conversation.json");
  spawnSync(chord, ["chat", "-m", model, "-n", "12", "--temp", "0"], { input: `Hi there\n/save ${saved}\n/exit\n` });
  const expected = JSON.parse(fs.readFileSync(saved, "utf8"))[1].content;
  const messages = [{ role: "user", content: "Hi there" }];
  const r = await client.chat.completions.create({ model: "m", messages, max_tokens: 12, temperature: 0 });
  assert.equal(r.object, "chat.completion");
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(r.choices[0].message.content, expected);
  assert.ok(["stop", "length"].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 3 && r.usage.completion_tokens <= 12);

  const chunks = await collect(await client.chat.completions.create({ model: "m", messages, max_tokens: 12,
    temperature: 0, stream: true }));
  assert.equal(chunks[0].choices[0].delta.role, "assistant");
  for (const c of chunks) {
    assert.equal(c.object, "chat.completion.chunk");
    assert.equal(c.id, chunks[0].id);
  }
  assert.equal(chunks.map((c) => c.choices[0].delta.content ?? "").join(""), expected);
  assert.equal(chunks.at(-1).choices[0].finish_reason, r.choices[0].finish_reason);
  assert.equal(chunks.at(-1).usage, undefined);  // only with stream_options.include_usage

  // Content given as parts, and the developer role, render like their plain equivalents.
  const parts = await client.chat.completions.create({ model: "m", max_tokens: 12, temperature: 0,
    messages: [{ role: "user", content: [{ type: "text", text: "Hi " }, { type: "text", text: "there" }] }] });
  assert.equal(parts.choices[0].message.content, expected);
});

test("stop strings end the answer before them, across chunks too", skip, async () => {
  const prompt = "The";
  const args = { model: "m", prompt, max_tokens: 24, temperature: 0, logit_bias: { [EOS]: -100 } };
  const full = (await client.completions.create(args)).choices[0].text;
  assert.ok(full.length > 12, full);
  const stop = full.slice(8, 11);
  const cut = await client.completions.create({ ...args, stop });
  assert.equal(cut.choices[0].text, full.slice(0, full.indexOf(stop)));
  assert.equal(cut.choices[0].finish_reason, "stop");
  const streamed = await collect(await client.completions.create({ ...args, stop: [stop, "zzzz"], stream: true }));
  assert.equal(streamed.map((c) => c.choices[0]?.text ?? "").join(""), cut.choices[0].text);
  assert.equal(streamed.at(-1).choices[0].finish_reason, "stop");
});

test("sampling: a seed repeats, logit_bias and penalties change the answer", skip, async () => {
  const args = { model: "m", prompt: "Hello", max_tokens: 12, temperature: 1, seed: 1234 };
  const a = await client.completions.create(args);
  const b = await client.completions.create(args);
  const c = await client.completions.create({ ...args, seed: 99 });
  assert.equal(a.choices[0].text, b.choices[0].text);
  assert.notEqual(a.choices[0].text, c.choices[0].text);
  const greedy = await client.completions.create({ ...args, temperature: 0 });
  const forced = await client.completions.create({ ...args, temperature: 0, logit_bias: { 15043: 100 } });
  assert.ok(forced.choices[0].text.startsWith(" Hello Hello"), forced.choices[0].text);  // 15043: "▁Hello"
  assert.notEqual(forced.choices[0].text, greedy.choices[0].text);
  const penalized = await client.completions.create({ ...args, temperature: 0, max_tokens: 24,
    frequency_penalty: 2, presence_penalty: 2, logit_bias: { [EOS]: -100 } });
  assert.ok(penalized.choices[0].text.length > 0);
});

test("bad requests get OpenAI error objects with status 400", skip, async () => {
  const messages = [{ role: "user", content: "Hi" }];
  const cases = [
    [{ messages, n: 2 }, "n"],
    [{ messages, temperature: 5 }, "temperature"],
    [{ messages, top_p: -1 }, "top_p"],
    [{ messages, max_tokens: 0 }, "max_tokens"],
    [{ messages, stop: ["a", "b", "c", "d", "e"] }, "stop"],
    [{ messages, logit_bias: { 99999999: 1 } }, "logit_bias"],
    [{ messages, logit_bias: { 5: 1000 } }, "logit_bias"],
    [{ messages: [] }, "messages"],
    [{ messages: [{ role: "wizard", content: "x" }] }, "messages[0].role"],
    [{ messages, stream: "yes" }, "stream"],
    [{ messages: [{ role: "user", content: "x ".repeat(5000) }] }, "messages"],
    [{}, "messages"],
  ];
  for (const [body, param] of cases) {
    await assert.rejects(client.chat.completions.create({ model: "m", ...body }), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `${JSON.stringify(body).slice(0, 80)}: ${e}`);
      assert.equal(e.status, 400);
      assert.equal(e.param, param);
      assert.equal(e.type, "invalid_request_error");
      assert.ok(e.error.message.length > 0);
      return true;
    });
  }
  await assert.rejects(client.completions.create({ model: "m", prompt: ["a", "b"] }), OpenAI.BadRequestError);
  await assert.rejects(client.completions.create({ model: "m", prompt: "x ".repeat(5000) }), (e) => {
    assert.equal(e.code, "context_length_exceeded");
    return true;
  });
  // Raw bodies the client would never send.
  for (const body of ["{not json", "[1, 2]", "", "\"text\""]) {
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", body,
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" } });
    assert.equal(res.status, 400, body);
    const j = await res.json();
    assert.deepEqual(Object.keys(j.error).sort(), ["code", "message", "param", "type"]);
  }
  const notFound = await fetch(`${server.url}/v1/nothing`, { headers: { Authorization: `Bearer ${KEY}` } });
  assert.equal(notFound.status, 404);
  assert.equal((await notFound.json()).error.code, "not_found");
});

test("a wrong or missing API key gets 401; /health needs none", skip, async () => {
  const wrong = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "sk-wrong", maxRetries: 0 });
  await assert.rejects(wrong.chat.completions.create({ model: "m", messages: [{ role: "user", content: "Hi" }] }),
    (e) => {
      assert.ok(e instanceof OpenAI.AuthenticationError);
      assert.equal(e.status, 401);
      assert.equal(e.code, "invalid_api_key");
      return true;
    });
  await assert.rejects(wrong.models.list(), OpenAI.AuthenticationError);
  assert.equal((await fetch(`${server.url}/v1/models`)).status, 401);
  const health = await fetch(`${server.url}/health`);
  assert.equal(health.status, 200);
  assert.equal((await health.json()).status, "ok");
  const models = [];
  for await (const m of client.models.list()) models.push(m);
  assert.deepEqual(models.map((m) => [m.id, m.object]), [["model.gguf", "model"]]);
});

async function waitIdle(url) {
  for (let i = 0; i < 200; i++) {
    const h = await (await fetch(`${url}/health`)).json();
    if (h.slots_processing === 0 && h.queued === 0) return h;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("the server did not become idle");
}

// The log line of one answer: "chord serve: ID: prompt ..., generated N ..., stop: REASON".
const logLine = (id) => server.log().split("\n").find((l) => l.startsWith(`chord serve: ${id}:`));

test("a client that goes away stops its generation", skip, async () => {
  const long = { model: "m", prompt: "Tell me", max_tokens: 4000, temperature: 0, logit_bias: { [EOS]: -100 } };
  // Leaving the loop early makes the client abort its request (openai's Stream closes the connection).
  const stream = await client.completions.create({ ...long, stream: true });
  let id, n = 0;
  for await (const chunk of stream) {
    id = chunk.id;
    if (++n === 3) break;
  }
  await waitIdle(server.url);
  const line = logLine(id);
  assert.match(line, /stop: client gone/);
  assert.ok(Number(line.match(/generated (\d+)/)[1]) < 4000, line);

  // A whole (non-streamed) answer notices through the spaces it writes while generating.
  const before = server.log().split("\n").length;
  await new Promise((resolve) => {
    const req = http.request(`${server.url}/v1/completions`, { method: "POST",
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" } });
    req.on("error", () => resolve());
    req.on("response", (res) => { setTimeout(() => { req.destroy(); resolve(); }, 50); res.resume(); });
    req.end(JSON.stringify(long));
  });
  await waitIdle(server.url);
  const lines = server.log().split("\n").slice(before).filter((l) => l.includes(": prompt "));
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(lines[0], /stop: client gone/);
  // The server still answers.
  const ok = await client.completions.create({ model: "m", prompt: "Once upon a time", max_tokens: 16, temperature: 0 });
  assert.equal(ok.choices[0].text, chordRun("Once upon a time", 16));
});

test("slots answer concurrently, each as it would alone", skip, async () => {
  const prompts = ["Once upon a time", "Hello", "The", "Tell me"];
  const alone = prompts.map((p) => chordRun(p, 20));
  const together = await Promise.all(prompts.map((prompt) =>
    client.completions.create({ model: "m", prompt, max_tokens: 20, temperature: 0 })));
  assert.deepEqual(together.map((r) => r.choices[0].text), alone);
});

test("a full queue answers 503", skip, async () => {
  const busy = await startServer(["--parallel", "1", "--max-queue", "0", "-c", "4096", "-t", "1"]);
  try {
    const c = new OpenAI({ baseURL: `${busy.url}/v1`, apiKey: "none", maxRetries: 0 });
    const stream = await c.completions.create({ model: "m", prompt: "Hi", max_tokens: 4000, stream: true,
      logit_bias: { [EOS]: -100 } });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();  // the slot is taken
    await assert.rejects(c.completions.create({ model: "m", prompt: "Hi", max_tokens: 2 }), (e) => {
      assert.equal(e.status, 503);
      assert.equal(e.code, "overloaded");
      return true;
    });
    await iterator.return();  // the client goes away
    await waitIdle(busy.url);
    assert.equal((await c.completions.create({ model: "m", prompt: "Hi", max_tokens: 2 })).choices.length, 1);
  } finally {
    assert.equal(await stopServer(busy), 0);
  }
});

test("the web demo is served with COOP/COEP and the right MIME types", skip, async () => {
  const dist = path.join(tmp, "dist");
  fs.mkdirSync(dist);
  fs.writeFileSync(path.join(dist, "index.html"), "<!doctype html><title>demo</title>");
  fs.writeFileSync(path.join(dist, "chord.wasm"), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  fs.writeFileSync(path.join(dist, "chord.js"), "export {};");
  const web = await startServer(["--static", dist]);
  try {
    const types = { "/": "text/html", "/chord.wasm": "application/wasm", "/chord.js": "text/javascript" };
    for (const [file, type] of Object.entries(types)) {
      const res = await fetch(web.url + file);
      assert.equal(res.status, 200, file);
      assert.equal(res.headers.get("content-type").split(";")[0], type, file);
      assert.equal(res.headers.get("cross-origin-opener-policy"), "same-origin");
      assert.equal(res.headers.get("cross-origin-embedder-policy"), "require-corp");
      await res.arrayBuffer();
    }
    assert.equal((await fetch(`${web.url}/health`)).status, 200);
    assert.equal((await fetch(`${web.url}/missing.js`)).status, 404);
  } finally {
    assert.equal(await stopServer(web), 0);
  }
});

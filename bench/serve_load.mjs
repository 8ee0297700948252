// Load test for `chord serve` on loopback: N requests (default 200) from C concurrent clients (default
// 16) through the official OpenAI client (tests/serve/node_modules), mixing chat and text completions,
// streamed and whole, greedy and seeded; some clients go away mid-stream and some send malformed
// bodies. Every well-formed answer is checked against the one the idle server gave for the same request;
// afterwards /health must say idle and the server's resident memory must be back near its baseline
// (within 5% or 4 MiB), taken after a warm-up: a long answer in every slot (the KV caches as full as the
// load makes them) and one unmeasured round of the same load (httplib's workers, malloc's arenas). Prints latency percentiles and throughput; exits 1 when a
// check fails. Run under the heavy lock (it keeps both cores busy):
//   flock /tmp/chord-heavy.lock node bench/serve_load.mjs [--model M.gguf] [--requests 200] [--clients 16]
//       [--parallel 2] [--threads 1] [--max-tokens 32]
// Without --model it synthesizes one (llama.cpp's Llama 2 vocabulary, dim 256, 4 layers, f16).
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const { values: opt } = parseArgs({ options: {
  model: { type: "string" }, requests: { type: "string", default: "200" }, clients: { type: "string", default: "16" },
  parallel: { type: "string", default: "2" }, threads: { type: "string", default: "1" },
  "max-tokens": { type: "string", default: "32" }, chord: { type: "string" }, rounds: { type: "string", default: "1" },
} });
const chord = opt.chord ?? process.env.CHORD_BIN ?? path.join(root, "build/release/apps/chord/chord");
const { default: OpenAI } = await import(path.join(root, "tests/serve/node_modules/openai/index.mjs"));
const N = Number(opt.requests), C = Number(opt.clients), MAX = Number(opt["max-tokens"]);
const EOS = 2;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chord-load-"));
let model = opt.model;
if (!model) {
  model = path.join(tmp, "model.gguf");
  execFileSync(chord, ["synth", "--vocab", path.join(root, "testdata/vocab/ggml-vocab-llama-spm.gguf"), "-o", model,
    "--dim", "256", "--layers", "4", "--heads", "8", "--kv-heads", "4", "--ffn", "768", "--type", "f16", "--seed", "5"]);
}

const proc = spawn(chord, ["serve", "-m", model, "--port", "0", "--no-static", "--parallel", opt.parallel,
  "-t", opt.threads, "-c", "1024", "-v"], { stdio: ["ignore", "ignore", "pipe"] });
let log = "";
const url = await new Promise((resolve, reject) => {
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (d) => {
    log += d;
    const m = log.match(/listening on (http:\/\/[\d.]+:\d+)/);
    if (m) resolve(m[1]);
  });
  proc.on("exit", (code) => reject(new Error(`chord serve exited ${code}: ${log}`)));
});
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "none", maxRetries: 0 });
const rssKiB = () => Number(fs.readFileSync(`/proc/${proc.pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]);

// The requests: a fixed set of well-formed ones (answers known from the idle server), disconnects and
// malformed bodies, interleaved by index.
const prompts = ["Once upon a time", "The capital of", "Write a poem about", "Hello", "In 1492", "def main():",
  "Ingredients:", "Q: why is the sky blue?\nA:"];
const shapes = [];
for (const [i, p] of prompts.entries()) {
  // Seeded answers evaluate their prompt afresh (cache_prompt: false): a cached prefix can change the
  // last bits of the logits, enough to change a random draw. Greedy ones use the slots' caches.
  const sampling = i % 2 ? { temperature: 0 } : { temperature: 0.9, seed: 100 + i, cache_prompt: false };
  shapes.push({ kind: "completion", body: { model: "m", prompt: p, max_tokens: MAX, ...sampling } });
  shapes.push({ kind: "chat", body: { model: "m", messages: [{ role: "user", content: p }], max_tokens: MAX,
    ...sampling } });
}
const malformed = ["{\"messages\": [", "not json at all", JSON.stringify({ messages: [] }),
  JSON.stringify({ messages: [{ role: "user", content: "hi" }], n: 3 }),
  JSON.stringify({ prompt: "hi", temperature: "hot" }), "[]"];

function textOf(kind, r) {
  return kind === "chat" ? r.choices[0].message.content : r.choices[0].text;
}

async function answer(shape, stream) {
  const api = shape.kind === "chat" ? client.chat.completions : client.completions;
  if (!stream) {
    const r = await api.create(shape.body);
    return { text: textOf(shape.kind, r), finish: r.choices[0].finish_reason, tokens: r.usage.completion_tokens };
  }
  let text = "", finish = null, tokens = 0;
  for await (const c of await api.create({ ...shape.body, stream: true, stream_options: { include_usage: true } })) {
    if (c.usage) tokens = c.usage.completion_tokens;
    for (const ch of c.choices) {
      text += shape.kind === "chat" ? ch.delta.content ?? "" : ch.text;
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  return { text, finish, tokens };
}

// A client that reads a few chunks of a long stream and hangs up.
function disconnect(i) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: "m", prompt: prompts[i % prompts.length], max_tokens: 900, stream: true,
      logit_bias: { [EOS]: -100 } });
    const req = http.request(`${url}/v1/completions`, { method: "POST", headers: { "Content-Type": "application/json" } });
    req.on("response", (res) => {
      if (res.statusCode !== 200) reject(new Error(`disconnect: HTTP ${res.statusCode}`));
      let chunks = 0;
      res.on("data", () => { if (++chunks === 3) { req.destroy(); resolve(); } });
      res.on("end", () => reject(new Error("the stream ended before the client left")));
    });
    req.on("error", () => resolve());
    req.end(body);
  });
}

async function bad(i) {
  const res = await fetch(`${url}/v1/${i % 2 ? "chat/completions" : "completions"}`, { method: "POST",
    headers: { "Content-Type": "application/json" }, body: malformed[i % malformed.length] });
  const j = await res.json();
  if (res.status !== 400 || typeof j.error?.message !== "string") throw new Error(`malformed body: HTTP ${res.status}`);
}

// Reference answers from the idle server, one request at a time; also warms every slot.
const expected = [];
for (const s of shapes) expected.push(await answer(s, false));
await Promise.all(shapes.map((s) => answer(s, true)));
// Every slot's KV cache as full as the longest request will make it (the disconnecting ones).
const long = { kind: "completion", body: { model: "m", prompt: prompts[0], max_tokens: 900, logit_bias: { [EOS]: -100 } } };
await Promise.all(Array.from({ length: Number(opt.parallel) }, () => answer(long, false)));

const latencies = [];
let failures = 0, okCount = 0, disconnects = 0, bads = 0, tokens = 0;
const fail = (what) => { failures++; if (failures <= 10) console.error(`FAIL: ${what}`); };
let next = 0;
async function worker() {
  while (next < N) {
    const i = next++;
    try {
      if (i % 10 === 7) { await disconnect(i); disconnects++; continue; }
      if (i % 10 === 3) { await bad(i); bads++; continue; }
      const k = i % shapes.length;
      const t0 = performance.now();
      const got = await answer(shapes[k], i % 3 !== 0);
      latencies.push(performance.now() - t0);
      tokens += got.tokens;
      const want = expected[k];
      if (got.text !== want.text || got.finish !== want.finish || got.tokens !== want.tokens)
        fail(`request ${i} (${shapes[k].kind} '${prompts[k >> 1]}'): ${JSON.stringify(got).slice(0, 120)} != ${JSON.stringify(want).slice(0, 120)}`);
      else okCount++;
    } catch (e) {
      fail(`request ${i}: ${e.message}`);
    }
  }
}
// Each round: the load, then idle again (still healthy) and the memory measured.
// Round 0 warms up (httplib's workers, malloc's arenas) and is not counted; the baseline is taken after it.
const R = Number(opt.rounds);
const rss = [];
let health, seconds = 0, baseline = 0;
for (let round = 0; round <= R; round++) {
  if (round === 1) {
    latencies.length = 0;
    okCount = disconnects = bads = tokens = 0;
    seconds = 0;
    baseline = rss.pop();
  }
  next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: C }, worker));
  seconds += (performance.now() - t0) / 1000;
  for (let t = 0; t < 100; t++) {
    health = await (await fetch(`${url}/health`)).json();
    if (health.slots_processing === 0 && health.queued === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 500));
  rss.push(rssKiB());
}
const after = rss.at(-1);
const check = await answer(shapes[1], false);
if (health.status !== "ok" || health.slots_processing !== 0) fail(`/health after the load: ${JSON.stringify(health)}`);
if (check.text !== expected[1].text) fail("an answer after the load differs");
// Each client that hung up stopped its generation early ("stop: client gone" in the server's log).
const gone = log.split("\n").filter((l) => l.includes("stop: client gone"));
if (gone.length !== disconnects * (R + 1) / R) fail(`${gone.length} generations stopped for ${disconnects * (R + 1) / R} disconnects`);
for (const l of gone) if (Number(l.match(/generated (\d+)/)[1]) >= 900) fail(`not stopped early: ${l}`);
const grown = after - baseline;
if (grown > Math.max(4 * 1024, baseline * 0.05)) fail(`RSS grew from ${baseline} KiB to ${after} KiB`);

latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(0);
const load = os.loadavg().map((x) => x.toFixed(2)).join(" ");
console.log(`serve_load: ${N} requests x ${R} round(s), ${C} clients, --parallel ${opt.parallel} -t ${opt.threads}, max_tokens ${MAX}, ` +
  `model ${path.basename(model)}`);
console.log(`  answered and checked ${okCount}/${latencies.length}, disconnects ${disconnects}, malformed ${bads}, ` +
  `failures ${failures}`);
console.log(`  latency ms p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)}; ${(N * R / seconds).toFixed(1)} requests/s, ` +
  `${(tokens / seconds).toFixed(0)} generated tokens/s over ${seconds.toFixed(1)} s`);
console.log(`  RSS baseline ${(baseline / 1024).toFixed(1)} MiB, after each round ${rss.map((k) => (k / 1024).toFixed(1)).join(", ")} MiB; /health ${JSON.stringify(health)}; load avg ${load}`);

proc.kill("SIGTERM");
await new Promise((r) => proc.on("exit", r));
fs.rmSync(tmp, { recursive: true, force: true });
process.exit(failures ? 1 : 0);

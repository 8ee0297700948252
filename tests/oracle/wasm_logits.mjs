// `chord logits` for the WebAssembly build: the single-threaded module from web/dist (the wasm preset
// writes it) under node, driven through the C ABI, printing the same JSON as the native command for
// --ids with --all-positions, so the parity tests can ask either. Tokens are evaluated one at a time
// (the decode path; the prompt path is compared with the native CLI by web.api).
//   node tests/oracle/wasm_logits.mjs -m MODEL -c N_CTX -ctk f16|f32 --ids 1,2,3 --top K
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// `chord logits`'s spelling (-ctk is one option, which node's parseArgs would read as -c -t -k).
const o = { c: "256", ctk: "f16", top: "10" };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; ++i) {
  const k = argv[i].replace(/^--?/, "");
  if (k === "all-positions") continue;
  if (!["m", "c", "ctk", "ctv", "ids", "top"].includes(k) || i + 1 >= argv.length) throw new Error(`unknown option ${argv[i]}`);
  o[k] = argv[++i];
}
if (!o.m || !o.ids) throw new Error("usage: wasm_logits.mjs -m MODEL --ids 1,2,3 [-c 256] [-ctk f16] [--top 10]");
if (o.ctv && o.ctv !== o.ctk) throw new Error("-ctk and -ctv must be the same type");

// emscripten 3.1.6's ES module output still uses require() and __dirname in node (as web/src/worker.js
// works around too).
const dist = path.join(root, "web/dist");
globalThis.__dirname ??= dist;
globalThis.require ??= (await import("node:module")).createRequire(import.meta.url);
const { default: createModule } = await import(path.join(dist, "chord-single.mjs"));
const M = await createModule({ wasmBinary: fs.readFileSync(path.join(dist, "chord-single.wasm")) });
const check = (status, what) => {
  if (status !== 0) throw new Error(`${what}: ${M.UTF8ToString(M._chord_last_error())}`);
};

const bytes = fs.readFileSync(o.m);
const data = M._malloc(bytes.length);
M.HEAPU8.set(bytes, data);
const out = M._malloc(16);
check(M._chord_model_load_from_memory(data, bytes.length, 2 /* CHORD_MEMORY_TAKE */, out), "loading the model");
const model = M.HEAPU32[out >> 2];
const params = M._malloc(16);  // chord_context_params: n_ctx, n_threads, n_batch, kv_type
M.HEAPU32.set([Number(o.c), 1, 512, o.ctk === "f32" ? 1 : 0], params >> 2);
check(M._chord_context_create(model, params, out), "creating the context");
const ctx = M.HEAPU32[out >> 2];

const ids = o.ids.split(",").map(Number);
const top = Number(o.top);
const tok = M._malloc(4), lp = M._malloc(4), nl = M._malloc(4);
const positions = [];
for (const id of ids) {
  M.HEAP32[tok >> 2] = id;
  check(M._chord_context_eval(ctx, tok, 1, lp, nl), `evaluating token ${id}`);
  const n = M.HEAPU32[nl >> 2];
  const logits = new Float32Array(M.HEAPF32.buffer, M.HEAPU32[lp >> 2], n);
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const lz = max + Math.log(sum);
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]).slice(0, Math.max(top, 2));
  positions.push({
    margin: logits[order[0]] - logits[order[1]],
    top: order.slice(0, top).map((i) => ({ id: i, logprob: logits[i] - lz })),
  });
}
M._chord_context_free(ctx);
M._chord_model_free(model);
process.stdout.write(JSON.stringify({ positions, tokens: ids }) + "\n");

// The Worker that owns the WebAssembly module (a browser Worker, or a worker_threads Worker in node).
// It loads a model straight into the wasm heap, in chunks no tensor straddles (one allocation cannot
// exceed 2 GB), and runs tokenize / generate / chat on request. Messages: {id, op, ...} in;
// {id, ok, result} / {id, ok: false, error: {code, message}} / {id, piece} / {id, progress} out.
// Generation runs synchronously inside the module; each piece is posted as it comes, and a shared
// Int32Array (when SharedArrayBuffer exists) lets the page stop it between tokens.

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof self === 'undefined';

let port;
if (isNode) {
  port = (await import('node:worker_threads')).parentPort;
} else {
  port = self;
}
const post = (msg, transfer) => port.postMessage(msg, transfer || []);

// --- The module ------------------------------------------------------------------------------------

let M = null;         // the emscripten module
let build = null;     // 'threaded' | 'single'
let control = null;   // Int32Array on a SharedArrayBuffer: [id of the request to stop]
let model = 0;        // chord_model*
let ctx = 0;          // chord_context*
let loadAbort = null; // {aborted} of the load in progress
let memory = null;
let heapCache = null;

const MAX_CHUNK = 1024 * 1024 * 1024; // 1 GiB: well under the 2 GB one allocation may take
const HEAP_LIMIT = 4 * 1024 * 1024 * 1024;
const RESERVE = 256 * 1024 * 1024; // KV cache, activations, vocabulary: what a model needs beside its file

class WorkerError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function heap() {
  const buffer = memory ? memory.buffer : M.HEAPU8.buffer;
  if (!heapCache || heapCache.buffer !== buffer || heapCache.byteLength !== buffer.byteLength) heapCache = new Uint8Array(buffer);
  return heapCache;
}
const view = () => new DataView(heap().buffer);

async function loadModule(which) {
  build = which;
  const base = new URL(`../dist/chord-${which}`, import.meta.url);
  const opts = {};
  if (isNode) {
    const fs = await import('node:fs');
    const { createRequire } = await import('node:module');
    const { fileURLToPath } = await import('node:url');
    const path = await import('node:path');
    // emscripten 3.1.6's ES module output still calls require() and reads __dirname in node.
    globalThis.require ??= createRequire(import.meta.url);
    globalThis.__dirname ??= path.dirname(fileURLToPath(base));
    opts.wasmBinary = fs.readFileSync(new URL(`${base.href}.wasm`));
  }
  // A URL made from a string keeps bundlers from following it: the package ships both builds.
  const { default: create } = await import(/* @vite-ignore */ `${base.href}.mjs`);
  M = await create(opts);
  memory = M.wasmMemory || null;
}

function status(fn, s) {
  if (s === 0) return;
  const name = M.UTF8ToString(M._chord_status_name(s)).replace(/^CHORD_ERROR_/, '');
  throw new WorkerError(name, M.UTF8ToString(M._chord_last_error()) || `${fn} failed`);
}

// `len` bytes of UTF-8 at ptr as a string. Not M.UTF8ToString(ptr, len): it stops at a NUL byte, and a
// model's <0x00> byte token is text like any other (the native CLI prints it). A copy, because
// TextDecoder refuses views of a SharedArrayBuffer (the threaded build's heap).
const utf8Decoder = new TextDecoder('utf-8');
function utf8(ptr, len) {
  return utf8Decoder.decode(heap().slice(ptr >>> 0, (ptr >>> 0) + len));
}

function cstr(text) {
  const n = M.lengthBytesUTF8(text);
  const p = M._malloc(n + 1) >>> 0;
  if (!p) throw new WorkerError('OUT_OF_MEMORY', 'out of memory');
  M.stringToUTF8(text, p, n + 1);
  return [p, n];
}

function withAlloc(bytes, fn) {
  const p = M._malloc(Math.max(bytes, 8)) >>> 0;
  if (!p) throw new WorkerError('OUT_OF_MEMORY', 'out of memory');
  try {
    return fn(p);
  } finally {
    M._free(p);
  }
}

// --- Sources: sequential readers that write straight into the heap -------------------------------------

// Each reader: {size, origin, async readInto(dest /* Uint8Array target getter */, length)} reading the
// file from its start, in order. readInto(ptr, length) fills heap[ptr .. ptr+length).
const PIECE = 16 * 1024 * 1024;

function yieldToEvents() {
  return new Promise((resolve) => (isNode ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

async function openSource(src) {
  if (src.kind === 'path') {
    const fs = await import('node:fs');
    let fd;
    try {
      fd = fs.openSync(src.path, 'r');
    } catch (e) {
      throw new WorkerError('IO', `cannot open '${src.path}': ${e.message}`);
    }
    const size = fs.fstatSync(fd).size;
    let pos = 0;
    return {
      size,
      origin: src.path,
      async readInto(ptr, length) {
        let done = 0;
        while (done < length) {
          const n = Math.min(PIECE, length - done);
          const got = fs.readSync(fd, heap(), ptr + done, n, pos);
          if (got <= 0) throw new WorkerError('IO', `'${src.path}' ended early`);
          done += got;
          pos += got;
          await yieldToEvents();
        }
      },
      close() {
        fs.closeSync(fd);
      },
    };
  }
  if (src.kind === 'blob') {
    const blob = src.blob;
    let pos = 0;
    return {
      size: blob.size,
      origin: blob.name || '<blob>',
      async readInto(ptr, length) {
        let done = 0;
        while (done < length) {
          const n = Math.min(PIECE, length - done);
          const bytes = new Uint8Array(await blob.slice(pos, pos + n).arrayBuffer());
          if (bytes.length === 0) throw new WorkerError('IO', 'the file ended early');
          heap().set(bytes, ptr + done);
          done += bytes.length;
          pos += bytes.length;
        }
      },
      close() {},
    };
  }
  if (src.kind === 'buffer') {
    const bytes = new Uint8Array(src.buffer);
    let pos = 0;
    return {
      size: bytes.length,
      origin: '<buffer>',
      async readInto(ptr, length) {
        heap().set(bytes.subarray(pos, pos + length), ptr);
        pos += length;
      },
      close() {},
    };
  }
  if (src.kind === 'url' || src.kind === 'stream') {
    let reader;
    let size = src.size ?? null;
    if (src.kind === 'url') {
      let res;
      try {
        res = await fetch(src.url);
      } catch (e) {
        throw new WorkerError('IO', `cannot fetch ${src.url}: ${e.message}`);
      }
      if (!res.ok) throw new WorkerError('IO', `cannot fetch ${src.url}: HTTP ${res.status}`);
      const len = res.headers.get('content-length');
      if (len !== null && !res.headers.get('content-encoding')) size = Number(len);
      reader = res.body.getReader();
    } else {
      reader = src.stream.getReader();
    }
    let pending = null; // the rest of the last chunk read
    let pendingAt = 0;
    const stream = {
      async readInto(ptr, length) {
        let done = 0;
        while (done < length) {
          if (!pending || pendingAt >= pending.length) {
            const { value, done: end } = await reader.read();
            if (end) throw new WorkerError('IO', `${src.url || 'the stream'} ended early`);
            pending = value;
            pendingAt = 0;
          }
          const n = Math.min(length - done, pending.length - pendingAt);
          heap().set(pending.subarray(pendingAt, pendingAt + n), ptr + done);
          pendingAt += n;
          done += n;
        }
      },
      close() {
        reader.cancel().catch(() => {});
      },
    };
    if (size === null) {
      // No length given: gather the whole stream first (one extra copy), then read from that.
      const parts = [];
      let total = 0;
      if (pending) parts.push(pending.subarray(pendingAt));
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parts.push(value);
        total += value.length;
      }
      const all = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      return openSource({ kind: 'buffer', buffer: all.buffer });
    }
    return { size, origin: src.url || '<stream>', ...stream };
  }
  throw new WorkerError('INVALID_ARGUMENT', `unknown source kind ${src.kind}`);
}

// --- Loading ---------------------------------------------------------------------------------------------

// Plans the chunks from the file's first bytes, then fills one malloc()ed block per chunk in order.
async function loadModel(id, msg) {
  const abort = { aborted: false };
  loadAbort = abort;
  const reader = await openSource(msg.source);
  const chunks = [];
  const check = () => {
    if (abort.aborted) throw new WorkerError('ABORTED', 'loading was aborted');
  };
  try {
    const size = reader.size;
    if (size < 8) throw new WorkerError('FORMAT', `not a GGUF file: only ${size} bytes`);
    if (size + RESERVE > HEAP_LIMIT)
      throw new WorkerError(
        'TOO_LARGE',
        `the model has ${(size / 2 ** 30).toFixed(2)} GiB: more than the 4 GiB WebAssembly heap can hold with its working memory`,
      );
    // The head: grown until the header fits in it. It becomes the start of the first chunk.
    let headPtr = 0;
    let headLen = 0;
    let ends = null;
    let want = Math.min(size, 1 << 20);
    try {
      for (;;) {
        const next = M._malloc(want) >>> 0;
        if (!next) throw new WorkerError('OUT_OF_MEMORY', `cannot allocate ${want} bytes for the header`);
        if (headLen) heap().copyWithin(next, headPtr, headPtr + headLen);
        if (headPtr) M._free(headPtr);
        headPtr = next;
        await reader.readInto(headPtr + headLen, want - headLen);
        headLen = want;
        check();
        ends = withAlloc(8 * 64 + 16, (out) => {
          const cap = 64;
          const nPtr = out + 8 * cap;
          const neededPtr = nPtr + 8;
          const s = M._chord_wasm_plan_chunks(headPtr, headLen, size, msg.chunkSize || MAX_CHUNK, out, cap, nPtr, neededPtr);
          const dv = view();
          if (s === 7 /* BUFFER_TOO_SMALL */ && dv.getUint32(nPtr, true) === 0)
            return { needed: dv.getFloat64(neededPtr, true) };
          status('plan', s);
          const n = dv.getUint32(nPtr, true);
          const e = [];
          for (let i = 0; i < n; i++) e.push(dv.getFloat64(out + 8 * i, true));
          return e;
        });
        if (Array.isArray(ends)) break;
        want = Math.min(size, Math.max(ends.needed, 2 * headLen));
      }
    } catch (e) {
      if (headPtr) M._free(headPtr);
      throw e;
    }
    // Chunk 0 holds the head; grow it to its full size (a copy of the head only).
    let start = 0;
    let loaded = headLen;
    let lastReport = 0;
    const progress = (force) => {
      const now = Date.now();
      if (force || now - lastReport > 50) {
        lastReport = now;
        post({ id, progress: { loaded, total: size } });
      }
    };
    progress(true);
    for (let i = 0; i < ends.length; i++) {
      const len = ends[i] - start;
      let ptr;
      let have = 0;
      if (i === 0) {
        if (headLen >= len) {
          ptr = headPtr; // the whole chunk was read as the header
          have = len;
        } else {
          ptr = M._malloc(len) >>> 0;
          if (!ptr) {
            M._free(headPtr);
            throw new WorkerError('OUT_OF_MEMORY', `cannot allocate ${len} bytes (chunk 1 of ${ends.length})`);
          }
          heap().copyWithin(ptr, headPtr, headPtr + headLen);
          M._free(headPtr);
          have = headLen;
        }
        headPtr = 0;
      } else {
        ptr = M._malloc(len) >>> 0;
        if (!ptr) throw new WorkerError('OUT_OF_MEMORY', `cannot allocate ${len} bytes (chunk ${i + 1} of ${ends.length})`);
      }
      chunks.push({ ptr, len });
      while (have < len) {
        const n = Math.min(PIECE, len - have);
        await reader.readInto(ptr + have, n);
        have += n;
        loaded += n;
        check();
        progress(false);
      }
      start = ends[i];
    }
    loaded = size;
    progress(true);
    // Hand the chunks over: the module frees them from here on, also on failure. The WebGPU backend
    // uploads its weights from the same heap pieces (the model keeps them alive).
    const n = chunks.length;
    const pieces = chunks.map((c) => ({ ptr: c.ptr, len: c.len }));
    const out = withAlloc(8 * n + 8, (arr) => {
      const dv = view();
      for (let i = 0; i < n; i++) {
        dv.setUint32(arr + 4 * i, chunks[i].ptr, true);
        dv.setUint32(arr + 4 * n + 4 * i, chunks[i].len, true);
      }
      chunks.length = 0;
      const outPtr = arr + 8 * n;
      status('chord_model_load_from_chunks', M._chord_model_load_from_chunks(arr, arr + 4 * n, n, outPtr));
      return view().getUint32(outPtr, true);
    });
    model = out;
    createContext(msg);
    const info = { ...modelInfo(size), chunks: n };
    await startGpu(msg.backend || 'cpu', pieces, info, msg.kvType);
    // The CPU runs the model: Q4_0 and Q8_0 weights are rewritten in the chunks into the SIMD128
    // kernels' own layout (same bytes, faster decode). Not when the GPU took them: it uploaded from these
    // bytes, and a fallback to the CPU later reads them as they were.
    if (!gpu) status('chord_model_pack_in_place', M._chord_model_pack_in_place(model));
    return { ...info, backend: gpu ? 'webgpu' : 'cpu', backendReason: gpuReason, gpuAdapter: gpu ? gpu.info.adapter : undefined };
  } finally {
    for (const c of chunks) M._free(c.ptr);
    reader.close();
    if (loadAbort === abort) loadAbort = null;
  }
}

function createContext(msg) {
  const threads = build === 'threaded' ? Math.max(1, msg.threads | 0) : 1;
  withAlloc(24, (p) => {
    status('chord_context_default_params', M._chord_context_default_params(p));
    const dv = view();
    if (msg.nCtx) dv.setUint32(p, msg.nCtx, true);
    dv.setInt32(p + 4, threads, true);
    if (msg.nBatch) dv.setUint32(p + 8, msg.nBatch, true);
    if (msg.kvType === 'f32') dv.setInt32(p + 12, 1, true);
    status('chord_context_create', M._chord_context_create(model, p, p + 16));
    ctx = view().getUint32(p + 16, true);
  });
  const nctx = withAlloc(8, (p) => {
    status('chord_context_n_past', M._chord_context_n_past(ctx, p, p + 4));
    return view().getUint32(p + 4, true);
  });
  nCtx = nctx;
  nThreads = threads;
}
let nCtx = 0;
let nThreads = 1;

function modelInfo(fileSize) {
  return withAlloc(48, (p) => {
    status('chord_model_get_info', M._chord_model_get_info(model, p));
    const dv = view();
    return {
      nVocab: dv.getUint32(p, true),
      nCtxTrain: dv.getUint32(p + 4, true),
      nEmbd: dv.getUint32(p + 8, true),
      nLayers: dv.getUint32(p + 12, true),
      bos: dv.getInt32(p + 16, true),
      eos: dv.getInt32(p + 20, true),
      eot: dv.getInt32(p + 24, true),
      addBos: dv.getInt32(p + 28, true) !== 0,
      hasChatTemplate: dv.getInt32(p + 32, true) !== 0,
      architecture: M.UTF8ToString(dv.getUint32(p + 36, true)),
      name: M.UTF8ToString(dv.getUint32(p + 40, true)),
      fileSize,
      nCtx,
      threads: nThreads,
      build,
      backend: 'cpu',
    };
  });
}

// --- Tokens ----------------------------------------------------------------------------------------------

function tokenize(msg) {
  const [text, len] = cstr(msg.text);
  try {
    let cap = len + 16;
    for (;;) {
      const r = withAlloc(4 * cap + 8, (p) => {
        const nPtr = p + 4 * cap;
        const s = M._chord_tokenize(model, text, len, msg.addSpecial ? 1 : 0, msg.parseSpecial ? 1 : 0, p, cap, nPtr);
        const n = view().getUint32(nPtr, true);
        if (s === 7) return { grow: n };
        status('chord_tokenize', s);
        return Array.from(new Int32Array(heap().buffer, p, n));
      });
      if (Array.isArray(r)) return r;
      cap = r.grow;
    }
  } finally {
    M._free(text);
  }
}

function detokenize(msg) {
  const ids = msg.tokens;
  return withAlloc(4 * ids.length + 8, (p) => {
    new Int32Array(heap().buffer, p, ids.length).set(ids);
    let cap = 16 * ids.length + 64;
    for (;;) {
      const r = withAlloc(cap + 8, (out) => {
        const lenPtr = out + cap;
        const s = M._chord_detokenize(model, p, ids.length, msg.removeSpecial ? 1 : 0, msg.unparseSpecial ? 1 : 0, out, cap, lenPtr);
        const n = view().getUint32(lenPtr, true);
        if (s === 7) return { grow: n + 1 };
        status('chord_detokenize', s);
        return utf8(out, n);
      });
      if (typeof r === 'string') return r;
      cap = r.grow;
    }
  });
}

// --- Generation ------------------------------------------------------------------------------------------

const STOP_REASONS = ['none', 'eog', 'maxTokens', 'stop', 'callback', 'aborted', 'contextFull'];

function readStats(p, aborted) {
  const dv = view();
  const reason = dv.getInt32(p + 12, true);
  return {
    promptTokens: dv.getUint32(p, true),
    promptTokensCached: dv.getUint32(p + 4, true),
    generatedTokens: dv.getUint32(p + 8, true),
    stopReason: aborted ? 'aborted' : STOP_REASONS[reason] || 'none',
    promptSeconds: dv.getFloat64(p + 16, true),
    generationSeconds: dv.getFloat64(p + 24, true),
    timeToFirstToken: dv.getFloat64(p + 32, true),
    promptTokensPerSecond: dv.getFloat64(p + 40, true),
    generationTokensPerSecond: dv.getFloat64(p + 48, true),
  };
}

function generate(id, msg) {
  const o = msg.options;
  const allocs = [];
  const str = (s) => {
    const [p, n] = cstr(s);
    allocs.push(p);
    return [p, n];
  };
  let aborted = false;
  M.onPiece = (ptr, len) => {
    if (control && Atomics.load(control, 0) === id) {
      aborted = true;
      return false;
    }
    post({ id, piece: utf8(ptr, len) });
    return true;
  };
  try {
    let textPtr = 0;
    let textLen = 0;
    let tmplPtr = 0;
    let msgsPtr = 0;
    let nMsgs = 0;
    if (msg.op === 'chat') {
      nMsgs = msg.messages.length;
      msgsPtr = M._malloc(8 * nMsgs + 8) >>> 0;
      allocs.push(msgsPtr);
      msg.messages.forEach((m, i) => {
        const [r] = str(String(m.role));
        const [c] = str(String(m.content ?? ''));
        const dv = view();
        dv.setUint32(msgsPtr + 8 * i, r, true);
        dv.setUint32(msgsPtr + 8 * i + 4, c, true);
      });
      if (o.template) [tmplPtr] = str(o.template);
    } else {
      [textPtr, textLen] = str(msg.prompt);
    }
    const stops = (o.stop || []).filter((s) => s.length > 0);
    const [stopsPtr] = str(stops.map((s) => s + '\0').join(''));
    const statsPtr = M._malloc(64) >>> 0;
    allocs.push(statsPtr);
    const s = M._chord_wasm_generate(
      ctx, msg.op === 'chat' ? 1 : 0, textPtr, textLen, tmplPtr, msgsPtr, nMsgs,
      o.temperature, o.topK, o.topP, o.minP, o.repeatPenalty, o.repeatLastN, o.frequencyPenalty, o.presencePenalty,
      o.seed >>> 0, o.maxTokens, stopsPtr, stops.length, o.addSpecial ? 1 : 0, o.parseSpecial ? 1 : 0, statsPtr,
    );
    status(msg.op === 'chat' ? 'chord_chat' : 'chord_generate', s);
    return readStats(statsPtr, aborted);
  } finally {
    M.onPiece = null;
    for (const p of allocs) M._free(p);
  }
}

function unload() {
  dropGpu(null);
  if (ctx) M._chord_context_free(ctx);
  if (model) M._chord_model_free(model);
  ctx = 0;
  model = 0;
}

// --- WebGPU backend --------------------------------------------------------------------------------------
// backend 'webgpu' or 'auto': the forward pass runs in WebGpuEngine (web/src/webgpu), the tokenizer, chat
// template and sampler stay in the wasm module (chord_sampler_sample takes the GPU's logits). Any reason
// WebGPU cannot run (no adapter, limits, a tensor type, a lost device) leaves the CPU in charge and is
// reported as info.backendReason / stats.backendReason.

let gpu = null;        // WebGpuEngine
let gpuReason = null;  // why the CPU runs although WebGPU was asked for
let gpuTokens = [];    // tokens in the GPU's KV cache, in order

async function startGpu(backend, pieces, info, kvType) {
  gpu = null;
  gpuReason = null;
  gpuTokens = [];
  if (backend === 'cpu') return;
  try {
    const { WebGpuEngine } = await import('./webgpu/engine.js');
    let gpuApi = globalThis.navigator?.gpu;
    if (!gpuApi && isNode) {
      try {
        const name = 'webgpu'; // optional in node: npm webgpu (Dawn); a variable keeps bundlers off it
        const w = await import(/* @vite-ignore */ name);
        Object.assign(globalThis, w.globals);
        gpuApi = w.create([]);
      } catch {
        // no WebGPU for node installed
      }
    }
    if (!gpuApi) throw Object.assign(new Error('WebGPU is not available here (no navigator.gpu)'), { name: 'WebGpuUnavailable' });
    const views = pieces.map((c) => new Uint8Array(heap().buffer, c.ptr, c.len));
    const engine = await WebGpuEngine.create(views, { gpu: gpuApi, nCtx: info.nCtx, kvType: kvType === 'f32' ? 'f32' : 'f16' });
    engine.gpuApi = gpuApi; // keeps Dawn's instance alive in node
    if (backend === 'auto' && engine.dev.software) {
      engine.destroy();
      throw new Error(`the adapter (${engine.info.adapter}) is a software one: the CPU backend is faster`);
    }
    gpu = engine;
  } catch (e) {
    gpu = null;
    gpuReason = `WebGPU unavailable: ${e.message}`;
  }
}

function dropGpu(reason) {
  if (gpu) gpu.destroy();
  gpu = null;
  gpuTokens = [];
  if (reason) gpuReason = `WebGPU failed, the CPU took over: ${reason}`;
}

function tokenBytes(tok, buf, cap) {
  return withAlloc(8, (lenPtr) => {
    status('chord_token_to_piece', M._chord_token_to_piece(model, tok, 0, buf, cap, lenPtr));
    return heap().slice(buf, buf + view().getUint32(lenPtr, true));
  });
}

function chatText(msg) {
  const allocs = [];
  try {
    const n = msg.messages.length;
    const msgs = M._malloc(8 * n + 8) >>> 0;
    allocs.push(msgs);
    msg.messages.forEach((m, i) => {
      const [r] = cstr(String(m.role));
      const [c] = cstr(String(m.content ?? ''));
      allocs.push(r, c);
      view().setUint32(msgs + 8 * i, r, true);
      view().setUint32(msgs + 8 * i + 4, c, true);
    });
    let tmpl = 0;
    if (msg.options.template) {
      [tmpl] = cstr(msg.options.template);
      allocs.push(tmpl);
    }
    let cap = 4096;
    for (;;) {
      const r = withAlloc(cap + 8, (out) => {
        const s = M._chord_chat_apply_template(model, tmpl, msgs, n, 1, out, cap, out + cap);
        const len = view().getUint32(out + cap, true);
        if (s === 7) return { grow: len + 1 };
        status('chord_chat_apply_template', s);
        return utf8(out, len);
      });
      if (typeof r === 'string') return r;
      cap = r.grow;
    }
  } finally {
    for (const p of allocs) M._free(p);
  }
}

async function generateGpu(id, msg) {
  const o = msg.options;
  const t0 = performance.now();
  let prompt;
  if (msg.op === 'chat') {
    prompt = tokenize({ text: chatText(msg), addSpecial: true, parseSpecial: true });
    // One BOS, whether the template wrote it or the tokenizer added it.
    if (prompt.length > 1 && prompt[0] === prompt[1] && prompt[0] === modelInfo(0).bos) prompt = prompt.slice(1);
  } else {
    prompt = tokenize({ text: msg.prompt, addSpecial: o.addSpecial, parseSpecial: o.parseSpecial });
  }
  if (prompt.length === 0) throw new WorkerError('INVALID_ARGUMENT', 'the prompt is empty');
  if (prompt.length >= gpu.nCtx) throw new WorkerError('INVALID_ARGUMENT', `the prompt has ${prompt.length} tokens, the context ${gpu.nCtx}`);
  // Reuse the cached prefix; at least the last prompt token is evaluated (its logits are needed).
  let keep = 0;
  while (keep < gpuTokens.length && keep < prompt.length - 1 && gpuTokens[keep] === prompt[keep]) keep++;
  const fresh = prompt.slice(keep);
  let logits = await gpu.forward(fresh, fresh.map((_, i) => keep + i));
  gpuTokens = prompt.slice();
  const tPrompt = performance.now();

  const allocs = [];
  const sampler = withAlloc(64, (p) => {
    status('chord_sampler_default_params', M._chord_sampler_default_params(p));
    const dv = view();
    const f = (off, v) => v !== undefined && dv.setFloat32(p + off, v, true);
    const i = (off, v) => v !== undefined && dv.setInt32(p + off, v, true);
    f(0, o.temperature); i(4, o.topK); f(8, o.topP); f(12, o.minP);
    f(20, o.repeatPenalty); f(24, o.frequencyPenalty); f(28, o.presencePenalty); i(32, o.repeatLastN);
    if (o.seed !== undefined) dv.setUint32(p + 36, o.seed >>> 0, true);
    status('chord_sampler_create', M._chord_sampler_create(model, p, p + 56));
    return view().getUint32(p + 56, true);
  });
  const nVocab = gpu.hparams.nVocab;
  const lp = M._malloc(4 * nVocab + 256) >>> 0;
  allocs.push(lp);
  const pieceCap = 256;
  const pieceBuf = lp + 4 * nVocab;
  const decoder = new TextDecoder('utf-8');
  const stops = (o.stop || []).filter((x) => x.length > 0);
  let text = '';
  let sent = 0;
  let reason = 'none';
  let generated = 0;
  let tFirst = null;
  try {
    const maxTokens = o.maxTokens === undefined || o.maxTokens < 0 ? Infinity : o.maxTokens;
    for (;;) {
      if (generated >= maxTokens) {
        reason = 'maxTokens';
        break;
      }
      if (control && Atomics.load(control, 0) === id) {
        reason = 'aborted';
        break;
      }
      new Float32Array(heap().buffer, lp, nVocab).set(logits);
      const tok = withAlloc(8, (p) => {
        status('chord_sampler_sample', M._chord_sampler_sample(sampler, lp, nVocab, p));
        return view().getInt32(p, true);
      });
      status('chord_sampler_accept', M._chord_sampler_accept(sampler, tok));
      generated++;
      tFirst ??= performance.now();
      const eog = withAlloc(8, (p) => {
        status('chord_model_is_eog', M._chord_model_is_eog(model, tok, p));
        return view().getInt32(p, true) !== 0;
      });
      if (eog) {
        reason = 'eog';
        break;
      }
      text += decoder.decode(tokenBytes(tok, pieceBuf, pieceCap), { stream: true });
      // Stop strings: cut at the first one; text that could still begin one is held back.
      let cut = -1;
      for (const st of stops) {
        const k = text.indexOf(st, Math.max(0, sent - st.length));
        if (k >= 0 && (cut < 0 || k < cut)) cut = k;
      }
      if (cut >= 0) {
        if (cut > sent) post({ id, piece: text.slice(sent, cut) });
        sent = cut;
        reason = 'stop';
        break;
      }
      let hold = 0;
      for (const st of stops) for (let l = Math.min(st.length - 1, text.length); l > 0; l--) if (text.endsWith(st.slice(0, l))) { hold = Math.max(hold, l); break; }
      if (text.length - hold > sent) {
        post({ id, piece: text.slice(sent, text.length - hold) });
        sent = text.length - hold;
      }
      if (gpuTokens.length + 1 >= gpu.nCtx) {
        reason = 'contextFull';
        break;
      }
      gpuTokens.push(tok);
      logits = await gpu.forward([tok], [gpuTokens.length - 1]);
    }
    if (reason !== 'stop' && reason !== 'aborted' && text.length > sent) post({ id, piece: text.slice(sent) });
  } finally {
    M._chord_sampler_free(sampler);
    for (const p of allocs) M._free(p);
  }
  const tEnd = performance.now();
  const genS = (tEnd - tPrompt) / 1000;
  return {
    promptTokens: prompt.length,
    promptTokensCached: keep,
    generatedTokens: generated,
    stopReason: reason,
    promptSeconds: (tPrompt - t0) / 1000,
    generationSeconds: genS,
    timeToFirstToken: ((tFirst ?? tEnd) - t0) / 1000,
    promptTokensPerSecond: fresh.length / Math.max(1e-9, (tPrompt - t0) / 1000),
    generationTokensPerSecond: generated / Math.max(1e-9, genS),
    backend: 'webgpu',
  };
}

// --- Dispatch --------------------------------------------------------------------------------------------

async function handle(msg) {
  switch (msg.op) {
    case 'init':
      control = msg.control ? new Int32Array(msg.control) : null;
      await loadModule(msg.build);
      return { build };
    case 'load':
      return loadModel(msg.id, msg);
    case 'tokenize':
      return tokenize(msg);
    case 'detokenize':
      return detokenize(msg);
    case 'generate':
    case 'chat':
      if (gpu) {
        try {
          return await generateGpu(msg.id, msg);
        } catch (e) {
          if (e.name !== 'WebGpuUnavailable') throw e;
          dropGpu(e.message); // the GPU failed during the run: the CPU takes over from here
        }
      }
      return generate(msg.id, msg);
    case 'unload':
      unload();
      return true;
    default:
      throw new WorkerError('INVALID_ARGUMENT', `unknown op ${msg.op}`);
  }
}

let queue = Promise.resolve();
function onMessage(msg) {
  if (msg.op === 'abortLoad') {
    if (loadAbort) loadAbort.aborted = true;
    return;
  }
  // One request at a time, in order; an abort for a load must overtake the queue (above).
  queue = queue.then(async () => {
    try {
      const result = await handle(msg);
      post({ id: msg.id, ok: true, result });
    } catch (e) {
      post({ id: msg.id, ok: false, error: { code: e.code || 'INTERNAL', message: e.message || String(e) } });
    }
  });
}

if (isNode) port.on('message', onMessage);
else port.onmessage = (e) => onMessage(e.data);

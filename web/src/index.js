// wasm-chord's JavaScript API: GGUF language models in the browser and in node, in a Worker that owns
// the WebAssembly module, so the page never blocks. Chord.load() starts the Worker, picks the threaded
// build when the page is cross-origin isolated (the single-threaded one otherwise), streams the model
// into the wasm heap, and returns a Chord whose complete() and chat() are async iterators of text.

import { installOpenAI } from './openai.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

/** Errors of wasm-chord: `code` is FORMAT, IO, UNSUPPORTED, INVALID_ARGUMENT, MISSING, OUT_OF_MEMORY,
 * BUSY, INTERNAL (from the engine), or ABORTED, TOO_LARGE, UNLOADED, WORKER (from the JS side). */
export class ChordError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'ChordError';
    this.code = code;
  }
}

const RANDOM_SEED = 0xffffffff;

// The sampler and generation options of the CLI, camelCased, with its defaults (chord.h).
const GENERATE_DEFAULTS = {
  maxTokens: -1,
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1.0,
  repeatLastN: 64,
  frequencyPenalty: 0,
  presencePenalty: 0,
  seed: RANDOM_SEED,
  stop: [],
  addSpecial: true,
  parseSpecial: true,
};

function hardwareThreads() {
  if (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) return navigator.hardwareConcurrency;
  return 4;
}

async function nodeThreads() {
  const os = await import('node:os');
  return os.availableParallelism ? os.availableParallelism() : os.cpus().length;
}

function canUseThreads() {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if (isNode) return true;
  return typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated === true;
}

async function startWorker() {
  const url = new URL('./worker.js', import.meta.url);
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(url);
    return {
      post: (m, t) => w.postMessage(m, t),
      onMessage: (f) => w.on('message', f),
      onError: (f) => w.on('error', f),
      terminate: () => w.terminate(),
      // node: an idle worker must not keep the process alive, a busy one must.
      ref: () => w.ref(),
      unref: () => w.unref(),
    };
  }
  const w = new Worker(url, { type: 'module' });
  return {
    post: (m, t) => w.postMessage(m, t),
    onMessage: (f) => w.addEventListener('message', (e) => f(e.data)),
    onError: (f) => w.addEventListener('error', (e) => f(e.error || new Error(e.message || 'worker error'))),
    terminate: () => w.terminate(),
    ref: () => {},
    unref: () => {},
  };
}

// What the Worker is given to read: transferable or cloneable descriptions of the source.
async function describeSource(source) {
  if (typeof source === 'string') {
    if (isNode && !/^(https?|data|blob):/i.test(source)) return { desc: { kind: 'path', path: source } };
    return { desc: { kind: 'url', url: new URL(source, typeof location !== 'undefined' ? location.href : undefined).href } };
  }
  if (source instanceof URL) {
    if (source.protocol === 'file:' && isNode) {
      const { fileURLToPath } = await import('node:url');
      return { desc: { kind: 'path', path: fileURLToPath(source) } };
    }
    return { desc: { kind: 'url', url: source.href } };
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) return { desc: { kind: 'blob', blob: source } };
  if (source instanceof ArrayBuffer) return { desc: { kind: 'buffer', buffer: source } };
  if (ArrayBuffer.isView(source)) {
    const copy = source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength);
    return { desc: { kind: 'buffer', buffer: copy }, transfer: [copy] };
  }
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new ChordError('IO', `the response has HTTP status ${source.status}`);
    const len = source.headers.get('content-length');
    const size = len !== null && !source.headers.get('content-encoding') ? Number(len) : null;
    return { desc: { kind: 'stream', stream: source.body, size }, transfer: [source.body] };
  }
  throw new ChordError('INVALID_ARGUMENT', 'source must be a File, Blob, URL, Response, ArrayBuffer or (in node) a file path');
}

/** A loaded model with its context, living in a Worker. */
export class Chord {
  #worker;
  #pending = new Map(); // id -> {resolve, reject, onPiece, onProgress}
  #nextId = 1;
  #control; // Int32Array on a SharedArrayBuffer, or null
  #chain = Promise.resolve(); // generations run one after another
  #closed = false;
  /** What was loaded: architecture, name, nVocab, nCtx, threads, build ('threaded' | 'single'),
   * backend ('cpu'), ... */
  info = null;
  /** Statistics of the last generation: promptTokens, generatedTokens, promptTokensPerSecond,
   * generationTokensPerSecond, timeToFirstToken (seconds), stopReason, ... */
  stats = null;

  constructor(worker, control) {
    this.#worker = worker;
    this.#control = control;
    worker.onMessage((m) => this.#onMessage(m));
    worker.onError((e) => {
      const err = new ChordError('WORKER', `the worker failed: ${e && e.message ? e.message : e}`);
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    });
  }

  /**
   * Loads a GGUF model. source: a File or Blob, a URL (string or URL), a Response, an ArrayBuffer or
   * typed array, or a file path (node). Options: threads, nCtx, nBatch, build ('auto' | 'threaded' |
   * 'single'), backend ('auto' | 'cpu' | 'webgpu': the forward pass on the GPU where WebGPU can run the model, else the CPU,
   * with the reason in info.backendReason), onProgress({loaded, total}),
   * signal (AbortSignal), chunkSize (largest single allocation for the file, default 1 GiB).
   */
  static async load(source, options = {}) {
    const { onProgress, signal } = options;
    if (signal?.aborted) throw new ChordError('ABORTED', 'loading was aborted');
    let build = options.build || 'auto';
    if (build === 'auto') build = canUseThreads() ? 'threaded' : 'single';
    if (build !== 'threaded' && build !== 'single') throw new ChordError('INVALID_ARGUMENT', `unknown build '${build}'`);
    if (build === 'threaded' && !canUseThreads())
      throw new ChordError('UNSUPPORTED', 'the threaded build needs SharedArrayBuffer: serve the page cross-origin isolated (COOP/COEP headers)');
    const backend = options.backend || 'auto';
    if (!['auto', 'cpu', 'webgpu'].includes(backend)) throw new ChordError('INVALID_ARGUMENT', `unknown backend '${backend}'`);
    const cores = isNode ? await nodeThreads() : hardwareThreads();
    const threads = build === 'single' ? 1 : Math.max(1, Math.min(options.threads || cores, Math.max(4, cores)));
    const { desc, transfer } = await describeSource(source);

    const worker = await startWorker();
    const control = typeof SharedArrayBuffer !== 'undefined' ? new Int32Array(new SharedArrayBuffer(4)) : null;
    const chord = new Chord(worker, control);
    const onAbort = () => worker.post({ op: 'abortLoad' });
    signal?.addEventListener('abort', onAbort);
    try {
      await chord.#request({ op: 'init', build, control: control ? control.buffer : null });
      const info = await chord.#request(
        { op: 'load', source: desc, threads, nCtx: options.nCtx || 0, nBatch: options.nBatch || 0, kvType: options.kvType, chunkSize: options.chunkSize || 0, backend },
        { onProgress, transfer },
      );
      chord.info = { ...info, backend: info.backend || 'cpu', requestedBackend: backend };
      return chord;
    } catch (e) {
      worker.terminate();
      chord.#closed = true;
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #onMessage(m) {
    const p = this.#pending.get(m.id);
    if (!p) return;
    if (m.piece !== undefined) p.onPiece?.(m.piece);
    else if (m.progress !== undefined) p.onProgress?.(m.progress);
    else {
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (m.ok) p.resolve(m.result);
      else p.reject(new ChordError(m.error.code, m.error.message));
    }
  }

  #request(msg, { onPiece, onProgress, transfer } = {}) {
    if (this.#closed) return Promise.reject(new ChordError('UNLOADED', 'the model was unloaded'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject, onPiece, onProgress });
      this.#worker.post({ ...msg, id }, transfer);
    });
  }

  /** Token ids of `text` (addSpecial: add BOS where the model asks; parseSpecial: control-token text
   * becomes those tokens). */
  async tokenize(text, { addSpecial = true, parseSpecial = false } = {}) {
    return this.#request({ op: 'tokenize', text: String(text), addSpecial, parseSpecial });
  }

  /** The text of token ids. */
  async detokenize(tokens, { removeSpecial = false, unparseSpecial = false } = {}) {
    return this.#request({ op: 'detokenize', tokens: Array.from(tokens), removeSpecial, unparseSpecial });
  }

  /** Continues `prompt`; yields pieces of text as they are generated. Options: maxTokens,
   * temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed,
   * stop (strings), signal (AbortSignal). */
  complete(prompt, options = {}) {
    return this.#generate({ op: 'generate', prompt: String(prompt) }, options);
  }

  /** Answers a conversation [{role, content}, ...] through the model's chat template (or
   * options.template: a built-in name or Jinja source); yields pieces of the answer. */
  chat(messages, options = {}) {
    if (!Array.isArray(messages)) throw new ChordError('INVALID_ARGUMENT', 'messages must be an array of {role, content}');
    return this.#generate({ op: 'chat', messages: messages.map((m) => ({ role: m.role, content: m.content })) }, options);
  }

  async *#generate(msg, options) {
    const o = { ...GENERATE_DEFAULTS };
    for (const k of Object.keys(GENERATE_DEFAULTS)) if (options[k] !== undefined && options[k] !== null) o[k] = options[k];
    if (options.template) o.template = String(options.template);
    if (typeof o.stop === 'string') o.stop = [o.stop];
    if (o.seed < 0) o.seed = RANDOM_SEED;
    const { signal } = options;
    if (signal?.aborted) throw new ChordError('ABORTED', 'the generation was aborted');

    // Wait for the generations before this one.
    let release;
    const turn = this.#chain;
    this.#chain = new Promise((r) => (release = r));
    await turn;

    const queue = [];
    let wake = null;
    let finished = false;
    let failure = null;
    let aborted = false;
    const notify = () => {
      if (wake) {
        wake();
        wake = null;
      }
    };
    let id = 0;
    const abort = () => {
      aborted = true;
      if (this.#control && id) Atomics.store(this.#control, 0, id);
      notify();
    };
    signal?.addEventListener('abort', abort);
    const done = this.#request({ ...msg, options: o }, { onPiece: (p) => (queue.push(p), notify()) });
    id = this.#nextId - 1;
    done.then(
      (stats) => {
        this.stats = stats;
        finished = true;
        notify();
      },
      (e) => {
        failure = e;
        finished = true;
        notify();
      },
    );
    try {
      for (;;) {
        if (aborted) break;
        if (queue.length) {
          yield queue.shift();
          continue;
        }
        if (finished) break;
        await new Promise((r) => (wake = r));
      }
      if (failure) throw failure;
      if (aborted) throw new ChordError('ABORTED', 'the generation was aborted');
    } finally {
      signal?.removeEventListener('abort', abort);
      if (!finished) {
        // Stopped early (abort, or the caller left the loop): stop the worker and wait for it.
        if (this.#control) Atomics.store(this.#control, 0, id);
        await done.catch(() => {});
      }
      if (this.stats && aborted) this.stats = { ...this.stats, stopReason: 'aborted' };
      release();
    }
  }

  /** Frees the model and ends the Worker. */
  async unload() {
    if (this.#closed) return;
    try {
      await this.#request({ op: 'unload' });
    } finally {
      this.#closed = true;
      this.#worker.terminate();
    }
  }
}

// OpenAI's API shapes: chord.chat.completions.create, chord.completions.create, chord.models.list.
installOpenAI(Chord);
export { APIError, BadRequestError, APIUserAbortError } from './openai.js';

export default Chord;

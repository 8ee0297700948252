// engine.js: the page's one door to the wasm-chord npm package (web/), so that the rest of the demo
// does not depend on the package's exact shapes. The build copies the package next to the page
// (dist/chord/src/ with its wasm builds in dist/chord/dist/, the package's own layout) and it is
// imported at run time, unbundled, so its Worker and .wasm files resolve beside it. Everything the UI needs from an engine is here: load, chat (streamed pieces), stop,
// statistics per answer, and errors turned into sentences a person can act on.

let chordModule = null;

async function chordPackage() {
  if (!chordModule) {
    try {
      chordModule = await import(/* @vite-ignore */ new URL('../chord/src/index.js', import.meta.url).href);
    } catch (e) {
      throw new EngineError('engine', 'The wasm-chord engine could not be loaded (chord/src/index.js is missing from this build). Rebuild the demo with web/demo/build.mjs.', e);
    }
  }
  return chordModule;
}

export class EngineError extends Error {
  constructor(code, message, cause) {
    super(message);
    this.code = code;
    this.cause = cause;
  }
}

export function environment() {
  return {
    isolated: globalThis.crossOriginIsolated === true,
    webgpu: typeof navigator !== 'undefined' && 'gpu' in navigator,
    cores: (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1,
  };
}

// A sentence for each error people hit; `err` is a ChordError (with .code), an EngineError or anything.
export function explainError(err) {
  const code = String(err?.code ?? '').toLowerCase();
  const msg = String(err?.message ?? err);
  if (err?.name === 'AbortError' || code === 'aborted') return 'Stopped.';
  if (/out.of.memory|memory|allocation|oom/i.test(code + ' ' + msg) && !/format/.test(code)) {
    return `Not enough memory for this model: ${msg}. Try a smaller or more quantized model (e.g. Q4_0), a smaller context size, or close other tabs.`;
  }
  if (code === 'too_large') return `This model is too large for the browser's 4 GB WebAssembly memory: ${msg}`;
  if (code === 'format' || /not a gguf|bad magic|magic/i.test(msg)) {
    return `This file is not a GGUF model wasm-chord can read: ${msg}`;
  }
  if (code === 'unsupported' || /unsupported/i.test(msg)) return `This model is not supported: ${msg}`;
  if (code === 'io' || code === 'network' || /fetch|network/i.test(msg)) return `The model could not be read: ${msg}`;
  return msg;
}

// One loaded model. `notes` are things the user should know (fallbacks taken).
export class Engine {
  constructor(chord, { backend, threads, notes }) {
    this.chord = chord;
    this.backend = backend;
    this.threads = threads;
    this.notes = notes;
  }

  get info() {
    return this.chord.info ?? {};
  }

  // A model without tokenizer.chat_template (a plain language model, like the fortune demo model) is
  // not asked to chat: the last message is continued as text.
  get completionOnly() {
    return this.info.hasChatTemplate === false;
  }

  // Streams the answer to `messages` as text pieces; `onStats` gets {ttft, tokensPerSecond, tokens}.
  async *chat(messages, { signal, sampler, onStats }) {
    const start = performance.now();
    let first = 0;
    let pieces = 0;
    const opts = { ...sampler, signal };
    const stream = this.completionOnly
      ? this.chord.complete(messages.filter((m) => m.role === 'user').at(-1)?.content ?? '', opts)
      : this.chord.chat(messages, opts);
    try {
      for await (const piece of stream) {
        if (!first) first = performance.now();
        pieces++;
        yield piece;
      }
    } finally {
      // Also after a stop: the engine's statistics of the run, or the page's own timing.
      const end = performance.now();
      const s = (signal?.aborted ? null : this.chord.stats) ?? {};
      const tokens = s.generatedTokens ?? pieces;
      onStats?.({
        tokens,
        ttft: s.timeToFirstToken ?? (first ? (first - start) / 1000 : 0),
        tokensPerSecond: s.generationTokensPerSecond ??
          (first && end > first && pieces > 1 ? (pieces - 1) / ((end - first) / 1000) : 0),
        promptTokens: s.promptTokens,
        stopReason: s.stopReason ?? (signal?.aborted ? 'aborted' : undefined),
      });
    }
  }

  async unload() {
    await this.chord.unload?.();
  }
}

// Loads a model from a File/Blob or a URL. Settings: backend ('auto'|'cpu'|'webgpu'), threads (0: all),
// contextSize (0: the model's, capped by the engine).
export async function loadEngine(source, { onProgress, signal, backend = 'auto', threads = 0, contextSize = 0 } = {}) {
  const { Chord } = await chordPackage();
  const env = environment();
  const notes = [];
  if (!env.isolated) {
    notes.push('This page is not cross-origin isolated (no COOP/COEP headers), so the model runs on one thread. Serve it with tools/serve-demo.mjs for threads.');
  }
  let wantBackend = backend;
  if (backend !== 'cpu' && !env.webgpu) {
    if (backend === 'webgpu') notes.push('WebGPU is not available in this browser: running on the CPU instead.');
    wantBackend = 'cpu';
  }
  const nThreads = env.isolated ? (threads > 0 ? threads : env.cores) : 1;
  const opts = { onProgress, signal, backend: wantBackend, threads: nThreads };
  if (contextSize > 0) opts.nCtx = contextSize;
  let chord;
  try {
    chord = await Chord.load(source, opts);
  } catch (e) {
    if (wantBackend === 'webgpu' && !signal?.aborted) {
      notes.push(`WebGPU failed (${e.message}): running on the CPU instead.`);
      chord = await Chord.load(source, { ...opts, backend: 'cpu' });
    } else {
      throw e;
    }
  }
  const info = chord.info ?? {};
  const used = info.backend ?? chord.backend ?? wantBackend;
  if (wantBackend === 'webgpu' && used === 'cpu') {
    notes.push(`WebGPU was not used${info.fallbackReason ? ` (${info.fallbackReason})` : ''}: running on the CPU (WebAssembly) instead.`);
  } else if (backend === 'auto' && used === 'cpu' && info.fallbackReason) {
    notes.push(`WebGPU could not be used (${info.fallbackReason}): running on the CPU.`);
  }
  const engine = new Engine(chord, { backend: used, threads: info.threads ?? nThreads, notes });
  engine.build = info.build ?? (nThreads > 1 ? 'threaded' : 'single');
  engine.contextSize = info.nCtx;
  return engine;
}

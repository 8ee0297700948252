// Types of wasm-chord's JavaScript API (src/index.js).

export type ChordErrorCode =
  | 'IO' | 'FORMAT' | 'UNSUPPORTED' | 'INVALID_ARGUMENT' | 'MISSING' | 'OUT_OF_MEMORY' | 'BUSY' | 'INTERNAL'
  | 'ABORTED' | 'TOO_LARGE' | 'UNLOADED' | 'WORKER';

export class ChordError extends Error {
  readonly name: 'ChordError';
  readonly code: ChordErrorCode;
  constructor(code: ChordErrorCode, message: string);
}

export type ModelSource = File | Blob | URL | string | Response | ArrayBuffer | ArrayBufferView;

export interface LoadProgress {
  loaded: number; // bytes
  total: number;
}

export interface LoadOptions {
  /** Threads of the threaded build (default: the hardware's); the single build uses one. */
  threads?: number;
  /** Context length in tokens (default: the model's training context, at most 4096). */
  nCtx?: number;
  /** Prompt tokens per forward pass (default 512). */
  nBatch?: number;
  kvType?: 'f16' | 'f32';
  /** 'auto' picks 'threaded' when SharedArrayBuffer is usable (cross-origin isolated page, node). */
  build?: 'auto' | 'threaded' | 'single';
  /** 'webgpu': the forward pass on the GPU (tokenizer and sampler stay in wasm); 'auto': the GPU when a
   * hardware WebGPU adapter runs the model. Otherwise the CPU: info.backend says which runs and
   * info.backendReason why the GPU does not. */
  backend?: 'auto' | 'cpu' | 'webgpu';
  onProgress?: (progress: LoadProgress) => void;
  /** The largest single allocation the file is split into (default 1 GiB; one wasm allocation cannot
   * exceed 2 GB). */
  chunkSize?: number;
  signal?: AbortSignal;
}

export interface ModelInfo {
  architecture: string;
  name: string;
  nVocab: number;
  nCtxTrain: number;
  nEmbd: number;
  nLayers: number;
  bos: number;
  eos: number;
  eot: number;
  addBos: boolean;
  hasChatTemplate: boolean;
  fileSize: number;
  /** How many allocations the file was loaded into. */
  chunks: number;
  nCtx: number;
  threads: number;
  build: 'threaded' | 'single';
  backend: 'cpu' | 'webgpu';
  requestedBackend: 'auto' | 'cpu' | 'webgpu';
  /** Why the CPU runs although WebGPU was asked for (or 'auto' allowed it). */
  backendReason?: string | null;
  /** The WebGPU adapter, when backend is 'webgpu'. */
  gpuAdapter?: string;
}

export interface GenerateOptions {
  /** Tokens to generate at most (-1: until end of generation or a full context). */
  maxTokens?: number;
  temperature?: number; // 0.8; <= 0: greedy
  topK?: number; // 40; <= 0: off
  topP?: number; // 0.95; >= 1: off
  minP?: number; // 0.05; <= 0: off
  repeatPenalty?: number; // 1: off
  repeatLastN?: number; // 64
  frequencyPenalty?: number;
  presencePenalty?: number;
  /** Random seed; the same seed repeats the same output. Default: a fresh one. */
  seed?: number;
  /** Strings that end the generation (not passed on). */
  stop?: string[] | string;
  signal?: AbortSignal;
  /** complete() only: add BOS where the model asks (true) and parse control-token text (true). */
  addSpecial?: boolean;
  parseSpecial?: boolean;
}

export interface ChatOptions extends GenerateOptions {
  /** A built-in template name (chatml, llama2, llama3, mistral, zephyr, phi3, gemma) or Jinja source;
   * default: the model's own. */
  template?: string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | string;
  content: string;
}

export interface GenerationStats {
  promptTokens: number;
  promptTokensCached: number;
  generatedTokens: number;
  stopReason: 'none' | 'eog' | 'maxTokens' | 'stop' | 'callback' | 'aborted' | 'contextFull';
  promptSeconds: number;
  generationSeconds: number;
  timeToFirstToken: number; // seconds
  promptTokensPerSecond: number;
  generationTokensPerSecond: number;
}

export class Chord {
  static load(source: ModelSource, options?: LoadOptions): Promise<Chord>;
  readonly info: ModelInfo;
  /** Statistics of the last generation (null before the first). */
  readonly stats: GenerationStats | null;
  tokenize(text: string, options?: { addSpecial?: boolean; parseSpecial?: boolean }): Promise<number[]>;
  detokenize(tokens: ArrayLike<number>, options?: { removeSpecial?: boolean; unparseSpecial?: boolean }): Promise<string>;
  complete(prompt: string, options?: GenerateOptions): AsyncGenerator<string, void, undefined>;
  /** Also OpenAI's chat.completions.create (types in openai.d.ts). */
  readonly chat: ((messages: ChatMessage[], options?: ChatOptions) => AsyncGenerator<string, void, undefined>) &
    { completions: import('./openai').ChatCompletions };
  readonly completions: import('./openai').Completions;
  readonly models: import('./openai').Models;
  unload(): Promise<void>;
}

export { APIError, BadRequestError, APIUserAbortError } from './openai';

export default Chord;

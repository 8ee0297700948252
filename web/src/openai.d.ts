// Types of OpenAI's API shapes on a Chord (src/openai.js): a subset of the `openai` client library's.

export interface APIErrorObject {
  message: string;
  type: string | null;
  param: string | null;
  code: string | null;
}
export class APIError extends Error {
  readonly status: number | undefined;
  readonly error: APIErrorObject;
  readonly type: string | null;
  readonly param: string | null;
  readonly code: string | null;
}
export class BadRequestError extends APIError {}
export class APIUserAbortError extends APIError {}

export interface ChatCompletionMessageParam {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string | Array<{ type: 'text'; text: string }> | null;
}

interface SamplingParams {
  model?: string; // ignored: the loaded model answers
  max_tokens?: number | null;
  temperature?: number | null; // 1
  top_p?: number | null; // 1
  top_k?: number | null; // llama.cpp's extension; 0: off
  min_p?: number | null; // llama.cpp's extension; 0: off
  repeat_penalty?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  n?: 1 | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
}
export interface ChatCompletionCreateParams extends SamplingParams {
  messages: ChatCompletionMessageParam[];
  max_completion_tokens?: number | null;
}
export interface CompletionCreateParams extends SamplingParams {
  prompt: string | [string];
  echo?: boolean | null;
}
export interface RequestOptions {
  signal?: AbortSignal;
}

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}
type FinishReason = 'stop' | 'length';
interface Header {
  id: string;
  created: number;
  model: string;
  system_fingerprint: string;
}
export interface ChatCompletion extends Header {
  object: 'chat.completion';
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string; refusal: null };
    logprobs: null;
    finish_reason: FinishReason;
  }>;
  usage: CompletionUsage;
}
export interface ChatCompletionChunk extends Header {
  object: 'chat.completion.chunk';
  choices: Array<{
    index: number;
    delta: { role?: 'assistant'; content?: string };
    logprobs: null;
    finish_reason: FinishReason | null;
  }>;
  usage?: CompletionUsage;
}
export interface Completion extends Header {
  object: 'text_completion';
  choices: Array<{ index: number; text: string; logprobs: null; finish_reason: FinishReason | null }>;
  usage?: CompletionUsage;
}
export interface Stream<T> extends AsyncIterable<T> {
  controller: AbortController;
}

export interface ChatCompletions {
  create(body: ChatCompletionCreateParams & { stream: true }, options?: RequestOptions): Promise<Stream<ChatCompletionChunk>>;
  create(body: ChatCompletionCreateParams & { stream?: false | null }, options?: RequestOptions): Promise<ChatCompletion>;
}
export interface Completions {
  create(body: CompletionCreateParams & { stream: true }, options?: RequestOptions): Promise<Stream<Completion>>;
  create(body: CompletionCreateParams & { stream?: false | null }, options?: RequestOptions): Promise<Completion>;
}
export interface Model {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}
export interface Models {
  list(): Promise<{ object: 'list'; data: Model[] } & AsyncIterable<Model>>;
}

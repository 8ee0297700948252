// OpenAI's API on a loaded Chord, in the shapes of the official `openai` client library, so code written
// for it runs unchanged on a model in the page:
//
//   const r = await chord.chat.completions.create({ messages, max_tokens: 64 });   // r.choices[0].message
//   for await (const chunk of await chord.chat.completions.create({ messages, stream: true }))
//     out.textContent += chunk.choices[0]?.delta?.content ?? '';
//   await chord.completions.create({ prompt: 'Once upon a time', stop: ['\n'] });  // r.choices[0].text
//
// Parameters, defaults and errors follow `chord serve` (apps/chord/serve_request.cpp): OpenAI's sampling
// defaults (temperature 1, top_p 1, no top-k / min-p; llama.cpp's top_k, min_p, repeat_penalty accepted),
// n = 1 only, errors as BadRequestError with status / type / param / code. A streamed answer is an async
// iterable of chunks ("chat.completion.chunk" or "text_completion"), with `controller` (an AbortController)
// like the client's Stream; leaving the loop stops the generation. Not in WebAssembly yet: logit_bias
// (the Worker does not pass it on), token-id prompts.
// Installed on Chord by index.js: chord.chat stays the async-iterator method and gains .completions.

/** An error in OpenAI's shape: status, error ({message, type, param, code}), type, param, code. */
export class APIError extends Error {
  constructor(status, error) {
    super(error.message);
    this.name = 'APIError';
    this.status = status;
    this.error = error;
    this.type = error.type;
    this.param = error.param;
    this.code = error.code;
  }
}

/** A request the model cannot take (status 400), as the client's BadRequestError. */
export class BadRequestError extends APIError {
  constructor(message, param = null, code = 'invalid_value') {
    super(400, { message, type: 'invalid_request_error', param, code });
    this.name = 'BadRequestError';
  }
}

/** A request aborted through its signal, as the client's APIUserAbortError. */
export class APIUserAbortError extends APIError {
  constructor() {
    super(undefined, { message: 'Request was aborted.', type: null, param: null, code: null });
    this.name = 'APIUserAbortError';
  }
}

const RANDOM_SEED = 0xffffffff;
let counter = 0;

function newId(prefix) {
  const rand = Math.floor(Math.random() * 2 ** 48).toString(16).padStart(12, '0');
  return `${prefix}${rand}${(counter++ & 0xffffff).toString(16).padStart(6, '0')}`;
}

// A parameter, or undefined when absent or null (OpenAI treats null as "not given").
const given = (body, name) => (body[name] === null || body[name] === undefined ? undefined : body[name]);

function number(body, name, lo, hi, fallback) {
  const v = given(body, name);
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new BadRequestError(`'${name}' must be a number`, name, 'invalid_type');
  if (v < lo || v > hi) throw new BadRequestError(`'${name}' must be between ${lo} and ${hi}`, name);
  return v;
}

function integer(body, name) {
  const v = given(body, name);
  if (v === undefined) return undefined;
  if (!Number.isInteger(v)) throw new BadRequestError(`'${name}' must be an integer`, name, 'invalid_type');
  return v;
}

function boolean(body, name, fallback) {
  const v = given(body, name);
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new BadRequestError(`'${name}' must be a boolean`, name, 'invalid_type');
  return v;
}

function refuseUnsupported(body) {
  const n = integer(body, 'n');
  if (n !== undefined && n !== 1) throw new BadRequestError('only n = 1 is supported', 'n');
  const bestOf = integer(body, 'best_of');
  if (bestOf !== undefined && bestOf !== 1) throw new BadRequestError('only best_of = 1 is supported', 'best_of');
  if (given(body, 'logprobs') !== undefined && body.logprobs !== false) throw new BadRequestError('logprobs are not supported', 'logprobs');
  if (Array.isArray(body.tools) ? body.tools.length > 0 : given(body, 'tools') !== undefined)
    throw new BadRequestError('tools are not supported', 'tools');
  const format = given(body, 'response_format');
  if (format !== undefined && format?.type !== 'text')
    throw new BadRequestError('only response_format {"type": "text"} is supported', 'response_format');
  const bias = given(body, 'logit_bias');
  if (bias !== undefined && (typeof bias !== 'object' || Object.keys(bias).length > 0))
    throw new BadRequestError('logit_bias is not supported in WebAssembly yet', 'logit_bias');
  if (given(body, 'suffix') !== undefined && body.suffix !== '') throw new BadRequestError('suffix is not supported', 'suffix');
}

function stopStrings(body) {
  const stop = given(body, 'stop');
  if (stop === undefined) return [];
  const list = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string'))
    throw new BadRequestError("'stop' must be a string or an array of strings", 'stop', 'invalid_type');
  if (list.length > 4) throw new BadRequestError("'stop' holds at most 4 strings", 'stop');
  return list;
}

// The sampling and generation options of Chord.complete / Chord.chat for an OpenAI request body.
function generateOptions(body, endpoint) {
  refuseUnsupported(body);
  const o = {
    temperature: number(body, 'temperature', 0, 2, 1),
    topP: number(body, 'top_p', 0, 1, 1),
    minP: number(body, 'min_p', 0, 1, 0),
    presencePenalty: number(body, 'presence_penalty', -2, 2, 0),
    frequencyPenalty: number(body, 'frequency_penalty', -2, 2, 0),
    repeatPenalty: number(body, 'repeat_penalty', 1e-3, 100, 1),
    repeatLastN: -1, // OpenAI's penalties count every token so far
    topK: 0,
    seed: RANDOM_SEED,
    maxTokens: -1,
    stop: stopStrings(body),
  };
  const topK = integer(body, 'top_k');
  if (topK !== undefined) {
    if (topK < 0) throw new BadRequestError("'top_k' must be 0 (off) or more", 'top_k');
    o.topK = topK;
  }
  const seed = integer(body, 'seed');
  if (seed !== undefined) {
    // The server's folding of a 64-bit seed into 32 bits, for seeds that fit a double exactly.
    const u = BigInt.asUintN(64, BigInt(seed));
    o.seed = Number(BigInt.asUintN(32, u ^ (u >> 32n)));
    if (o.seed === RANDOM_SEED) o.seed = 0;
  }
  let maxName = 'max_tokens';
  let max = integer(body, 'max_tokens');
  if (max === undefined && endpoint === 'chat') {
    maxName = 'max_completion_tokens';
    max = integer(body, maxName);
  }
  if (max !== undefined) {
    if (max < 1) throw new BadRequestError(`'${maxName}' must be at least 1`, maxName);
    o.maxTokens = max;
  }
  return o;
}

function messagesOf(body) {
  const messages = given(body, 'messages');
  if (messages === undefined) throw new BadRequestError("'messages' is required", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages) || messages.length === 0) throw new BadRequestError("'messages' must be a non-empty array", 'messages');
  return messages.map((m, i) => {
    const param = `messages[${i}]`;
    if (typeof m !== 'object' || m === null) throw new BadRequestError(`'${param}' must be an object`, param, 'invalid_type');
    if (typeof m.role !== 'string') throw new BadRequestError(`'${param}.role' must be a string`, `${param}.role`, 'invalid_type');
    const role = m.role === 'developer' ? 'system' : m.role;
    if (!['system', 'user', 'assistant', 'tool'].includes(role))
      throw new BadRequestError(`'${param}.role' must be system, developer, user, assistant or tool`, `${param}.role`);
    let content = m.content ?? '';
    if (Array.isArray(content)) {
      if (content.some((p) => p?.type !== 'text' || typeof p.text !== 'string'))
        throw new BadRequestError('only text content parts ({"type": "text", "text": ...}) are supported', `${param}.content`);
      content = content.map((p) => p.text).join('');
    } else if (typeof content !== 'string') {
      throw new BadRequestError(`'${param}.content' must be a string or an array of parts`, `${param}.content`, 'invalid_type');
    }
    return { role, content };
  });
}

function promptOf(body) {
  let prompt = given(body, 'prompt');
  if (prompt === undefined) throw new BadRequestError("'prompt' is required", 'prompt', 'missing_required_parameter');
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') prompt = prompt[0];
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt) && prompt.length > 1 && prompt.every((p) => typeof p === 'string'))
    throw new BadRequestError('only one prompt per request is supported (a batch of prompts is not)', 'prompt');
  throw new BadRequestError("'prompt' must be a string or an array of one string", 'prompt', 'invalid_type');
}

const finishReason = (stopReason) => (stopReason === 'maxTokens' || stopReason === 'contextFull' ? 'length' : 'stop');

function usageOf(stats) {
  const completion = Math.max(0, stats.generatedTokens - (stats.stopReason === 'eog' ? 1 : 0));
  return { prompt_tokens: stats.promptTokens, completion_tokens: completion, total_tokens: stats.promptTokens + completion };
}

// One request: its endpoint, the Chord iterator that generates it, and its answer's header fields.
function startRequest(chord, body, endpoint, requestOptions = {}) {
  if (typeof body !== 'object' || body === null) throw new BadRequestError('the request must be an object', null, 'invalid_type');
  const options = generateOptions(body, endpoint);
  const input = endpoint === 'chat' ? messagesOf(body) : promptOf(body);
  const stream = boolean(body, 'stream', false);
  const streamOptions = given(body, 'stream_options');
  const includeUsage = streamOptions !== undefined && boolean(streamOptions, 'include_usage', false);
  const echo = endpoint === 'completion' && boolean(body, 'echo', false);
  const controller = new AbortController();
  const outer = requestOptions.signal;
  if (outer?.aborted) controller.abort();
  outer?.addEventListener('abort', () => controller.abort(), { once: true });
  const header = {
    id: newId(endpoint === 'chat' ? 'chatcmpl-' : 'cmpl-'),
    object: endpoint === 'chat' ? (stream ? 'chat.completion.chunk' : 'chat.completion') : 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model: modelId(chord),
    system_fingerprint: 'wasm-chord',
  };
  const run = () => {
    const o = { ...options, signal: controller.signal };
    return endpoint === 'chat' ? chord.chat(input, o) : chord.complete(input, o);
  };
  return { endpoint, input, stream, includeUsage, echo, controller, header, run };
}

function translateError(e, req) {
  if (e instanceof APIError) return e;
  if (e?.code === 'ABORTED' || req.controller.signal.aborted) return new APIUserAbortError();
  if (e?.code === 'INVALID_ARGUMENT') {
    const tooLong = /longer than|context/.test(e.message);
    return new BadRequestError(e.message, req.endpoint === 'chat' ? 'messages' : 'prompt', tooLong ? 'context_length_exceeded' : 'invalid_value');
  }
  return new APIError(500, { message: e?.message ?? String(e), type: 'server_error', param: null, code: e?.code ?? null });
}

async function whole(chord, req) {
  let text = req.echo ? req.input : '';
  try {
    for await (const piece of req.run()) text += piece;
  } catch (e) {
    throw translateError(e, req);
  }
  const stats = chord.stats;
  const finish = finishReason(stats.stopReason);
  const choice = req.endpoint === 'chat'
    ? { index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: finish }
    : { index: 0, text, logprobs: null, finish_reason: finish };
  return { ...req.header, choices: [choice], usage: usageOf(stats) };
}

function chunk(req, text, { role = false, finish = null } = {}) {
  if (req.endpoint === 'completion')
    return { ...req.header, choices: [{ index: 0, text, logprobs: null, finish_reason: finish }] };
  const delta = {};
  if (role) delta.role = 'assistant';
  if (finish === null) delta.content = text;
  return { ...req.header, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
}

// The chunks of a streamed answer. Like the client's Stream, an abort through the signal ends the
// iteration quietly.
async function* chunks(chord, req) {
  try {
    if (req.endpoint === 'chat') yield chunk(req, '', { role: true });
    if (req.echo) yield chunk(req, req.input);
    for await (const piece of req.run()) if (piece.length) yield chunk(req, piece);
  } catch (e) {
    const err = translateError(e, req);
    if (err instanceof APIUserAbortError) return;
    throw err;
  }
  yield chunk(req, '', { finish: finishReason(chord.stats.stopReason) });
  if (req.includeUsage) yield { ...req.header, choices: [], usage: usageOf(chord.stats) };
}

/** What client.chat.completions.create / client.completions.create return. */
async function create(chord, body, endpoint, requestOptions) {
  const req = startRequest(chord, body, endpoint, requestOptions);
  if (!req.stream) return whole(chord, req);
  const iterator = chunks(chord, req);
  return { controller: req.controller, [Symbol.asyncIterator]: () => iterator };
}

function modelId(chord) {
  return chord.info?.name || 'wasm-chord';
}

/** Adds chat.completions, completions and models to Chord's prototype (chord.chat stays callable). */
export function installOpenAI(ChordClass) {
  const chatMethod = ChordClass.prototype.chat;
  const cache = new WeakMap();
  Object.defineProperty(ChordClass.prototype, 'chat', {
    configurable: true,
    get() {
      let chat = cache.get(this);
      if (!chat) {
        const self = this;
        chat = (messages, options) => chatMethod.call(self, messages, options);
        chat.completions = { create: (body, requestOptions) => create(self, body, 'chat', requestOptions) };
        cache.set(this, chat);
      }
      return chat;
    },
  });
  Object.defineProperty(ChordClass.prototype, 'completions', {
    configurable: true,
    get() {
      return { create: (body, requestOptions) => create(this, body, 'completion', requestOptions) };
    },
  });
  Object.defineProperty(ChordClass.prototype, 'models', {
    configurable: true,
    get() {
      const self = this;
      return {
        async list() {
          const data = [{ id: modelId(self), object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'wasm-chord' }];
          return { object: 'list', data, async *[Symbol.asyncIterator]() { yield* data; } };
        },
      };
    },
  });
}

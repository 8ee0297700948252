// llama.cpp as the reference oracle: loads a GGUF in llama.cpp (node-llama-cpp 3.21.1, prebuilt CPU
// binaries, nothing built or downloaded) and answers questions about it as JSON on stdout. Tests compare
// wasm-chord's tokenizer, logits and greedy output against these answers. It is not part of the runtime.
// Install it with tools/fetch-testdata.sh.
//
//   node tests/oracle/oracle.mjs <command> --model F.gguf [--ctx 512] [--threads 2] [--flash-attn]
//        [--kv-type f16|f32] [--verbose]
//   --kv-type: the KV cache's type (llama.cpp's default f16). With f16, llama.cpp rounds q and the
//   softmax weights to f16 for the attention products, which turns ulp-level differences elsewhere into
//   ~1e-3 log-probability differences; f32 takes that rounding out of parity comparisons.
//
//   tokenize   --text T | --text-file P [--add-special] [--parse-special]  -> {"ids":[...]}
//              Defaults match llama.cpp's tokenizer test: no BOS/EOS, special-token text not parsed.
//   detokenize --ids 1,2,3 [--special]                                      -> {"text":"..."}
//              --special renders control tokens as their text (llama_detokenize's unparse_special).
//   logprobs   --ids 1,2,3 [--top K] [--all-positions]
//              -> {"top":[{"id":..,"logprob":..},...],"margin":..}   next-token distribution after exactly
//                 these ids (no BOS added); margin = top1 - top2 logprob; --top 0 = whole vocabulary;
//                 logprob is null where the probability underflowed to 0. Ties are listed by id.
//              -> {"positions":[{"top":[...],"margin":..},...]} with --all-positions: one entry per input
//                 id, the distribution after ids[0..i].
//   greedy     --ids 1,2,3 --n N   -> {"ids":[...]}  N tokens at temperature 0, end-of-generation tokens
//              included (generation continues past them).
//   info       -> architecture, vocabulary and special tokens, n_ctx_train, ...
//   perplexity --text T | --text-file P [--chunks N]  -> {"ppl":..,"error":..,"nll":..,"chunks":..,...}
//              llama-perplexity's number, from llama.cpp's next-token probabilities: the text tokenized
//              with BOS, non-overlapping chunks of --ctx tokens, each from an empty cache with its first
//              token replaced by BOS, the second half of each chunk scored; error = PPL times the
//              standard error of the mean negative log-likelihood. --chunks -1 (default): all.
//   serve      one JSON request per line on stdin, one JSON response per line on stdout, in order:
//              {"cmd":"tokenize","text":"...","add_special":false,"parse_special":false}
//              {"cmd":"detokenize","ids":[1,2],"special":false}
//              {"cmd":"logprobs","ids":[1,2],"top":10,"all_positions":false}
//              {"cmd":"greedy","ids":[1,2],"n":16}
//              {"cmd":"info"}
//              {"cmd":"perplexity","text":"...","chunks":-1}
//              An "id" field in a request is echoed in its response. Errors are {"error":"..."} lines.
//
// A flag value starting with "-" needs the --flag=value form (e.g. --text=-x).
//
// Vocabulary-only GGUFs (no tensors) load in llama.cpp's vocab-only mode: tokenize, detokenize and info
// work, logprobs and greedy answer an error. One-shot commands exit with status 1 on error.
import fs from "node:fs";
import readline from "node:readline";
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel, readGgufFileInfo } from "node-llama-cpp";

const parseFlags = () => parseArgs({
  allowPositionals: true,
  options: {
    model: { type: "string" },
    text: { type: "string" },
    "text-file": { type: "string" },
    ids: { type: "string" },
    top: { type: "string", default: "10" },
    n: { type: "string", default: "16" },
    chunks: { type: "string", default: "-1" },
    ctx: { type: "string", default: "512" },
    threads: { type: "string", default: "2" },
    "add-special": { type: "boolean", default: false },
    "parse-special": { type: "boolean", default: false },
    special: { type: "boolean", default: false },
    "all-positions": { type: "boolean", default: false },
    "flash-attn": { type: "boolean", default: false },
    "kv-type": { type: "string", default: "f16" },
    verbose: { type: "boolean", default: false },
  },
});

let opts = {};

// stdout carries only our JSON: anything a library prints goes to stderr.
const writeJson = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
console.log = console.info = console.error;

// llama.cpp's recent warnings and errors, appended to our error messages ("missing tensor ...").
const recentLog = [];
function logger(level, message) {
  if (opts.verbose) process.stderr.write(`[llama.cpp ${level}] ${message}\n`);
  if (level === LlamaLogLevel.error || level === LlamaLogLevel.warn) {
    recentLog.push(message.trim());
    if (recentLog.length > 4) recentLog.shift();
  }
}

class Oracle {
  static async open(modelPath, { ctx, threads, flashAttn, kvType }) {
    const self = new Oracle();
    self.llama = await getLlama({
      gpu: false, build: "never", usePrebuiltBinaries: true, skipDownload: true,
      progressLogs: false, logLevel: opts.verbose ? LlamaLogLevel.debug : LlamaLogLevel.warn, logger,
    });
    const file = await readGgufFileInfo(modelPath, { logWarnings: false, ignoreKeys: ["tokenizer.ggml.merges"] });
    self.vocabOnly = file.tensorInfo.length === 0;
    self.nVocab = file.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
    self.tokenizerModel = file.metadata.tokenizer?.ggml?.model ?? null;
    self.model = await self.llama.loadModel({ modelPath, vocabOnly: self.vocabOnly, gpuLayers: 0 });
    const cacheType = { f16: "F16", f32: "F32" }[kvType];
    if (!cacheType) throw new Error(`--kv-type must be f16 or f32, not ${kvType}`);
    self.contextOptions = { contextSize: ctx, threads, sequences: 1, flashAttention: flashAttn,
      experimentalKvCacheKeyType: cacheType, experimentalKvCacheValueType: cacheType };
    recentLog.length = 0; // loading logs harmless warnings (a failed resource simulation on vocab-only files)
    return self;
  }

  async dispose() {
    await this.llama?.dispose();
  }

  checkIds(ids) {
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && id >= 0 && id < this.nVocab))
      throw new Error(`ids must be integers in [0, ${this.nVocab})`);
    return ids;
  }

  // A clean sequence for each request; created on first use because it needs weights.
  async freshSequence(nTokens) {
    if (this.vocabOnly)
      throw new Error("vocabulary-only GGUF (no tensors): only tokenize, detokenize and info are possible");
    if (!this.sequence) {
      this.context = await this.model.createContext(this.contextOptions);
      this.sequence = this.context.getSequence();
    }
    if (nTokens > this.context.contextSize)
      throw new Error(`${nTokens} tokens do not fit the context (${this.context.contextSize}); raise --ctx`);
    await this.sequence.clearHistory();
    return this.sequence;
  }

  tokenize({ text, add_special = false, parse_special = false }) {
    if (typeof text !== "string") throw new Error("tokenize needs a text string");
    let ids = this.model.tokenize(text, parse_special);
    // node-llama-cpp always passes add_special=false to llama.cpp; add what llama.cpp would add (its
    // shouldAppendEosToken also requires a BOS token to exist, a difference no known vocabulary hits).
    if (add_special) {
      const t = this.model.tokens;
      if (this.model.vocabularyType === "wpm") ids = [t.bos, ...ids, t.sep];
      else if (this.model.vocabularyType === "spm" || this.model.vocabularyType === "bpe" ||
               this.model.vocabularyType === "ugm") {
        if (t.shouldPrependBosToken) ids = [t.bos, ...ids];
        if (t.shouldAppendEosToken) ids = [...ids, t.eos];
      }
    }
    return { ids: Array.from(ids) };
  }

  detokenize({ ids, special = false }) {
    return { text: this.model.detokenize(this.checkIds(ids), special) };
  }

  async logprobs({ ids, top = 10, all_positions = false }) {
    this.checkIds(ids);
    checkCount("top", top);
    if (ids.length === 0) throw new Error("logprobs needs at least one id");
    const sequence = await this.freshSequence(ids.length);
    const want = { generateNext: { token: true, probabilities: true, options: { temperature: 0 } } };
    const input = ids.map((id, i) => (all_positions || i === ids.length - 1 ? [id, want] : id));
    const output = await sequence.controlledEvaluate(input);
    const positions = [];
    for (let i = 0; i < ids.length; i++) {
      const probabilities = output[i]?.next?.probabilities;
      if (probabilities) positions.push(topOf(probabilities, top));
      else if (all_positions || i === ids.length - 1) throw new Error(`no distribution at position ${i}`);
    }
    return all_positions ? { positions } : positions[0];
  }

  async greedy({ ids, n = 16 }) {
    this.checkIds(ids);
    checkCount("n", n);
    if (ids.length === 0) throw new Error("greedy needs at least one id");
    const sequence = await this.freshSequence(ids.length + n);
    const generated = [];
    if (n > 0) {
      for await (const token of sequence.evaluate(ids, { temperature: 0, yieldEogToken: true })) {
        generated.push(token);
        if (generated.length >= n) break;
      }
    }
    return { ids: generated };
  }

  async perplexity({ text, chunks = -1 }) {
    if (typeof text !== "string") throw new Error("perplexity needs a text string");
    const nCtx = this.contextOptions.contextSize;
    const tokens = this.tokenize({ text, add_special: true }).ids;
    if (tokens.length < 2 * nCtx)
      throw new Error(`the text tokenizes to ${tokens.length} tokens; a context of ${nCtx} needs ${2 * nCtx}`);
    const maxChunks = Math.floor(tokens.length / nCtx);
    const nChunk = chunks < 0 ? maxChunks : Math.min(chunks, maxChunks);
    const first = Math.floor(nCtx / 2);
    const bos = this.model.tokens.bos;
    const want = { generateNext: { token: true, probabilities: true, options: { temperature: 0 } } };
    let nll = 0, nll2 = 0, count = 0;
    for (let c = 0; c < nChunk; c++) {
      const chunk = tokens.slice(c * nCtx, (c + 1) * nCtx);
      if (this.model.tokens.shouldPrependBosToken) chunk[0] = bos;
      const sequence = await this.freshSequence(nCtx);
      const input = chunk.map((id, j) => (j >= first && j < nCtx - 1 ? [id, want] : id));
      const output = await sequence.controlledEvaluate(input);
      for (let j = first; j < nCtx - 1; j++) {
        const probabilities = output[j]?.next?.probabilities;
        if (!probabilities) throw new Error(`no distribution at position ${j} of chunk ${c}`);
        let total = 0;
        for (const p of probabilities.values()) total += p;
        const p = probabilities.get(tokens[c * nCtx + j + 1]) ?? 0;
        const v = -Math.log(p / total);
        nll += v;
        nll2 += v * v;
      }
      count += nCtx - 1 - first;
    }
    const mean = nll / count, ppl = Math.exp(mean);
    const variance = nll2 / count - mean * mean;
    const error = variance > 0 && count > 1 ? Math.sqrt(variance / (count - 1)) * ppl : 0;
    return { ppl, error, nll: mean, n_ctx: nCtx, chunks: nChunk, scored: count, tokens: tokens.length };
  }

  info() {
    const m = this.model, t = m.tokens, meta = m.fileInfo.metadata;
    return {
      architecture: meta.general?.architecture ?? null,
      name: meta.general?.name ?? null,
      vocab_only: this.vocabOnly,
      tensors: m.fileInfo.tensorInfo?.length ?? 0,
      type: this.vocabOnly ? null : m.typeDescription,
      size: m.size,
      n_vocab: this.nVocab,
      vocab_type: m.vocabularyType,
      tokenizer_model: this.tokenizerModel,
      tokenizer_pre: meta.tokenizer?.ggml?.pre ?? null,
      n_ctx_train: m.trainContextSize,
      n_embd: this.vocabOnly ? null : m.embeddingVectorSize,
      bos: t.bos, eos: t.eos, eot: t.eot, sep: t.sep, nl: t.nl,
      add_bos: t.shouldPrependBosToken, add_eos: t.shouldAppendEosToken,
      chat_template: meta.tokenizer?.chat_template != null,
    };
  }

  async answer(cmd, request) {
    switch (cmd) {
      case "tokenize": return this.tokenize(request);
      case "detokenize": return this.detokenize(request);
      case "logprobs": return this.logprobs(request);
      case "greedy": return this.greedy(request);
      case "info": return this.info();
      case "perplexity": return this.perplexity(request);
      default: throw new Error(`unknown command: ${cmd}`);
    }
  }
}

// The top `k` (0 = all) of a probability map that node-llama-cpp sorts by logit, as log-probabilities.
// llama.cpp's softmax sums in float32 (off by ~1e-4 over a large vocabulary): renormalize in double.
// Equal probabilities are ordered by id, matching llama.cpp's greedy pick of the first maximum.
function topOf(probabilities, k) {
  let total = 0;
  for (const p of probabilities.values()) total += p;
  const entries = [];
  for (const [id, p] of probabilities) {
    if (k > 0 && entries.length >= k && p < entries[entries.length - 1][1]) break;
    entries.push([id, p]);
  }
  entries.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const top = entries.slice(0, k > 0 ? k : entries.length)
    .map(([id, p]) => ({ id, logprob: p > 0 ? Math.log(p / total) : null }));
  const margin = top.length >= 2 && top[1].logprob != null ? top[0].logprob - top[1].logprob : null;
  return { top, margin };
}

function errorMessage(e) {
  const message = e instanceof Error ? e.message : String(e);
  const log = recentLog.splice(0).filter((line) => line && !message.includes(line));
  return log.length ? `${message} (llama.cpp: ${log.join("; ")})` : message;
}

function checkCount(name, value) {
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  return value;
}

const intOption = (name, value) => checkCount(name, Number(value));

function requestFromFlags() {
  const ids = opts.ids === undefined ? undefined
    : opts.ids.trim() === "" ? [] : opts.ids.split(",").map((s) => Number(s.trim()));
  const text = opts["text-file"] !== undefined ? fs.readFileSync(opts["text-file"], "utf8") : opts.text;
  return {
    text, ids, top: intOption("top", opts.top), n: intOption("n", opts.n), special: opts.special,
    chunks: Number(opts.chunks),
    add_special: opts["add-special"], parse_special: opts["parse-special"], all_positions: opts["all-positions"],
  };
}

async function serve(oracle) {
  for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line.trim() === "") continue;
    let request = {};
    try {
      request = JSON.parse(line);
      const response = await oracle.answer(request.cmd, request);
      writeJson(request.id !== undefined ? { id: request.id, ...response } : response);
    } catch (e) {
      const response = { error: errorMessage(e) };
      writeJson(request?.id !== undefined ? { id: request.id, ...response } : response);
    }
  }
}

const COMMANDS = ["tokenize", "detokenize", "logprobs", "greedy", "info", "perplexity", "serve"];

async function main() {
  let oracle;
  try {
    const { positionals: [cmd], values } = parseFlags();
    opts = values;
    if (!COMMANDS.includes(cmd)) throw new Error(`usage: oracle.mjs <${COMMANDS.join("|")}> --model F ...`);
    if (!opts.model) throw new Error("--model is required");
    const request = cmd === "serve" ? null : requestFromFlags();
    oracle = await Oracle.open(opts.model, {
      ctx: intOption("ctx", opts.ctx), threads: intOption("threads", opts.threads), flashAttn: opts["flash-attn"], kvType: opts["kv-type"],
    });
    if (cmd === "serve") await serve(oracle);
    else writeJson(await oracle.answer(cmd, request));
  } catch (e) {
    writeJson({ error: errorMessage(e) });
    process.exitCode = 1;
  } finally {
    await oracle?.dispose();
  }
  await new Promise((resolve) => process.stdout.write("", resolve));
  process.exit();
}

await main();

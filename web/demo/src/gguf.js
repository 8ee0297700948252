// gguf.js: reads the header of a GGUF file (metadata and tensor table) from a Blob, for the page's
// model details (like `chord info`) and for early, clear errors (not a GGUF, an architecture or a
// weight type the engine cannot run) before any weights are read. Not a loader: the engine reads the
// weights itself.

const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian

// ggml tensor types (ggml.h) by id.
const TENSOR_TYPES = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1', 10: 'Q2_K',
  11: 'Q3_K', 12: 'Q4_K', 13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 16: 'IQ2_XXS', 17: 'IQ2_XS',
  18: 'IQ3_XXS', 19: 'IQ1_S', 20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S', 23: 'IQ4_XS', 24: 'I8',
  25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64', 29: 'IQ1_M', 30: 'BF16', 34: 'TQ1_0', 35: 'TQ2_0',
};

// general.file_type (llama_ftype) by id.
const FILE_TYPES = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 7: 'Q8_0', 8: 'Q5_0', 9: 'Q5_1', 10: 'Q2_K',
  11: 'Q3_K_S', 12: 'Q3_K_M', 13: 'Q3_K_L', 14: 'Q4_K_S', 15: 'Q4_K_M', 16: 'Q5_K_S', 17: 'Q5_K_M',
  18: 'Q6_K', 19: 'IQ2_XXS', 20: 'IQ2_XS', 21: 'Q2_K_S', 22: 'IQ3_XS', 23: 'IQ3_XXS', 24: 'IQ1_S',
  25: 'IQ4_NL', 26: 'IQ3_S', 27: 'IQ3_M', 28: 'IQ2_S', 29: 'IQ2_M', 30: 'IQ4_XS', 31: 'IQ1_M',
  32: 'BF16',
};

// What wasm-chord runs (README: supported architectures and block formats).
export const SUPPORTED_ARCHITECTURES = ['llama', 'qwen2', 'qwen3'];
export const SUPPORTED_TENSOR_TYPES = [
  'F32', 'F16', 'BF16', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K',
  'Q6_K', 'IQ4_NL', 'IQ4_XS',
];

export class GgufError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

class NeedMore extends Error {}

class Reader {
  constructor(buffer) {
    this.view = new DataView(buffer);
    this.bytes = new Uint8Array(buffer);
    this.pos = 0;
    this.decoder = new TextDecoder();
  }
  need(n) {
    if (this.pos + n > this.bytes.length) throw new NeedMore();
  }
  u8() { this.need(1); return this.view.getUint8(this.pos++); }
  u32() { this.need(4); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  i32() { this.need(4); const v = this.view.getInt32(this.pos, true); this.pos += 4; return v; }
  u64() {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufError('format', 'a size in the file is implausibly large');
    return Number(v);
  }
  str() {
    const n = this.u64();
    if (n > 1 << 26) throw new GgufError('format', 'a string in the file is implausibly long');
    this.need(n);
    const s = this.decoder.decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  skip(n) { this.need(n); this.pos += n; }
}

const SCALAR_SIZE = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

function readScalar(r, type) {
  const v = r.view;
  const p = r.pos;
  r.need(SCALAR_SIZE[type]);
  r.pos += SCALAR_SIZE[type];
  switch (type) {
    case 0: return v.getUint8(p);
    case 1: return v.getInt8(p);
    case 2: return v.getUint16(p, true);
    case 3: return v.getInt16(p, true);
    case 4: return v.getUint32(p, true);
    case 5: return v.getInt32(p, true);
    case 6: return v.getFloat32(p, true);
    case 7: return v.getUint8(p) !== 0;
    case 10: return Number(v.getBigUint64(p, true));
    case 11: return Number(v.getBigInt64(p, true));
    case 12: return v.getFloat64(p, true);
  }
  throw new GgufError('format', `unknown metadata value type ${type}`);
}

// Arrays keep their length and first few elements (vocabularies are large; the page needs neither).
function readValue(r, type) {
  if (type === 8) return r.str();
  if (type !== 9) return readScalar(r, type);
  const elemType = r.u32();
  const n = r.u64();
  const head = [];
  if (elemType === 8) {
    for (let i = 0; i < n; i++) {
      const s = r.str();
      if (i < 8) head.push(s);
    }
  } else if (elemType in SCALAR_SIZE) {
    const keep = Math.min(n, 8);
    for (let i = 0; i < keep; i++) head.push(readScalar(r, elemType));
    r.skip((n - keep) * SCALAR_SIZE[elemType]);
  } else {
    throw new GgufError('format', `unsupported metadata array type ${elemType}`);
  }
  return { array: true, elemType, length: n, head };
}

function parse(buffer) {
  const r = new Reader(buffer);
  if (r.bytes.length < 4 || r.u32() !== GGUF_MAGIC) {
    throw new GgufError('format', 'This is not a GGUF file (it does not start with "GGUF"). ' +
      'wasm-chord runs models in llama.cpp\'s GGUF format.');
  }
  const version = r.u32();
  if (version < 2 || version > 3) throw new GgufError('format', `GGUF version ${version} is not supported (2 and 3 are).`);
  const nTensors = r.u64();
  const nKv = r.u64();
  const metadata = new Map();
  for (let i = 0; i < nKv; i++) {
    const key = r.str();
    const type = r.u32();
    metadata.set(key, readValue(r, type));
  }
  const tensors = [];
  for (let i = 0; i < nTensors; i++) {
    const name = r.str();
    const nDims = r.u32();
    if (nDims > 4) throw new GgufError('format', `tensor ${name} has ${nDims} dimensions`);
    const dims = [];
    for (let d = 0; d < nDims; d++) dims.push(r.u64());
    const type = r.u32();
    r.u64(); // offset
    tensors.push({ name, dims, type: TENSOR_TYPES[type] ?? `type ${type}` });
  }
  return { version, metadata, tensors };
}

// Parses the header, reading more of the blob while it is longer than what was read.
export async function readGgufHeader(blob) {
  let size = Math.min(blob.size, 4 << 20);
  for (;;) {
    const buffer = await blob.slice(0, size).arrayBuffer();
    try {
      return summarize(parse(buffer), blob.size);
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
      if (size >= blob.size) throw new GgufError('format', 'The GGUF file is truncated (its header runs past the end).');
      size = Math.min(blob.size, size * 4);
    }
  }
}

function summarize({ version, metadata, tensors }, fileSize) {
  const get = (k) => metadata.get(k);
  const arch = get('general.architecture') ?? '';
  const a = (k) => get(`${arch}.${k}`);
  const typeCounts = {};
  let params = 0;
  for (const t of tensors) {
    typeCounts[t.type] = (typeCounts[t.type] ?? 0) + 1;
    params += t.dims.reduce((x, y) => x * y, 1);
  }
  const tokens = get('tokenizer.ggml.tokens');
  const fileType = get('general.file_type');
  return {
    version,
    fileSize,
    architecture: arch,
    name: get('general.name') ?? '',
    fileType: fileType === undefined ? '' : (FILE_TYPES[fileType] ?? `type ${fileType}`),
    parameters: params,
    tensorCount: tensors.length,
    tensorTypes: typeCounts,
    contextLength: a('context_length'),
    embeddingLength: a('embedding_length'),
    layers: a('block_count'),
    heads: a('attention.head_count'),
    kvHeads: a('attention.head_count_kv'),
    feedForward: a('feed_forward_length'),
    vocabSize: tokens?.length ?? a('vocab_size'),
    tokenizer: get('tokenizer.ggml.model') ?? '',
    chatTemplate: typeof get('tokenizer.chat_template') === 'string',
    metadataKeys: metadata.size,
  };
}

// Why the engine cannot run this file, or null.
export function unsupportedReason(h) {
  if (!SUPPORTED_ARCHITECTURES.includes(h.architecture)) {
    return `Unsupported architecture "${h.architecture || 'none'}": wasm-chord runs ${SUPPORTED_ARCHITECTURES.join(', ')} models (Llama 2/3, TinyLlama, Mistral, SmolLM, Qwen2, Qwen3).`;
  }
  const bad = Object.keys(h.tensorTypes).filter((t) => !SUPPORTED_TENSOR_TYPES.includes(t));
  if (bad.length) return `Unsupported weight type ${bad.join(', ')}: wasm-chord runs ${SUPPORTED_TENSOR_TYPES.join(', ')}.`;
  return null;
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let u = -1;
  do { n /= 1024; u++; } while (n >= 1024 && u < units.length - 1);
  return `${n.toFixed(n < 10 ? 2 : 1)} ${units[u]}`;
}

export function formatCount(n) {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

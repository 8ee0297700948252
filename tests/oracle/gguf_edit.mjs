// Test helper: a copy of a tensor-less GGUF (a vocabulary file) with one string metadata value set,
// so the same vocabulary can be tried under other tokenizer settings (e.g. tokenizer.ggml.pre) by
// both llama.cpp and wasm-chord. GGUF v2/v3 only; files with tensors are refused.
//   import { withStringValue } from "./gguf_edit.mjs"; withStringValue(src, dst, "tokenizer.ggml.pre", "dbrx")
import fs from "node:fs";

const SCALAR_SIZE = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8, ARRAY = 9;

function skipValue(buf, pos, type) {
  if (type in SCALAR_SIZE) return pos + SCALAR_SIZE[type];
  if (type === STRING) return pos + 8 + Number(buf.readBigUInt64LE(pos));
  if (type === ARRAY) {
    const elem = buf.readUInt32LE(pos);
    const count = Number(buf.readBigUInt64LE(pos + 4));
    pos += 12;
    if (elem in SCALAR_SIZE) return pos + count * SCALAR_SIZE[elem];
    for (let i = 0; i < count; i++) pos = skipValue(buf, pos, elem);
    return pos;
  }
  throw new Error(`unknown GGUF value type ${type}`);
}

function stringBytes(s) {
  const body = Buffer.from(s, "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(body.length));
  return Buffer.concat([len, body]);
}

export function withStringValue(src, dst, key, value) {
  const buf = fs.readFileSync(src);
  if (buf.toString("latin1", 0, 4) !== "GGUF") throw new Error(`${src}: not a GGUF file`);
  const version = buf.readUInt32LE(4);
  if (version < 2) throw new Error(`${src}: GGUF v${version} is not supported`);
  if (buf.readBigUInt64LE(8) !== 0n) throw new Error(`${src}: has tensors`);
  let nKv = Number(buf.readBigUInt64LE(16));
  const parts = [];
  let pos = 24;
  let found = false;
  for (let i = 0; i < nKv; i++) {
    const start = pos;
    const keyLen = Number(buf.readBigUInt64LE(pos));
    const name = buf.toString("utf8", pos + 8, pos + 8 + keyLen);
    pos += 8 + keyLen;
    const type = buf.readUInt32LE(pos);
    pos = skipValue(buf, pos + 4, type);
    if (name === key) {
      found = true;
      const t = Buffer.alloc(4);
      t.writeUInt32LE(STRING);
      parts.push(stringBytes(key), t, stringBytes(value));
    } else {
      parts.push(buf.subarray(start, pos));
    }
  }
  if (!found) {
    const t = Buffer.alloc(4);
    t.writeUInt32LE(STRING);
    parts.push(stringBytes(key), t, stringBytes(value));
    nKv++;
  }
  const header = Buffer.from(buf.subarray(0, 24));
  header.writeBigUInt64LE(BigInt(nKv), 16);
  let body = Buffer.concat([header, ...parts]);
  const pad = (32 - (body.length % 32)) % 32;
  body = Buffer.concat([body, Buffer.alloc(pad)]);
  fs.writeFileSync(dst, body);
}

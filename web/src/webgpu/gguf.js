// A GGUF reader for the WebGPU engine: metadata, tensor infos and views of tensor data, from one
// Uint8Array or from consecutive chunks (a model bigger than one ArrayBuffer, or the wasm heap's
// pieces). Nothing is copied except where a requested range crosses two chunks.

export const GgmlType = Object.freeze({
    F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, Q4_K: 12, Q5_K: 13, Q6_K: 14, BF16: 30,
});

// [elements per block, bytes per block] of the types the WebGPU backend computes with.
export const TYPE_BLOCKS = Object.freeze({
    0: [1, 4], 1: [1, 2], 2: [32, 18], 8: [32, 34], 12: [256, 144], 13: [256, 176], 14: [256, 210], 30: [1, 2],
});
export const TYPE_NAMES = Object.freeze({
    0: 'f32', 1: 'f16', 2: 'q4_0', 8: 'q8_0', 12: 'q4_K', 13: 'q5_K', 14: 'q6_K', 30: 'bf16',
});

export class ByteSource {
    constructor(src) {
        const chunks = Array.isArray(src) ? src : [src];
        this.chunks = chunks.map((c) => (c instanceof Uint8Array ? c : new Uint8Array(c.buffer ?? c, c.byteOffset ?? 0, c.byteLength)));
        this.starts = [];
        let off = 0;
        for (const c of this.chunks) {
            this.starts.push(off);
            off += c.byteLength;
        }
        this.size = off;
    }

    // Bytes [off, off + len): a view when inside one chunk, else a copy.
    bytes(off, len) {
        if (off < 0 || len < 0 || off + len > this.size) throw new Error(`GGUF: read of ${len} bytes at ${off} is past the end (${this.size} bytes)`);
        let i = this.chunkIndex(off);
        const c = this.chunks[i];
        const local = off - this.starts[i];
        if (local + len <= c.byteLength) return c.subarray(local, local + len);
        const out = new Uint8Array(len);
        let done = 0;
        while (done < len) {
            const ch = this.chunks[i];
            const lo = off + done - this.starts[i];
            const n = Math.min(len - done, ch.byteLength - lo);
            out.set(ch.subarray(lo, lo + n), done);
            done += n;
            ++i;
        }
        return out;
    }

    chunkIndex(off) {
        let lo = 0, hi = this.starts.length - 1;
        while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (this.starts[mid] <= off) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }
}

class Cursor {
    constructor(src) {
        this.src = src;
        this.pos = 0;
    }
    view(n) {
        const b = this.src.bytes(this.pos, n);
        this.pos += n;
        return new DataView(b.buffer, b.byteOffset, n);
    }
    u8() { return this.view(1).getUint8(0); }
    i8() { return this.view(1).getInt8(0); }
    u16() { return this.view(2).getUint16(0, true); }
    i16() { return this.view(2).getInt16(0, true); }
    u32() { return this.view(4).getUint32(0, true); }
    i32() { return this.view(4).getInt32(0, true); }
    f32() { return this.view(4).getFloat32(0, true); }
    f64() { return this.view(8).getFloat64(0, true); }
    u64() {
        const v = this.view(8).getBigUint64(0, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('GGUF: a 64-bit value is too large');
        return Number(v);
    }
    i64() { return Number(this.view(8).getBigInt64(0, true)); }
    str() {
        const n = this.u64();
        return new TextDecoder().decode(this.src.bytes((this.pos += n) - n, n));
    }
    skipStr() {
        const n = this.u64();
        this.pos += n;
    }
}

function readValue(c, type, keepStrings) {
    switch (type) {
        case 0: return c.u8();
        case 1: return c.i8();
        case 2: return c.u16();
        case 3: return c.i16();
        case 4: return c.u32();
        case 5: return c.i32();
        case 6: return c.f32();
        case 7: return c.u8() !== 0;
        case 8: return c.str();
        case 10: return c.u64();
        case 11: return c.i64();
        case 12: return c.f64();
        case 9: {
            const et = c.u32();
            const n = c.u64();
            if (et === 8 && !keepStrings) {
                for (let i = 0; i < n; ++i) c.skipStr();
                return { array: true, length: n, type: et };
            }
            const size = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 }[et];
            if (size !== undefined && n > 4096) {  // a large numeric array (token scores, types): skipped
                c.pos += size * n;
                return { array: true, length: n, type: et };
            }
            const vals = [];
            for (let i = 0; i < n; ++i) vals.push(readValue(c, et, keepStrings));
            return vals;
        }
        default:
            throw new Error(`GGUF: unknown metadata value type ${type}`);
    }
}

// Parses the header: { meta: Map, tensors: Map(name -> {name, type, ne, offset, size}), source }.
export function parseGguf(input) {
    const src = input instanceof ByteSource ? input : new ByteSource(input);
    const c = new Cursor(src);
    if (c.u32() !== 0x46554747) throw new Error('not a GGUF file (bad magic)');
    const version = c.u32();
    if (version < 2 || version > 3) throw new Error(`GGUF version ${version} is not supported`);
    const nTensors = c.u64();
    const nKv = c.u64();
    const meta = new Map();
    for (let i = 0; i < nKv; ++i) {
        const key = c.str();
        const type = c.u32();
        meta.set(key, readValue(c, type, false));
    }
    const infos = [];
    for (let i = 0; i < nTensors; ++i) {
        const name = c.str();
        const nDims = c.u32();
        const ne = [];
        for (let d = 0; d < nDims; ++d) ne.push(c.u64());
        const type = c.u32();
        const offset = c.u64();
        infos.push({ name, ne, type, offset });
    }
    const align = meta.get('general.alignment') ?? 32;
    const dataStart = Math.ceil(c.pos / align) * align;
    const tensors = new Map();
    for (const t of infos) {
        const blocks = TYPE_BLOCKS[t.type];
        const nEl = t.ne.reduce((a, b) => a * b, 1);
        t.size = blocks ? (nEl / blocks[0]) * blocks[1] : 0;
        t.offset += dataStart;
        tensors.set(t.name, t);
    }
    return { meta, tensors, source: src };
}

// The bytes of a tensor (or of rows [r0, r1) of a 2-D one).
export function tensorBytes(gguf, t, r0 = 0, r1 = null) {
    if (r1 === null) return gguf.source.bytes(t.offset, t.size);
    const rowBytes = t.size / (t.ne[1] ?? 1);
    return gguf.source.bytes(t.offset + r0 * rowBytes, (r1 - r0) * rowBytes);
}

// A 1-D tensor (norm weights, biases) as F32.
export function tensorF32(gguf, t) {
    const b = tensorBytes(gguf, t);
    const n = t.ne.reduce((a, x) => a * x, 1);
    const out = new Float32Array(n);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (t.type === GgmlType.F32) for (let i = 0; i < n; ++i) out[i] = dv.getFloat32(4 * i, true);
    else if (t.type === GgmlType.F16) for (let i = 0; i < n; ++i) out[i] = f16ToF32(dv.getUint16(2 * i, true));
    else if (t.type === GgmlType.BF16) {
        const u = new Uint32Array(1), f = new Float32Array(u.buffer);
        for (let i = 0; i < n; ++i) {
            u[0] = dv.getUint16(2 * i, true) << 16;
            out[i] = f[0];
        }
    } else throw new Error(`tensor '${t.name}' is a vector of type ${TYPE_NAMES[t.type] ?? t.type} (expected f32/f16/bf16)`);
    return out;
}

export function f16ToF32(h) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) return s * m * 2 ** -24;
    if (e === 31) return m ? NaN : s * Infinity;
    return s * (1 + m / 1024) * 2 ** (e - 15);
}

// The WebGPU ops: pipelines built once from the WGSL in shaders.js, and "dispatches" (pipeline + bind
// group + workgroup count as a function of the batch's token count) that are created once and encoded
// into a compute pass for every forward pass. Both the engine and the op-parity tests use this.
import { SHADERS } from './shaders.js';
import { GgmlType, TYPE_BLOCKS } from './gguf.js';

const DEQ = {
    [GgmlType.F32]: 'deq_f32', [GgmlType.F16]: 'deq_f16', [GgmlType.Q4_0]: 'deq_q4_0', [GgmlType.Q8_0]: 'deq_q8_0',
    [GgmlType.Q4_K]: 'deq_q4_k', [GgmlType.Q5_K]: 'deq_q5_k', [GgmlType.Q6_K]: 'deq_q6_k',
};
export const GPU_TYPES = Object.keys(DEQ).map(Number);

const U = 'uniform', R = 'read-only-storage', S = 'storage';
const LAYOUTS = {
    matmul: [U, R, R, S, U],
    matmul_norm: [U, R, R, S, U, R],
    get_rows: [U, R, R, S, U],
    rmsnorm: [U, R, R, S, U],
    rope_store: [U, S, R, S, S, R, U],
    attention: [U, R, R, R, S, R, U],
    attention_combine: [U, R, S, U],
    eltwise: [U, S, R, U],
};

const MAX_GROUPS = 65535;
// A workgroup count too large for one dimension, split over two (shaders flatten it back).
export function grid(n) {
    if (n <= MAX_GROUPS) return [Math.max(n, 1), 1];
    return [MAX_GROUPS, Math.ceil(n / MAX_GROUPS)];
}

export class Ops {
    // options: { f16: use the shader-f16 variants, matmulWG: threads per matmul workgroup (64), rolled,
    // pipelines: a Map shared between Ops of one device }
    constructor(device, options = {}) {
        this.device = device;
        this.f16 = !!options.f16;
        this.matmulWG = options.matmulWG ?? 64;
        // Prompt kernel with a token loop: quicker to compile, for software drivers (lavapipe, SwiftShader).
        this.rolled = !!options.rolled;
        // Barrier-free matrix products (matmul_rows.wgsl) for software adapters.
        this.rowKernels = !!options.rowKernels;
        // Batches of at least this many tokens take the tiled prompt kernel (matmul_tiled.wgsl, 64 rows x
        // 64 tokens per workgroup), smaller ones matmul_multi.wgsl (8 x 8): on an H200 the tiled kernel
        // was slower at 16 tokens (a 64-token tile mostly empty, few workgroups), faster from 32 on.
        // Infinity: never tiled.
        this.tiledMin = options.tiledMin ?? 32;
        this.prefillT = 8;
        this.layouts = {};
        this.pipelines = options.pipelines ?? new Map();  // may be shared between Ops of one device
        this.paramBytes = [];
        this.paramSize = 0;
        this.paramBuffer = null;
        this.paramSlots = [];
        this.buffers = [];
    }

    layout(kind) {
        if (!this.layouts[kind]) {
            const bgl = this.device.createBindGroupLayout({
                entries: LAYOUTS[kind].map((type, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } })),
            });
            this.layouts[kind] = { bgl, pl: this.device.createPipelineLayout({ bindGroupLayouts: [bgl] }) };
        }
        return this.layouts[kind];
    }

    source(parts) {
        const half = this.f16 ? SHADERS.half_f16 : SHADERS.half_f32;
        return [half, SHADERS.common, ...parts.map((p) => SHADERS[p])].join('\n');
    }

    pipeline(kind, parts, entryPoint = 'main', constants = {}) {
        const key = `${kind}|${parts.join(',')}|${entryPoint}|${JSON.stringify(constants)}`;
        let p = this.pipelines.get(key);
        if (!p) {
            const module = this.device.createShaderModule({ code: this.source(parts), label: key });
            p = this.device.createComputePipeline({
                label: key,
                layout: this.layout(kind).pl,
                compute: { module, entryPoint, constants },
            });
            this.pipelines.set(key, p);
        }
        return p;
    }

    // Checks every shader compiles (errors come back as a rejected promise with the compiler's message).
    async compileAll(types = GPU_TYPES) {
        this.device.pushErrorScope('validation');
        for (const t of types) {
            this.matmulPipeline(t, 1);
            for (const multi of [false, true, 'rows', 'tiled']) this.matvecPipeline(t, { multi });
            this.matvecPipeline(t, { norm: true });
            for (const multi of [false, true, 'tiled']) this.matvecPipeline(t, { multi, swigluOut: true });
            this.pipeline('get_rows', ['bytes', DEQ[t], 'get_rows']);
        }
        this.pipeline('rmsnorm', ['rmsnorm']);
        for (const KV32 of [0, 1]) {
            this.pipeline('rope_store', ['rope_store'], 'main', { KV32 });
            this.pipeline('attention', ['attention'], 'main', { KV32 });
            this.pipeline('attention', ['attention'], 'main', { KV32, SPLIT: 1 });
        }
        this.pipeline('attention_combine', ['attention_combine'], 'main', { N_SPLIT: 8 });
        for (const e of ['swiglu', 'swiglu_fused', 'add', 'add_bias']) this.pipeline('eltwise', ['eltwise'], e);
        const err = await this.device.popErrorScope();
        if (err) throw new Error(`WebGPU shader compilation failed: ${err.message}`);
    }

    // The decode kernel (cols a multiple of 32): matvec.wgsl with the type's dot_chunk; multi: the
    // prompt kernel (matmul_multi.wgsl), 'tiled': the tiled prompt kernel (matmul_tiled.wgsl), 'rows':
    // the barrier-free one (matmul_rows.wgsl); norm: x is
    // the residual stream, RMS-normalized as it is read (x_rmsnorm.wgsl; decode kernel only);
    // swigluOut: gate|up rows interleaved in fours, silu(gate) * up written (matvec_io.wgsl).
    matvecPipeline(type, { multi = false, norm = false, swigluOut = false } = {}) {
        const parts = {
            [GgmlType.F32]: ['dot_f32'], [GgmlType.F16]: ['dot_f16'], [GgmlType.Q4_0]: ['bytes', 'dot_q4_0'],
            [GgmlType.Q8_0]: ['bytes', 'dot_q8_0'], [GgmlType.Q4_K]: ['bytes', 'deq_q4_k', 'dot_q4_k'],
            [GgmlType.Q5_K]: ['bytes', 'deq_q5_k', 'dot_q5_k'], [GgmlType.Q6_K]: ['bytes', 'deq_q6_k', 'dot_q6_k'],
        }[type];
        const c = {};
        if (swigluOut) c.SWIGLU_OUT = 1;
        if (multi) c.ROLLED = this.rolled ? 1 : 0;
        if (multi === 'tiled') {
            const t = { SWIGLU_OUT: swigluOut ? 1 : 0, XH: type === GgmlType.F16 ? 1 : 0 };
            return this.pipeline('matmul', ['bytes', DEQ[type], 'x_plain', 'matvec_io', 'matmul_tiled'], 'main', t);
        }
        if (multi === 'rows') return this.pipeline('matmul', [...parts, 'x_plain', 'matvec_io', 'matmul_rows']);
        if (norm) return this.pipeline('matmul_norm', [...parts, 'x_rmsnorm', 'matvec_io', 'matvec'], 'main', c);
        return this.pipeline('matmul', [...parts, 'x_plain', 'matvec_io', multi ? 'matmul_multi' : 'matvec'], 'main', c);
    }

    matmulPipeline(type, T) {
        if (!DEQ[type]) throw new Error(`the WebGPU backend has no kernels for ggml type ${type}`);
        const c = { WG: T === 1 ? this.matmulWG : 64, T, XH: type === GgmlType.F16 ? 1 : 0 };
        return this.pipeline('matmul', ['bytes', DEQ[type], 'matmul'], 'main', c);
    }

    // ---------------------------------------------------------------- buffers and parameters

    storage(size, label, extraUsage = 0) {
        const b = this.device.createBuffer({
            label,
            size: Math.max(16, Math.ceil(size / 4) * 4),
            usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | extraUsage,
        });
        this.buffers.push(b);
        return b;
    }

    // A storage buffer holding `bytes` (+ 4 spare bytes, so 2-byte-aligned word reads stay inside).
    upload(bytes, label) {
        const size = Math.ceil((bytes.byteLength + 4) / 4) * 4;
        const b = this.device.createBuffer({ label, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, mappedAtCreation: true });
        new Uint8Array(b.getMappedRange()).set(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        b.unmap();
        this.buffers.push(b);
        return b;
    }

    uniform(size = 16, label) {
        const b = this.device.createBuffer({ label, size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
        this.buffers.push(b);
        return b;
    }

    // A parameter block in the shared uniform arena: values are u32, or f32 when given as {f: x}.
    param(values) {
        const slot = { offset: this.paramSize, size: Math.max(16, Math.ceil(values.length / 4) * 16) };
        const ab = new ArrayBuffer(slot.size);
        const u = new Uint32Array(ab), f = new Float32Array(ab);
        values.forEach((v, i) => {
            if (typeof v === 'object') f[i] = v.f;
            else u[i] = v >>> 0;
        });
        this.paramBytes.push([slot.offset, new Uint8Array(ab)]);
        this.paramSize += Math.ceil(slot.size / 256) * 256;
        this.paramSlots.push(slot);
        return slot;
    }

    // Uploads the parameter arena and creates the bind groups; call after the last dispatch is made.
    finalize() {
        const size = Math.max(256, this.paramSize);
        this.paramBuffer = this.device.createBuffer({ label: 'params', size, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
        const all = new Uint8Array(this.paramBuffer.getMappedRange());
        for (const [off, bytes] of this.paramBytes) all.set(bytes, off);
        this.paramBuffer.unmap();
        this.buffers.push(this.paramBuffer);
        for (const d of this.pending ?? []) d.bind();
        this.pending = [];
    }

    dispatch(kind, pipelines, param, buffers, groups) {
        const d = { kind, pipelines, groups, bindGroup: null };
        d.bind = () => {
            const entries = [{ binding: 0, resource: { buffer: this.paramBuffer, offset: param.offset, size: param.size } }];
            // A GPUBuffer, or a range of one: { buffer, offset, size }.
            buffers.forEach((b, i) => entries.push({ binding: i + 1, resource: b.buffer ? b : { buffer: b } }));
            d.bindGroup = this.device.createBindGroup({ layout: this.layout(kind).bgl, entries });
        };
        (this.pending ??= []).push(d);
        return d;
    }

    // ---------------------------------------------------------------- ops

    // w: { buffer, type, rows (in this part), cols, rowBytes, row0 }; y[t * yStride + row0 + r] (+)= ...
    // swigluOut: w's rows are gate and up interleaved in groups of 4 (canSwigluOut(w)) and y gets
    // silu(gate) * up: w.rows / 2 outputs per token, w.row0 / 2 the first.
    matmul(w, x, y, { xStride = w.cols, yStride = w.rows, acc = false, swigluOut = false, dyn }) {
        const nChunks = Math.ceil(w.cols / 32);
        if (swigluOut) {
            if (!this.canSwigluOut(w)) throw new Error('this matrix cannot write a fused SwiGLU');
            const p = this.param([w.rows, w.cols, w.rowBytes, (w.row0 ?? 0) / 2, xStride, yStride, 0, nChunks, { f: 0 }]);
            const pipes = [this.matvecPipeline(w.type, { swigluOut: true }), this.matvecPipeline(w.type, { multi: true, swigluOut: true }),
                this.matvecPipeline(w.type, { multi: 'tiled', swigluOut: true })];
            const rg = w.rows / 8;
            return this.dispatch('matmul', (n) => pipes[this.kernelFor(n)], p, [w.buffer, x, y, dyn], (n) => grid(this.groupsFor(n, w.rows)));
        }
        if (w.type !== GgmlType.F32 && w.type !== GgmlType.F16 && w.cols % TYPE_BLOCKS[w.type][0] !== 0)
            throw new Error(`matrix columns ${w.cols} are not a multiple of the block size`);
        const p = this.param([w.rows, w.cols, w.rowBytes, w.row0 ?? 0, xStride, yStride, acc ? 1 : 0, nChunks, { f: 0 }]);
        // Decoding: the matvec kernel when the columns allow it (every real model), else T = 1.
        const vec = w.cols % 32 === 0 && !this.genericOnly;
        // Prompts: 8 rows x 8 tokens per workgroup (matmul_multi), else the generic T = 8 kernel.
        // Columns that are not a multiple of 32 (tests only: no model has them) take the generic kernel
        // with one token per workgroup for prompts too.
        if (vec && this.rowKernels) {
            const pipe = this.matvecPipeline(w.type, { multi: 'rows' });
            return this.dispatch('matmul', () => pipe, p, [w.buffer, x, y, dyn], (n) => grid(Math.ceil((w.rows * n) / 64)));
        }
        if (!vec) {
            const pipe = this.matmulPipeline(w.type, 1);
            return this.dispatch('matmul', () => pipe, p, [w.buffer, x, y, dyn], (n) => grid(w.rows * n));
        }
        const pipes = [this.matvecPipeline(w.type), this.matvecPipeline(w.type, { multi: true }), this.matvecPipeline(w.type, { multi: 'tiled' })];
        return this.dispatch('matmul', (n) => pipes[this.kernelFor(n)], p, [w.buffer, x, y, dyn], (n) => grid(this.groupsFor(n, w.rows)));
    }

    // Which kernel a batch of n tokens takes (0: matvec, 1: matmul_multi, 2: matmul_tiled), and its
    // workgroup count for a matrix of `rows` rows.
    kernelFor(n) {
        return n === 1 ? 0 : n >= this.tiledMin ? 2 : 1;
    }
    groupsFor(n, rows) {
        const k = this.kernelFor(n);
        if (k === 2) return Math.ceil(rows / 64) * Math.ceil(n / 64);
        return Math.ceil(rows / 8) * (k === 0 ? 1 : Math.ceil(n / 8));
    }

    // Whether interleaved gate|up parts like w can write SwiGLU directly (GPU kernels, 8-row groups).
    canSwigluOut(w) {
        return w.cols % 32 === 0 && w.rows % 8 === 0 && (w.row0 ?? 0) % 8 === 0 && !this.genericOnly && !this.rowKernels;
    }

    // Decoding only (one token): y (+)= (rmsnorm(x) * nw) · Wᵀ, the norm computed by every workgroup of
    // the product instead of a dispatch of its own; x (1, cols) is the residual stream. Only where
    // canFuseNorm(w): GPU adapters (software ones run the barrier-free kernels) and cols a multiple of 32.
    matvecNorm(w, x, nw, y, { eps, yStride = w.rows, acc = false, dyn }) {
        if (!this.canFuseNorm(w)) throw new Error('this matrix cannot take a fused norm');
        const p = this.param([w.rows, w.cols, w.rowBytes, w.row0 ?? 0, w.cols, yStride, acc ? 1 : 0, Math.ceil(w.cols / 32), { f: eps }]);
        const pipe = this.matvecPipeline(w.type, { norm: true });
        return this.dispatch('matmul_norm', () => pipe, p, [w.buffer, x, y, dyn, nw], () => grid(Math.ceil(w.rows / 8)));
    }

    canFuseNorm(w) {
        return w.cols % 32 === 0 && !this.genericOnly && !this.rowKernels;
    }

    // table part as in matmul; out (n, cols)
    getRows(w, ids, out, { dyn }) {
        const nChunks = Math.ceil(w.cols / 32);
        const p = this.param([w.rows, w.cols, w.rowBytes, w.row0 ?? 0, nChunks]);
        const pipe = this.pipeline('get_rows', ['bytes', DEQ[w.type], 'get_rows']);
        return this.dispatch('get_rows', () => pipe, p, [w.buffer, ids, out, dyn], (n) => grid(Math.ceil((n * nChunks) / 64)));
    }

    rmsnorm(x, weight, y, { dim, eps, xOff = 0, xStride = dim, dyn }) {
        const p = this.param([dim, { f: eps }, xOff, xStride]);
        const pipe = this.pipeline('rmsnorm', ['rmsnorm']);
        return this.dispatch('rmsnorm', () => pipe, p, [x, weight, y, dyn], (n) => [n, 1]);
    }

    // RoPE of the q and k heads of a fused q|k|v buffer x (rows `stride` apart) and the store of k and v
    // into one layer's cache (kc, vc: fp16 pairs, or f32 when kv32) at each token's position.
    // cs: (n_tokens, half) vec2 (cos, sin). kvDim 0: rotate nHeads heads only (kc, vc unused).
    ropeStore(x, cs, kc, vc, pos, { nHeads, headDim, half, neox, stride, kOff = 0, vOff = 0, kvDim = 0, kv32 = false, dyn }) {
        const p = this.param([nHeads, headDim, half, neox ? 1 : 0, stride, kOff, vOff, kvDim]);
        const pipe = this.pipeline('rope_store', ['rope_store'], 'main', { KV32: kv32 ? 1 : 0 });
        const perToken = nHeads * half + kvDim;
        return this.dispatch('rope_store', () => pipe, p, [x, cs, kc, vc, pos, dyn], (n) => grid(Math.ceil((n * perToken) / 64)));
    }

    attention(q, kc, vc, out, pos, { nHeads, nKvHeads, headDim, scale, kv32 = false, qStride = nHeads * headDim, dyn }) {
        const p = this.param([nHeads, headDim, nHeads / nKvHeads, (nKvHeads * headDim) / 2, { f: scale }, qStride, 1]);
        const pipe = this.pipeline('attention', ['attention'], 'main', { KV32: kv32 ? 1 : 0 });
        return this.dispatch('attention', () => pipe, p, [q, kc, vc, out, pos, dyn], (n) => grid(n * nHeads));
    }

    // Decoding (one token) with each head's keys split nSplit ways: a dispatch of partial results into
    // `part` (nHeads * nSplit * (headDim + 2) floats) and one that combines them into out. Returns both.
    attentionSplit(q, kc, vc, part, out, pos, { nHeads, nKvHeads, headDim, scale, kv32 = false, qStride = nHeads * headDim, nSplit, dyn }) {
        const p = this.param([nHeads, headDim, nHeads / nKvHeads, (nKvHeads * headDim) / 2, { f: scale }, qStride, nSplit]);
        const pipe = this.pipeline('attention', ['attention'], 'main', { KV32: kv32 ? 1 : 0, SPLIT: 1 });
        const partial = this.dispatch('attention', () => pipe, p, [q, kc, vc, part, pos, dyn], () => grid(nHeads * nSplit));
        if (nSplit > 64) throw new Error('attention splits: at most 64');
        const pc = this.param([nHeads, headDim]);
        const combine = this.pipeline('attention_combine', ['attention_combine'], 'main', { N_SPLIT: nSplit });
        return [partial, this.dispatch('attention_combine', () => combine, pc, [part, out, dyn], () => [nHeads, 1])];
    }

    eltwise(op, a, b, { n, dim = 0, dyn }) {
        const p = this.param([n, dim]);
        const pipe = this.pipeline('eltwise', ['eltwise'], op);
        return this.dispatch('eltwise', () => pipe, p, [a, b, dyn], (t) => grid(Math.ceil((t * n) / 256)));
    }

    // Encodes dispatches for a batch of n tokens into a compute pass. A dispatch with `only` set runs
    // only for decoding (one token: 'decode') or only for prompts ('prompt').
    static encode(pass, dispatches, n) {
        let last = null;
        for (const d of dispatches) {
            const m = d.fixedN ?? n;
            if (d.only && (d.only === 'decode') !== (m === 1)) continue;
            const p = d.pipelines(m);
            if (p !== last) pass.setPipeline(p);
            last = p;
            pass.setBindGroup(0, d.bindGroup);
            const [gx, gy] = d.groups(m);
            pass.dispatchWorkgroups(gx, gy);
        }
    }

    destroy() {
        for (const b of this.buffers) b.destroy();
        this.buffers = [];
    }
}

// WebGpuEngine: the whole Llama-family forward pass on the GPU. Weights are uploaded once, still in
// their GGUF block formats (matrices split by rows into parts within maxStorageBufferBindingSize);
// pipelines, parameter blocks and bind groups are made once; each forward() records one command buffer
// with every layer, submits it and reads the logits back once. Failures to start (no adapter, too small
// limits, an unsupported tensor type) throw WebGpuUnavailable with the reason; a lost device makes the
// next forward() throw one too, so the caller can fall back to the CPU backend.
import { acquireDevice, WebGpuUnavailable } from './device.js';
import { parseGguf, tensorBytes, tensorF32, TYPE_BLOCKS, TYPE_NAMES } from './gguf.js';
import { readHParams } from './hparams.js';
import { Ops, GPU_TYPES } from './ops.js';

export { WebGpuUnavailable };

// The (cos, sin) table RoPE uses, computed as the CPU backend does (float32 steps: theta advanced by
// repeated multiplication, cosf/sinf of the float angle), so both backends rotate by the same values.
export function ropeTable(positions, nRot, base, freqScale, freqFactors = null) {
    const f = Math.fround;
    const half = nRot / 2;
    const thetaScale = f(Math.pow(f(base), f(-2 / nRot)));
    const out = new Float32Array(positions.length * half * 2);
    for (let t = 0; t < positions.length; ++t) {
        let theta = f(positions[t]);
        for (let j = 0; j < half; ++j) {
            const ff = freqFactors ? freqFactors[j] : 1;
            const angle = f(f(freqScale) * f(theta / ff));
            out[2 * (t * half + j)] = Math.cos(angle);
            out[2 * (t * half + j) + 1] = Math.sin(angle);
            theta = f(theta * thetaScale);
        }
    }
    return out;
}

export class WebGpuEngine {
    // source: the GGUF file as a Uint8Array (or ArrayBuffer), or an array of consecutive chunks.
    // options: { nCtx (2048), maxBatch (512), gpu (navigator.gpu), f16 (true: use shader-f16 when
    // offered), timestamps (false: profile GPU time with timestamp queries), matmulWG (64), kvType ('f16'
    // as the CPU backend's default, or 'f32'), rowKernels / rolledPrefill (default: on software adapters),
    // swigluOut (true: the gate|up product writes silu(gate) * up, on GPU kernels), fuseNorm (false: decoding computes RMSNorm inside the next product; slower on an
    // H200), attnSplit (decoding splits each head's keys this many ways; default 8 on GPUs, 1 on
    // software adapters), tiledMin (prompt batches of at least this many tokens take the tiled kernel;
    // default 32, Infinity: never), device + pipelines (share one device and its compiled pipelines) }.
    static async create(source, options = {}) {
        const gguf = parseGguf(source);
        const h = readHParams(gguf.meta);
        const e = new WebGpuEngine();
        e.gguf = gguf;
        e.hparams = h;
        e.nCtx = options.nCtx ?? Math.min(2048, h.nCtxTrain);
        e.kvType = options.kvType ?? 'f16';
        e.swigluOut = options.swigluOut ?? true;
        e.fuseNorm = options.fuseNorm ?? false;
        if (e.kvType !== 'f16' && e.kvType !== 'f32') throw new Error(`kvType '${e.kvType}' (f16 or f32)`);
        e.maxBatch = Math.max(1, Math.min(options.maxBatch ?? 512, e.nCtx));
        // Check the tensor types before asking for a device.
        let maxRow = 0;
        for (const t of gguf.tensors.values()) {
            if (t.ne.length === 2 && t.name !== 'rope_freqs.weight') {
                if (!GPU_TYPES.includes(t.type)) throw new WebGpuUnavailable(`tensor '${t.name}' has type ${TYPE_NAMES[t.type] ?? t.type}, which the WebGPU backend cannot compute`);
                maxRow = Math.max(maxRow, t.size / t.ne[1]);
            }
        }
        // options.device: a device from acquireDevice() to share (with options.pipelines, a Map that
        // engines on that device share compiled pipelines through); else a device of its own.
        const dev = options.device ?? (await acquireDevice({ ...options, minBinding: maxRow + 4 }));
        if (dev.maxBinding < maxRow + 4) throw new WebGpuUnavailable('a weight row exceeds the binding limit');
        e.ownDevice = !options.device;
        e.dev = dev;
        e.device = dev.device;
        e.lost = null;
        dev.lostPromise ??= dev.device.lost;
        dev.lostPromise.then((info) => {
            e.lost = `the WebGPU device was lost: ${info.reason ?? ''} ${info.message ?? ''}`.trim();
        });
        e.attnSplit = Math.max(1, options.attnSplit ?? (dev.software ? 1 : 8));
        e.ops = new Ops(e.device, { f16: dev.f16, matmulWG: options.matmulWG, rolled: options.rolledPrefill ?? dev.software,
            rowKernels: options.rowKernels ?? dev.software, tiledMin: options.tiledMin, pipelines: options.pipelines });
        e.device.pushErrorScope('out-of-memory');
        e.device.pushErrorScope('validation');
        try {
            e.build();
        } catch (err) {
            e.ops.destroy();
            throw new WebGpuUnavailable(`setting up the WebGPU backend failed: ${err.message}`);
        }
        const v = await e.device.popErrorScope();
        const m = await e.device.popErrorScope();
        if (v || m) {
            e.destroy();
            throw new WebGpuUnavailable(`setting up the WebGPU backend failed: ${(v ?? m).message}`);
        }
        e.checked = new Set();
        e.info = {
            backend: 'webgpu',
            adapter: dev.description,
            shaderF16: dev.f16,
            timestamps: dev.timestamps,
            maxStorageBufferBindingSize: dev.maxBinding,
            weightBytes: e.weightBytes,
            nCtx: e.nCtx,
            kvType: e.kvType,
        };
        e.lastProfile = null;
        e.readTimestamps = true;  // with timestamps: read the pass's GPU time after every forward
        return e;
    }

    // A weight matrix as parts of whole rows, each within the binding limit.
    matrix(name) {
        const t = this.gguf.tensors.get(name);
        if (!t) throw new Error(`missing tensor '${name}'`);
        const rows = t.ne[1], cols = t.ne[0];
        const rowBytes = t.size / rows;
        const perPart = Math.max(1, Math.floor((this.dev.maxBinding - 8) / rowBytes));
        const parts = [];
        for (let r0 = 0; r0 < rows; r0 += perPart) {
            const r1 = Math.min(rows, r0 + perPart);
            const buffer = this.ops.upload(tensorBytes(this.gguf, t, r0, r1), `${name}[${r0}:${r1}]`);
            this.weightBytes += (r1 - r0) * rowBytes;
            parts.push({ buffer, type: t.type, rows: r1 - r0, cols, rowBytes, row0: r0 });
        }
        return parts;
    }

    // Several matrices stacked by rows as one (q|k|v, gate|up): their rows are concatenated at upload
    // when they share a type (one dispatch for all), else each keeps its parts, shifted by row0.
    stacked(names) {
        const ts = names.map((n) => {
            const t = this.gguf.tensors.get(n);
            if (!t) throw new Error(`missing tensor '${n}'`);
            return t;
        });
        if (!ts.every((t) => t.type === ts[0].type && t.ne[0] === ts[0].ne[0])) {
            const parts = [];
            let off = 0;
            for (const t of ts) {
                for (const p of this.matrix(t.name)) parts.push({ ...p, row0: p.row0 + off });
                off += t.ne[1];
            }
            return parts;
        }
        const cols = ts[0].ne[0], rowBytes = ts[0].size / ts[0].ne[1];
        const rows = ts.reduce((a, t) => a + t.ne[1], 0);
        const perPart = Math.max(1, Math.floor((this.dev.maxBinding - 8) / rowBytes));
        const parts = [];
        for (let r0 = 0; r0 < rows; r0 += perPart) {
            const r1 = Math.min(rows, r0 + perPart);
            const bytes = new Uint8Array((r1 - r0) * rowBytes);
            let a = 0;
            for (const t of ts) {
                const b = a + t.ne[1];
                const lo = Math.max(a, r0), hi = Math.min(b, r1);
                if (lo < hi) bytes.set(tensorBytes(this.gguf, t, lo - a, hi - a), (lo - r0) * rowBytes);
                a = b;
            }
            const buffer = this.ops.upload(bytes, `${names.join('|')}[${r0}:${r1}]`);
            this.weightBytes += bytes.byteLength;
            parts.push({ buffer, type: ts[0].type, rows: r1 - r0, cols, rowBytes, row0: r0 });
        }
        return parts;
    }

    // gate and up stacked with their rows interleaved in groups of 4 (g0..g3, u0..u3, g4..), parts of
    // whole groups of 8, for the product that writes silu(gate) * up itself; null where that does not
    // apply (different types or shapes, ffn not a multiple of 4).
    interleavedGateUp(gateName, upName) {
        const g = this.gguf.tensors.get(gateName), u = this.gguf.tensors.get(upName);
        if (!g || !u) throw new Error(`missing tensor '${!g ? gateName : upName}'`);
        if (this.ops.rowKernels || this.ops.genericOnly) return null;
        const rows = g.ne[1], cols = g.ne[0];
        if (u.type !== g.type || u.ne[0] !== cols || u.ne[1] !== rows || rows % 4 !== 0 || cols % 32 !== 0) return null;
        const rowBytes = g.size / rows;
        const perPart = Math.floor((this.dev.maxBinding - 8) / rowBytes / 8) * 8;
        if (perPart < 8) return null;
        const parts = [];
        for (let r0 = 0; r0 < 2 * rows; r0 += perPart) {
            const r1 = Math.min(2 * rows, r0 + perPart);
            const bytes = new Uint8Array((r1 - r0) * rowBytes);
            for (let q = r0; q < r1; q += 4) {  // q: a group of 4 rows, gate or up
                const grp = q >> 3, t = (q >> 2) & 1 ? u : g;
                bytes.set(tensorBytes(this.gguf, t, grp * 4, grp * 4 + 4), (q - r0) * rowBytes);
            }
            const buffer = this.ops.upload(bytes, `${gateName}~${upName}[${r0}:${r1}]`);
            this.weightBytes += bytes.byteLength;
            parts.push({ buffer, type: g.type, rows: r1 - r0, cols, rowBytes, row0: r0 });
        }
        return parts.every((p) => this.ops.canSwigluOut(p)) ? parts : null;
    }

    vector(name, optional = false) {
        const t = this.gguf.tensors.get(name);
        if (!t) {
            if (optional) return null;
            throw new Error(`missing tensor '${name}'`);
        }
        const f = tensorF32(this.gguf, t);
        this.weightBytes += f.byteLength;
        return { gpu: this.ops.upload(f, name), host: f };
    }

    build() {
        const h = this.hparams, ops = this.ops, B = this.maxBatch;
        this.weightBytes = 0;
        const act = (n, label) => ops.storage(B * n * 4, label);
        const qkvDim = h.qDim + 2 * h.kvDim;
        // The batch's token ids, positions and RoPE table share one buffer (one write per forward),
        // bound as three ranges at offsets the adapter allows.
        const align = this.device.limits.minStorageBufferOffsetAlignment ?? 256;
        const up = (b) => Math.ceil(b / align) * align;
        const csBytes = B * (h.nRot / 2) * 8;
        this.tokLayout = { pos: up(B * 4), cs: up(B * 4) + up(B * 4) };
        const tok = ops.storage(this.tokLayout.cs + csBytes, 'ids | positions | rope cos/sin');
        this.tokBuffer = tok;
        this.tokStaging = new ArrayBuffer(this.tokLayout.cs + csBytes);
        const S = (this.s = {
            ids: { buffer: tok, offset: 0, size: B * 4 },
            pos: { buffer: tok, offset: this.tokLayout.pos, size: B * 4 },
            cs: { buffer: tok, offset: this.tokLayout.cs, size: Math.max(16, csBytes) },
            x: act(h.dim, 'x'), xb: act(h.dim, 'xb'),
            qkv: act(h.qDim + 2 * h.kvDim, 'q|k|v'), att: act(h.qDim, 'att'),
            gu: act(2 * h.ffn, 'gate|up'), hb: act(h.ffn, 'hb'),
            logits: ops.storage(h.nVocab * 4, 'logits'),
            dynN: ops.uniform(16, 'n tokens'), dynLast: ops.uniform(16, 'last token'), dynOne: ops.uniform(16, 'one token'),
        });
        this.readback = this.device.createBuffer({ size: h.nVocab * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        ops.buffers.push(this.readback);
        this.device.queue.writeBuffer(S.dynOne, 0, new Uint32Array([1, 0, 0, 0]));

        const tokenEmbd = this.matrix('token_embd.weight');
        const output = this.gguf.tensors.has('output.weight') ? this.matrix('output.weight') : tokenEmbd;
        const outNorm = this.vector('output_norm.weight');
        const ropeFreqs = this.vector('rope_freqs.weight', true);
        this.ropeFreqs = ropeFreqs ? ropeFreqs.host : null;
        const kv32 = this.kvType === 'f32';
        const kvBytes = this.nCtx * h.kvDim * (kv32 ? 4 : 2);
        if (kvBytes + 8 > this.dev.maxBinding) throw new Error(`a layer's KV cache (${kvBytes} bytes) exceeds the binding limit`);

        const D = [];
        const dyn = S.dynN;
        for (const p of tokenEmbd) D.push(ops.getRows(p, S.ids, S.x, { dyn }));
        const mm = (parts, x, y, xStride, yStride, acc = false, dynBuf = dyn) => {
            for (const p of parts) D.push(ops.matmul(p, x, y, { xStride, yStride, acc, dyn: dynBuf }));
        };
        // rmsnorm(x) * nw, then its product with `parts` into y: for prompts a norm dispatch into xb and
        // the product; for decoding (where the adapter allows) the product normalizes x as it reads it.
        const normed = (nw, parts, y, yStride) => {
            const fuse = this.fuseNorm && parts.every((p) => ops.canFuseNorm(p));
            const n0 = D.length;
            D.push(ops.rmsnorm(S.x, nw.gpu, S.xb, { dim: h.dim, eps: h.rmsEps, dyn }));
            mm(parts, S.xb, y, h.dim, yStride);
            if (!fuse) return;
            for (let i = n0; i < D.length; ++i) D[i].only = 'prompt';
            for (const p of parts) {
                const d = ops.matvecNorm(p, S.x, nw.gpu, y, { eps: h.rmsEps, yStride, dyn });
                d.only = 'decode';
                D.push(d);
            }
        };
        // Decoding's split attention: partial results of every head and split (one layer at a time).
        const part = this.attnSplit > 1 ? ops.storage(h.nHeads * this.attnSplit * (h.headDim + 2) * 4, 'attention partials') : null;
        this.kv = [];
        for (let l = 0; l < h.nLayers; ++l) {
            const p = `blk.${l}.`;
            const attnNorm = this.vector(p + 'attn_norm.weight');
            const wqkv = this.stacked([p + 'attn_q.weight', p + 'attn_k.weight', p + 'attn_v.weight']);
            const bq = this.vector(p + 'attn_q.bias', true), bk = this.vector(p + 'attn_k.bias', true), bv = this.vector(p + 'attn_v.bias', true);
            const wo = this.matrix(p + 'attn_output.weight');
            const ffnNorm = this.vector(p + 'ffn_norm.weight');
            // gate|up: interleaved so the product writes silu(gate) * up (GPU kernels), else stacked.
            const wguFused = this.swigluOut ? this.interleavedGateUp(p + 'ffn_gate.weight', p + 'ffn_up.weight') : null;
            const wgu = wguFused ?? this.stacked([p + 'ffn_gate.weight', p + 'ffn_up.weight']);
            const wd = this.matrix(p + 'ffn_down.weight');
            const kc = ops.storage(kvBytes + 4, `k cache ${l}`), vc = ops.storage(kvBytes + 4, `v cache ${l}`);
            this.kv.push([kc, vc]);

            // Per layer: norm, q|k|v, (bias), rope of q and k heads with the KV store, attention, wo (+= x),
            // norm, gate|up, swiglu, down (+= x).
            normed(attnNorm, wqkv, S.qkv, qkvDim);
            if (bq) {
                const b = new Float32Array(qkvDim);
                b.set(bq.host, 0);
                b.set(bk.host, h.qDim);
                b.set(bv.host, h.qDim + h.kvDim);
                D.push(ops.eltwise('add_bias', S.qkv, ops.upload(b, p + 'qkv bias'), { n: qkvDim, dim: qkvDim, dyn }));
            }
            D.push(ops.ropeStore(S.qkv, S.cs, kc, vc, S.pos, {
                nHeads: h.nHeads, headDim: h.headDim, half: h.nRot / 2, neox: h.neox, stride: qkvDim,
                kOff: h.qDim, vOff: h.qDim + h.kvDim, kvDim: h.kvDim, kv32, dyn,
            }));
            const attOpts = {
                nHeads: h.nHeads, nKvHeads: h.nKvHeads, headDim: h.headDim, scale: 1 / Math.sqrt(h.headDim), kv32, qStride: qkvDim, dyn,
            };
            const att = ops.attention(S.qkv, kc, vc, S.att, S.pos, attOpts);
            D.push(att);
            if (part) {
                att.only = 'prompt';
                for (const d of ops.attentionSplit(S.qkv, kc, vc, part, S.att, S.pos, { ...attOpts, nSplit: this.attnSplit })) {
                    d.only = 'decode';
                    D.push(d);
                }
            }
            mm(wo, S.att, S.x, h.qDim, h.dim, true);  // x += attention
            if (wguFused) {
                D.push(ops.rmsnorm(S.x, ffnNorm.gpu, S.xb, { dim: h.dim, eps: h.rmsEps, dyn }));
                for (const part of wguFused) D.push(ops.matmul(part, S.xb, S.hb, { xStride: h.dim, yStride: h.ffn, swigluOut: true, dyn }));
            } else {
                normed(ffnNorm, wgu, S.gu, 2 * h.ffn);
                D.push(ops.eltwise('swiglu_fused', S.hb, S.gu, { n: h.ffn, dyn }));
            }
            mm(wd, S.hb, S.x, h.ffn, h.dim, true);  // x += ffn
        }
        const last = ops.rmsnorm(S.x, outNorm.gpu, S.xb, { dim: h.dim, eps: h.rmsEps, dyn: S.dynLast });
        last.fixedN = 1;
        D.push(last);
        const n0 = D.length;
        mm(output, S.xb, S.logits, h.dim, h.nVocab, false, S.dynOne);
        for (let i = n0; i < D.length; ++i) D[i].fixedN = 1;
        ops.finalize();
        this.dispatches = D;

        if (this.dev.timestamps) {
            this.querySet = this.device.createQuerySet({ type: 'timestamp', count: 2 });
            this.tsResolve = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
            this.tsRead = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
            ops.buffers.push(this.tsResolve, this.tsRead);
        }
    }

    // Evaluates tokens `ids` at `positions` (KV cache cells; each position's earlier cells must hold the
    // sequence's earlier tokens) and returns the next-token logits after the last one (Float32Array).
    async forward(ids, positions) {
        if (this.lost) throw new WebGpuUnavailable(this.lost);
        const n = ids.length;
        if (n === 0 || positions.length !== n) throw new Error('forward: give as many positions as token ids (at least one)');
        for (let i = 0; i < n; ++i) {
            if (ids[i] < 0 || ids[i] >= this.hparams.nVocab) throw new Error(`token id ${ids[i]} is outside the vocabulary (0..${this.hparams.nVocab - 1})`);
            if (positions[i] < 0 || positions[i] >= this.nCtx) throw new Error(`position ${positions[i]} is outside the context of ${this.nCtx}`);
        }
        let logits = null;
        for (let i = 0; i < n; i += this.maxBatch) {
            const j = Math.min(n, i + this.maxBatch);
            logits = await this.forwardBatch(ids.slice(i, j), positions.slice(i, j), j === n);
        }
        return logits;
    }

    encode(n, wantLogits) {
        const enc = this.device.createCommandEncoder();
        const passDesc = this.querySet ? { timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {};
        const pass = enc.beginComputePass(passDesc);
        Ops.encode(pass, this.dispatches, n);
        pass.end();
        if (wantLogits) enc.copyBufferToBuffer(this.s.logits, 0, this.readback, 0, this.hparams.nVocab * 4);
        if (this.querySet) {
            enc.resolveQuerySet(this.querySet, 0, 2, this.tsResolve, 0);
            enc.copyBufferToBuffer(this.tsResolve, 0, this.tsRead, 0, 16);
        }
        return enc.finish();
    }

    async forwardBatch(ids, positions, wantLogits) {
        const h = this.hparams, q = this.device.queue, S = this.s, n = ids.length;
        const t0 = performance.now();
        const L = this.tokLayout, st = this.tokStaging;
        new Int32Array(st, 0, n).set(ids);
        new Int32Array(st, L.pos, n).set(positions);
        const cs = ropeTable(positions, h.nRot, h.ropeBase, h.ropeFreqScale, this.ropeFreqs);
        new Float32Array(st, L.cs, cs.length).set(cs);
        q.writeBuffer(this.tokBuffer, 0, st, 0, L.cs + cs.byteLength);
        if (this.lastN !== n) {  // the batch size, read by every dispatch: written when it changes
            q.writeBuffer(S.dynN, 0, new Uint32Array([n, 0, 0, 0]));
            q.writeBuffer(S.dynLast, 0, new Uint32Array([n, 1, 0, 0]));
            this.lastN = n;
        }
        const check = !this.checked.has(n === 1);
        if (check) {
            this.device.pushErrorScope('validation');
            this.device.pushErrorScope('out-of-memory');
        }
        // A decode step's command buffer does not depend on the token (ids, positions and the RoPE table
        // are written above), so the next one is recorded while the GPU runs this one.
        let cb = n === 1 && wantLogits ? this.nextDecode : null;
        this.nextDecode = null;
        cb ??= this.encode(n, wantLogits);
        q.submit([cb]);
        const t1 = performance.now();
        if (n === 1 && wantLogits) this.nextDecode = this.encode(1, true);
        const t1b = performance.now();
        if (check) {
            const m = await this.device.popErrorScope();
            const v = await this.device.popErrorScope();
            if (v || m) throw new WebGpuUnavailable(`the WebGPU forward pass failed: ${(v ?? m).message}`);
            this.checked.add(n === 1);
        }
        let out = null;
        if (wantLogits) {
            await this.readback.mapAsync(GPUMapMode.READ);
            if (this.lost) throw new WebGpuUnavailable(this.lost);
            out = new Float32Array(this.readback.getMappedRange().slice(0));
            this.readback.unmap();
        } else {
            await q.onSubmittedWorkDone();
        }
        const t2 = performance.now();
        const prof = { tokens: n, encodeMs: t1 - t0, preEncodeMs: t1b - t1, waitMs: t2 - t1b, totalMs: t2 - t0, gpuMs: null,
            dispatches: this.dispatches.filter((d) => !d.only || (d.only === 'decode') === ((d.fixedN ?? n) === 1)).length };
        if (this.querySet && this.readTimestamps) {
            await this.tsRead.mapAsync(GPUMapMode.READ);
            const ts = new BigUint64Array(this.tsRead.getMappedRange().slice(0));
            this.tsRead.unmap();
            prof.gpuMs = Number(ts[1] - ts[0]) / 1e6;
        }
        this.lastProfile = prof;
        return out;
    }

    // GPU time per kind of op for one forward pass of n tokens (timestamp queries around every dispatch,
    // each in its own compute pass); null without timestamp-query. Uses the state of the last forward:
    // run it after a forward() of the same shape. Returns { kind: ms }, plus 'total'.
    async profileKernels(n) {
        if (!this.dev.timestamps) return null;
        const D = this.dispatches;
        const qs = this.device.createQuerySet({ type: 'timestamp', count: 2 * D.length });
        const res = this.device.createBuffer({ size: 16 * D.length, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
        const rd = this.device.createBuffer({ size: 16 * D.length, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        const enc = this.device.createCommandEncoder();
        D.forEach((d, i) => {
            const pass = enc.beginComputePass({ timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
            Ops.encode(pass, [d], n);
            pass.end();
        });
        enc.resolveQuerySet(qs, 0, 2 * D.length, res, 0);
        enc.copyBufferToBuffer(res, 0, rd, 0, 16 * D.length);
        this.device.queue.submit([enc.finish()]);
        await rd.mapAsync(GPUMapMode.READ);
        const ts = new BigUint64Array(rd.getMappedRange().slice(0));
        rd.unmap();
        const out = { total: 0 };
        D.forEach((d, i) => {
            const kind = d.kind === 'eltwise' ? 'eltwise' : d.kind === 'matmul' && d.fixedN ? 'matmul_output' : d.kind;
            const ms = Number(ts[2 * i + 1] - ts[2 * i]) / 1e6;
            out[kind] = (out[kind] ?? 0) + ms;
            out.total += ms;
        });
        qs.destroy();
        res.destroy();
        rd.destroy();
        return out;
    }

    destroy() {
        this.ops?.destroy();
        this.querySet?.destroy();
        if (this.ownDevice) this.device?.destroy();
        this.ops = null;
    }
}

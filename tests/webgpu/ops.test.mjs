// Op parity: every WebGPU shader against the CPU backend / reference kernels (webgpu_op_reference) on
// seeded random data and odd sizes, with the f32 path and, where the adapter has shader-f16, the f16
// path. Run by ctest as webgpu.ops.swiftshader and webgpu.ops.lavapipe.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGpu, rand, REQUIRE } from './harness.mjs';
import { acquireDevice } from '../../web/src/webgpu/device.js';
import { Ops } from '../../web/src/webgpu/ops.js';
import { GgmlType, TYPE_BLOCKS } from '../../web/src/webgpu/gguf.js';
import { ropeTable } from '../../web/src/webgpu/engine.js';

const REF = process.env.CHORD_OP_REF;
const { gpu, skip: gpuSkip } = await loadGpu();
let skip = gpuSkip || false;
if (!skip && (!REF || !existsSync(REF))) {
    skip = 'CHORD_OP_REF (the webgpu_op_reference binary) is not set';
    if (REQUIRE) throw new Error(skip);
}
const dev = skip ? null : await acquireDevice({ gpu });
const LAVAPIPE = process.env.CHORD_WEBGPU_DRIVER === 'lavapipe';
// The prompt kernel's unrolled form compiles for minutes on lavapipe: there the rolled form is tested
// (SwiftShader tests the unrolled one, which real GPUs run).
const ROLLED = LAVAPIPE;
const PIPELINES = [new Map(), new Map()];  // compiled once per path (lavapipe compiles slowly)
const tmp = mkdtempSync(join(tmpdir(), 'chord-webgpu-ops-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

// Runs the CPU reference: inputs are typed arrays written back to back; returns the output bytes.
function reference(op, inputs, args) {
    const inPath = join(tmp, 'in.bin'), outPath = join(tmp, 'out.bin');
    writeFileSync(inPath, Buffer.concat(inputs.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))));
    execFileSync(REF, [op, inPath, outPath, ...args.map(String)]);
    const b = readFileSync(outPath);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
const f32 = (bytes, off = 0, n = (bytes.byteLength - off) / 4) => new Float32Array(bytes.slice(off, off + 4 * n).buffer);

// Builds dispatches with `build(ops, dyn)`, runs them for n tokens and reads `out` (count floats) back.
// kernels: 'gpu' (matvec / matmul_multi), 'rows' (the barrier-free row kernels) or 'tiled' (prompts of
// 2 tokens or more through matmul_tiled).
async function runGpu(f16, n, build, readBuf, count, kernels = 'gpu') {
    const device = dev.device;
    const ops = new Ops(device, { f16, rolled: ROLLED, rowKernels: kernels === 'rows', tiledMin: kernels === 'tiled' ? 2 : Infinity,
        pipelines: PIPELINES[f16 ? 1 : 0] });
    const dyn = ops.uniform(16, 'dyn');
    device.queue.writeBuffer(dyn, 0, new Uint32Array([n, 0, 0, 0]));
    device.pushErrorScope('validation');
    const { dispatches, out } = build(ops, dyn);
    ops.finalize();
    const rd = device.createBuffer({ size: count * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (const [ds, m] of dispatches) Ops.encode(pass, ds, m);
    pass.end();
    enc.copyBufferToBuffer(out, 0, rd, 0, count * 4);
    device.queue.submit([enc.finish()]);
    const err = await device.popErrorScope();
    if (err) throw new Error(err.message);
    await rd.mapAsync(GPUMapMode.READ);
    const y = new Float32Array(rd.getMappedRange().slice(0));
    rd.unmap();
    rd.destroy();
    ops.destroy();
    return y;
}

function close(got, want, rtol, what) {
    assert.equal(got.length, want.length, `${what}: length`);
    let scale = 0;
    for (const v of want) scale = Math.max(scale, Math.abs(v));
    let worst = 0, at = -1;
    for (let i = 0; i < want.length; ++i) {
        const e = Math.abs(got[i] - want[i]);
        if (!(e <= worst)) {
            worst = e;
            at = i;
        }
    }
    assert.ok(worst <= rtol * scale + 1e-6, `${what}: max error ${worst} at ${at} (got ${got[at]}, want ${want[at]}, scale ${scale})`);
}

async function readBuffer(device, buf, words) {
    const rd = device.createBuffer({ size: words * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(buf, 0, rd, 0, words * 4);
    device.queue.submit([enc.finish()]);
    await rd.mapAsync(GPUMapMode.READ);
    const out = new Uint32Array(rd.getMappedRange().slice(0));
    rd.unmap();
    rd.destroy();
    return out;
}
// fp16 <-> f32 on the host, for reading an fp16 KV cache back.
const F16 = new Float32Array(1), F16U = new Uint32Array(F16.buffer);
function f16Bits(x) {  // round to nearest even, as the shaders do (no NaN, no subnormal inputs here)
    F16[0] = x;
    const u = F16U[0], sign = (u >>> 16) & 0x8000, a = u & 0x7fffffff;
    if (a >= 0x477ff000) return sign | 0x7c00;
    if (a >= 0x38800000) return sign | ((a + 0xfff + ((a >>> 13) & 1) - 0x38000000) >>> 13);
    return sign | Math.round(Math.abs(x) * 16777216);
}
function half(h) {
    const e = (h >>> 10) & 31, m = h & 1023, s = h & 0x8000 ? -1 : 1;
    return s * (e === 0 ? m * 2 ** -24 : e === 31 ? (m ? NaN : Infinity) : (1 + m / 1024) * 2 ** (e - 15));
}
const halves = (words) => Float32Array.from({ length: 2 * words.length }, (_, i) => half(i % 2 ? words[i >> 1] >>> 16 : words[i >> 1] & 0xffff));

const TYPES = [
    ['f32', GgmlType.F32, [45, 64]], ['f16', GgmlType.F16, [45, 64]], ['q4_0', GgmlType.Q4_0, [96]],
    ['q8_0', GgmlType.Q8_0, [96]], ['q4_K', GgmlType.Q4_K, [512]], ['q5_K', GgmlType.Q5_K, [512]], ['q6_K', GgmlType.Q6_K, [512]],
];
const rowBytesOf = (type, cols) => (cols / TYPE_BLOCKS[type][0]) * TYPE_BLOCKS[type][1];
// SwiftShader runs the f32 path; lavapipe (slow to compile pipelines) the f16 path where it has it.
const variants = skip ? [false] : dev.f16 ? (LAVAPIPE ? [true] : [false, true]) : [false];

for (const f16 of variants) {
    const tag = f16 ? 'f16' : 'f32';

    for (const [name, type, colsList] of TYPES) {
        for (const cols of colsList) {
            const cases = LAVAPIPE ? [[1, 'gpu'], [3, 'gpu'], [3, 'rows'], [5, 'tiled']]
                : [[1, 'gpu'], [3, 'gpu'], [11, 'gpu'], [1, 'rows'], [11, 'rows'], [11, 'tiled'], [70, 'tiled'], [70, 'tiled', 133]];
            for (const [n, kernels, rows = 37] of cases) {
                test(`matmul ${name} ${rows}x${cols} n=${n}${kernels === 'gpu' ? '' : ` ${kernels} kernel`} (${tag})`, { skip }, async () => {
                    const w = rand(rows * cols, 1 + cols + n), x = rand(n * cols, 7 + n);
                    const ref = reference('matmul', [w, x], [name, rows, cols, n]);
                    const rb = rowBytesOf(type, cols);
                    const wq = ref.subarray(0, rows * rb);
                    const want = f32(ref, rows * rb);
                    // Two parts (rows 0..19, 20..36) writing into one y, the second accumulating onto
                    // zeros: exercises row0, the output stride and the fused residual add.
                    const got = await runGpu(f16, n, (ops, dyn) => {
                        const xb = ops.upload(x), y = ops.storage(n * rows * 4);
                        const p1 = { buffer: ops.upload(wq.subarray(0, 20 * rb)), type, rows: 20, cols, rowBytes: rb, row0: 0 };
                        const p2 = { buffer: ops.upload(wq.subarray(20 * rb)), type, rows: rows - 20, cols, rowBytes: rb, row0: 20 };
                        const d = [ops.matmul(p1, xb, y, { yStride: rows, dyn }), ops.matmul(p2, xb, y, { yStride: rows, acc: true, dyn })];
                        return { dispatches: [[d, n]], out: y };
                    }, null, n * rows, kernels);
                    close(got, want, 2e-5, 'matmul');
                });
            }
        }
        test(`matvec with fused rmsnorm ${name} 37x${colsList[colsList.length - 1]} (${tag})`, { skip }, async () => {
            const rows = 37, cols = colsList[colsList.length - 1];
            const w = rand(rows * cols, 2 + cols), x = rand(cols, 9, -3, 3), nw = rand(cols, 10);
            const xn = f32(reference('rmsnorm', [x, nw], [cols, 1, 1e-5]));
            const ref = reference('matmul', [w, xn], [name, rows, cols, 1]);
            const rb = rowBytesOf(type, cols);
            const want = f32(ref, rows * rb);
            const got = await runGpu(f16, 1, (ops, dyn) => {
                const y = ops.storage(rows * 4);
                const part = { buffer: ops.upload(ref.subarray(0, rows * rb)), type, rows, cols, rowBytes: rb, row0: 0 };
                return { dispatches: [[[ops.matvecNorm(part, ops.upload(x), ops.upload(nw), y, { eps: 1e-5, dyn })], 1]], out: y };
            }, null, rows);
            close(got, want, 2e-5, 'matvec + rmsnorm');
        });
        for (const [n, kernels] of LAVAPIPE ? [] : [[1, 'gpu'], [11, 'gpu'], [11, 'tiled'], [70, 'tiled']]) {
            test(`gate|up product writing SwiGLU ${name} 2x12x${colsList[colsList.length - 1]} n=${n}${kernels === 'tiled' ? ' tiled kernel' : ''} (${tag})`, { skip }, async () => {
                const ffn = 12, cols = colsList[colsList.length - 1], rb = rowBytesOf(type, cols);
                const x = rand(n * cols, 21 + n);
                const gRef = reference('matmul', [rand(ffn * cols, 22 + cols), x], [name, ffn, cols, n]);
                const uRef = reference('matmul', [rand(ffn * cols, 23 + cols), x], [name, ffn, cols, n]);
                const g = f32(gRef, ffn * rb), u = f32(uRef, ffn * rb);
                const want = Float32Array.from(g, (gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]);
                // Rows interleaved in fours (g0..g3, u0..u3, ...), in two parts of whole 8-row groups.
                const w = new Uint8Array(2 * ffn * rb);
                for (let q = 0; q < 2 * ffn; q += 4) {
                    const src = (q >> 2) & 1 ? uRef : gRef, grp = q >> 3;
                    w.set(src.subarray(grp * 4 * rb, (grp * 4 + 4) * rb), q * rb);
                }
                const got = await runGpu(f16, n, (ops, dyn) => {
                    const xb = ops.upload(x), y = ops.storage(n * ffn * 4);
                    const p1 = { buffer: ops.upload(w.subarray(0, 16 * rb)), type, rows: 16, cols, rowBytes: rb, row0: 0 };
                    const p2 = { buffer: ops.upload(w.subarray(16 * rb)), type, rows: 8, cols, rowBytes: rb, row0: 16 };
                    const d = [p1, p2].map((p) => ops.matmul(p, xb, y, { yStride: ffn, swigluOut: true, dyn }));
                    return { dispatches: [[d, n]], out: y };
                }, null, n * ffn, kernels);
                close(got, want, 2e-5, 'gate|up + swiglu');
            });
        }
        test(`get_rows ${name} (${tag})`, { skip }, async () => {
            const rows = 21, cols = colsList[0], n = 6;
            const w = rand(rows * cols, 3 + cols);
            const ids = new Int32Array([0, 20, 5, 13, 9, 5]);
            const ref = reference('get_rows', [w, ids], [name, rows, cols, n]);
            const rb = rowBytesOf(type, cols);
            const wq = ref.subarray(0, rows * rb);
            const want = f32(ref, rows * rb);
            const got = await runGpu(f16, n, (ops, dyn) => {
                const idb = ops.upload(ids), y = ops.storage(n * cols * 4);
                const p1 = { buffer: ops.upload(wq.subarray(0, 10 * rb)), type, rows: 10, cols, rowBytes: rb, row0: 0 };
                const p2 = { buffer: ops.upload(wq.subarray(10 * rb)), type, rows: rows - 10, cols, rowBytes: rb, row0: 10 };
                return { dispatches: [[[ops.getRows(p1, idb, y, { dyn }), ops.getRows(p2, idb, y, { dyn })], n]], out: y };
            }, null, n * cols);
            close(got, want, 1e-6, 'get_rows');
        });
    }

    for (const [dim, n] of [[300, 3], [4096, 2], [7, 1]]) {
        test(`rmsnorm dim=${dim} n=${n} (${tag})`, { skip }, async () => {
            const x = rand(n * dim, dim, -3, 3), w = rand(dim, dim + 1);
            const want = f32(reference('rmsnorm', [x, w], [dim, n, 1e-5]));
            const got = await runGpu(f16, n, (ops, dyn) => {
                const y = ops.storage(n * dim * 4);
                return { dispatches: [[[ops.rmsnorm(ops.upload(x), ops.upload(w), y, { dim, eps: 1e-5, dyn })], n]], out: y };
            }, null, n * dim);
            close(got, want, 1e-5, 'rmsnorm');
        });
    }

    for (const [neox, nRot, base, fs] of [[0, 64, 10000, 1], [1, 64, 1000000, 1], [0, 32, 10000, 0.25], [1, 48, 500000, 1]]) {
        test(`rope ${neox ? 'neox' : 'norm'} n_rot=${nRot} (${tag})`, { skip }, async () => {
            const n = 4, heads = 5, hd = 64;
            const x = rand(n * heads * hd, nRot + neox);
            const pos = new Int32Array([0, 7, 1000, 2047]);
            const want = f32(reference('rope', [x, pos], [n, heads, hd, nRot, neox, base, fs]));
            const got = await runGpu(f16, n, (ops, dyn) => {
                const xb = ops.upload(x);
                const cs = ops.upload(ropeTable(Array.from(pos), nRot, base, fs));
                const d = ops.ropeStore(xb, cs, ops.storage(16), ops.storage(16), ops.upload(pos), { nHeads: heads, headDim: hd, half: nRot / 2, neox, stride: heads * hd, dyn });
                return { dispatches: [[[d], n]], out: xb };
            }, null, x.length);
            close(got, want, 2e-6, 'rope');
        });
    }

    // The fused form the engine runs: q and k heads of a q|k|v buffer rotated, k and v stored at each
    // token's position (read back from the caches and compared with the reference rope).
    for (const [neox, nRot, kvType] of [[0, 64, 'f16'], [1, 64, 'f32'], [1, 48, 'f16'], [0, 32, 'f32']]) {
        test(`rope + kv store ${neox ? 'neox' : 'norm'} n_rot=${nRot} ${kvType} cache (${tag})`, { skip }, async () => {
            const n = 3, heads = 4, kvHeads = 2, hd = 64, nCtx = 40, base = 10000;
            const kvDim = kvHeads * hd, stride = (heads + kvHeads) * hd + kvDim;
            const qkv = rand(n * stride, 5 + nRot + neox, -2, 2);
            const pos = new Int32Array([3, 39, 17]);
            const qk = new Float32Array(n * (heads + kvHeads) * hd);
            for (let t = 0; t < n; ++t) qk.set(qkv.subarray(t * stride, t * stride + qk.length / n), (t * qk.length) / n);
            const rot = f32(reference('rope', [qk, pos], [n, heads + kvHeads, hd, nRot, neox, base, 1]));
            const kv32 = kvType === 'f32';
            const cacheWords = nCtx * kvDim * (kv32 ? 1 : 0.5);
            const device = dev.device;
            const ops = new Ops(device, { f16, rolled: ROLLED, pipelines: PIPELINES[f16 ? 1 : 0] });
            const dyn = ops.uniform(16, 'dyn');
            device.queue.writeBuffer(dyn, 0, new Uint32Array([n, 0, 0, 0]));
            const xb = ops.upload(qkv), kc = ops.storage(cacheWords * 4), vc = ops.storage(cacheWords * 4);
            const d = ops.ropeStore(xb, ops.upload(ropeTable(Array.from(pos), nRot, base, 1)), kc, vc, ops.upload(pos), {
                nHeads: heads, headDim: hd, half: nRot / 2, neox, stride, kOff: heads * hd, vOff: (heads + kvHeads) * hd, kvDim, kv32, dyn,
            });
            ops.finalize();
            const enc = device.createCommandEncoder();
            const pass = enc.beginComputePass();
            Ops.encode(pass, [d], n);
            pass.end();
            device.queue.submit([enc.finish()]);
            const [xw, kw, vw] = await Promise.all([[xb, qkv.length], [kc, cacheWords], [vc, cacheWords]].map(([b, c]) => readBuffer(device, b, c)));
            ops.destroy();
            const x = new Float32Array(xw.buffer);
            const cache = (words, row) => (kv32 ? new Float32Array(words.buffer).subarray(row * kvDim, (row + 1) * kvDim) : halves(words.subarray((row * kvDim) / 2, ((row + 1) * kvDim) / 2)));
            const rnd = kv32 ? (a) => a : (a) => halves(Uint32Array.from({ length: a.length / 2 }, (_, i) => f16Bits(a[2 * i]) | (f16Bits(a[2 * i + 1]) << 16)));
            for (let t = 0; t < n; ++t) {
                const r = rot.subarray(t * (heads + kvHeads) * hd, (t + 1) * (heads + kvHeads) * hd);
                close(x.subarray(t * stride, t * stride + heads * hd), r.subarray(0, heads * hd), 2e-6, `q, token ${t}`);
                close(cache(kw, pos[t]), rnd(r.subarray(heads * hd)), kv32 ? 2e-6 : 1e-3, `k cache, token ${t}`);
                const v = qkv.subarray(t * stride + (heads + kvHeads) * hd, (t + 1) * stride);
                close(cache(vw, pos[t]), rnd(v), 0, `v cache, token ${t}`);
            }
        });
    }

    for (const [nCtx, heads, kvHeads, hd, kvType] of [[70, 8, 2, 64, 'f16'], [1100, 4, 2, 64, 'f16'], [70, 8, 2, 64, 'f32'], [133, 4, 4, 128, 'f16'], [40, 6, 3, 256, 'f32']]) {
        test(`kv_store + attention ctx=${nCtx} heads=${heads}/${kvHeads} head_dim=${hd} ${kvType} cache (${tag})`, { skip }, async () => {
            const kvDim = kvHeads * hd;
            const k = rand(nCtx * kvDim, hd + 1, -2, 2), v = rand(nCtx * kvDim, hd + 2);
            const pos = new Int32Array([0, 33, Math.min(64, nCtx - 2), nCtx - 1]);
            const n = pos.length;
            const q = rand(n * heads * hd, hd + 3, -2, 2);
            const want = f32(reference('attention', [k, v, q, pos], [nCtx, n, heads, kvHeads, hd, kvType]));
            const kv32 = kvType === 'f32';
            const got = await runGpu(f16, n, (ops, dyn) => {
                const all = ops.upload(Int32Array.from({ length: nCtx }, (_, i) => i));
                const dynCtx = ops.uniform(16);
                ops.device.queue.writeBuffer(dynCtx, 0, new Uint32Array([nCtx, 0, 0, 0]));
                const kc = ops.storage(nCtx * kvDim * (kv32 ? 4 : 2)), vc = ops.storage(nCtx * kvDim * (kv32 ? 4 : 2));
                const out = ops.storage(n * heads * hd * 4);
                // k and v rows side by side, stored unrotated (cos 1, sin 0).
                const kv = new Float32Array(nCtx * 2 * kvDim);
                for (let t = 0; t < nCtx; ++t) {
                    kv.set(k.subarray(t * kvDim, (t + 1) * kvDim), t * 2 * kvDim);
                    kv.set(v.subarray(t * kvDim, (t + 1) * kvDim), (t * 2 + 1) * kvDim);
                }
                const ident = ops.upload(Float32Array.from({ length: nCtx * hd }, (_, i) => (i % 2 === 0 ? 1 : 0)));
                const store = ops.ropeStore(ops.upload(kv), ident, kc, vc, all, {
                    nHeads: 0, headDim: hd, half: hd / 2, neox: false, stride: 2 * kvDim, kOff: 0, vOff: kvDim, kvDim, kv32, dyn: dynCtx,
                });
                const att = ops.attention(ops.upload(q), kc, vc, out, ops.upload(pos), {
                    nHeads: heads, nKvHeads: kvHeads, headDim: hd, scale: 1 / Math.sqrt(hd), kv32, dyn,
                });
                return { dispatches: [[[store], nCtx], [[att], n]], out };
            }, null, n * heads * hd);
            close(got, want, kv32 ? 2e-5 : 2e-3, 'attention');
        });
    }

    // Decoding's split attention (partials per head and split, then combined) for one token at a time.
    for (const [nCtx, heads, kvHeads, hd, kvType, nSplit] of [[70, 8, 2, 64, 'f16', 16], [1100, 4, 2, 64, 'f16', 3], [70, 8, 2, 64, 'f32', 5], [40, 6, 3, 256, 'f32', 16]]) {
        test(`split attention ctx=${nCtx} heads=${heads}/${kvHeads} head_dim=${hd} ${kvType} cache, ${nSplit} splits (${tag})`, { skip }, async () => {
            const kvDim = kvHeads * hd, kv32 = kvType === 'f32';
            const k = rand(nCtx * kvDim, hd + 1, -2, 2), v = rand(nCtx * kvDim, hd + 2);
            const kv = new Float32Array(nCtx * 2 * kvDim);
            for (let t = 0; t < nCtx; ++t) {
                kv.set(k.subarray(t * kvDim, (t + 1) * kvDim), t * 2 * kvDim);
                kv.set(v.subarray(t * kvDim, (t + 1) * kvDim), (t * 2 + 1) * kvDim);
            }
            for (const p of [0, 5, Math.min(64, nCtx - 2), nCtx - 1]) {
                const pos = new Int32Array([p]);
                const q = rand(heads * hd, hd + 3 + p, -2, 2);
                const want = f32(reference('attention', [k, v, q, pos], [nCtx, 1, heads, kvHeads, hd, kvType]));
                const got = await runGpu(f16, 1, (ops, dyn) => {
                    const all = ops.upload(Int32Array.from({ length: nCtx }, (_, i) => i));
                    const dynCtx = ops.uniform(16);
                    ops.device.queue.writeBuffer(dynCtx, 0, new Uint32Array([nCtx, 0, 0, 0]));
                    const kc = ops.storage(nCtx * kvDim * (kv32 ? 4 : 2)), vc = ops.storage(nCtx * kvDim * (kv32 ? 4 : 2));
                    const ident = ops.upload(Float32Array.from({ length: nCtx * hd }, (_, i) => (i % 2 === 0 ? 1 : 0)));
                    const store = ops.ropeStore(ops.upload(kv), ident, kc, vc, all, {
                        nHeads: 0, headDim: hd, half: hd / 2, neox: false, stride: 2 * kvDim, kOff: 0, vOff: kvDim, kvDim, kv32, dyn: dynCtx,
                    });
                    const out = ops.storage(heads * hd * 4), part = ops.storage(heads * nSplit * (hd + 2) * 4);
                    const att = ops.attentionSplit(ops.upload(q), kc, vc, part, out, ops.upload(pos), {
                        nHeads: heads, nKvHeads: kvHeads, headDim: hd, scale: 1 / Math.sqrt(hd), kv32, nSplit, dyn,
                    });
                    return { dispatches: [[[store], nCtx], [att, 1]], out };
                }, null, heads * hd);
                close(got, want, kv32 ? 2e-5 : 2e-3, `split attention at position ${p}`);
            }
        });
    }

    for (const op of ['swiglu', 'add']) {
        test(`${op} (${tag})`, { skip }, async () => {
            const n = 3, dim = 333;
            const a = rand(n * dim, 11, -6, 6), b = rand(n * dim, 12);
            const want = f32(reference(op, [a, b], [n * dim]));
            const got = await runGpu(f16, n, (ops, dyn) => {
                const ab = ops.upload(a);
                return { dispatches: [[[ops.eltwise(op, ab, ops.upload(b), { n: dim, dyn })], n]], out: ab };
            }, null, n * dim);
            close(got, want, 1e-6, op);
        });
    }
    test(`add_bias (${tag})`, { skip }, async () => {
        const n = 5, dim = 77;
        const a = rand(n * dim, 13), b = rand(dim, 14);
        const want = f32(reference('add_bias', [a, b], [n, dim]));
        const got = await runGpu(f16, n, (ops, dyn) => {
            const ab = ops.upload(a);
            return { dispatches: [[[ops.eltwise('add_bias', ab, ops.upload(b), { n: dim, dim, dyn })], n]], out: ab };
        }, null, n * dim);
        close(got, want, 1e-6, 'add_bias');
    });
}

test('every shader compiles', { skip: skip || (LAVAPIPE && 'slow on lavapipe; the ops above compile theirs') }, async () => {
    for (const f16 of variants) await new Ops(dev.device, { f16 }).compileAll();
});

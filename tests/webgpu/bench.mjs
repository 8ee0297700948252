#!/usr/bin/env node
// WebGPU engine benchmark: prompt (pp) and generation (tg) tokens/s, and where a token's time goes:
// encoding the command buffer on the CPU, waiting for the GPU and the read-back, GPU time of the whole
// pass (timestamp queries, if the adapter has them), and GPU time per kind of op.
//   node tests/webgpu/bench.mjs MODEL.gguf [MODEL2.gguf ...] [--pp 512] [--tg 128] [--wg 64] [--json out.json]
//       [--variants default,fuseNorm=false]   (engine options to compare, each run on every model)
import { openSync, readSync, fstatSync, closeSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { create, globals } from 'webgpu';
import { WebGpuEngine } from '../../web/src/webgpu/engine.js';

Object.assign(globalThis, globals);
const args = process.argv.slice(2);
const opt = (name, d) => {
    const i = args.indexOf(name);
    if (i < 0) return d;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
};
const pp = Number(opt('--pp', 512)), tg = Number(opt('--tg', 128));
const wgs = String(opt('--wg', '64')).split(',').map(Number);
const jsonOut = opt('--json', null);
// 'default' or key=value pairs joined by '+' (values parsed as JSON where they parse).
const variants = String(opt('--variants', 'default')).split(',').map((v) => {
    const o = {};
    if (v !== 'default') {
        for (const kv of v.split('+')) {
            const [k, x] = kv.split('=');
            try {
                o[k] = JSON.parse(x);
            } catch {
                o[k] = x;
            }
        }
    }
    return { name: v, options: o };
});
// Dawn quantizes timestamps unless told not to (that needs allow_unsafe_apis).
const gpu = create(['enable-dawn-features=allow_unsafe_apis', 'disable-dawn-features=timestamp_quantization']);

function readChunks(path) {
    const fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const chunks = [];
    const CH = 1 << 30;
    for (let off = 0; off < size; off += CH) {
        const b = new Uint8Array(Math.min(CH, size - off));
        let got = 0;
        while (got < b.length) got += readSync(fd, b, got, b.length - got, off + got);
        chunks.push(b);
    }
    closeSync(fd);
    return chunks;
}
const argmax = (a) => {
    let m = 0;
    for (let i = 1; i < a.length; ++i) if (a[i] > a[m]) m = i;
    return m;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

const results = [];
for (const path of args) {
    for (const wg of wgs) for (const variant of variants) {
        const t0 = performance.now();
        const chunks = readChunks(path);
        const tRead = performance.now();
        const e = await WebGpuEngine.create(chunks, { gpu, nCtx: pp + tg + 24, maxBatch: pp, timestamps: true, matmulWG: wg, ...variant.options });
        const tLoad = performance.now();
        const V = e.hparams.nVocab;
        const prompt = Array.from({ length: pp }, (_, i) => 1 + ((i * 7919) % (V - 1)));
        const positions = prompt.map((_, i) => i);
        await e.forward(prompt.slice(0, 8), positions.slice(0, 8));  // warm-up (pipelines, first use)
        await e.forward([1], [0]);
        let ppMs = Infinity, logits;
        for (let r = 0; r < 2; ++r) {
            const s = performance.now();
            logits = await e.forward(prompt, positions);
            ppMs = Math.min(ppMs, performance.now() - s);
        }
        const ppProfile = e.lastProfile;
        const ppKernels = await e.profileKernels(pp);
        // Generation: timed without reading timestamps back, then 16 more tokens profiled.
        let tok = argmax(logits);
        e.readTimestamps = false;
        const s = performance.now();
        for (let i = 0; i < tg; ++i) {
            logits = await e.forward([tok], [pp + i]);
            tok = argmax(logits);
        }
        const tgMs = performance.now() - s;
        e.readTimestamps = true;
        const prof = [];
        for (let i = 0; i < 16; ++i) {
            logits = await e.forward([tok], [pp + tg + i]);
            tok = argmax(logits);
            prof.push(e.lastProfile);
        }
        const tgKernels = await e.profileKernels(1);
        const r = {
            model: basename(path), adapter: e.info.adapter, shaderF16: e.info.shaderF16, matmulWG: wg, variant: variant.name,
            readS: (tRead - t0) / 1000, uploadS: (tLoad - tRead) / 1000,
            pp, ppTokS: pp / (ppMs / 1000), ppGpuMs: ppProfile.gpuMs,
            tg, tgTokS: tg / (tgMs / 1000), tgMsPerToken: tgMs / tg,
            perToken: {
                encodeMs: mean(prof.map((p) => p.encodeMs)),
                preEncodeNextMs: mean(prof.map((p) => p.preEncodeMs)),
                submitToLogitsMs: mean(prof.map((p) => p.waitMs)),
                gpuPassMs: prof[0].gpuMs === null ? null : mean(prof.map((p) => p.gpuMs)),
                dispatches: prof[0].dispatches,
            },
            tgKernelsMs: tgKernels, ppKernelsMs: ppKernels,
        };
        results.push(r);
        console.log(JSON.stringify(r));
        e.destroy();
    }
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
process.exit(0);

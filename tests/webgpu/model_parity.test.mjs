// Model parity: the WebGPU engine's next-token log-probabilities against the CPU backend's (`chord
// logits`) on synthesized models (tiny shape, llama-spm vocabulary) of each weight type, and greedy
// continuations. With an f32 KV cache on both sides, F32 and F16 models agree within 1e-3 per
// log-probability; with the default fp16 cache, and for quantized models (the CPU also quantizes
// activations to Q8_0 / Q8_K, the GPU keeps them f32), the KL divergence is reported and bounded.
// Run by ctest as webgpu.model_parity.swiftshader and webgpu.model_parity.lavapipe.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGpu, REQUIRE } from './harness.mjs';
import { WebGpuEngine } from '../../web/src/webgpu/engine.js';
import { acquireDevice } from '../../web/src/webgpu/device.js';

const BIN = process.env.CHORD_BIN;
const VOCAB = join(process.env.CHORD_TESTDATA_DIR ?? join(import.meta.dirname, '../../testdata'), 'vocab/ggml-vocab-llama-spm.gguf');
const { gpu, skip: gpuSkip } = await loadGpu();
let skip = gpuSkip || false;
for (const [ok, why] of [[BIN && existsSync(BIN), 'CHORD_BIN is not set'], [existsSync(VOCAB), `${VOCAB} is missing (tools/fetch-testdata.sh)`]]) {
    if (!skip && !ok) {
        if (REQUIRE) throw new Error(why);
        skip = why;
    }
}
const tmp = mkdtempSync(join(tmpdir(), 'chord-webgpu-parity-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const lavapipe = process.env.CHORD_WEBGPU_DRIVER === 'lavapipe';
// One device and one pipeline cache for every engine (compiling is most of the time on software drivers).
const device = skip ? null : await acquireDevice({ gpu });
const pipelines = new Map();

const PROMPT = [1, 450, 4996, 17354, 1701, 432, 17204, 975, 278];
const GEN = 4;

function logprobs(logits) {
    let max = -Infinity;
    for (const v of logits) max = Math.max(max, v);
    let s = 0;
    for (const v of logits) s += Math.exp(v - max);
    const lz = max + Math.log(s);
    return Float64Array.from(logits, (v) => v - lz);
}
const argmax = (a) => a.reduce((m, v, i) => (v > a[m] ? i : m), 0);

function cpuLogits(model, ids, kv, extra = []) {
    const out = execFileSync(BIN, ['logits', '-m', model, '--ids', ids.join(','), '-ctk', kv, '-ctv', kv, ...extra], { maxBuffer: 1 << 28 });
    return JSON.parse(out);
}

// [type, lavapipe too]: lavapipe compiles pipelines slowly, so it runs a subset.
const TYPES = [['f32', true], ['f16', true], ['q4_0', true], ['q8_0', false], ['q4_K', false], ['q5_K', false], ['q6_K', true]];

for (const [type, onLavapipe] of TYPES) {
    test(`${type}: next-token log-probabilities and greedy continuation`, { skip: skip || (lavapipe && !onLavapipe && 'subset on lavapipe') }, async (t) => {
        const model = join(tmp, `${type}.gguf`);
        execFileSync(BIN, ['synth', '-o', model, '--vocab', VOCAB, '--shape', 'tiny', '--layers', '2', '--ffn', '512', '--type', type, '--seed', '7'], { stdio: 'ignore' });
        const bytes = readFileSync(model);
        const float = type === 'f32' || type === 'f16';
        for (const kv of float ? ['f32', 'f16'] : ['f16']) {
            const e = await WebGpuEngine.create(bytes, { device, pipelines, nCtx: 64, kvType: kv });
            try {
                const logits = await e.forward(PROMPT, PROMPT.map((_, i) => i));
                const lp = logprobs(logits);
                const ref = cpuLogits(model, PROMPT, kv, ['--top', '0']);
                let kl = 0, worstTop = 0;
                ref.top.forEach(({ id, logprob }, rank) => {
                    kl += Math.exp(logprob) * (logprob - lp[id]);
                    if (rank < 20) worstTop = Math.max(worstTop, Math.abs(logprob - lp[id]));
                });
                t.diagnostic(`${type} (${kv} cache): KL(cpu || webgpu) = ${kl.toExponential(2)}, max |d logprob| over the top 20 = ${worstTop.toExponential(2)}`);
                // F32 with an f32 cache: 1e-3. F16 weights round activations to fp16 on both sides, and a
                // last-bit difference upstream flips single roundings, so only the KL is bounded there.
                if (type === 'f32' && kv === 'f32') assert.ok(worstTop <= 1e-3, `log-probabilities differ by ${worstTop}`);
                assert.ok(kl <= (float ? 1e-4 : 0.05), `KL ${kl}`);

                // Greedy continuation on the GPU, checked by the CPU with teacher forcing: at every step the
                // CPU's top token must be the GPU's, unless the CPU's own top-2 margin is within the
                // numerical difference of the two backends.
                const gen = [argmax(logits)];
                for (let i = 0; i < GEN - 1; ++i) gen.push(argmax(await e.forward([gen[i]], [PROMPT.length + i])));
                const all = cpuLogits(model, [...PROMPT, ...gen.slice(0, -1)], kv, ['--top', '2', '--all-positions']);
                for (let i = 0; i < GEN; ++i) {
                    const p = all.positions[PROMPT.length - 1 + i];
                    const tol = type === 'f32' && kv === 'f32' ? 1e-3 : 0.3;
                    if (p.top[0].id !== gen[i]) {
                        assert.ok(p.margin < tol, `step ${i}: CPU picks ${p.top[0].id} (margin ${p.margin}), WebGPU ${gen[i]}`);
                        t.diagnostic(`step ${i}: a near tie (margin ${p.margin.toExponential(2)}) resolved differently; later steps not compared`);
                        break;
                    }
                }
                t.diagnostic(`${type} (${kv} cache): greedy ${gen.join(',')}`);
            } finally {
                e.destroy();
            }
        }
    });
}

// The kernels real GPUs run (software adapters default to the barrier-free row kernels and whole-head
// attention): the prompt kernels (matmul_multi; matmul_tiled when tiledMin lets the 9-token prompt
// take it), and for decoding the matrix-vector kernel, split attention, and the optional norm fusion.
// F32, f32 cache: every decoded step's log-probabilities within 1e-3 of the CPU's.
for (const opts of [{ attnSplit: 4 }, { attnSplit: 1, fuseNorm: true, tiledMin: 2 }]) {
    test(`f32 with the GPU kernels ${JSON.stringify(opts)}: prompt, then decoding`, { skip: skip || (lavapipe && 'SwiftShader only') }, async () => {
        const model = join(tmp, 'f32-gpu-kernels.gguf');
        execFileSync(BIN, ['synth', '-o', model, '--vocab', VOCAB, '--shape', 'tiny', '--layers', '2', '--ffn', '512', '--type', 'f32', '--seed', '7'], { stdio: 'ignore' });
        const e = await WebGpuEngine.create(readFileSync(model), { device, pipelines, nCtx: 64, kvType: 'f32', rowKernels: false, ...opts });
        try {
            const ids = [...PROMPT, 373, 263, 1058];
            const steps = [await e.forward(PROMPT, PROMPT.map((_, i) => i))];
            for (let i = PROMPT.length; i < ids.length; ++i) steps.push(await e.forward([ids[i]], [i]));
            const all = cpuLogits(model, ids, 'f32', ['--top', '20', '--all-positions']);
            steps.forEach((logits, s) => {
                const lp = logprobs(logits);
                let worst = 0;
                for (const { id, logprob } of all.positions[PROMPT.length - 1 + s].top) worst = Math.max(worst, Math.abs(logprob - lp[id]));
                assert.ok(worst <= 1e-3, `step ${s}: log-probabilities differ by ${worst}`);
            });
        } finally {
            e.destroy();
        }
    });
}

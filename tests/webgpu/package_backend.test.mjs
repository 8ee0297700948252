// The npm package with backend 'webgpu' (web/src/worker.js): the forward pass on the GPU, tokenizer,
// chat template and sampler from the wasm module. Greedy completions and a chat answer must equal the
// CPU backend's (both with an f32 KV cache, where the two agree to ~1e-5); a backend that cannot start
// (no adapter, an architecture only the CPU runs) falls back to the CPU with the reason in
// info.backendReason. Needs web/dist (the wasm preset) and Dawn for node, which the worker imports as
// 'webgpu' (linked into web/node_modules here).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REQUIRE } from './harness.mjs';

const root = join(import.meta.dirname, '../..');
const BIN = process.env.CHORD_BIN;
const VOCAB = join(process.env.CHORD_TESTDATA_DIR ?? join(root, 'testdata'), 'vocab/ggml-vocab-llama-spm.gguf');
const dawn = join(root, 'tests/webgpu/node_modules/webgpu');
let skip = false;
for (const [ok, why] of [
    [existsSync(join(root, 'web/dist/chord-single.wasm')), 'web/dist is not built (the wasm preset)'],
    [BIN && existsSync(BIN), 'CHORD_BIN is not set'],
    [existsSync(VOCAB), `${VOCAB} is missing`],
    [existsSync(dawn), 'npm webgpu is not installed in tests/webgpu (tools/fetch-testdata.sh)'],
    [!process.env.VK_ICD_FILENAMES || existsSync(process.env.VK_ICD_FILENAMES), 'the Vulkan driver is missing'],
]) {
    if (!skip && !ok) {
        if (REQUIRE) throw new Error(why);
        skip = why;
    }
}
const link = join(root, 'web/node_modules/webgpu');
if (!skip && !existsSync(link)) {
    mkdirSync(join(root, 'web/node_modules'), { recursive: true });
    symlinkSync(dawn, link, 'dir');
}
const tmp = mkdtempSync(join(tmpdir(), 'chord-webgpu-package-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

async function run(model, backend) {
    const { Chord } = await import('../../web/src/index.js');
    const chord = await Chord.load(model, { build: 'single', nCtx: 256, backend, kvType: 'f32' });
    try {
        let text = '';
        for await (const p of chord.complete('Once upon a time', { maxTokens: 16, temperature: 0 })) text += p;
        let answer = '';
        for await (const p of chord.chat([{ role: 'user', content: 'Hi' }], { maxTokens: 8, temperature: 0, template: 'chatml' })) answer += p;
        return { info: chord.info, text, answer };
    } finally {
        await chord.unload();
    }
}

test('backend webgpu generates what the CPU backend generates', { skip }, async () => {
    const model = join(tmp, 'f32.gguf');
    execFileSync(BIN, ['synth', '-o', model, '--vocab', VOCAB, '--shape', 'tiny', '--layers', '2', '--ffn', '512', '--type', 'f32'], { stdio: 'ignore' });
    const cpu = await run(model, 'cpu');
    const gpu = await run(model, 'webgpu');
    assert.equal(cpu.info.backend, 'cpu');
    assert.equal(gpu.info.backend, 'webgpu', `fell back: ${gpu.info.backendReason}`);
    assert.equal(gpu.text, cpu.text);
    assert.equal(gpu.answer, cpu.answer);
    // 'auto' keeps the CPU on a software adapter, and says why.
    const auto = await run(model, 'auto');
    assert.equal(auto.info.backend, 'cpu');
    assert.match(auto.info.backendReason, /software/);
});

test('backend webgpu falls back to the CPU for an architecture it lacks (qwen3), saying why', { skip }, async () => {
    const model = join(tmp, 'qwen3.gguf');
    execFileSync(BIN, ['synth', '-o', model, '--vocab', VOCAB, '--arch', 'qwen3', '--shape', 'tiny', '--layers', '2', '--ffn', '512', '--type', 'f32'], { stdio: 'ignore' });
    const cpu = await run(model, 'cpu');
    const gpu = await run(model, 'webgpu');
    assert.equal(gpu.info.backend, 'cpu');
    assert.match(gpu.info.backendReason, /architecture 'qwen3' is not supported by the WebGPU backend/);
    assert.equal(gpu.text, cpu.text);
});

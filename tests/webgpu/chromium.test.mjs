// Model parity in headless Chromium (Debian's chromium, --enable-unsafe-webgpu: SwiftShader underneath):
// WebGpuEngine in a page, next-token log-probabilities and a greedy continuation against the CPU
// backend's (`chord logits`), both with an f32 KV cache, for an F32 and a Q4_0 synthesized model.
// Needs playwright-core (tests/browser/node_modules, tools/fetch-testdata.sh) and /usr/bin/chromium.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REQUIRE } from './harness.mjs';

const here = import.meta.dirname;
const root = path.resolve(here, '../..');
const bin = process.env.CHORD_BIN;
const vocab = path.join(process.env.CHORD_TESTDATA_DIR ?? path.join(root, 'testdata'), 'vocab/ggml-vocab-llama-spm.gguf');
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
const missing = [
    !(bin && fs.existsSync(bin)) && 'CHORD_BIN',
    !fs.existsSync(vocab) && vocab,
    !fs.existsSync(path.join(root, 'tests/browser/node_modules/playwright-core')) && 'tests/browser/node_modules (tools/fetch-testdata.sh)',
    !fs.existsSync(chromium) && chromium,
].filter(Boolean);
if (missing.length && REQUIRE) throw new Error(`missing: ${missing.join(', ')}`);
const skip = missing.length ? `missing ${missing.join(', ')}` : false;

const PROMPT = [1, 450, 4996, 17354, 1701, 432, 17204, 975, 278];
const GEN = 4;
let dir, server, browser;

before(async () => {
    if (skip) return;
    const { serve, launch } = await import('../browser/server.mjs');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chord-webgpu-chromium-'));
    server = await serve({ '/pkg/': path.join(root, 'web'), '/models/': dir, '/test/': path.join(root, 'tests/browser/pages') });
    browser = await launch(['--enable-unsafe-webgpu']);
});
after(async () => {
    await browser?.close();
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// In the page: the engine's log-probabilities after the prompt, and the greedy continuation.
async function inPage({ url, prompt, gen }) {
    const { WebGpuEngine } = await import('/pkg/src/webgpu/engine.js');
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const e = await WebGpuEngine.create(bytes, { nCtx: 64, kvType: 'f32' });
    const logits = await e.forward(prompt, prompt.map((_, i) => i));
    const argmax = (a) => a.reduce((m, v, i) => (v > a[m] ? i : m), 0);
    const tokens = [argmax(logits)];
    for (let i = 0; i < gen - 1; ++i) tokens.push(argmax(await e.forward([tokens[i]], [prompt.length + i])));
    const info = e.info;
    e.destroy();
    return { logits: Array.from(logits), tokens, adapter: info.adapter };
}

for (const type of ['f32', 'q4_0']) {
    test(`${type}: WebGPU in Chromium matches the CPU backend`, { skip }, async (t) => {
        const model = path.join(dir, `${type}.gguf`);
        execFileSync(bin, ['synth', '-o', model, '--vocab', vocab, '--shape', 'tiny', '--layers', '2', '--ffn', '512', '--type', type, '--seed', '7'], { stdio: 'ignore' });
        const page = await browser.context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        try {
            await page.goto(`${server.url}/test/index.html`);
            const r = await page.evaluate(inPage, { url: `/models/${type}.gguf`, prompt: PROMPT, gen: GEN });
            t.diagnostic(`adapter: ${r.adapter}`);
            let max = -Infinity;
            for (const v of r.logits) max = Math.max(max, v);
            let s = 0;
            for (const v of r.logits) s += Math.exp(v - max);
            const lz = max + Math.log(s);
            const ref = JSON.parse(execFileSync(bin, ['logits', '-m', model, '--ids', PROMPT.join(','), '--top', '0', '-ctk', 'f32', '-ctv', 'f32'], { maxBuffer: 1 << 28 }));
            let kl = 0, worst = 0;
            ref.top.forEach(({ id, logprob }, rank) => {
                kl += Math.exp(logprob) * (logprob - (r.logits[id] - lz));
                if (rank < 20) worst = Math.max(worst, Math.abs(logprob - (r.logits[id] - lz)));
            });
            t.diagnostic(`${type}: KL ${kl.toExponential(2)}, max |d logprob| top 20 ${worst.toExponential(2)}, greedy ${r.tokens.join(',')}`);
            if (type === 'f32') assert.ok(worst <= 1e-3, `log-probabilities differ by ${worst}`);
            assert.ok(kl <= (type === 'f32' ? 1e-6 : 0.05), `KL ${kl}`);
            const all = JSON.parse(execFileSync(bin, ['logits', '-m', model, '--ids', [...PROMPT, ...r.tokens.slice(0, -1)].join(','), '--top', '2', '--all-positions', '-ctk', 'f32', '-ctv', 'f32'], { maxBuffer: 1 << 28 }));
            for (let i = 0; i < GEN; ++i) {
                const p = all.positions[PROMPT.length - 1 + i];
                if (p.top[0].id !== r.tokens[i]) {
                    assert.ok(p.margin < (type === 'f32' ? 1e-3 : 0.3), `step ${i}: CPU ${p.top[0].id} (margin ${p.margin}), WebGPU ${r.tokens[i]}`);
                    break;
                }
            }
            assert.deepEqual(errors, []);
        } finally {
            await page.close();
        }
    });
}

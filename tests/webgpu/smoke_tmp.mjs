import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { makeGpu } from './gpu_env.mjs';
import { WebGpuEngine } from '../../web/src/webgpu/engine.js';
const file = process.argv[2];
const ids = [1, 450, 4996, 17354, 1701, 432, 17204];
const gpu = makeGpu();
const e = await WebGpuEngine.create(readFileSync(file), { gpu, nCtx: 256, kvType: process.argv[3] ?? 'f16' });
console.log(e.info);
const t0 = performance.now();
const lg = await e.forward(ids, ids.map((_, i) => i));
console.log('prompt ms', performance.now() - t0, e.lastProfile);
let t1 = performance.now(); const lg2 = await e.forward([29871], [ids.length]); console.log('decode ms', performance.now() - t1); t1 = performance.now(); await e.forward([29871], [ids.length]); console.log('decode2 ms', performance.now() - t1); t1 = performance.now(); await e.forward(ids, ids.map((_, i) => i)); console.log('prompt2 ms', performance.now() - t1);
const ref = JSON.parse(execFileSync('../../build/release/apps/chord/chord', ['logits', '-m', file, '--ids', ids.join(','), '--top', '0', '-ctk', process.argv[3] ?? 'f16', '-ctv', process.argv[3] ?? 'f16'], { maxBuffer: 1 << 28 }));
const ref2 = JSON.parse(execFileSync('../../build/release/apps/chord/chord', ['logits', '-m', file, '--ids', [...ids, 29871].join(','), '--top', '0', '-ctk', process.argv[3] ?? 'f16', '-ctv', process.argv[3] ?? 'f16'], { maxBuffer: 1 << 28 }));
function cmp(lg, ref) {
  let max = -Infinity; for (const v of lg) max = Math.max(max, v);
  let s = 0; for (const v of lg) s += Math.exp(v - max); const lz = max + Math.log(s);
  let worst = 0, kl = 0;
  for (const { id, logprob } of ref.top) { const g = lg[id] - lz; worst = Math.max(worst, Math.abs(g - logprob)); kl += Math.exp(logprob) * (logprob - g); }
  let w20 = 0; for (const { id, logprob } of ref.top.slice(0, 20)) w20 = Math.max(w20, Math.abs(lg[id] - lz - logprob));
  console.log('top20 worst', w20.toExponential(2), 'logit range', Math.min(...lg).toFixed(1), max.toFixed(1), 'top lp', ref.top.slice(0,3).map(x=>x.logprob.toFixed(3)).join(' '));
  let am = 0; for (let i = 1; i < lg.length; ++i) if (lg[i] > lg[am]) am = i;
  console.log('max |dlogprob|', worst.toExponential(2), 'KL', kl.toExponential(2), 'argmax', am, ref.top[0].id);
}
cmp(lg, ref); cmp(lg2, ref2);
e.destroy();
process.exit(0);

// Shared by the WebGPU tests: skipping when Dawn or a Vulkan driver is missing, Dawn on the driver
// chosen by VK_ICD_FILENAMES (set per ctest entry), seeded random data.
import { existsSync } from 'node:fs';

export const REQUIRE = process.env.CHORD_REQUIRE_TESTDATA === '1';

// Resolves to { gpu, skip } where skip is a reason string (or null); throws under CHORD_REQUIRE_TESTDATA.
export async function loadGpu() {
    const icd = process.env.VK_ICD_FILENAMES;
    let reason = null;
    if (icd && !existsSync(icd)) reason = `Vulkan driver ${icd} is missing (tools/fetch-testdata.sh)`;
    let mod = null;
    if (!reason) {
        try {
            mod = await import('webgpu');
        } catch {
            reason = 'npm webgpu is not installed in tests/webgpu (tools/fetch-testdata.sh)';
        }
    }
    if (reason) {
        if (REQUIRE) throw new Error(reason);
        return { gpu: null, skip: reason };
    }
    Object.assign(globalThis, mod.globals);
    return { gpu: mod.create([]), skip: null };
}

// Uniform floats in [lo, hi) from a seeded generator (mulberry32).
export function rand(n, seed, lo = -1, hi = 1) {
    let a = seed >>> 0;
    const out = new Float32Array(n);
    for (let i = 0; i < n; ++i) {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
    }
    return out;
}

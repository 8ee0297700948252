// RoPE and the KV-cache store of one layer in one dispatch, reading a fused q|k|v buffer X (n_tokens
// rows `stride` apart: n_heads q heads at 0, k at k_off, v at v_off). q heads are rotated in place
// (attention reads them from X); k heads are rotated on the way into the K cache and v copied into the
// V cache at each token's position: fp16 pairs (n_ctx, kv_dim / 2 words), or f32 words when KV32.
// CS (n_tokens, n_rot / 2) holds (cos, sin) of each token's angles, computed on the CPU side exactly as
// the CPU backend does. NORM rotates pairs (2j, 2j + 1), NEOX pairs (j, j + n_rot / 2); dimensions past
// n_rot are not rotated. Threads per token: one per q pair, then one per K word, then one per V word.
struct Params {
    n_heads: u32,  // q heads to rotate in place
    head_dim: u32,
    half: u32,     // n_rot / 2
    neox: u32,
    stride: u32,   // elements between tokens in X
    k_off: u32,
    v_off: u32,
    kv_dim: u32,   // 0: rotate q only
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read> CS: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> KC: array<u32>;
@group(0) @binding(4) var<storage, read_write> VC: array<u32>;
@group(0) @binding(5) var<storage, read> pos: array<i32>;
@group(0) @binding(6) var<uniform> D: vec4<u32>;  // x: tokens

override KV32: bool = false;

// Element d (< head_dim) of the rotated head that starts at X[base], for token t.
fn rotated(base: u32, d: u32, t: u32) -> f32 {
    let n_rot = 2u * P.half;
    if (d >= n_rot) {
        return X[base + d];
    }
    var j = d / 2u;
    var a = base + 2u * j;
    var second = (d & 1u) == 1u;
    if (P.neox != 0u) {
        j = d % P.half;
        a = base + j;
        second = d >= P.half;
    }
    let b = select(a + 1u, a + P.half, P.neox != 0u);
    let cs = CS[t * P.half + j];
    let x0 = X[a];
    let x1 = X[b];
    if (second) {
        return x0 * cs.y + x1 * cs.x;
    }
    return x0 * cs.x - x1 * cs.y;
}

fn store(cache_is_k: bool, dst: u32, a: f32, b: f32) {
    if (KV32) {
        if (cache_is_k) {
            KC[2u * dst] = bitcast<u32>(a);
            KC[2u * dst + 1u] = bitcast<u32>(b);
        } else {
            VC[2u * dst] = bitcast<u32>(a);
            VC[2u * dst + 1u] = bitcast<u32>(b);
        }
    } else if (cache_is_k) {
        KC[dst] = pack_h2(a, b);
    } else {
        VC[dst] = pack_h2(a, b);
    }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 64u;
    let nq = P.n_heads * P.half;
    let hw = P.kv_dim / 2u;
    let per_token = nq + 2u * hw;
    let t = i / per_token;
    if (t >= D.x) {
        return;
    }
    let k = i % per_token;
    let row = t * P.stride;
    if (k < nq) {
        // One q pair, rotated in place (a thread owns both elements of its pair).
        let j = k % P.half;
        let base = row + (k / P.half) * P.head_dim;
        var a = base + 2u * j;
        var b = a + 1u;
        if (P.neox != 0u) {
            a = base + j;
            b = a + P.half;
        }
        let cs = CS[t * P.half + j];
        let x0 = X[a];
        let x1 = X[b];
        X[a] = x0 * cs.x - x1 * cs.y;
        X[b] = x0 * cs.y + x1 * cs.x;
        return;
    }
    let dst = u32(pos[t]) * hw;
    if (k < nq + hw) {
        // K word w: elements 2w, 2w + 1 (one head: head_dim is even), rotated as they are stored. X's
        // k part is only read here, never written back.
        let w = k - nq;
        let e = 2u * w;
        let base = row + P.k_off + (e / P.head_dim) * P.head_dim;
        let d = e % P.head_dim;
        store(true, dst + w, rotated(base, d, t), rotated(base, d + 1u, t));
        return;
    }
    let w = k - nq - hw;
    let vs = row + P.v_off + 2u * w;
    store(false, dst + w, X[vs], X[vs + 1u]);
}

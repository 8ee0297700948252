// Writes k and v (n_tokens, kv_dim) of one layer into its cache at each token's position: fp16 pairs
// (n_ctx, kv_dim / 2 words), or f32 (n_ctx, kv_dim words) when KV32. One thread per (token, pair of elements).
struct Params {
    kv_dim: u32,
    stride: u32,  // elements between tokens in K and V
    k_off: u32,   // offset of k in a row of K, v in a row of V (a fused qkv buffer bound twice)
    v_off: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> K: array<f32>;
@group(0) @binding(2) var<storage, read> V: array<f32>;
@group(0) @binding(3) var<storage, read_write> KC: array<u32>;
@group(0) @binding(4) var<storage, read_write> VC: array<u32>;
@group(0) @binding(5) var<storage, read> pos: array<i32>;
@group(0) @binding(6) var<uniform> D: vec4<u32>;  // x: tokens

override KV32: bool = false;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 64u;
    let hw = P.kv_dim / 2u;
    let t = i / hw;
    let w = i % hw;
    if (t >= D.x) {
        return;
    }
    let ks = t * P.stride + P.k_off + 2u * w;
    let vs = t * P.stride + P.v_off + 2u * w;
    let dst = u32(pos[t]) * hw + w;
    if (KV32) {
        KC[2u * dst] = bitcast<u32>(K[ks]);
        KC[2u * dst + 1u] = bitcast<u32>(K[ks + 1u]);
        VC[2u * dst] = bitcast<u32>(V[vs]);
        VC[2u * dst + 1u] = bitcast<u32>(V[vs + 1u]);
    } else {
        KC[dst] = pack_h2(K[ks], K[ks + 1u]);
        VC[dst] = pack_h2(V[vs], V[vs + 1u]);
    }
}

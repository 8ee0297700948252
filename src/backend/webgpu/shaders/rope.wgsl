// Rotates x (n_tokens, n_heads, head_dim) in place (rows `stride` apart: q and k heads of a fused qkv
// row are rotated in one dispatch); cs (n_tokens, n_rot / 2) holds (cos, sin) of each
// token's angles, computed on the CPU side exactly as the CPU backend does. NORM pairs (2j, 2j + 1),
// NEOX pairs (j, j + n_rot / 2). One thread per (token, head, pair).
struct Params {
    n_heads: u32,
    head_dim: u32,
    half: u32,   // n_rot / 2
    neox: u32,
    stride: u32,  // elements between tokens
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read> CS: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> D: vec4<u32>;  // x: tokens

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 64u;
    let j = i % P.half;
    let th = i / P.half;  // token * n_heads + head
    let t = th / P.n_heads;
    if (t >= D.x) {
        return;
    }
    var a = 2u * j;
    var b = 2u * j + 1u;
    if (P.neox != 0u) {
        a = j;
        b = j + P.half;
    }
    let base = t * P.stride + (th % P.n_heads) * P.head_dim;
    let cs = CS[t * P.half + j];
    let x0 = X[base + a];
    let x1 = X[base + b];
    X[base + a] = x0 * cs.x - x1 * cs.y;
    X[base + b] = x0 * cs.y + x1 * cs.x;
}

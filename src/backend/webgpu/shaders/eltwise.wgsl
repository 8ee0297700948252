// Element-wise ops over n elements, one thread each (entry points per op):
// swiglu: A = silu(A) * B; swiglu_fused: A[t, i] = silu(B[t, i]) * B[t, n + i] (B = fused gate|up
// rows); add: A += B; add_bias: A[i] += B[i % dim].
struct Params {
    n: u32,     // elements per token
    dim: u32,   // bias length (add_bias)
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<uniform> D: vec4<u32>;  // x: tokens

fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 256u;
}

@compute @workgroup_size(256)
fn swiglu(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= P.n * D.x) {
        return;
    }
    let g = A[i];
    A[i] = g / (1.0 + exp(-g)) * B[i];
}

@compute @workgroup_size(256)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= P.n * D.x) {
        return;
    }
    A[i] += B[i];
}

@compute @workgroup_size(256)
fn add_bias(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= P.n * D.x) {
        return;
    }
    A[i] += B[i % P.dim];
}

@compute @workgroup_size(256)
fn swiglu_fused(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= P.n * D.x) {
        return;
    }
    let t = i / P.n;
    let c = i % P.n;
    let g = B[t * 2u * P.n + c];
    A[i] = g / (1.0 + exp(-g)) * B[t * 2u * P.n + P.n + c];
}

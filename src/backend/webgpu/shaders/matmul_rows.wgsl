// y (n_tokens, rows) (+)= x (n_tokens, cols) · Wᵀ with one thread per (row, token) and no workgroup
// barriers: for software adapters (SwiftShader, lavapipe), where a barrier costs a coroutine switch per
// invocation and the GPU kernels (matvec.wgsl, matmul_multi.wgsl) run a hundred times slower.
// cols is a multiple of 32; dot_chunk() as in matvec.wgsl.
struct Params {
    rows: u32,
    cols: u32,
    row_bytes: u32,
    row0: u32,
    x_stride: u32,
    y_stride: u32,
    acc: u32,
    n_chunks: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(2) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> D: vec4<u32>;

fn xin(i: u32) -> vec4<f32> {
    return X[i];
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 64u;
    let r = i % P.rows;
    let t = i / P.rows;
    if (t >= D.x) {
        return;
    }
    let rb = r * P.row_bytes;
    let xb = t * (P.x_stride / 4u);
    var s = 0.0;
    for (var c = 0u; c < P.n_chunks; c++) {
        s += dot_chunk(rb, c, xb + 8u * c);
    }
    let yi = t * P.y_stride + P.row0 + r;
    if (P.acc != 0u) {
        s += Y[yi];
    }
    Y[yi] = s;
}

// The inputs and outputs every matrix-product kernel (matvec, matmul_multi, matmul_rows) shares: its
// parameters, x, y, the batch size D.x, and xin(), which reads x through x_scaled() of x_plain.wgsl or
// x_rmsnorm.wgsl.
struct Params {
    rows: u32,
    cols: u32,
    row_bytes: u32,
    row0: u32,
    x_stride: u32,
    y_stride: u32,
    acc: u32,
    n_chunks: u32,
    eps: f32,  // x_rmsnorm.wgsl's epsilon
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(2) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> D: vec4<u32>;

// SWIGLU_OUT: the weight rows are gate and up interleaved in groups of 4 (8 rows per workgroup: 4 gate
// rows, then the 4 matching up rows) and the kernel writes silu(gate) * up for 4 outputs per group
// (y row = group * 4 + k, row0 counted in outputs), saving the SwiGLU dispatch.
override SWIGLU_OUT: bool = false;

fn swiglu_out(g: f32, u: f32) -> f32 {
    return g / (1.0 + exp(-g)) * u;
}

fn xin(i: u32) -> vec4<f32> {
    return x_scaled(i, X[i]);
}

// The inputs and outputs every matrix-product kernel (matvec, matmul_multi, matmul_rows) shares: its
// parameters, x, y, the batch size D.x, and xin(), which reads x — or, with SWIGLU, computes
// silu(gate) * up from a gate|up row on the fly — through x_scaled() of x_plain.wgsl or x_rmsnorm.wgsl.
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

override SWIGLU: bool = false;  // x = silu(gate) * up from a gate|up row (x_stride = 2 * cols)

fn xin(i: u32) -> vec4<f32> {
    if (SWIGLU) {
        let g = X[i];
        return g / (1.0 + exp(-g)) * X[i + P.cols / 4u];
    }
    return x_scaled(i, X[i]);
}

// y (n_tokens, rows) (+)= x (n_tokens, cols) · Wᵀ with one thread per (row, token) and no workgroup
// barriers: for software adapters (SwiftShader, lavapipe), where a barrier costs a coroutine switch per
// invocation and the GPU kernels (matvec.wgsl, matmul_multi.wgsl) run a hundred times slower.
// cols is a multiple of 32; dot_chunk() as in matvec.wgsl.
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

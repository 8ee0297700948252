// out (n_tokens, cols) = rows ids[t] of a table part (rows row0..row0+rows), dequantized. One thread
// per (chunk of 32, token); tokens whose id is in another part are left alone.
struct Params {
    rows: u32,
    cols: u32,
    row_bytes: u32,
    row0: u32,
    n_chunks: u32,
}
struct Dyn {
    n_tokens: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> ids: array<i32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> D: Dyn;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 64u;
    let t = i / P.n_chunks;
    let c = i % P.n_chunks;
    if (t >= D.n_tokens) {
        return;
    }
    let id = ids[t] - i32(P.row0);
    if (id < 0 || id >= i32(P.rows)) {
        return;
    }
    let w = deq(u32(id) * P.row_bytes, c, P.cols);
    for (var k = 0u; k < 32u; k++) {
        let e = 32u * c + k;
        if (e < P.cols) {
            Y[t * P.cols + e] = w[k / 4u][k % 4u];
        }
    }
}

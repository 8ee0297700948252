// y (1, rows) (+)= x (1, cols) · Wᵀ for decoding, when cols is a multiple of 32: 8 rows per workgroup
// of 256 threads, 32 threads per row, each thread summing whole chunks of 32 (dot_chunk() from
// dot_<type>.wgsl: dequantized and multiplied without intermediate arrays), then a shared-memory tree.
// With x_rmsnorm.wgsl, x is normalized as it is read (x_prologue computes the scale).
var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    x_prologue(lid);
    let g = flat_group(wid, nwg);
    let lane = lid & 31u;
    let r = g * 8u + (lid >> 5u);
    var s = 0.0;
    if (r < P.rows) {
        let rb = r * P.row_bytes;
        // Two chunks per step: their loads overlap.
        var s1 = 0.0;
        var c = lane;
        for (; c + 32u < P.n_chunks; c += 64u) {
            s += dot_chunk(rb, c, 8u * c);
            s1 += dot_chunk(rb, c + 32u, 8u * (c + 32u));
        }
        if (c < P.n_chunks) {
            s += dot_chunk(rb, c, 8u * c);
        }
        s += s1;
    }
    red[lid] = s;
    workgroupBarrier();
    for (var k = 16u; k > 0u; k >>= 1u) {
        if (lane < k) {
            red[lid] += red[lid + k];
        }
        workgroupBarrier();
    }
    if (lane == 0u && r < P.rows) {
        let yi = P.row0 + r;
        var v = red[lid];
        if (P.acc != 0u) {
            v += Y[yi];
        }
        Y[yi] = v;
    }
}

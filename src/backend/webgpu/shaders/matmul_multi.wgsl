// y (n_tokens, rows) (+)= x (n_tokens, cols) · Wᵀ for prompts, when cols is a multiple of 32: as
// matvec.wgsl (8 rows per workgroup of 256, 32 threads per row) for 8 tokens at once, so each weight
// chunk is read from memory once per 8 tokens (dot_chunk() dequantizes it again per token: cheap ALU
// work against the memory traffic it saves). Rows of x past the batch are read but not written.
// ROLLED: a token loop instead of eight inlined dot_chunk() calls (software drivers compile the
// unrolled kernel for a minute; the GPU runs it faster).
override ROLLED: bool = false;

var<workgroup> red0: array<vec4<f32>, 256>;
var<workgroup> red1: array<vec4<f32>, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = flat_group(wid, nwg);
    let n_rg = (P.rows + 7u) / 8u;
    let t0 = (g / n_rg) * 8u;
    if (t0 >= D.x) {
        return;
    }
    let lane = lid & 31u;
    let r = (g % n_rg) * 8u + (lid >> 5u);
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    if (r < P.rows) {
        let rb = r * P.row_bytes;
        let xs = P.x_stride / 4u;
        let nt = min(8u, D.x - t0);
        for (var c = lane; c < P.n_chunks; c += 32u) {
            let xb = t0 * xs + 8u * c;
            if (ROLLED) {
                for (var t = 0u; t < nt; t++) {
                    let v = dot_chunk(rb, c, xb + t * xs);
                    if (t < 4u) {
                        a0[t] += v;
                    } else {
                        a1[t - 4u] += v;
                    }
                }
            } else {
                a0 += vec4<f32>(dot_chunk(rb, c, xb), dot_chunk(rb, c, xb + xs), dot_chunk(rb, c, xb + 2u * xs),
                                dot_chunk(rb, c, xb + 3u * xs));
                a1 += vec4<f32>(dot_chunk(rb, c, xb + 4u * xs), dot_chunk(rb, c, xb + 5u * xs),
                                dot_chunk(rb, c, xb + 6u * xs), dot_chunk(rb, c, xb + 7u * xs));
            }
        }
    }
    red0[lid] = a0;
    red1[lid] = a1;
    workgroupBarrier();
    for (var k = 16u; k > 0u; k >>= 1u) {
        if (lane < k) {
            red0[lid] += red0[lid + k];
            red1[lid] += red1[lid + k];
        }
        workgroupBarrier();
    }
    if (SWIGLU_OUT) {
        let k = lid >> 5u;
        if (lane == 0u && k < 4u && r + 4u < P.rows) {
            let nt = min(8u, D.x - t0);
            let yr = P.row0 + (g % n_rg) * 4u + k;
            for (var t = 0u; t < nt; t++) {
                var gv: f32;
                var uv: f32;
                if (t < 4u) {
                    gv = red0[lid][t];
                    uv = red0[lid + 128u][t];
                } else {
                    gv = red1[lid][t - 4u];
                    uv = red1[lid + 128u][t - 4u];
                }
                Y[(t0 + t) * P.y_stride + yr] = swiglu_out(gv, uv);
            }
        }
        return;
    }
    if (lane == 0u && r < P.rows) {
        let nt = min(8u, D.x - t0);
        for (var t = 0u; t < nt; t++) {
            let yi = (t0 + t) * P.y_stride + P.row0 + r;
            var v: f32;
            if (t < 4u) {
                v = red0[lid][t];
            } else {
                v = red1[lid][t - 4u];
            }
            if (P.acc != 0u) {
                v += Y[yi];
            }
            Y[yi] = v;
        }
    }
}

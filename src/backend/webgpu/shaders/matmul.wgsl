// y (n_tokens, rows) (+)= x (n_tokens, cols) · Wᵀ for one part of a weight matrix (rows row0.. of the
// whole). One workgroup per (row, group of T tokens): T = 1 is the matrix-vector product of decoding,
// T = 8 the matrix-matrix product of a prompt (each weight chunk is dequantized once for T tokens).
// deq() (from deq_<type>.wgsl) dequantizes chunk c (32 elements) of the row at byte rb.
struct Params {
    rows: u32,       // rows in this part
    cols: u32,
    row_bytes: u32,
    row0: u32,       // first row of this part in the whole matrix
    x_stride: u32,   // elements between tokens in x
    y_stride: u32,   // elements between tokens in y
    acc: u32,        // 1: y += x·Wᵀ (the residual add fused)
    n_chunks: u32,   // ceil(cols / 32)
}
struct Dyn {
    n_tokens: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> D: Dyn;

override WG: u32 = 64u;
override T: u32 = 1u;
override XH: bool = false;  // round x to fp16 first (F16 weights, as the CPU does)

var<workgroup> red: array<f32, 512>;  // WG * T <= 512

fn xv(i: u32) -> vec4<f32> {
    let v = vec4<f32>(X[i], X[i + 1u], X[i + 2u], X[i + 3u]);
    if (XH) {
        return vec4<f32>(round_h(v.x), round_h(v.y), round_h(v.z), round_h(v.w));
    }
    return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = flat_group(wid, nwg);
    let row = g % P.rows;
    let t0 = (g / P.rows) * T;
    let n = D.n_tokens;
    if (t0 >= n) {
        return;
    }
    let rb = row * P.row_bytes;
    var acc: array<f32, 8>;
    for (var t = 0u; t < T; t++) {
        acc[t] = 0.0;
    }
    for (var c = lid; c < P.n_chunks; c += WG) {
        let w = deq(rb, c, P.cols);
        for (var t = 0u; t < T; t++) {
            if (t0 + t < n) {
                let xo = (t0 + t) * P.x_stride + 32u * c;
                var s = 0.0;
                for (var i = 0u; i < 8u; i++) {
                    s += dot(w[i], xv(xo + 4u * i));
                }
                acc[t] += s;
            }
        }
    }
    for (var t = 0u; t < T; t++) {
        red[t * WG + lid] = acc[t];
    }
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            for (var t = 0u; t < T; t++) {
                red[t * WG + lid] += red[t * WG + lid + s];
            }
        }
        workgroupBarrier();
    }
    if (lid < T && t0 + lid < n) {
        let yi = (t0 + lid) * P.y_stride + P.row0 + row;
        var v = red[lid * WG];
        if (P.acc != 0u) {
            v += Y[yi];
        }
        Y[yi] = v;
    }
}

// y (n_tokens, dim) = x / rms(x) * weight, one workgroup per token.
struct Params {
    dim: u32,
    eps: f32,
    x_off: u32,  // element offset of the first row used in x (the last token's row for the output norm)
    x_stride: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> D: vec4<u32>;  // x: tokens; y: 1 = only the last token

var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    var t = wid.x;
    if (t >= D.x) {
        return;
    }
    var yt = t;
    if (D.y != 0u) {
        t = D.x - 1u;
        yt = 0u;
    }
    let xo = P.x_off + t * P.x_stride;
    // Unrolled by 4 with independent sums (loads overlap).
    var s0 = 0.0;
    var s1 = 0.0;
    var s2 = 0.0;
    var s3 = 0.0;
    var i = lid;
    for (; i + 768u < P.dim; i += 1024u) {
        let a = X[xo + i];
        let b = X[xo + i + 256u];
        let c = X[xo + i + 512u];
        let d = X[xo + i + 768u];
        s0 += a * a;
        s1 += b * b;
        s2 += c * c;
        s3 += d * d;
    }
    for (; i < P.dim; i += 256u) {
        let v = X[xo + i];
        s0 += v * v;
    }
    red[lid] = (s0 + s1) + (s2 + s3);
    workgroupBarrier();
    for (var k = 128u; k > 0u; k >>= 1u) {
        if (lid < k) {
            red[lid] += red[lid + k];
        }
        workgroupBarrier();
    }
    let scale = 1.0 / sqrt(red[0] / f32(P.dim) + P.eps);
    for (var i = lid; i < P.dim; i += 256u) {
        Y[yt * P.dim + i] = X[xo + i] * scale * Wt[i];
    }
}

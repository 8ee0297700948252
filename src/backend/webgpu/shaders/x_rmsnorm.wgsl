// RMSNorm fused into the decode product (matvec.wgsl): X is the residual stream of one token and each
// workgroup computes 1/rms(x) as it starts (dim floats, read from cache, against a dispatch and a
// barrier saved per norm); x_scaled() applies it and the norm weight NW as x is read, in the order of
// rmsnorm.wgsl ((x * scale) * weight).
@group(0) @binding(5) var<storage, read> NW: array<vec4<f32>>;

var<private> norm_scale: f32;
var<workgroup> norm_red: array<f32, 256>;

fn x_prologue(lid: u32) {
    var s = 0.0;
    for (var i = lid; i < P.cols / 4u; i += 256u) {
        let v = X[i];
        s += dot(v, v);
    }
    norm_red[lid] = s;
    workgroupBarrier();
    for (var k = 128u; k > 0u; k >>= 1u) {
        if (lid < k) {
            norm_red[lid] += norm_red[lid + k];
        }
        workgroupBarrier();
    }
    norm_scale = 1.0 / sqrt(norm_red[0] / f32(P.cols) + P.eps);
}
fn x_scaled(i: u32, v: vec4<f32>) -> vec4<f32> {
    return v * norm_scale * NW[i];
}

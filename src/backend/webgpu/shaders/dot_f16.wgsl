// F16 weights for matvec.wgsl: chunk c of a row is 4 vec4<u32> of fp16 pairs; x is rounded to fp16
// first, as the CPU backend does.
@group(0) @binding(1) var<storage, read> W: array<vec4<u32>>;
fn xh(v: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(round_h(v.x), round_h(v.y), round_h(v.z), round_h(v.w));
}
fn dot_chunk(rb: u32, c: u32, x4: u32) -> f32 {
    let b = (rb >> 4u) + 4u * c;
    var s = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let w = W[b + i];
        s += dot(vec4<f32>(h2(w.x), h2(w.y)), xh(xin(x4 + 2u * i)));
        s += dot(vec4<f32>(h2(w.z), h2(w.w)), xh(xin(x4 + 2u * i + 1u)));
    }
    return s;
}

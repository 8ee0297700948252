// F32 weights for matvec.wgsl: chunk c of a row is 8 vec4s.
@group(0) @binding(1) var<storage, read> W: array<vec4<f32>>;
fn dot_chunk(rb: u32, c: u32, x4: u32) -> f32 {
    let b = (rb >> 4u) + 8u * c;
    var s = 0.0;
    for (var i = 0u; i < 8u; i++) {
        s += dot(W[b + i], xin(x4 + i));
    }
    return s;
}

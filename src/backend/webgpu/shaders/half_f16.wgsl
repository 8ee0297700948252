// The shader-f16 path: fp16 pairs are read as native vec2<f16>.
enable f16;

fn h2(u: u32) -> vec2<f32> {
    return vec2<f32>(bitcast<vec2<f16>>(u));
}
fn round_h(x: f32) -> f32 {
    return f32(f16(x));
}

// Two fp16 values packed in a u32 (low half first) as f32s: core WGSL, no shader-f16 needed.
fn h2(u: u32) -> vec2<f32> {
    return unpack2x16float(u);
}
// An f32 rounded to fp16 and back (the KV cache and F16 weights' activations are fp16).
fn round_h(x: f32) -> f32 {
    return quantizeToF16(x);
}

// fp16 helpers, core WGSL (no shader-f16 needed). Rounding to fp16 is done with integer operations,
// round-to-nearest-even like the CPU's fp32_to_fp16: quantizeToF16 and pack2x16float round differently
// on some drivers (SwiftShader, lavapipe).

// Two fp16 values packed in a u32 (low half first) as f32s.
fn h2(u: u32) -> vec2<f32> {
    return unpack2x16float(u);
}

// The fp16 bits of x, rounded to nearest even (overflow to infinity; NaN is not preserved).
fn f16_bits(x: f32) -> u32 {
    let u = bitcast<u32>(x);
    let sign = (u >> 16u) & 0x8000u;
    let a = u & 0x7fffffffu;
    if (a >= 0x477ff000u) {
        return sign | 0x7c00u;
    }
    if (a >= 0x38800000u) {
        let r = a + 0xfffu + ((a >> 13u) & 1u);
        return sign | ((r - 0x38000000u) >> 13u);
    }
    return sign | u32(round(bitcast<f32>(a) * 16777216.0));
}
// An f32 rounded to fp16 and back (the KV cache and F16 weights' activations are fp16).
fn round_h(x: f32) -> f32 {
    return h2(f16_bits(x)).x;
}
fn pack_h2(a: f32, b: f32) -> u32 {
    return f16_bits(a) | (f16_bits(b) << 16u);
}

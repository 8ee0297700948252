// Q8_0: blocks of 32 in 34 bytes: fp16 d, 32 signed bytes; x = d * q.
fn deq(rb: u32, c: u32, cols: u32) -> array<vec4<f32>, 8> {
    var o: array<vec4<f32>, 8>;
    let b = rb + 34u * c;
    let d = rd_f16(b);
    for (var i = 0u; i < 8u; i++) {
        o[i] = i8x4(rd_u32(b + 2u + 4u * i)) * d;
    }
    return o;
}

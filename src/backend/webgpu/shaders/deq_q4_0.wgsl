// Q4_0: blocks of 32 in 18 bytes: fp16 d, 16 bytes of nibbles (low = element j, high = j + 16);
// x = d * (q - 8).
fn deq(rb: u32, c: u32, cols: u32) -> array<vec4<f32>, 8> {
    var o: array<vec4<f32>, 8>;
    let b = rb + 18u * c;
    let d = rd_f16(b);
    for (var i = 0u; i < 4u; i++) {
        let q = rd_u32(b + 2u + 4u * i);
        o[i] = (nib_lo(q) - 8.0) * d;
        o[i + 4u] = (nib_hi(q) - 8.0) * d;
    }
    return o;
}

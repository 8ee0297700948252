// Q8_0 for matvec.wgsl (layout in deq_q8_0.wgsl).
@group(0) @binding(1) var<storage, read> W: array<u32>;
fn dot_chunk(rb: u32, c: u32, x4: u32) -> f32 {
    let b = rb + 34u * c;
    let d = rd_f16(b);
    var s = 0.0;
    for (var i = 0u; i < 8u; i++) {
        s += dot(i8x4(rd_u32(b + 2u + 4u * i)), xin(x4 + i));
    }
    return s * d;
}

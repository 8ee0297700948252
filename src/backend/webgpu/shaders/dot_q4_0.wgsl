// Q4_0 for matvec.wgsl (layout in deq_q4_0.wgsl).
@group(0) @binding(1) var<storage, read> W: array<u32>;
fn dot_chunk(rb: u32, c: u32, x4: u32) -> f32 {
    let b = rb + 18u * c;
    let d = rd_f16(b);
    var s = 0.0;
    for (var i = 0u; i < 4u; i++) {
        let q = rd_u32(b + 2u + 4u * i);
        s += dot(nib_lo(q) - 8.0, xin(x4 + i)) + dot(nib_hi(q) - 8.0, xin(x4 + 4u + i));
    }
    return s * d;
}

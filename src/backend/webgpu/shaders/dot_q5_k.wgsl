// q5_k for matvec.wgsl: the dequantized chunk (deq_q5_k.wgsl) dotted with x.
@group(0) @binding(1) var<storage, read> W: array<u32>;
fn dot_chunk(rb: u32, c: u32, x4: u32) -> f32 {
    let w = deq(rb, c, 0u);
    var s = 0.0;
    for (var i = 0u; i < 8u; i++) {
        s += dot(w[i], xin(x4 + i));
    }
    return s;
}

// F16 weights: chunk c of a row is elements 32c..32c+31 (row starts may be 2-byte aligned only);
// past `cols` reads as 0.
fn deq(rb: u32, c: u32, cols: u32) -> array<vec4<f32>, 8> {
    var o: array<vec4<f32>, 8>;
    if (32u * c + 32u <= cols) {
        for (var i = 0u; i < 8u; i++) {
            let b = rb + 64u * c + 8u * i;
            o[i] = vec4<f32>(h2(rd_u32(b)), h2(rd_u32(b + 4u)));
        }
        return o;
    }
    for (var i = 0u; i < 8u; i++) {
        var v = vec4<f32>(0.0);
        for (var k = 0u; k < 4u; k++) {
            let e = 32u * c + 4u * i + k;
            if (e < cols) {
                v[k] = rd_f16(rb + 2u * e);
            }
        }
        o[i] = v;
    }
    return o;
}

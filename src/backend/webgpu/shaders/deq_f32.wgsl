// F32 weights: chunk c of a row is elements 32c..32c+31; past `cols` reads as 0.
fn deq(rb: u32, c: u32, cols: u32) -> array<vec4<f32>, 8> {
    var o: array<vec4<f32>, 8>;
    for (var i = 0u; i < 8u; i++) {
        var v = vec4<f32>(0.0);
        for (var k = 0u; k < 4u; k++) {
            let e = 32u * c + 4u * i + k;
            if (e < cols) {
                v[k] = bitcast<f32>(W[(rb >> 2u) + e]);
            }
        }
        o[i] = v;
    }
    return o;
}

// Q5_K: as Q4_K with a fifth bit per element (bit j of qh[l] for sub-block j), 176 bytes per 256.
fn k4_scale_min(sb: u32, j: u32) -> vec2<f32> {
    if (j < 4u) {
        return vec2<f32>(f32(rd_u8(sb + j) & 63u), f32(rd_u8(sb + j + 4u) & 63u));
    }
    let sc = (rd_u8(sb + j + 4u) & 0xfu) | ((rd_u8(sb + j - 4u) >> 6u) << 4u);
    let m = (rd_u8(sb + j + 4u) >> 4u) | ((rd_u8(sb + j) >> 6u) << 4u);
    return vec2<f32>(f32(sc), f32(m));
}
fn deq(rb: u32, c: u32, cols: u32) -> array<vec4<f32>, 8> {
    var o: array<vec4<f32>, 8>;
    let b = rb + 176u * (c >> 3u);
    let j = c & 7u;
    let dd = h2(W[b >> 2u]);
    let sm = k4_scale_min(b + 4u, j);
    let dl = dd.x * sm.x;
    let ml = dd.y * sm.y;
    let hb = b + 16u;
    let qb = b + 48u + 32u * (j >> 1u);
    for (var i = 0u; i < 8u; i++) {
        let q = W[(qb >> 2u) + i];
        let h = W[(hb >> 2u) + i];
        var v: vec4<f32>;
        if ((j & 1u) == 0u) {
            v = nib_lo(q);
        } else {
            v = nib_hi(q);
        }
        let hi = vec4<f32>(vec4<u32>(h >> j, h >> (8u + j), h >> (16u + j), h >> (24u + j)) & vec4<u32>(1u)) * 16.0;
        o[i] = dl * (v + hi) - ml;
    }
    return o;
}

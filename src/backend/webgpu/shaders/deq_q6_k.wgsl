// Q6_K: super-blocks of 256 in 210 bytes: ql[128], qh[64], int8 scales[16], fp16 d. Element
// 128h + 32k + l: low nibble in ql[64h + l + 32 (k & 1)] (high nibble for k >= 2), top two bits at 2k
// in qh[32h + l], scale scales[8h + 2k + l / 16]; x = d * sc * (q - 32). Chunk c: h = c / 4, k = c % 4.
fn deq(rb: u32, c: u32, cols: u32) -> array<vec4<f32>, 8> {
    var o: array<vec4<f32>, 8>;
    let b = rb + 210u * (c >> 3u);
    let cc = c & 7u;
    let h = cc >> 2u;
    let k = cc & 3u;
    let d = rd_f16(b + 208u);
    let sc = i8x4(rd_u16(b + 192u + 8u * h + 2u * k)); // .x = scale of l < 16, .y of l >= 16
    let d0 = d * sc.x;
    let d1 = d * sc.y;
    let lb = b + 64u * h + 32u * (k & 1u);
    let hb = b + 128u + 32u * h;
    let ls = 4u * (k >> 1u);
    let hs = 2u * k;
    for (var i = 0u; i < 8u; i++) {
        let ql = rd_u32(lb + 4u * i);
        let qh = rd_u32(hb + 4u * i);
        let lo = vec4<u32>(ql >> ls, ql >> (8u + ls), ql >> (16u + ls), ql >> (24u + ls)) & vec4<u32>(0xfu);
        let hi = vec4<u32>(qh >> hs, qh >> (8u + hs), qh >> (16u + hs), qh >> (24u + hs)) & vec4<u32>(3u);
        let q = vec4<f32>(lo | (hi << vec4<u32>(4u))) - 32.0;
        var dl = d0;
        if (i >= 4u) {
            dl = d1;
        }
        o[i] = dl * q;
    }
    return o;
}

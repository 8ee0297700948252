// Byte-addressed reads from the weight words W (blocks of 18, 34 or 210 bytes are only 2-byte aligned).
// Branch-free, so a chunk's loads issue together (weight buffers carry 4 spare bytes for W[w + 1]).
fn rd_u32(b: u32) -> u32 {
    let w = b >> 2u;
    let s = (b & 3u) * 8u;
    let lo = W[w];
    let hi = W[w + 1u];
    return select((lo >> s) | (hi << ((32u - s) & 31u)), lo, s == 0u);
}
fn rd_u16(b: u32) -> u32 {
    return (W[b >> 2u] >> ((b & 3u) * 8u)) & 0xffffu;
}
fn rd_u8(b: u32) -> u32 {
    return (W[b >> 2u] >> ((b & 3u) * 8u)) & 0xffu;
}
fn rd_f16(b: u32) -> f32 {
    return h2(rd_u16(b)).x;
}
// Four bytes of a word as unsigned / signed integers.
fn u8x4(q: u32) -> vec4<f32> {
    return vec4<f32>(vec4<u32>(q, q >> 8u, q >> 16u, q >> 24u) & vec4<u32>(0xffu));
}
fn i8x4(q: u32) -> vec4<f32> {
    return vec4<f32>(bitcast<vec4<i32>>(vec4<u32>(q << 24u, q << 16u, q << 8u, q)) >> vec4<u32>(24u));
}
fn nib_lo(q: u32) -> vec4<f32> {
    return vec4<f32>(vec4<u32>(q, q >> 8u, q >> 16u, q >> 24u) & vec4<u32>(0xfu));
}
fn nib_hi(q: u32) -> vec4<f32> {
    return vec4<f32>(vec4<u32>(q >> 4u, q >> 12u, q >> 20u, q >> 28u) & vec4<u32>(0xfu));
}

// Shared helpers, prepended to every shader. `W` (the quantized weights, array<u32>) is declared by the
// shader that includes the byte readers. fp16 pairs are unpacked by h2(), defined in half_f32.wgsl
// (core WGSL) or half_f16.wgsl (the shader-f16 path).

// The flat index of a workgroup in a 2-D dispatch (more than 65535 workgroups are split over y).
fn flat_group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

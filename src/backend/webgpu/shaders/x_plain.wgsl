// x as stored: the input of matrix products that are not fused with a norm (see x_rmsnorm.wgsl).
fn x_prologue(lid: u32) {
}
fn x_scaled(i: u32, v: vec4<f32>) -> vec4<f32> {
    return v;
}

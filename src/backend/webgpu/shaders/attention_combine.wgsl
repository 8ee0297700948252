// Decoding: merges attention.wgsl's SPLIT partials of each head, (m_s, l_s, o_s) for s < N_SPLIT, into
// out (1, n_heads * head_dim) = sum_s exp(m_s - M) o_s / sum_s exp(m_s - M) l_s with M = max_s m_s.
// An empty split has m = -3.4e38, l = 0, o = 0 and drops out. One workgroup per head; the split count
// is a pipeline constant so the loops over splits unroll and their loads overlap.
struct Params {
    n_heads: u32,
    head_dim: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> PART: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@group(0) @binding(3) var<uniform> D: vec4<u32>;

override N_SPLIT: u32 = 8u;
const MAX_SPLIT = 64u;

var<workgroup> weight: array<f32, MAX_SPLIT>;  // exp(m_s - M) / L

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let h = wid.x;
    let stride = P.head_dim + 2u;
    let p0 = h * N_SPLIT * stride;
    // Every thread reads the N_SPLIT (m, l) pairs (cached) and finds M and L itself: no barrier but one.
    var m: array<f32, MAX_SPLIT>;
    var mx = -3.4e38;
    for (var s = 0u; s < N_SPLIT; s++) {
        m[s] = PART[p0 + s * stride];
        mx = max(mx, m[s]);
    }
    var l = 0.0;
    for (var s = 0u; s < N_SPLIT; s++) {
        l += exp(m[s] - mx) * PART[p0 + s * stride + 1u];
    }
    if (lid < N_SPLIT) {
        weight[lid] = exp(m[lid] - mx) / l;
    }
    workgroupBarrier();
    for (var i = lid; i < P.head_dim; i += 64u) {
        var acc = 0.0;
        for (var s = 0u; s < N_SPLIT; s++) {
            acc += weight[s] * PART[p0 + s * stride + 2u + i];
        }
        O[h * P.head_dim + i] = acc;
    }
}

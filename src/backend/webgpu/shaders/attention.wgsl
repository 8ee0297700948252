// out (n_tokens, n_heads * head_dim) = causal softmax(q·kᵀ * scale)·v over cache positions
// [0, pos[t]] of one layer's fp16 cache; kv head = head / group. One workgroup of 64 per (token, head):
// pass 1 finds the max and the sum of exponentials (online, per thread, then combined), pass 2 sums
// the values weighted by the probabilities, 64 keys at a time. As the CPU backend does against an fp16
// cache, q and the probabilities are rounded to fp16 (not with an f32 cache, KV32).
struct Params {
    n_heads: u32,
    head_dim: u32,
    group: u32,     // n_heads / n_kv_heads
    kv_words: u32,  // kv_dim / 2: pairs per cache row
    scale: f32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(2) var<storage, read> KC: array<u32>;
@group(0) @binding(3) var<storage, read> VC: array<u32>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;
@group(0) @binding(5) var<storage, read> pos: array<i32>;
@group(0) @binding(6) var<uniform> D: vec4<u32>;  // x: tokens

const WG = 64u;
override KV32: bool = false;

// Pair w of cache row j, as f32s.
fn k2(j: u32, w: u32) -> vec2<f32> {
    let i = j * P.kv_words + w;
    if (KV32) {
        return vec2<f32>(bitcast<f32>(KC[2u * i]), bitcast<f32>(KC[2u * i + 1u]));
    }
    return h2(KC[i]);
}
fn v2(j: u32, w: u32) -> vec2<f32> {
    let i = j * P.kv_words + w;
    if (KV32) {
        return vec2<f32>(bitcast<f32>(VC[2u * i]), bitcast<f32>(VC[2u * i + 1u]));
    }
    return h2(VC[i]);
}
fn rh(x: f32) -> f32 {
    if (KV32) {
        return x;
    }
    return round_h(x);
}
var<workgroup> qs: array<vec2<f32>, 128>;  // head_dim <= 256
var<workgroup> rm: array<f32, 64>;
var<workgroup> rs: array<f32, 64>;
var<workgroup> pw: array<f32, 64>;

fn score(j: u32, kb: u32) -> f32 {
    var s = 0.0;
    for (var i = 0u; i < P.head_dim / 2u; i++) {
        s += dot(qs[i], k2(j, kb + i));
    }
    return s * P.scale;
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = flat_group(wid, nwg);
    let t = g / P.n_heads;
    let h = g % P.n_heads;
    if (t >= D.x) {
        return;
    }
    let hd2 = P.head_dim / 2u;
    let qo = (t * P.n_heads + h) * P.head_dim;
    for (var i = lid; i < hd2; i += WG) {
        qs[i] = vec2<f32>(rh(Q[qo + 2u * i]), rh(Q[qo + 2u * i + 1u]));
    }
    workgroupBarrier();
    let n_keys = u32(pos[t]) + 1u;
    let kb = (h / P.group) * hd2;  // first word of this kv head in a cache row

    // Pass 1: running max m and sum l of exp(s - m) per thread, then combined.
    var m = -3.4e38;
    var l = 0.0;
    for (var j = lid; j < n_keys; j += WG) {
        let s = score(j, kb);
        if (s > m) {
            l = l * exp(m - s) + 1.0;
            m = s;
        } else {
            l += exp(s - m);
        }
    }
    rm[lid] = m;
    rs[lid] = l;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k >>= 1u) {
        if (lid < k) {
            let m1 = rm[lid];
            let m2 = rm[lid + k];
            let mm = max(m1, m2);
            rs[lid] = rs[lid] * exp(m1 - mm) + rs[lid + k] * exp(m2 - mm);
            rm[lid] = mm;
        }
        workgroupBarrier();
    }
    let mx = rm[0];
    let inv = 1.0 / rs[0];
    workgroupBarrier();

    // Pass 2: o[d] = sum_j p_j v_j[d], thread lid owns dimension pairs lid, lid + 64.
    var o0 = vec2<f32>(0.0);
    var o1 = vec2<f32>(0.0);
    for (var j0 = 0u; j0 < n_keys; j0 += WG) {
        let j = j0 + lid;
        var p = 0.0;
        if (j < n_keys) {
            p = rh(exp(score(j, kb) - mx) * inv);
        }
        pw[lid] = p;
        workgroupBarrier();
        let nj = min(WG, n_keys - j0);
        for (var jj = 0u; jj < nj; jj++) {
            let pj = pw[jj];
            if (lid < hd2) {
                o0 += pj * v2(j0 + jj, kb + lid);
            }
            if (lid + WG < hd2) {
                o1 += pj * v2(j0 + jj, kb + lid + WG);
            }
        }
        workgroupBarrier();
    }
    let oo = (t * P.n_heads + h) * P.head_dim;
    if (lid < hd2) {
        O[oo + 2u * lid] = o0.x;
        O[oo + 2u * lid + 1u] = o0.y;
    }
    if (lid + WG < hd2) {
        O[oo + 2u * (lid + WG)] = o1.x;
        O[oo + 2u * (lid + WG) + 1u] = o1.y;
    }
}

// out (n_tokens, n_heads * head_dim) = causal softmax(q·kᵀ * scale)·v over cache positions
// [0, pos[t]] of one layer's cache; kv head = head / group. One workgroup of 256 per (token, head):
// pass 1 finds the max and the sum of exponentials (online per thread, then combined); pass 2 takes
// the keys in blocks of 1024, stores their probabilities in workgroup memory, and sums the values with
// the threads split into key groups x dimension pairs. As the CPU backend does against an fp16 cache,
// q and the probabilities are rounded to fp16 (not with an f32 cache, KV32).
// SPLIT (decoding one token): one workgroup per (head, split) takes the split's share of the keys and
// writes a partial result, (max m, sum l of exp(s - m), unnormalized output), which
// attention_combine.wgsl merges: n_heads workgroups alone leave most of a large GPU idle. The
// probabilities are then rounded to fp16 before normalization instead of after.
struct Params {
    n_heads: u32,
    head_dim: u32,
    group: u32,     // n_heads / n_kv_heads
    kv_words: u32,  // kv_dim / 2: pairs per cache row
    scale: f32,
    q_stride: u32,  // elements between tokens in Q
    n_split: u32,   // SPLIT: splits per head
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(2) var<storage, read> KC: array<vec4<u32>>;  // 16-byte loads (head_dim % 8 == 0)
@group(0) @binding(3) var<storage, read> VC: array<u32>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;
@group(0) @binding(5) var<storage, read> pos: array<i32>;
@group(0) @binding(6) var<uniform> D: vec4<u32>;  // x: tokens

const WG = 256u;
const BLOCK = 1024u;
override KV32: bool = false;
override SPLIT: bool = false;

var<workgroup> qs: array<vec2<f32>, 128>;  // head_dim <= 256
var<workgroup> rm: array<f32, 256>;
var<workgroup> rs: array<f32, 256>;
var<workgroup> pw: array<f32, 1024>;
var<workgroup> ro: array<vec2<f32>, 256>;

// Pair w of cache row j, as f32s.
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

// q·k for cache row j, kv head starting at pair kb: the key read 16 bytes at a time (8 fp16 values, or
// 4 f32), two loads in flight with independent sums.
fn score(j: u32, kb: u32) -> f32 {
    let hd2 = P.head_dim / 2u;
    var s0 = 0.0;
    var s1 = 0.0;
    if (KV32) {
        let b = (j * P.kv_words + kb) / 2u;  // f32 words: 2 per pair, 4 per vec4
        var i = 0u;
        for (; i + 3u < hd2; i += 4u) {
            let k0 = bitcast<vec4<f32>>(KC[b + i / 2u]);
            let k1 = bitcast<vec4<f32>>(KC[b + i / 2u + 1u]);
            s0 += dot(qs[i], k0.xy) + dot(qs[i + 1u], k0.zw);
            s1 += dot(qs[i + 2u], k1.xy) + dot(qs[i + 3u], k1.zw);
        }
        if (i < hd2) {
            let k0 = bitcast<vec4<f32>>(KC[b + i / 2u]);
            s0 += dot(qs[i], k0.xy) + dot(qs[i + 1u], k0.zw);
        }
        return (s0 + s1) * P.scale;
    }
    let b = (j * P.kv_words + kb) / 4u;  // fp16 pairs: 4 per vec4
    var i = 0u;
    for (; i + 7u < hd2; i += 8u) {
        let k0 = KC[b + i / 4u];
        let k1 = KC[b + i / 4u + 1u];
        s0 += dot(qs[i], h2(k0.x)) + dot(qs[i + 1u], h2(k0.y)) + dot(qs[i + 2u], h2(k0.z)) + dot(qs[i + 3u], h2(k0.w));
        s1 += dot(qs[i + 4u], h2(k1.x)) + dot(qs[i + 5u], h2(k1.y)) + dot(qs[i + 6u], h2(k1.z)) + dot(qs[i + 7u], h2(k1.w));
    }
    if (i < hd2) {
        let k0 = KC[b + i / 4u];
        s0 += dot(qs[i], h2(k0.x)) + dot(qs[i + 1u], h2(k0.y)) + dot(qs[i + 2u], h2(k0.z)) + dot(qs[i + 3u], h2(k0.w));
    }
    return (s0 + s1) * P.scale;
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = flat_group(wid, nwg);
    var t = g / P.n_heads;
    var h = g % P.n_heads;
    if (SPLIT) {
        t = 0u;
        h = g / P.n_split;
    }
    if (t >= D.x) {
        return;
    }
    let hd2 = P.head_dim / 2u;
    let qo = t * P.q_stride + h * P.head_dim;
    for (var i = lid; i < hd2; i += WG) {
        qs[i] = vec2<f32>(rh(Q[qo + 2u * i]), rh(Q[qo + 2u * i + 1u]));
    }
    workgroupBarrier();
    // Keys j_lo + [0, n_keys): all of [0, pos[t]], or this split's share.
    var n_keys = u32(pos[t]) + 1u;
    var j_lo = 0u;
    if (SPLIT) {
        let chunk = (n_keys + P.n_split - 1u) / P.n_split;
        j_lo = min(n_keys, (g % P.n_split) * chunk);
        n_keys = min(n_keys - j_lo, chunk);
    }
    let kb = (h / P.group) * hd2;  // first pair of this kv head in a cache row

    // Pass 1: running max m and sum l of exp(s - m) per thread, then combined.
    // Up to BLOCK keys, pass 1 keeps the scores for pass 2.
    let cached = n_keys <= BLOCK;
    var m = -3.4e38;
    var l = 0.0;
    for (var j = lid; j < n_keys; j += WG) {
        let s = score(j_lo + j, kb);
        if (cached) {
            pw[j] = s;
        }
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

    // Pass 2: thread = (key group kg, pair w); n_groups key groups of hd2 threads.
    let n_groups = WG / hd2;
    let kg = lid / hd2;
    let w = lid % hd2;
    var o = vec2<f32>(0.0);
    for (var j0 = 0u; j0 < n_keys; j0 += BLOCK) {
        let nj = min(BLOCK, n_keys - j0);
        workgroupBarrier();
        for (var j = lid; j < nj; j += WG) {
            var s: f32;
            if (cached) {
                s = pw[j];
            } else {
                s = score(j_lo + j0 + j, kb);
            }
            if (SPLIT) {
                pw[j] = rh(exp(s - mx));
            } else {
                pw[j] = rh(exp(s - mx) * inv);
            }
        }
        workgroupBarrier();
        if (kg < n_groups) {
            // Eight independent loads in flight per step.
            var oa = array<vec2<f32>, 8>();
            var j = kg;
            let G = n_groups;
            for (; j + 7u * G < nj; j += 8u * G) {
                oa[0] += pw[j] * v2(j_lo + j0 + j, kb + w);
                oa[1] += pw[j + G] * v2(j_lo + j0 + j + G, kb + w);
                oa[2] += pw[j + 2u * G] * v2(j_lo + j0 + j + 2u * G, kb + w);
                oa[3] += pw[j + 3u * G] * v2(j_lo + j0 + j + 3u * G, kb + w);
                oa[4] += pw[j + 4u * G] * v2(j_lo + j0 + j + 4u * G, kb + w);
                oa[5] += pw[j + 5u * G] * v2(j_lo + j0 + j + 5u * G, kb + w);
                oa[6] += pw[j + 6u * G] * v2(j_lo + j0 + j + 6u * G, kb + w);
                oa[7] += pw[j + 7u * G] * v2(j_lo + j0 + j + 7u * G, kb + w);
            }
            for (; j < nj; j += G) {
                o += pw[j] * v2(j_lo + j0 + j, kb + w);
            }
            o += ((oa[0] + oa[1]) + (oa[2] + oa[3])) + ((oa[4] + oa[5]) + (oa[6] + oa[7]));
        }
    }
    ro[lid] = o;
    workgroupBarrier();
    if (lid < hd2) {
        var acc = vec2<f32>(0.0);
        for (var k = 0u; k < n_groups; k++) {
            acc += ro[k * hd2 + lid];
        }
        if (SPLIT) {
            // Partial g: m, l, then head_dim unnormalized outputs.
            let po = g * (P.head_dim + 2u);
            if (lid == 0u) {
                O[po] = mx;
                O[po + 1u] = rs[0];
            }
            O[po + 2u + 2u * lid] = acc.x;
            O[po + 3u + 2u * lid] = acc.y;
            return;
        }
        let oo = (t * P.n_heads + h) * P.head_dim;
        O[oo + 2u * lid] = acc.x;
        O[oo + 2u * lid + 1u] = acc.y;
    }
}

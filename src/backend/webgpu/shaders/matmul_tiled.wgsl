// y (n_tokens, rows) (+)= x (n_tokens, cols) · Wᵀ for prompts: a tiled matrix-matrix product. A
// workgroup of 256 owns a tile of 64 rows x 64 tokens and walks the columns one chunk of 32 at a time:
// 64 threads dequantize the chunk of each of the 64 rows (deq() of deq_<type>.wgsl) into workgroup
// memory, the other 192 copy the 64 tokens' x chunk next to it, and then every thread multiplies 4 rows
// by 4 tokens from workgroup memory (16 sums, each weight and x value read from memory once per tile,
// where matmul_multi.wgsl dequantizes every weight again for every 8 tokens). cols is a multiple of 32.
// Thread (tr, tt) = (lid % 16, lid / 16) owns rows tr + 16i and tokens tt + 16j, i, j < 4, so a
// quarter-warp reads 8 consecutive rows: stored with the vec4 index XOR-swizzled by the row (wi()), they
// fall in 8 different banks. SWIGLU_OUT (matvec_io.wgsl): the accumulators go through workgroup memory
// so that gate row 8g + k and up row 8g + 4 + k meet in one thread.
@group(0) @binding(1) var<storage, read> W: array<u32>;

override XH: bool = false;  // round x to fp16 first (F16 weights, as the CPU does)

const BM = 64u;  // rows per tile
const BN = 64u;  // tokens per tile
// Weights at [0, 512), x at [512, 1024): 64 x 8 vec4 each (16 KiB in all, WebGPU's default limit);
// reused whole for the SwiGLU epilogue's 64 x 64 products.
var<workgroup> tile: array<vec4<f32>, 1024>;

// vec4 k4 (of 8) of local row (or token) r.
fn wi(r: u32, k4: u32) -> u32 {
    return r * 8u + (k4 ^ (r & 7u));
}

fn xh4(v: vec4<f32>) -> vec4<f32> {
    if (XH) {
        return vec4<f32>(round_h(v.x), round_h(v.y), round_h(v.z), round_h(v.w));
    }
    return v;
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = flat_group(wid, nwg);
    let n_rt = (P.rows + BM - 1u) / BM;
    let r0 = (g % n_rt) * BM;  // first row of the tile
    let t0 = (g / n_rt) * BN;  // first token of the tile
    let n = D.x;
    if (t0 >= n) {
        return;  // the whole workgroup leaves together: no barrier is skipped by part of it
    }
    let tr = lid & 15u;
    let tt = lid >> 4u;
    let xs4 = P.x_stride / 4u;
    var acc: array<vec4<f32>, 4>;  // acc[i][j]: row tr + 16i, token tt + 16j

    for (var c = 0u; c < P.n_chunks; c++) {
        if (lid < BM) {
            let row = r0 + lid;
            var w: array<vec4<f32>, 8>;
            if (row < P.rows) {
                w = deq(row * P.row_bytes, c, P.cols);
            }
            for (var k4 = 0u; k4 < 8u; k4++) {
                tile[wi(lid, k4)] = w[k4];
            }
        } else {
            for (var e = lid - BM; e < BN * 8u; e += 256u - BM) {
                let t = e >> 3u;
                let k4 = e & 7u;
                var v = vec4<f32>(0.0);
                if (t0 + t < n) {
                    v = xh4(xin((t0 + t) * xs4 + 8u * c + k4));
                }
                tile[512u + wi(t, k4)] = v;
            }
        }
        workgroupBarrier();
        for (var k4 = 0u; k4 < 8u; k4++) {
            let a0 = tile[wi(tr, k4)];
            let a1 = tile[wi(tr + 16u, k4)];
            let a2 = tile[wi(tr + 32u, k4)];
            let a3 = tile[wi(tr + 48u, k4)];
            let b0 = tile[512u + wi(tt, k4)];
            let b1 = tile[512u + wi(tt + 16u, k4)];
            let b2 = tile[512u + wi(tt + 32u, k4)];
            let b3 = tile[512u + wi(tt + 48u, k4)];
            acc[0] += vec4<f32>(dot(a0, b0), dot(a0, b1), dot(a0, b2), dot(a0, b3));
            acc[1] += vec4<f32>(dot(a1, b0), dot(a1, b1), dot(a1, b2), dot(a1, b3));
            acc[2] += vec4<f32>(dot(a2, b0), dot(a2, b1), dot(a2, b2), dot(a2, b3));
            acc[3] += vec4<f32>(dot(a3, b0), dot(a3, b1), dot(a3, b2), dot(a3, b3));
        }
        workgroupBarrier();
    }

    if (SWIGLU_OUT) {
        // Products as (local row, local token) floats, then 32 outputs x 64 tokens, 8 per thread.
        for (var i = 0u; i < 4u; i++) {
            for (var j = 0u; j < 4u; j++) {
                let e = (tr + 16u * i) * BN + tt + 16u * j;
                tile[e >> 2u][e & 3u] = acc[i][j];
            }
        }
        workgroupBarrier();
        for (var e = lid; e < (BM / 2u) * BN; e += 256u) {
            let o = e & 31u;  // local output row
            let t = e >> 5u;
            let gr = 8u * (o >> 2u) + (o & 3u);  // its gate row; the up row is 4 further
            if (r0 + gr + 4u < P.rows && t0 + t < n) {
                let ge = gr * BN + t;
                let ue = (gr + 4u) * BN + t;
                Y[(t0 + t) * P.y_stride + P.row0 + r0 / 2u + o] = swiglu_out(tile[ge >> 2u][ge & 3u], tile[ue >> 2u][ue & 3u]);
            }
        }
        return;
    }
    for (var i = 0u; i < 4u; i++) {
        let row = r0 + tr + 16u * i;
        for (var j = 0u; j < 4u; j++) {
            let t = t0 + tt + 16u * j;
            if (row < P.rows && t < n) {
                let yi = t * P.y_stride + P.row0 + row;
                var v = acc[i][j];
                if (P.acc != 0u) {
                    v += Y[yi];
                }
                Y[yi] = v;
            }
        }
    }
}

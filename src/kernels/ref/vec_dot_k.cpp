// Reference dot products of the 256-element super-block formats (Q2_K..Q6_K, IQ4_XS) with Q8_K
// activations. The integer work is exact; the float side follows ggml's generic code to the bit: Q3_K to
// Q6_K keep eight running float sums, lane l collecting d * (integer sum over the elements e with
// e % 8 == l) per super-block, and add the eight lanes at the end; K-quant mins are applied through
// Q8_K's 16-element sums (bsums). SIMD variants match these exactly in their integer sums and to
// rounding in the float combination.
#include "core/fp16.h"
#include "kernels/ref/ref_kernels.h"
#include "quant/blocks.h"

namespace chord::kernels::ref {

using quant::BlockIQ4_XS;
using quant::BlockQ2_K;
using quant::BlockQ3_K;
using quant::BlockQ4_K;
using quant::BlockQ5_K;
using quant::BlockQ6_K;
using quant::BlockQ8_K;
using quant::k4_scale_min;
using quant::kIq4nlLevels;
using quant::kSuperBlockSize;
using quant::q3_K_scale;

namespace {

constexpr size_t kLanes = 8;

// The 2-bit field of element e in a Q2_K / Q3_K qs array.
inline int low2(const uint8_t* qs, size_t e) {
    return (qs[e / 128 * 32 + e % 32] >> (2 * (e % 128 / 32))) & 3;
}

// Adds the lane sums of one super-block, scaled by d, into the running lanes.
inline void accumulate_lanes(float d, const int32_t (&lanes)[kLanes], float (&sums)[kLanes]) {
    for (size_t l = 0; l < kLanes; ++l) sums[l] += d * static_cast<float>(lanes[l]);
}

inline float add_lanes(float start, const float (&sums)[kLanes]) {
    for (size_t l = 0; l < kLanes; ++l) start += sums[l];
    return start;
}

}  // namespace

// Q2_K: sum = d_a d_w sum_s sc_s (q . a)_s - d_a dmin_w sum_s m_s bsum_s.
float vec_dot_q2_K_q8_K(size_t n, const void* w_row, const void* a_row) {
    const auto* w = static_cast<const BlockQ2_K*>(w_row);
    const auto* a = static_cast<const BlockQ8_K*>(a_row);
    float sum = 0.0f;
    for (size_t b = 0; b < n / kSuperBlockSize; ++b) {
        int min_sum = 0;
        for (size_t s = 0; s < 16; ++s) min_sum += a[b].bsums[s] * (w[b].scales[s] >> 4);
        int sumi = 0;
        for (size_t s = 0; s < 16; ++s) {
            int dot = 0;
            for (size_t e = 16 * s; e < 16 * s + 16; ++e) dot += a[b].qs[e] * low2(w[b].qs, e);
            sumi += (w[b].scales[s] & 0xF) * dot;
        }
        const float dall = a[b].d * fp16_to_fp32(w[b].d);
        const float dmin = a[b].d * fp16_to_fp32(w[b].dmin);
        sum += dall * static_cast<float>(sumi) - dmin * static_cast<float>(min_sum);
    }
    return sum;
}

float vec_dot_q3_K_q8_K(size_t n, const void* w_row, const void* a_row) {
    const auto* w = static_cast<const BlockQ3_K*>(w_row);
    const auto* a = static_cast<const BlockQ8_K*>(a_row);
    float sums[kLanes] = {};
    for (size_t b = 0; b < n / kSuperBlockSize; ++b) {
        int32_t lanes[kLanes] = {};
        for (size_t e = 0; e < kSuperBlockSize; ++e) {
            const int high = (w[b].hmask[e % 32] >> (e / 32)) & 1;
            const int q = low2(w[b].qs, e) - (high ? 0 : 4);
            lanes[e % kLanes] += q3_K_scale(static_cast<int>(e / 16), w[b].scales) * (a[b].qs[e] * q);
        }
        accumulate_lanes(fp16_to_fp32(w[b].d) * a[b].d, lanes, sums);
    }
    return add_lanes(0.0f, sums);
}

// Q4_K and Q5_K: the quants (0..nmax) times the sub-block scales in the lanes; the mins through bsums,
// subtracted from the running total block by block before the lanes are added.
template <typename Block, int (*Quant)(const Block&, size_t)>
float dot_k4(size_t n, const void* w_row, const void* a_row) {
    const auto* w = static_cast<const Block*>(w_row);
    const auto* a = static_cast<const BlockQ8_K*>(a_row);
    float sums[kLanes] = {};
    float total = 0.0f;
    for (size_t b = 0; b < n / kSuperBlockSize; ++b) {
        uint8_t sc[8], m[8];
        for (int j = 0; j < 8; ++j) k4_scale_min(j, w[b].scales, sc[j], m[j]);
        int32_t lanes[kLanes] = {};
        for (size_t e = 0; e < kSuperBlockSize; ++e)
            lanes[e % kLanes] += sc[e / 32] * (a[b].qs[e] * Quant(w[b], e));
        int min_sum = 0;
        for (size_t g = 0; g < 16; ++g) min_sum += a[b].bsums[g] * m[g / 2];
        accumulate_lanes(fp16_to_fp32(w[b].d) * a[b].d, lanes, sums);
        total -= fp16_to_fp32(w[b].dmin) * a[b].d * static_cast<float>(min_sum);
    }
    return add_lanes(total, sums);
}

inline int q4_K_quant(const BlockQ4_K& blk, size_t e) {
    return (blk.qs[e / 64 * 32 + e % 32] >> (4 * (e % 64 / 32))) & 0xF;
}

inline int q5_K_quant(const BlockQ5_K& blk, size_t e) {
    const int low = (blk.qs[e / 64 * 32 + e % 32] >> (4 * (e % 64 / 32))) & 0xF;
    return low | ((blk.qh[e % 32] >> (e / 32)) & 1) << 4;
}

float vec_dot_q4_K_q8_K(size_t n, const void* w_row, const void* a_row) {
    return dot_k4<BlockQ4_K, q4_K_quant>(n, w_row, a_row);
}

float vec_dot_q5_K_q8_K(size_t n, const void* w_row, const void* a_row) {
    return dot_k4<BlockQ5_K, q5_K_quant>(n, w_row, a_row);
}

float vec_dot_q6_K_q8_K(size_t n, const void* w_row, const void* a_row) {
    const auto* w = static_cast<const BlockQ6_K*>(w_row);
    const auto* a = static_cast<const BlockQ8_K*>(a_row);
    float sums[kLanes] = {};
    for (size_t b = 0; b < n / kSuperBlockSize; ++b) {
        int32_t lanes[kLanes] = {};
        for (size_t e = 0; e < kSuperBlockSize; ++e) {
            const size_t h = e / 128, k = e % 128 / 32, l = e % 32;
            const int low = (w[b].ql[64 * h + l + 32 * (k & 1)] >> (4 * (k / 2))) & 0xF;
            const int q = (low | ((w[b].qh[32 * h + l] >> (2 * k)) & 3) << 4) - 32;
            lanes[e % kLanes] += w[b].scales[e / 16] * (a[b].qs[e] * q);
        }
        accumulate_lanes(fp16_to_fp32(w[b].d) * a[b].d, lanes, sums);
    }
    return add_lanes(0.0f, sums);
}

// IQ4_XS: one float multiply-add per 32-element group, d_w d_a (ls - 32) * (levels . a).
float vec_dot_iq4_xs_q8_K(size_t n, const void* w_row, const void* a_row) {
    const auto* w = static_cast<const BlockIQ4_XS*>(w_row);
    const auto* a = static_cast<const BlockQ8_K*>(a_row);
    float sum = 0.0f;
    for (size_t b = 0; b < n / kSuperBlockSize; ++b) {
        const float d = fp16_to_fp32(w[b].d) * a[b].d;
        for (size_t g = 0; g < 8; ++g) {
            const int ls = ((w[b].scales_l[g / 2] >> (4 * (g % 2))) & 0xF) | ((w[b].scales_h >> (2 * g)) & 3)
                                                                                 << 4;
            const uint8_t* qs = w[b].qs + 16 * g;
            const int8_t* q8 = a[b].qs + 32 * g;
            int sumi = 0;
            for (size_t j = 0; j < 16; ++j) {
                sumi += q8[j] * kIq4nlLevels[qs[j] & 0xF];
                sumi += q8[j + 16] * kIq4nlLevels[qs[j] >> 4];
            }
            sum += d * static_cast<float>(ls - 32) * static_cast<float>(sumi);
        }
    }
    return sum;
}

}  // namespace chord::kernels::ref

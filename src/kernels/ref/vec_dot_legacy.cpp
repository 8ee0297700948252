// Reference dot products of the 32-element block formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL) with
// their Q8_0 / Q8_1 activations. Per block: an exact integer sum of quant products, then one float
// multiply-add by the two block scales, in the order ggml's generic code uses (it differs per type, and
// the order decides the last bit). Scalar and unhurried; SIMD variants are tested against these.
#include "core/fp16.h"
#include "kernels/ref/ref_kernels.h"
#include "quant/blocks.h"

namespace chord::kernels::ref {

using quant::BlockIQ4_NL;
using quant::BlockQ4_0;
using quant::BlockQ4_1;
using quant::BlockQ5_0;
using quant::BlockQ5_1;
using quant::BlockQ8_0;
using quant::BlockQ8_1;
using quant::kBlockSize;
using quant::kIq4nlLevels;

namespace {

// Element j's fifth bit in a Q5 block.
inline int q5_high_bit(const uint8_t qh[4], size_t j) {
    return (qh[j / 8] >> (j % 8)) & 1;
}

}  // namespace

float vec_dot_q4_0_q8_0(size_t n, const void* w_row, const void* a_row) {
    const auto* w = static_cast<const BlockQ4_0*>(w_row);
    const auto* a = static_cast<const BlockQ8_0*>(a_row);
    float sum = 0.0f;
    for (size_t b = 0; b < n / kBlockSize; ++b) {
        int sumi = 0;
        for (size_t j = 0; j < 16; ++j) {
            sumi += ((w[b].qs[j] & 0xF) - 8) * a[b].qs[j];
            sumi += ((w[b].qs[j] >> 4) - 8) * a[b].qs[j + 16];
        }
        sum += static_cast<float>(sumi) * fp16_to_fp32(w[b].d) * fp16_to_fp32(a[b].d);
    }
    return sum;
}

// Q4_1 x Q8_1: sum d_w (q_w) d_a q_a + m_w d_a q_a = d_w d_a sumi + m_w s_a.
float vec_dot_q4_1_q8_1(size_t n, const void* w_row, const void* a_row) {
    const auto* w = static_cast<const BlockQ4_1*>(w_row);
    const auto* a = static_cast<const BlockQ8_1*>(a_row);
    float sum = 0.0f;
    for (size_t b = 0; b < n / kBlockSize; ++b) {
        int sumi = 0;
        for (size_t j = 0; j < 16; ++j) {
            sumi += (w[b].qs[j] & 0xF) * a[b].qs[j];
            sumi += (w[b].qs[j] >> 4) * a[b].qs[j + 16];
        }
        sum += fp16_to_fp32(w[b].d) * fp16_to_fp32(a[b].d) * static_cast<float>(sumi) +
               fp16_to_fp32(w[b].m) * fp16_to_fp32(a[b].s);
    }
    return sum;
}

float vec_dot_q5_0_q8_0(size_t n, const void* w_row, const void* a_row) {
    const auto* w = static_cast<const BlockQ5_0*>(w_row);
    const auto* a = static_cast<const BlockQ8_0*>(a_row);
    float sum = 0.0f;
    for (size_t b = 0; b < n / kBlockSize; ++b) {
        int sumi = 0;
        for (size_t j = 0; j < 16; ++j) {
            const int q0 = ((w[b].qs[j] & 0xF) | q5_high_bit(w[b].qh, j) << 4) - 16;
            const int q1 = ((w[b].qs[j] >> 4) | q5_high_bit(w[b].qh, j + 16) << 4) - 16;
            sumi += q0 * a[b].qs[j] + q1 * a[b].qs[j + 16];
        }
        sum += fp16_to_fp32(w[b].d) * fp16_to_fp32(a[b].d) * static_cast<float>(sumi);
    }
    return sum;
}

float vec_dot_q5_1_q8_1(size_t n, const void* w_row, const void* a_row) {
    const auto* w = static_cast<const BlockQ5_1*>(w_row);
    const auto* a = static_cast<const BlockQ8_1*>(a_row);
    float sum = 0.0f;
    for (size_t b = 0; b < n / kBlockSize; ++b) {
        int sumi = 0;
        for (size_t j = 0; j < 16; ++j) {
            const int q0 = (w[b].qs[j] & 0xF) | q5_high_bit(w[b].qh, j) << 4;
            const int q1 = (w[b].qs[j] >> 4) | q5_high_bit(w[b].qh, j + 16) << 4;
            sumi += q0 * a[b].qs[j] + q1 * a[b].qs[j + 16];
        }
        sum += fp16_to_fp32(w[b].d) * fp16_to_fp32(a[b].d) * static_cast<float>(sumi) +
               fp16_to_fp32(w[b].m) * fp16_to_fp32(a[b].s);
    }
    return sum;
}

float vec_dot_q8_0_q8_0(size_t n, const void* w_row, const void* a_row) {
    const auto* w = static_cast<const BlockQ8_0*>(w_row);
    const auto* a = static_cast<const BlockQ8_0*>(a_row);
    float sum = 0.0f;
    for (size_t b = 0; b < n / kBlockSize; ++b) {
        int sumi = 0;
        for (size_t j = 0; j < kBlockSize; ++j) sumi += w[b].qs[j] * a[b].qs[j];
        sum += static_cast<float>(sumi) * (fp16_to_fp32(w[b].d) * fp16_to_fp32(a[b].d));
    }
    return sum;
}

float vec_dot_iq4_nl_q8_0(size_t n, const void* w_row, const void* a_row) {
    const auto* w = static_cast<const BlockIQ4_NL*>(w_row);
    const auto* a = static_cast<const BlockQ8_0*>(a_row);
    float sum = 0.0f;
    for (size_t b = 0; b < n / kBlockSize; ++b) {
        const float d = fp16_to_fp32(a[b].d) * fp16_to_fp32(w[b].d);
        int sumi = 0;
        for (size_t j = 0; j < 16; ++j) {
            sumi += a[b].qs[j] * kIq4nlLevels[w[b].qs[j] & 0xF];
            sumi += a[b].qs[j + 16] * kIq4nlLevels[w[b].qs[j] >> 4];
        }
        sum += d * static_cast<float>(sumi);
    }
    return sum;
}

}  // namespace chord::kernels::ref

// Reference quantize / dequantize for the K-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) and their activation
// format Q8_K. A K-quantizer works per 256-element super-block in three steps: fit a scale (and a min)
// to each sub-block (the searches of k_fit.h); quantize those per-sub-block scales against one fp16
// super-scale; then requantize the elements against the scales as stored. Without an importance matrix
// llama.cpp runs exactly these steps (its `_ref` quantizers), and every float operation here keeps
// their order, because the searches compare nearly equal errors and flip on the last bit. Scalar code
// that defines the bytes; not a fast path.
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "quant/k_fit.h"
#include "quant/quants.h"
#include "quant/rounding.h"

namespace chord::quant {
namespace {

using detail::clamp_int;
using detail::fit_q3;
using detail::fit_scale_min;
using detail::fit_symmetric;
using detail::kAllZero;
using detail::nearest_int;

// Q2_K / Q3_K 2-bit packing: in each 128-element half, byte l holds elements l + 32k in bits 2k.
void pack_2bit(const uint8_t* L, uint8_t* qs) {
    for (size_t half = 0; half < kSuperBlockSize; half += 128) {
        for (size_t l = 0; l < 32; ++l) {
            const uint8_t* e = L + half + l;
            qs[half / 4 + l] = static_cast<uint8_t>(e[0] | e[32] << 2 | e[64] << 4 | e[96] << 6);
        }
    }
}

// Q4_K / Q5_K: store 6-bit scale `ls` and min `lm` of sub-block j (see k4_scale_min in blocks.h).
// Sub-blocks must be stored in order 0..7: the first four are assigned, the last four OR into them.
void store_k4_scale_min(int j, uint8_t ls, uint8_t lm, uint8_t* scales) {
    if (j < 4) {
        scales[j] = ls;
        scales[j + 4] = lm;
    } else {
        scales[j + 4] = static_cast<uint8_t>((ls & 0xF) | (lm & 0xF) << 4);
        scales[j - 4] = static_cast<uint8_t>(scales[j - 4] | (ls >> 4) << 6);
        scales[j] = static_cast<uint8_t>(scales[j] | (lm >> 4) << 6);
    }
}

// Q4_K / Q5_K share everything but the number of levels and the search range: fit the 8 sub-blocks
// (weights av|x| + |x|), quantize their scales and mins to 6 bits against d and dmin, then requantize
// the elements into L (0..nmax) against the stored scales.
void quantize_k4_super_block(const float* x, int nmax, float rmin, int nstep, uint16_t& d_out,
                             uint16_t& dmin_out, uint8_t* scales_out, uint8_t* L) {
    float scales[8];
    float mins[8];
    float weights[32];
    float max_scale = 0.0f;
    float max_min = 0.0f;
    for (int j = 0; j < 8; ++j) {
        const float* xs = x + 32 * j;
        float sum_x2 = 0.0f;
        for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
        const float av_x = std::sqrt(sum_x2 / 32.0f);
        for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xs[l]);
        scales[j] = fit_scale_min(xs, weights, 32, nmax, L + 32 * j, &mins[j], rmin, 0.1f, nstep, false);
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    const float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
    const float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
    for (int j = 0; j < 8; ++j) {
        auto ls = static_cast<uint8_t>(nearest_int(inv_scale * scales[j]));
        auto lm = static_cast<uint8_t>(nearest_int(inv_min * mins[j]));
        if (ls > 63) ls = 63;
        if (lm > 63) lm = 63;
        store_k4_scale_min(j, ls, lm, scales_out);
    }
    d_out = fp32_to_fp16(max_scale / 63.0f);
    dmin_out = fp32_to_fp16(max_min / 63.0f);
    for (int j = 0; j < 8; ++j) {
        uint8_t sc, m;
        k4_scale_min(j, scales_out, sc, m);
        const float d = fp16_to_fp32(d_out) * static_cast<float>(sc);
        if (d == 0.0f) continue;
        const float dm = fp16_to_fp32(dmin_out) * static_cast<float>(m);
        for (int i = 0; i < 32; ++i)
            L[32 * j + i] = static_cast<uint8_t>(clamp_int(nearest_int((x[32 * j + i] + dm) / d), 0, nmax));
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Q2_K

void quantize_row_q2_K(const float* x, BlockQ2_K* y, size_t n) {
    constexpr float kLevels = 15.0f;  // 4-bit sub-block scales and mins
    uint8_t L[kSuperBlockSize];
    float weights[16];
    float scales[16];
    float mins[16];
    for (size_t b = 0; b < n / kSuperBlockSize; ++b, x += kSuperBlockSize) {
        float max_scale = 0.0f;
        float max_min = 0.0f;
        for (int j = 0; j < 16; ++j) {
            for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
            scales[j] =
                fit_scale_min(x + 16 * j, weights, 16, 3, L + 16 * j, &mins[j], -0.5f, 0.1f, 15, true);
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        if (max_scale > 0.0f) {
            const float iscale = kLevels / max_scale;
            for (int j = 0; j < 16; ++j)
                y[b].scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
            y[b].d = fp32_to_fp16(max_scale / kLevels);
        } else {
            for (int j = 0; j < 16; ++j) y[b].scales[j] = 0;
            y[b].d = fp32_to_fp16(0.0f);
        }
        if (max_min > 0.0f) {
            const float iscale = kLevels / max_min;
            for (int j = 0; j < 16; ++j)
                y[b].scales[j] = static_cast<uint8_t>(y[b].scales[j] | nearest_int(iscale * mins[j]) << 4);
            y[b].dmin = fp32_to_fp16(max_min / kLevels);
        } else {
            y[b].dmin = fp32_to_fp16(0.0f);
        }
        for (int j = 0; j < 16; ++j) {
            const float d = fp16_to_fp32(y[b].d) * static_cast<float>(y[b].scales[j] & 0xF);
            if (d == 0.0f) continue;
            const float dm = fp16_to_fp32(y[b].dmin) * static_cast<float>(y[b].scales[j] >> 4);
            for (int i = 0; i < 16; ++i)
                L[16 * j + i] = static_cast<uint8_t>(clamp_int(nearest_int((x[16 * j + i] + dm) / d), 0, 3));
        }
        pack_2bit(L, y[b].qs);
    }
}

void dequantize_row_q2_K(const BlockQ2_K* x, float* y, size_t n) {
    for (size_t b = 0; b < n / kSuperBlockSize; ++b) {
        const float d = fp16_to_fp32(x[b].d);
        const float dmin = fp16_to_fp32(x[b].dmin);
        for (size_t e = 0; e < kSuperBlockSize; ++e, ++y) {
            const uint8_t sc = x[b].scales[e / 16];
            const float dl = d * static_cast<float>(sc & 0xF);
            const float ml = dmin * static_cast<float>(sc >> 4);
            const int q = (x[b].qs[e / 128 * 32 + e % 32] >> (2 * (e % 128 / 32))) & 3;
            *y = dl * static_cast<float>(q) - ml;
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Q3_K

void quantize_row_q3_K(const float* x, BlockQ3_K* y, size_t n) {
    int8_t L[kSuperBlockSize];
    float scales[16];
    for (size_t b = 0; b < n / kSuperBlockSize; ++b, x += kSuperBlockSize) {
        float max_scale = 0.0f;
        float amax = 0.0f;
        for (int j = 0; j < 16; ++j) {
            scales[j] = fit_q3(x + 16 * j, L + 16 * j);
            const float a = std::fabs(scales[j]);
            if (a > amax) {
                amax = a;
                max_scale = scales[j];
            }
        }
        std::memset(y[b].scales, 0, sizeof y[b].scales);
        if (max_scale != 0.0f) {
            const float iscale = -32.0f / max_scale;
            for (int j = 0; j < 16; ++j) {
                const auto l8 = static_cast<int8_t>(nearest_int(iscale * scales[j]));
                const int l = clamp_int(l8, -32, 31) + 32;
                if (j < 8)
                    y[b].scales[j] = static_cast<uint8_t>(l & 0xF);
                else
                    y[b].scales[j - 8] = static_cast<uint8_t>(y[b].scales[j - 8] | (l & 0xF) << 4);
                y[b].scales[j % 4 + 8] =
                    static_cast<uint8_t>(y[b].scales[j % 4 + 8] | (l >> 4) << (2 * (j / 4)));
            }
            y[b].d = fp32_to_fp16(1.0f / iscale);
        } else {
            y[b].d = fp32_to_fp16(0.0f);
        }
        for (int j = 0; j < 16; ++j) {
            const float d = fp16_to_fp32(y[b].d) * static_cast<float>(q3_K_scale(j, y[b].scales));
            if (d == 0.0f) continue;
            for (int i = 0; i < 16; ++i)
                L[16 * j + i] = static_cast<int8_t>(clamp_int(nearest_int(x[16 * j + i] / d), -4, 3) + 4);
        }
        // Split each 3-bit quant: the high bit into hmask, the low two into qs.
        uint8_t low[kSuperBlockSize];
        std::memset(y[b].hmask, 0, sizeof y[b].hmask);
        for (size_t e = 0; e < kSuperBlockSize; ++e) {
            int q = L[e];
            if (q > 3) {
                y[b].hmask[e % 32] = static_cast<uint8_t>(y[b].hmask[e % 32] | 1u << (e / 32));
                q -= 4;
            }
            low[e] = static_cast<uint8_t>(q);
        }
        pack_2bit(low, y[b].qs);
    }
}

void dequantize_row_q3_K(const BlockQ3_K* x, float* y, size_t n) {
    for (size_t b = 0; b < n / kSuperBlockSize; ++b) {
        const float d = fp16_to_fp32(x[b].d);
        for (size_t e = 0; e < kSuperBlockSize; ++e, ++y) {
            const float dl = d * static_cast<float>(q3_K_scale(static_cast<int>(e / 16), x[b].scales));
            const int low = (x[b].qs[e / 128 * 32 + e % 32] >> (2 * (e % 128 / 32))) & 3;
            const int high = (x[b].hmask[e % 32] >> (e / 32)) & 1;
            *y = dl * static_cast<float>(low - (high ? 0 : 4));
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Q4_K

void quantize_row_q4_K(const float* x, BlockQ4_K* y, size_t n) {
    uint8_t L[kSuperBlockSize];
    for (size_t b = 0; b < n / kSuperBlockSize; ++b, x += kSuperBlockSize) {
        quantize_k4_super_block(x, 15, -1.0f, 20, y[b].d, y[b].dmin, y[b].scales, L);
        for (size_t c = 0; c < 4; ++c)
            for (size_t l = 0; l < 32; ++l)
                y[b].qs[32 * c + l] = static_cast<uint8_t>(L[64 * c + l] | L[64 * c + 32 + l] << 4);
    }
}

void dequantize_row_q4_K(const BlockQ4_K* x, float* y, size_t n) {
    for (size_t b = 0; b < n / kSuperBlockSize; ++b) {
        const float d = fp16_to_fp32(x[b].d);
        const float dmin = fp16_to_fp32(x[b].dmin);
        for (int j = 0; j < 8; ++j) {
            uint8_t sc, m;
            k4_scale_min(j, x[b].scales, sc, m);
            const float dl = d * static_cast<float>(sc);
            const float ml = dmin * static_cast<float>(m);
            const uint8_t* q = x[b].qs + 32 * (j / 2);
            const int shift = 4 * (j % 2);
            for (int l = 0; l < 32; ++l) *y++ = dl * static_cast<float>((q[l] >> shift) & 0xF) - ml;
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Q5_K

void quantize_row_q5_K(const float* x, BlockQ5_K* y, size_t n) {
    uint8_t L[kSuperBlockSize];
    for (size_t b = 0; b < n / kSuperBlockSize; ++b, x += kSuperBlockSize) {
        quantize_k4_super_block(x, 31, -0.5f, 15, y[b].d, y[b].dmin, y[b].scales, L);
        std::memset(y[b].qh, 0, sizeof y[b].qh);
        for (size_t c = 0; c < 4; ++c) {
            for (size_t l = 0; l < 32; ++l) {
                const int q0 = L[64 * c + l];
                const int q1 = L[64 * c + 32 + l];
                y[b].qh[l] =
                    static_cast<uint8_t>(y[b].qh[l] | (q0 >> 4) << (2 * c) | (q1 >> 4) << (2 * c + 1));
                y[b].qs[32 * c + l] = static_cast<uint8_t>((q0 & 0xF) | (q1 & 0xF) << 4);
            }
        }
    }
}

void dequantize_row_q5_K(const BlockQ5_K* x, float* y, size_t n) {
    for (size_t b = 0; b < n / kSuperBlockSize; ++b) {
        const float d = fp16_to_fp32(x[b].d);
        const float dmin = fp16_to_fp32(x[b].dmin);
        for (int j = 0; j < 8; ++j) {
            uint8_t sc, m;
            k4_scale_min(j, x[b].scales, sc, m);
            const float dl = d * static_cast<float>(sc);
            const float ml = dmin * static_cast<float>(m);
            const uint8_t* q = x[b].qs + 32 * (j / 2);
            const int shift = 4 * (j % 2);
            for (int l = 0; l < 32; ++l) {
                const int q5 = ((q[l] >> shift) & 0xF) | ((x[b].qh[l] >> j) & 1) << 4;
                *y++ = dl * static_cast<float>(q5) - ml;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Q6_K

void quantize_row_q6_K(const float* x, BlockQ6_K* y, size_t n) {
    int8_t L[kSuperBlockSize];
    float scales[16];
    for (size_t b = 0; b < n / kSuperBlockSize; ++b, x += kSuperBlockSize) {
        float max_scale = 0.0f;
        float max_abs_scale = 0.0f;
        for (int j = 0; j < 16; ++j) {
            scales[j] = fit_symmetric(x + 16 * j, 16, 32, L + 16 * j);
            const float a = std::fabs(scales[j]);
            if (a > max_abs_scale) {
                max_abs_scale = a;
                max_scale = scales[j];
            }
        }
        if (max_abs_scale < kAllZero) {
            std::memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        const float iscale = -128.0f / max_scale;
        y[b].d = fp32_to_fp16(1.0f / iscale);
        for (int j = 0; j < 16; ++j) {
            const int s = nearest_int(iscale * scales[j]);
            y[b].scales[j] = static_cast<int8_t>(s < 127 ? s : 127);
        }
        for (int j = 0; j < 16; ++j) {
            const float d = fp16_to_fp32(y[b].d) * static_cast<float>(y[b].scales[j]);
            if (d == 0.0f) continue;
            for (int i = 0; i < 16; ++i)
                L[16 * j + i] = static_cast<int8_t>(clamp_int(nearest_int(x[16 * j + i] / d), -32, 31) + 32);
        }
        // Element 128h + 32k + l: low nibble in ql[64h + l + 32 (k & 1)] (high nibble for k >= 2),
        // top two bits at 2k in qh[32h + l].
        for (size_t h = 0; h < 2; ++h) {
            uint8_t* ql = y[b].ql + 64 * h;
            uint8_t* qh = y[b].qh + 32 * h;
            const int8_t* q = L + 128 * h;
            for (size_t l = 0; l < 32; ++l) {
                ql[l] = static_cast<uint8_t>((q[l] & 0xF) | (q[l + 64] & 0xF) << 4);
                ql[l + 32] = static_cast<uint8_t>((q[l + 32] & 0xF) | (q[l + 96] & 0xF) << 4);
                qh[l] = static_cast<uint8_t>(q[l] >> 4 | (q[l + 32] >> 4) << 2 | (q[l + 64] >> 4) << 4 |
                                             (q[l + 96] >> 4) << 6);
            }
        }
    }
}

void dequantize_row_q6_K(const BlockQ6_K* x, float* y, size_t n) {
    for (size_t b = 0; b < n / kSuperBlockSize; ++b, y += kSuperBlockSize) {
        const float d = fp16_to_fp32(x[b].d);
        for (size_t h = 0; h < 2; ++h) {
            const uint8_t* ql = x[b].ql + 64 * h;
            const uint8_t* qh = x[b].qh + 32 * h;
            for (size_t k = 0; k < 4; ++k) {
                for (size_t l = 0; l < 32; ++l) {
                    const size_t e = 128 * h + 32 * k + l;
                    const int low = (ql[l + 32 * (k & 1)] >> (4 * (k / 2))) & 0xF;
                    const int q = (low | ((qh[l] >> (2 * k)) & 3) << 4) - 32;
                    y[e] = d * static_cast<float>(x[b].scales[e / 16]) * static_cast<float>(q);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Q8_K: d = extreme / -127 with a float scale, so the extreme element maps to exactly -127.

void quantize_row_q8_K(const float* x, BlockQ8_K* y, size_t n) {
    for (size_t b = 0; b < n / kSuperBlockSize; ++b, x += kSuperBlockSize) {
        float amax = 0.0f;
        float extreme = 0.0f;
        for (size_t j = 0; j < kSuperBlockSize; ++j) {
            const float a = std::fabs(x[j]);
            if (a > amax) {
                amax = a;
                extreme = x[j];
            }
        }
        if (amax == 0.0f) {
            std::memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        const float iscale = -127.0f / extreme;
        for (size_t j = 0; j < kSuperBlockSize; ++j) {
            const int v = nearest_int(iscale * x[j]);
            y[b].qs[j] = static_cast<int8_t>(v < 127 ? v : 127);
        }
        for (size_t g = 0; g < 16; ++g) {
            int sum = 0;
            for (size_t i = 0; i < 16; ++i) sum += y[b].qs[16 * g + i];
            y[b].bsums[g] = static_cast<int16_t>(sum);
        }
        y[b].d = 1.0f / iscale;
    }
}

void dequantize_row_q8_K(const BlockQ8_K* x, float* y, size_t n) {
    for (size_t b = 0; b < n / kSuperBlockSize; ++b)
        for (size_t j = 0; j < kSuperBlockSize; ++j) *y++ = x[b].d * static_cast<float>(x[b].qs[j]);
}

}  // namespace chord::quant

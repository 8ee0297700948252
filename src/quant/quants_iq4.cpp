// Reference quantize / dequantize for the non-linear 4-bit formats IQ4_NL (32-element blocks, one fp16
// scale) and IQ4_XS (256-element super-blocks, 6-bit sub-block scales). Each 32-element group picks the
// scale that minimises the x^2-weighted error over 15 candidates, with every element mapped to the
// nearest of the 16 fixed levels. The search is the one llama-quantize runs without an importance
// matrix (ggml_quantize_chunk -> quantize_iq4_nl / quantize_iq4_xs, 7 steps each way), which for IQ4_NL
// is not the shorter search of ggml's quantize_row_iq4_nl_ref. Scalar code that defines the bytes.
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "quant/quants.h"
#include "quant/rounding.h"

namespace chord::quant {
namespace {

constexpr float kAllZero = 1e-15f;
constexpr int kSearchSteps = 7;

// Index of the level nearest to v (the upper one on ties), by bisection of the sorted table.
int nearest_level(float v) {
    const int8_t* lv = kIq4nlLevels;
    if (v <= static_cast<float>(lv[0])) return 0;
    if (v >= static_cast<float>(lv[15])) return 15;
    int lo = 0;
    int hi = 15;
    while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (v < static_cast<float>(lv[mid]))
            hi = mid;
        else
            lo = mid;
    }
    return v - static_cast<float>(lv[hi - 1]) < static_cast<float>(lv[hi]) - v ? hi - 1 : hi;
}

// Best scale for one 32-element group; 0 for an all-zero group. The callers choose the levels again
// against the scale they store.
float fit_group(const float* x) {
    constexpr int n = 32;
    float weight[n];
    float amax = 0.0f;
    float extreme = 0.0f;
    for (int j = 0; j < n; ++j) {
        weight[j] = x[j] * x[j];
        const float a = std::fabs(x[j]);
        if (a > amax) {
            amax = a;
            extreme = x[j];
        }
    }
    if (amax < kAllZero) return 0.0f;
    const auto first_level = static_cast<float>(kIq4nlLevels[0]);
    // sumqx = sum w q x and sumq2 = sum w q^2 over the levels chosen with inverse scale `id`.
    auto sums = [&](float id, float& sumqx, float& sumq2) {
        sumqx = 0.0f;
        sumq2 = 0.0f;
        for (int j = 0; j < n; ++j) {
            const auto q = static_cast<float>(kIq4nlLevels[nearest_level(id * x[j])]);
            sumqx += weight[j] * q * x[j];
            sumq2 += weight[j] * q * q;
        }
    };
    float sumqx, sumq2;
    sums(1.0f / (-extreme / first_level), sumqx, sumq2);
    float d = sumq2 > 0.0f ? sumqx / sumq2 : 0.0f;
    float best = d * sumqx;
    for (int step = -kSearchSteps; step <= kSearchSteps; ++step) {
        const float id = static_cast<float>(step + kIq4nlLevels[0]) / extreme;
        sums(id, sumqx, sumq2);
        if (sumq2 > 0.0f && sumqx * sumqx > best * sumq2) {
            d = sumqx / sumq2;
            best = d * sumqx;
        }
    }
    return d;
}

// Two level indices per byte: element j (j < 16) low nibble, element j + 16 high nibble.
void pack_group(const uint8_t* L, uint8_t* qs) {
    for (int j = 0; j < 16; ++j) qs[j] = static_cast<uint8_t>(L[j] | L[j + 16] << 4);
}

}  // namespace

void quantize_row_iq4_nl(const float* x, BlockIQ4_NL* y, size_t n) {
    uint8_t L[kBlockSize];
    for (size_t b = 0; b < n / kBlockSize; ++b, x += kBlockSize) {
        const float d = fit_group(x);
        y[b].d = fp32_to_fp16(d);
        // The levels are chosen again against the final (unrounded) scale.
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        for (size_t j = 0; j < kBlockSize; ++j) L[j] = static_cast<uint8_t>(nearest_level(id * x[j]));
        pack_group(L, y[b].qs);
    }
}

void dequantize_row_iq4_nl(const BlockIQ4_NL* x, float* y, size_t n) {
    for (size_t b = 0; b < n / kBlockSize; ++b, y += kBlockSize) {
        const float d = fp16_to_fp32(x[b].d);
        for (size_t j = 0; j < 16; ++j) {
            y[j] = d * static_cast<float>(kIq4nlLevels[x[b].qs[j] & 0xF]);
            y[j + 16] = d * static_cast<float>(kIq4nlLevels[x[b].qs[j] >> 4]);
        }
    }
}

// IQ4_XS: fit each of the 8 groups, quantize their scales to 6 bits (ls - 32 in [-32, 31]) against
// d = -(the scale of largest magnitude) / 32, then choose levels against each group's quantized scale.
void quantize_row_iq4_xs(const float* x, BlockIQ4_XS* y, size_t n) {
    uint8_t L[32];
    float scales[8];
    for (size_t b = 0; b < n / kSuperBlockSize; ++b, x += kSuperBlockSize) {
        float max_scale = 0.0f;
        float amax_scale = 0.0f;
        for (size_t g = 0; g < 8; ++g) {
            scales[g] = fit_group(x + 32 * g);
            const float a = std::fabs(scales[g]);
            if (a > amax_scale) {
                amax_scale = a;
                max_scale = scales[g];
            }
        }
        const float d = -max_scale / 32.0f;
        y[b].d = fp32_to_fp16(d);
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        uint16_t scales_h = 0;
        for (size_t g = 0; g < 8; ++g) {
            int l = detail::nearest_int(id * scales[g]);
            l = l < -32 ? -32 : (l > 31 ? 31 : l);
            const float dl = d * static_cast<float>(l);
            const float idl = dl != 0.0f ? 1.0f / dl : 0.0f;
            const float* xg = x + 32 * g;
            for (size_t j = 0; j < 32; ++j) L[j] = static_cast<uint8_t>(nearest_level(idl * xg[j]));
            pack_group(L, y[b].qs + 16 * g);
            l += 32;
            if (g % 2 == 0)
                y[b].scales_l[g / 2] = static_cast<uint8_t>(l & 0xF);
            else
                y[b].scales_l[g / 2] = static_cast<uint8_t>(y[b].scales_l[g / 2] | (l & 0xF) << 4);
            scales_h = static_cast<uint16_t>(scales_h | (l >> 4) << (2 * g));
        }
        y[b].scales_h = scales_h;
    }
}

void dequantize_row_iq4_xs(const BlockIQ4_XS* x, float* y, size_t n) {
    for (size_t b = 0; b < n / kSuperBlockSize; ++b) {
        const float d = fp16_to_fp32(x[b].d);
        for (size_t g = 0; g < 8; ++g, y += 32) {
            const int ls = ((x[b].scales_l[g / 2] >> (4 * (g % 2))) & 0xF) | ((x[b].scales_h >> (2 * g)) & 3)
                                                                                 << 4;
            const float dl = d * static_cast<float>(ls - 32);
            const uint8_t* qs = x[b].qs + 16 * g;
            for (size_t j = 0; j < 16; ++j) {
                y[j] = dl * static_cast<float>(kIq4nlLevels[qs[j] & 0xF]);
                y[j + 16] = dl * static_cast<float>(kIq4nlLevels[qs[j] >> 4]);
            }
        }
    }
}

}  // namespace chord::quant

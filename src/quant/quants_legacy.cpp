// Reference quantize / dequantize for the legacy 32-element formats: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
// Q8_1. Each quantizer makes one pass over a block with the rounding llama.cpp's reference quantizers
// use (they are also what llama-quantize runs for these types without an importance matrix): scale from
// the block's extreme value(s), then `trunc(v * id + offset)` for the 4/5-bit types and round-half-away
// for the 8-bit ones. Scalar code that defines the bytes; not a fast path.
#include <cfloat>
#include <cmath>

#include "core/fp16.h"
#include "quant/quants.h"
#include "quant/rounding.h"

namespace chord::quant {
namespace {

using detail::truncate_to_int;

// A Q5 block's fifth bits as one word: bit j belongs to element j.
inline uint32_t q5_high_word(const uint8_t qh[4]) {
    return static_cast<uint32_t>(qh[0]) | static_cast<uint32_t>(qh[1]) << 8 |
           static_cast<uint32_t>(qh[2]) << 16 | static_cast<uint32_t>(qh[3]) << 24;
}

inline void store_q5_high_word(uint32_t word, uint8_t qh[4]) {
    for (int i = 0; i < 4; ++i) qh[i] = static_cast<uint8_t>(word >> (8 * i));
}

// The block element of largest magnitude, with its sign (the first one on ties); 0 for an all-zero block.
inline float signed_absmax(const float* x, size_t n) {
    float amax = 0.0f;
    float extreme = 0.0f;
    for (size_t j = 0; j < n; ++j) {
        if (std::fabs(x[j]) > amax) {
            amax = std::fabs(x[j]);
            extreme = x[j];
        }
    }
    return extreme;
}

inline void min_max(const float* x, size_t n, float& lo, float& hi) {
    lo = FLT_MAX;
    hi = -FLT_MAX;
    for (size_t j = 0; j < n; ++j) {
        if (x[j] < lo) lo = x[j];
        if (x[j] > hi) hi = x[j];
    }
}

// Largest |x|, kept as the comparison `a > b ? a : b` computes it (a NaN element poisons the running
// value until the next element), so that even NaN inputs give ggml's bytes.
inline float absmax(const float* x, size_t n) {
    float amax = 0.0f;
    for (size_t j = 0; j < n; ++j) {
        const float a = std::fabs(x[j]);
        amax = amax > a ? amax : a;
    }
    return amax;
}

// A 4/5-bit quant: truncation of `scaled + offset` (offset = zero point + 0.5), capped at `top`.
inline uint8_t trunc_quant(float scaled, float offset, int top) {
    const int q = static_cast<int8_t>(truncate_to_int(scaled + offset));
    return static_cast<uint8_t>(q > top ? top : q);
}

// An 8-bit quant: round half away from zero.
inline int8_t round_quant(float scaled) {
    return static_cast<int8_t>(truncate_to_int(std::round(scaled)));
}

}  // namespace

// Q4_0: the extreme element maps to q = 0, i.e. d = extreme / -8.
void quantize_row_q4_0(const float* x, BlockQ4_0* y, size_t n) {
    for (size_t b = 0; b < n / kBlockSize; ++b, x += kBlockSize) {
        const float d = signed_absmax(x, kBlockSize) / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = fp32_to_fp16(d);
        for (size_t j = 0; j < 16; ++j) {
            const float lo = x[j] * id;
            const float hi = x[j + 16] * id;
            y[b].qs[j] = static_cast<uint8_t>(trunc_quant(lo, 8.5f, 15) | trunc_quant(hi, 8.5f, 15) << 4);
        }
    }
}

void dequantize_row_q4_0(const BlockQ4_0* x, float* y, size_t n) {
    for (size_t b = 0; b < n / kBlockSize; ++b, y += kBlockSize) {
        const float d = fp16_to_fp32(x[b].d);
        for (size_t j = 0; j < 16; ++j) {
            y[j] = static_cast<float>((x[b].qs[j] & 0xF) - 8) * d;
            y[j + 16] = static_cast<float>((x[b].qs[j] >> 4) - 8) * d;
        }
    }
}

// Q4_1: the block's range [min, max] split in 15 steps.
void quantize_row_q4_1(const float* x, BlockQ4_1* y, size_t n) {
    for (size_t b = 0; b < n / kBlockSize; ++b, x += kBlockSize) {
        float lo, hi;
        min_max(x, kBlockSize, lo, hi);
        const float d = (hi - lo) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = fp32_to_fp16(d);
        y[b].m = fp32_to_fp16(lo);
        for (size_t j = 0; j < 16; ++j) {
            const float q0 = (x[j] - lo) * id;
            const float q1 = (x[j + 16] - lo) * id;
            y[b].qs[j] = static_cast<uint8_t>(trunc_quant(q0, 0.5f, 15) | trunc_quant(q1, 0.5f, 15) << 4);
        }
    }
}

void dequantize_row_q4_1(const BlockQ4_1* x, float* y, size_t n) {
    for (size_t b = 0; b < n / kBlockSize; ++b, y += kBlockSize) {
        const float d = fp16_to_fp32(x[b].d);
        const float m = fp16_to_fp32(x[b].m);
        for (size_t j = 0; j < 16; ++j) {
            y[j] = static_cast<float>(x[b].qs[j] & 0xF) * d + m;
            y[j + 16] = static_cast<float>(x[b].qs[j] >> 4) * d + m;
        }
    }
}

// Q5_0: as Q4_0 with 32 levels, d = extreme / -16.
void quantize_row_q5_0(const float* x, BlockQ5_0* y, size_t n) {
    for (size_t b = 0; b < n / kBlockSize; ++b, x += kBlockSize) {
        const float d = signed_absmax(x, kBlockSize) / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = fp32_to_fp16(d);
        uint32_t high = 0;
        for (size_t j = 0; j < 16; ++j) {
            const float lo = x[j] * id;
            const float hi = x[j + 16] * id;
            const uint8_t q0 = trunc_quant(lo, 16.5f, 31);
            const uint8_t q1 = trunc_quant(hi, 16.5f, 31);
            y[b].qs[j] = static_cast<uint8_t>((q0 & 0xF) | (q1 & 0xF) << 4);
            high |= static_cast<uint32_t>((q0 >> 4) & 1) << j | static_cast<uint32_t>((q1 >> 4) & 1)
                                                                    << (j + 16);
        }
        store_q5_high_word(high, y[b].qh);
    }
}

void dequantize_row_q5_0(const BlockQ5_0* x, float* y, size_t n) {
    for (size_t b = 0; b < n / kBlockSize; ++b, y += kBlockSize) {
        const float d = fp16_to_fp32(x[b].d);
        const uint32_t high = q5_high_word(x[b].qh);
        for (size_t j = 0; j < 16; ++j) {
            const int q0 = (x[b].qs[j] & 0xF) | static_cast<int>((high >> j) & 1) << 4;
            const int q1 = (x[b].qs[j] >> 4) | static_cast<int>((high >> (j + 16)) & 1) << 4;
            y[j] = static_cast<float>(q0 - 16) * d;
            y[j + 16] = static_cast<float>(q1 - 16) * d;
        }
    }
}

// Q5_1: as Q4_1 with 31 steps. The quant is not capped: a value that rounds to 32 keeps only its low
// five bits (0), as in llama.cpp.
void quantize_row_q5_1(const float* x, BlockQ5_1* y, size_t n) {
    for (size_t b = 0; b < n / kBlockSize; ++b, x += kBlockSize) {
        float lo, hi;
        min_max(x, kBlockSize, lo, hi);
        const float d = (hi - lo) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = fp32_to_fp16(d);
        y[b].m = fp32_to_fp16(lo);
        uint32_t high = 0;
        for (size_t j = 0; j < 16; ++j) {
            const float s0 = (x[j] - lo) * id;
            const float s1 = (x[j + 16] - lo) * id;
            const auto q0 = static_cast<uint8_t>(truncate_to_int(s0 + 0.5f));
            const auto q1 = static_cast<uint8_t>(truncate_to_int(s1 + 0.5f));
            y[b].qs[j] = static_cast<uint8_t>((q0 & 0xF) | (q1 & 0xF) << 4);
            high |= static_cast<uint32_t>((q0 >> 4) & 1) << j | static_cast<uint32_t>((q1 >> 4) & 1)
                                                                    << (j + 16);
        }
        store_q5_high_word(high, y[b].qh);
    }
}

void dequantize_row_q5_1(const BlockQ5_1* x, float* y, size_t n) {
    for (size_t b = 0; b < n / kBlockSize; ++b, y += kBlockSize) {
        const float d = fp16_to_fp32(x[b].d);
        const float m = fp16_to_fp32(x[b].m);
        const uint32_t high = q5_high_word(x[b].qh);
        for (size_t j = 0; j < 16; ++j) {
            const int q0 = (x[b].qs[j] & 0xF) | static_cast<int>((high >> j) & 1) << 4;
            const int q1 = (x[b].qs[j] >> 4) | static_cast<int>((high >> (j + 16)) & 1) << 4;
            y[j] = static_cast<float>(q0) * d + m;
            y[j + 16] = static_cast<float>(q1) * d + m;
        }
    }
}

// Q8_0: symmetric, d = max|x| / 127.
void quantize_row_q8_0(const float* x, BlockQ8_0* y, size_t n) {
    for (size_t b = 0; b < n / kBlockSize; ++b, x += kBlockSize) {
        const float d = absmax(x, kBlockSize) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = fp32_to_fp16(d);
        for (size_t j = 0; j < kBlockSize; ++j) y[b].qs[j] = round_quant(x[j] * id);
    }
}

void dequantize_row_q8_0(const BlockQ8_0* x, float* y, size_t n) {
    for (size_t b = 0; b < n / kBlockSize; ++b, y += kBlockSize) {
        const float d = fp16_to_fp32(x[b].d);
        for (size_t j = 0; j < kBlockSize; ++j) y[j] = static_cast<float>(x[b].qs[j]) * d;
    }
}

// Q8_1: Q8_0 plus s = fp16(d * sum of the quants).
void quantize_row_q8_1(const float* x, BlockQ8_1* y, size_t n) {
    for (size_t b = 0; b < n / kBlockSize; ++b, x += kBlockSize) {
        const float d = absmax(x, kBlockSize) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = fp32_to_fp16(d);
        int sum = 0;
        for (size_t j = 0; j < kBlockSize; ++j) {
            y[b].qs[j] = round_quant(x[j] * id);
            sum += y[b].qs[j];
        }
        y[b].s = fp32_to_fp16(static_cast<float>(sum) * d);
    }
}

void dequantize_row_q8_1(const BlockQ8_1* x, float* y, size_t n) {
    for (size_t b = 0; b < n / kBlockSize; ++b, y += kBlockSize) {
        const float d = fp16_to_fp32(x[b].d);
        for (size_t j = 0; j < kBlockSize; ++j) y[j] = static_cast<float>(x[b].qs[j]) * d;
    }
}

}  // namespace chord::quant

// Reference quantizers and dequantizers for every block format wasm-chord computes on, one pair per
// type, scalar and portable. quantize_row_* writes the bytes llama.cpp writes for the same float input
// when quantizing without an importance matrix (llama-quantize --pure; ggml_quantize_chunk with no
// imatrix), and dequantize_row_* gives ggml's floats bit for bit; the test against the prebuilt
// llama.cpp libraries checks both. These are the truth SIMD code is tested against, not the fast path.
// Code that must not switch on types goes through quant_table.h instead.
//
// `n` counts elements and must be a multiple of the type's block size (32 or 256); rows of several
// blocks are contiguous arrays of blocks. Inputs must not alias outputs.
#pragma once

#include <cstddef>
#include <cstdint>

#include "quant/blocks.h"

namespace chord::quant {

// Plain floating-point rows: F32 is a copy; F16 and BF16 round to nearest even (core/fp16.h).
void quantize_row_f32(const float* x, float* y, size_t n);
void dequantize_row_f32(const float* x, float* y, size_t n);
void quantize_row_f16(const float* x, uint16_t* y, size_t n);
void dequantize_row_f16(const uint16_t* x, float* y, size_t n);
void quantize_row_bf16(const float* x, uint16_t* y, size_t n);
void dequantize_row_bf16(const uint16_t* x, float* y, size_t n);

// Legacy 32-element formats (quants_legacy.cpp). Q8_0 and Q8_1 double as activation formats.
void quantize_row_q4_0(const float* x, BlockQ4_0* y, size_t n);
void dequantize_row_q4_0(const BlockQ4_0* x, float* y, size_t n);
void quantize_row_q4_1(const float* x, BlockQ4_1* y, size_t n);
void dequantize_row_q4_1(const BlockQ4_1* x, float* y, size_t n);
void quantize_row_q5_0(const float* x, BlockQ5_0* y, size_t n);
void dequantize_row_q5_0(const BlockQ5_0* x, float* y, size_t n);
void quantize_row_q5_1(const float* x, BlockQ5_1* y, size_t n);
void dequantize_row_q5_1(const BlockQ5_1* x, float* y, size_t n);
void quantize_row_q8_0(const float* x, BlockQ8_0* y, size_t n);
void dequantize_row_q8_0(const BlockQ8_0* x, float* y, size_t n);
void quantize_row_q8_1(const float* x, BlockQ8_1* y, size_t n);
void dequantize_row_q8_1(const BlockQ8_1* x, float* y, size_t n);  // d * q (ggml itself has none)

// K-quants (quants_k.cpp). Q8_K is the activation format of the K-quants and of IQ4_XS.
void quantize_row_q2_K(const float* x, BlockQ2_K* y, size_t n);
void dequantize_row_q2_K(const BlockQ2_K* x, float* y, size_t n);
void quantize_row_q3_K(const float* x, BlockQ3_K* y, size_t n);
void dequantize_row_q3_K(const BlockQ3_K* x, float* y, size_t n);
void quantize_row_q4_K(const float* x, BlockQ4_K* y, size_t n);
void dequantize_row_q4_K(const BlockQ4_K* x, float* y, size_t n);
void quantize_row_q5_K(const float* x, BlockQ5_K* y, size_t n);
void dequantize_row_q5_K(const BlockQ5_K* x, float* y, size_t n);
void quantize_row_q6_K(const float* x, BlockQ6_K* y, size_t n);
void dequantize_row_q6_K(const BlockQ6_K* x, float* y, size_t n);
void quantize_row_q8_K(const float* x, BlockQ8_K* y, size_t n);
void dequantize_row_q8_K(const BlockQ8_K* x, float* y, size_t n);

// Non-linear 4-bit formats (quants_iq4.cpp).
void quantize_row_iq4_nl(const float* x, BlockIQ4_NL* y, size_t n);
void dequantize_row_iq4_nl(const BlockIQ4_NL* x, float* y, size_t n);
void quantize_row_iq4_xs(const float* x, BlockIQ4_XS* y, size_t n);
void dequantize_row_iq4_xs(const BlockIQ4_XS* x, float* y, size_t n);

}  // namespace chord::quant

// Reference rows for the unquantized types: F32 (a copy), F16 and BF16 (IEEE round to nearest even, as
// ggml converts). They sit beside the block formats so the quant table can treat every type alike.
#include <cstring>

#include "core/fp16.h"
#include "quant/quants.h"

namespace chord::quant {

void quantize_row_f32(const float* x, float* y, size_t n) {
    std::memcpy(y, x, n * sizeof(float));
}

void dequantize_row_f32(const float* x, float* y, size_t n) {
    std::memcpy(y, x, n * sizeof(float));
}

void quantize_row_f16(const float* x, uint16_t* y, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

void dequantize_row_f16(const uint16_t* x, float* y, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = fp16_to_fp32(x[i]);
}

void quantize_row_bf16(const float* x, uint16_t* y, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = fp32_to_bf16(x[i]);
}

void dequantize_row_bf16(const uint16_t* x, float* y, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] = bf16_to_fp32(x[i]);
}

}  // namespace chord::quant

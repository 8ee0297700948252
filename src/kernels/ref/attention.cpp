// Scalar references for attention's vector operations (kernels/vector_ops.h): plain loops in float, the
// exponentials by std::exp, their sum in double. Every SIMD variant is tested against these.
#include <cmath>

#include "core/fp16.h"
#include "kernels/ref/ref_kernels.h"

namespace chord::kernels::ref {

float attn_dot_f16(size_t n, const uint16_t* q, const uint16_t* k) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; ++i) sum += fp16_to_fp32(q[i]) * fp16_to_fp32(k[i]);
    return sum;
}

float attn_dot_f32(size_t n, const float* q, const float* k) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; ++i) sum += q[i] * k[i];
    return sum;
}

double attn_exp_sum(float* s, size_t n, float max) {
    double sum = 0.0;
    for (size_t j = 0; j < n; ++j) {
        s[j] = std::exp(s[j] - max);
        sum += static_cast<double>(s[j]);
    }
    return sum;
}

void attn_axpy_f16(size_t n, float p, const uint16_t* v, float* y) {
    for (size_t i = 0; i < n; ++i) y[i] += p * fp16_to_fp32(v[i]);
}

void attn_axpy_f32(size_t n, float p, const float* v, float* y) {
    for (size_t i = 0; i < n; ++i) y[i] += p * v[i];
}

void swiglu(size_t n, float* gate, const float* up) {
    for (size_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

}  // namespace chord::kernels::ref

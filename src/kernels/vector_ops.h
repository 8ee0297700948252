// The CPU backend's vector operations outside the matrix products. Attention's inner loops: the dot
// product of a query head with a cached key row, the exponentials of a row of scores, and the weighted
// sum of value rows (y += p * v), each for an F16 or an F32 KV cache; and the FFN's SwiGLU. Against an F16 cache the query and the softmax
// weights enter as F16 (ggml converts the F32 side of an F16 product to F16 first); the caller rounds
// them. kernels/ref/attention.cpp holds the scalar references; the AVX2 variant (kernels/x86/avx2.cpp)
// serves every x86 variant above it. Chosen once, like the matrix kernels (dispatch.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace chord::kernels {

struct VectorKernels {
    // sum_i q[i] * k[i] in float (F16 operands widened exactly).
    float (*dot_f16)(size_t n, const uint16_t* q, const uint16_t* k);
    float (*dot_f32)(size_t n, const float* q, const float* k);
    // s[j] = exp(s[j] - max) for j < n; returns the sum of the new s[j] (accumulated in double).
    double (*exp_sum)(float* s, size_t n, float max);
    // y[i] += p * v[i], rounded as a product then a sum (no fused multiply-add).
    void (*axpy_f16)(size_t n, float p, const uint16_t* v, float* y);
    void (*axpy_f32)(size_t n, float p, const float* v, float* y);
    // gate[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i].
    void (*swiglu)(size_t n, float* gate, const float* up);
    const char* isa;
};

// The fastest variant this machine runs (CHORD_KERNELS caps it as for the matrix kernels).
const VectorKernels& vector_kernels();
// One variant's kernels ("scalar" is the reference), for tests; nullptr when it has none.
const VectorKernels* find_vector_kernels(const char* isa);

}  // namespace chord::kernels

// The kernels the CPU backend calls, chosen once per type (and per CPU: the
// fastest variant the machine runs, natively from cpuid, in WebAssembly at
// build time). The scalar references in kernels/ref are the truth every variant
// is tested against.
#pragma once

#include <cstddef>
#include <cstdint>

#include "quant/type_table.h"

namespace chord::kernels {

// Converts n floats to one row of the type (n a multiple of its block size),
// and back.
using QuantizeRow = void (*)(const float *x, void *y, size_t n);
using DequantizeRow = void (*)(const void *x, float *y, size_t n);
// Dot product of a weight row and an activation row of n elements, in their
// block formats.
using VecDot = float (*)(size_t n, const void *w, const void *a);

struct MatmulKernel {
  const TypeTraits
      *act; // the activation format this weight type is multiplied against
  QuantizeRow quantize_act; // F32 activations -> act; null when act is F32
                            // (rows used as they are)
  VecDot vec_dot;
};

// Throws chord::Error (Unsupported) for a type without kernels.
const MatmulKernel &matmul_kernel(GgmlType weight_type);
DequantizeRow dequantize_row(GgmlType type);

// The name of the kernel variant in use ("avx512-vnni", "avx2", "simd128",
// "scalar").
const char *kernel_isa();

} // namespace chord::kernels

// One entry per type wasm-chord can quantize and dequantize: its reference row functions behind a
// type-erased signature and the "vec_dot type", the activation format its rows are multiplied against
// (llama.cpp's ggml-cpu type traits). Code outside src/quant looks types up here instead of switching
// on them. The kernels that compute those dot products are in kernels/; this is only the format side.
#pragma once

#include <cstddef>
#include <optional>

#include "quant/type_table.h"

namespace chord::quant {

// `n` elements, a multiple of the type's block size; `src` and `dst` must not overlap.
using DequantizeRowFn = void (*)(const void* src, float* dst, size_t n);
using QuantizeRowFn = void (*)(const float* src, void* dst, size_t n);

struct QuantFormat {
    GgmlType type;
    DequantizeRowFn dequantize_row;
    QuantizeRowFn quantize_row;  // the bytes llama-quantize writes without an importance matrix
    // The activation format rows of this type are dotted against: F32, F16 and BF16 with themselves,
    // Q4_0/Q5_0/Q8_0/IQ4_NL with Q8_0, Q4_1/Q5_1 with Q8_1, the K-quants and IQ4_XS with Q8_K. Empty for
    // Q8_1 and Q8_K, which only ever hold activations.
    std::optional<GgmlType> vec_dot_type;
};

// nullptr when wasm-chord has no reference code for `type`.
const QuantFormat* find_quant_format(GgmlType type);
// Throws Error(Unsupported) naming the type when there is none.
const QuantFormat& quant_format(GgmlType type);

}  // namespace chord::quant

// The kernels the CPU backend calls, chosen once per type: the fastest variant this machine runs
// (natively from cpuid: AVX-512 VNNI, AVX-512, AVX2, else scalar; in WebAssembly at build time:
// SIMD128), falling back type by type to a lower variant where a variant lacks a kernel. The scalar
// references in kernels/ref are the truth every variant is tested against. Setting the environment
// variable CHORD_KERNELS to a variant's name ("avx2", "scalar", ...) caps the choice, for comparisons.
// This is selection only; the threaded matrix product is kernels/matmul.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "quant/type_table.h"

namespace chord::kernels {

// Converts n floats to one row of the type (n a multiple of its block size), and back.
using QuantizeRow = void (*)(const float* x, void* y, size_t n);
using DequantizeRow = void (*)(const void* x, float* y, size_t n);
// Dot product of a weight row and an activation row of n elements, in their block formats.
using VecDot = float (*)(size_t n, const void* w, const void* a);
// A tile of dot products: y[t * y_stride + r] = vec_dot(n, w + r * w_stride, a + t * a_stride) for
// r < n_rows and t < n_tokens (strides in bytes for w and a, in floats for y). Weight rows are streamed
// once per group of tokens the variant holds in registers, so the tile is where matrix-matrix products
// get their speed. Gives exactly vec_dot's floats.
using MatmulTile = void (*)(size_t n, const void* w, size_t w_stride, size_t n_rows, const void* a,
                            size_t a_stride, size_t n_tokens, float* y, size_t y_stride);

// Rewrites `rows` weight rows (`w_stride` bytes apart, `cols` elements each) into a variant's own layout
// of the same total size (rows * row bytes), which only that variant's packed tile reads. Returns false
// (writing nothing) for a shape it does not pack (rows not a multiple of its row group, ...). With
// MatmulKernel::repack_in_place, `out` may be `w` itself (w_stride then being the row size).
using Repack = bool (*)(const void* w, size_t w_stride, size_t rows, size_t cols, void* out);

struct MatmulKernel {
    const TypeTraits* act;     // the activation format this weight type is multiplied against
    QuantizeRow quantize_act;  // F32 activations -> act; null when act is F32 (rows used as they are)
    VecDot vec_dot;
    MatmulTile tile;
    // The tile for a single token (decode), reading the weight rows one after another as one sequential
    // stream; tile itself where no variant at or below this one has such a kernel.
    MatmulTile matvec;
    const char* isa;         // the variant vec_dot and tile come from
    const char* matvec_isa;  // the variant matvec comes from
    // Weights repacked once at load (Model::pack_for_cpu) for a faster tile, or null: packed_tile takes
    // w as the packed bytes of its first row (packed row r starts at r * row bytes, rows in groups of
    // 16: n_rows a multiple of 16) and serves every token count.
    Repack repack = nullptr;
    MatmulTile packed_tile = nullptr;
    const char* packed_isa = nullptr;
    // The layout is made in the weights' own memory (repack called with out == w), on request only
    // (Model::pack_in_place: the bytes then stop being the file's), never into a copy at load: used
    // where memory is scarcer than the speed-up is large (WebAssembly's heap).
    bool repack_in_place = false;
};

// Throws chord::Error (Unsupported) for a type without kernels.
const MatmulKernel& matmul_kernel(GgmlType weight_type);
DequantizeRow dequantize_row(GgmlType type);

// The variant in use ("avx512-vnni", "avx512", "avx2", "simd128", "scalar"); single types may run a
// lower one (MatmulKernel::isa says which).
const char* kernel_isa();

// Every variant compiled in that this CPU runs, best first; the last is "scalar".
std::vector<std::string_view> kernel_isas();
// The kernels of exactly one variant (for tests and benchmarks): nullptr when `isa` is not in
// kernel_isas() or has no dot product of its own for `weight_type`. Its activation quantizer is the
// best one at or below `isa`.
const MatmulKernel* find_matmul_kernel(GgmlType weight_type, std::string_view isa);
// One variant's own quantizer to an activation format (Q8_0, Q8_1, Q8_K, F16, BF16); nullptr when it
// has none. Every quantizer writes exactly the reference quantizer's bytes.
QuantizeRow find_act_quantizer(GgmlType act_type, std::string_view isa);

}  // namespace chord::kernels

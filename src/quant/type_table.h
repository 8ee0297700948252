// The ggml tensor types: their ids as stored in GGUF, block geometry and names. This table is what
// the GGUF reader uses to size and validate tensors, so it lists every type llama.cpp can write,
// including the ones wasm-chord cannot compute on (`computable` says which it can).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace chord {

enum class GgmlType : uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ2_XXS = 16,
    IQ2_XS = 17,
    IQ3_XXS = 18,
    IQ1_S = 19,
    IQ4_NL = 20,
    IQ3_S = 21,
    IQ2_S = 22,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    IQ1_M = 29,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    MXFP4 = 39,
    NVFP4 = 40,
    Q1_0 = 41,
    Q2_0 = 42,
};

struct TypeTraits {
    GgmlType type;
    std::string_view name;  // as llama.cpp prints it: "q4_0", "q6_K", "bf16"
    uint32_t block_size;    // elements per block
    uint32_t block_bytes;   // bytes per block
    bool computable;        // wasm-chord has kernels for it
};

// nullptr when `id` is not a ggml type (or one ggml removed, like 4 and 5).
const TypeTraits* find_type_traits(uint32_t id);
const TypeTraits& type_traits(GgmlType type);
std::optional<GgmlType> type_from_name(std::string_view name);  // case-insensitive

// Bytes of `n_elements` elements of `type`; n_elements must be a multiple of the block size.
inline uint64_t row_bytes(const TypeTraits& t, uint64_t n_elements) {
    return n_elements / t.block_size * t.block_bytes;
}

}  // namespace chord

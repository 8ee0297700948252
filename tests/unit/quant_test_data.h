// Test inputs for the quantization tests, identical on every platform: a deterministic generator built
// from integer arithmetic and exact float operations only (no libm), matrices of awkward blocks (zeros,
// constants, outliers, ties, tiny and huge magnitudes), an order-sensitive hash, and the hashes
// llama.cpp's own code produces on these inputs (checked against the prebuilt library by
// test_quant_vs_ggml, and against our code natively and in WebAssembly by test_quant).
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "quant/type_table.h"

namespace chord::test {

// splitmix64: a well-mixed 64-bit stream from a seed.
struct Rng {
    uint64_t state;
    explicit Rng(uint64_t seed) : state(seed) {}
    uint64_t next() {
        uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // Uniform in [-1, 1), a multiple of 2^-23: exact on every platform.
    float uniform() { return static_cast<float>(static_cast<int32_t>(next() >> 40) - (1 << 23)) * 0x1p-23f; }
    // Roughly normal (sum of four uniforms, variance 1), exact float arithmetic only.
    float normal() { return (uniform() + uniform() + uniform() + uniform()) * 0.8660254f; }
};

// The kinds of 32-element block the test matrices are made of.
enum class BlockKind {
    Normal,       // N(0, 1)-like
    Zeros,        // all 0
    Constant,     // all equal, positive
    NegConstant,  // all equal, negative
    Outlier,      // normal with one element 100x larger
    Tiny,         // normal scaled by 1e-6
    Subtle,       // normal scaled by 1e-30 (scales underflow fp16)
    Large,        // normal scaled by 1.5e4 (values and scales near the top of fp16's range)
    Positive,     // uniform in [0, 1)
    Ties,         // values that land exactly on .5 after scaling by an 8-bit scale of 1
    Sparse,       // mostly zeros, a few normal values
    Ramp,         // -1 .. 1 evenly
};
inline constexpr int kBlockKinds = 12;

inline void fill_block(Rng& rng, BlockKind kind, float* x) {
    switch (kind) {
        case BlockKind::Normal:
            for (int j = 0; j < 32; ++j) x[j] = rng.normal();
            break;
        case BlockKind::Zeros:
            for (int j = 0; j < 32; ++j) x[j] = 0.0f;
            break;
        case BlockKind::Constant:
            for (int j = 0; j < 32; ++j) x[j] = 0.75f;
            break;
        case BlockKind::NegConstant:
            for (int j = 0; j < 32; ++j) x[j] = -1.25f;
            break;
        case BlockKind::Outlier:
            for (int j = 0; j < 32; ++j) x[j] = rng.normal();
            x[rng.next() % 32] *= 100.0f;
            break;
        case BlockKind::Tiny:
            for (int j = 0; j < 32; ++j) x[j] = rng.normal() * 1e-6f;
            break;
        case BlockKind::Subtle:
            for (int j = 0; j < 32; ++j) x[j] = rng.normal() * 1e-30f;
            break;
        case BlockKind::Large:
            for (int j = 0; j < 32; ++j) x[j] = rng.normal() * 1.5e4f;
            break;
        case BlockKind::Positive:
            for (int j = 0; j < 32; ++j) x[j] = (rng.uniform() + 1.0f) * 0.5f;
            break;
        case BlockKind::Ties:
            // 127 sets an 8-bit scale of exactly 1 (Q8_0: 127 / 127; Q8_K: -127 / -127), so k + 0.5
            // meets the rounding rule head on.
            x[0] = (rng.next() & 1) ? 127.0f : -127.0f;
            for (int j = 1; j < 32; ++j)
                x[j] = static_cast<float>(static_cast<int>(rng.next() % 200) - 100) + 0.5f;
            break;
        case BlockKind::Sparse:
            for (int j = 0; j < 32; ++j) x[j] = (rng.next() % 8 == 0) ? rng.normal() : 0.0f;
            break;
        case BlockKind::Ramp:
            for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j - 16) / 16.0f;
            break;
    }
}

// A rows x cols matrix (cols a multiple of 256): row 0 normal; row 1 a different kind per 32-block;
// row 2 a zero super-block then constants; the other rows a pseudo-random kind per block, so that
// K-quant super-blocks mix sub-blocks of very different scale.
inline std::vector<float> awkward_matrix(size_t rows, size_t cols, uint64_t seed) {
    Rng rng(seed);
    std::vector<float> m(rows * cols);
    for (size_t r = 0; r < rows; ++r) {
        for (size_t b = 0; b < cols / 32; ++b) {
            BlockKind kind;
            if (r == 0)
                kind = BlockKind::Normal;
            else if (r == 1)
                kind = static_cast<BlockKind>(b % kBlockKinds);
            else if (r == 2)
                kind = b < 8 ? BlockKind::Zeros : (b % 2 ? BlockKind::Constant : BlockKind::NegConstant);
            else
                kind = static_cast<BlockKind>(rng.next() % kBlockKinds);
            fill_block(rng, kind, &m[r * cols + b * 32]);
        }
    }
    return m;
}

// A dense activation-like vector: normal values with a per-block scale between 1/8 and 8.
inline std::vector<float> activation_vector(size_t n, uint64_t seed) {
    Rng rng(seed);
    std::vector<float> x(n);
    for (size_t b = 0; b < n / 32; ++b) {
        const float scale = static_cast<float>(1u << (rng.next() % 7)) / 8.0f;
        for (size_t j = 0; j < 32; ++j) x[b * 32 + j] = rng.normal() * scale;
    }
    return x;
}

// FNV-1a over bytes.
inline uint64_t hash_bytes(const void* data, size_t n, uint64_t h = 0xcbf29ce484222325ull) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

// FNV-1a over float bits, every NaN counted as the same NaN (NaN payloads are not portable).
inline uint64_t hash_floats(const float* x, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; ++i) {
        uint32_t u;
        std::memcpy(&u, &x[i], sizeof u);
        if ((u & 0x7fffffffu) > 0x7f800000u) u = 0x7fc00000u;
        h = hash_bytes(&u, sizeof u, h);
    }
    return h;
}

// The golden inputs: kGoldenRows x kGoldenCols weights from awkward_matrix(kGoldenSeed) and one
// activation row from activation_vector(kGoldenCols, kGoldenSeed + 1).
inline constexpr size_t kGoldenRows = 6;
inline constexpr size_t kGoldenCols = 1024;
inline constexpr uint64_t kGoldenSeed = 20240601;

// What llama.cpp computes on the golden inputs: FNV-1a of the quantized bytes, of the dequantized
// floats, and of the row dot products (weights quantized to the type, activations to its vec_dot type);
// 0 where ggml has no such function.
struct GoldenHashes {
    GgmlType type;
    uint64_t quantized;
    uint64_t dequantized;
    uint64_t dots;
};

inline constexpr GoldenHashes kGolden[] = {
    {GgmlType::F32, 0xdcceeef653a915d6ull, 0xdcceeef653a915d6ull, 0x0000000000000000ull},
    {GgmlType::F16, 0x27503c5bd6d8dec4ull, 0x112b18167b24be79ull, 0x0000000000000000ull},
    {GgmlType::BF16, 0xe7b0d64607592409ull, 0x1b7da4a1cbdc1359ull, 0x0000000000000000ull},
    {GgmlType::Q4_0, 0x2da45df6f64ac118ull, 0x68ade649dc192d7eull, 0x613e8a967b1dea2bull},
    {GgmlType::Q4_1, 0x6a94c9bb21178820ull, 0x392da811c4f4c302ull, 0x633e7e958d234ce9ull},
    {GgmlType::Q5_0, 0x607f94a9a0b78c96ull, 0x3f90cfe9611d421dull, 0xc61e9f641d633e85ull},
    {GgmlType::Q5_1, 0xef2a5bd354fb4a23ull, 0xc5a8f896b27337b4ull, 0xfaad9d35ccaa9d75ull},
    {GgmlType::Q8_0, 0x8c278298f9585dd1ull, 0x04660bcd49dc0aa6ull, 0xf43deb2952eb8636ull},
    {GgmlType::Q8_1, 0xdca5fc792dd58e26ull, 0x0000000000000000ull, 0x0000000000000000ull},
    {GgmlType::Q2_K, 0x468a8c3feaccc180ull, 0xe3204b1d6ad7bdbeull, 0x819a2bd64b7883deull},
    {GgmlType::Q3_K, 0xfb4c2f50f66c98c4ull, 0x87cfa978f9a386daull, 0x91c2be8236ea5407ull},
    {GgmlType::Q4_K, 0xcc6923f2a15bd999ull, 0x5a623627218e264bull, 0xc04dfac27dfeff65ull},
    {GgmlType::Q5_K, 0x6e5c2769624f473cull, 0xab44de9f5d1c5dfaull, 0xbe1f580169c99a4full},
    {GgmlType::Q6_K, 0x16a1c2046e5f0b66ull, 0x0b5a79ce996d1ea9ull, 0x24b33690e242a864ull},
    {GgmlType::Q8_K, 0x56fe2ff34d3ea272ull, 0xefab7f29bded4d0dull, 0x0000000000000000ull},
    {GgmlType::IQ4_NL, 0x9a7f45d88e85894aull, 0x20e156068b5e8182ull, 0x0a05af03fca37765ull},
    {GgmlType::IQ4_XS, 0x22cc9133aec75809ull, 0x4fed058842f536a7ull, 0x77871dabd11e6f71ull},
};

}  // namespace chord::test

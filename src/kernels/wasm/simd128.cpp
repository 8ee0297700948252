// WebAssembly SIMD128 kernels, written with intrinsics (clang 14 vectorizes int8 dot products badly):
// dot products of the common weight formats in tiles of 4 rows by 1-2 tokens, and the activation
// quantizers to Q8_0, Q8_1, Q8_K and BF16. Built only by emscripten, where the whole module is compiled
// with -msimd128, so this variant is chosen at build time. There is no u8 x s8 multiply-add in
// SIMD128: products are i16x8.extmul of sign-extended bytes, widened by i32x4.dot_i16x8 or a pairwise
// add. There is no half-precision conversion either: fp16 scales are converted four at a time by
// halves_to_floats(), exact for every input.
//
// Numerics as in kernels/x86/avx2.cpp: the 32-element formats, IQ4_XS and Q2_K give the scalar
// reference's floats bit for bit; Q3_K..Q6_K and the float formats differ from it by float rounding only
// (the float formats multiply and add separately: SIMD128 has no fused multiply-add). The quantizers
// are bit-exact.
#include <wasm_simd128.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "core/fp16.h"
#include "kernels/ref/ref_kernels.h"
#include "kernels/variants.h"
#include "quant/blocks.h"
#include "quant/quants.h"

namespace chord::kernels {
namespace {

using quant::BlockIQ4_NL;
using quant::BlockIQ4_XS;
using quant::BlockQ2_K;
using quant::BlockQ3_K;
using quant::BlockQ4_0;
using quant::BlockQ4_1;
using quant::BlockQ4_K;
using quant::BlockQ5_0;
using quant::BlockQ5_1;
using quant::BlockQ5_K;
using quant::BlockQ6_K;
using quant::BlockQ8_0;
using quant::BlockQ8_1;
using quant::BlockQ8_K;

// --- Helpers -----------------------------------------------------------------------------------------

inline v128_t load(const void* p) {
    return wasm_v128_load(p);
}

template <typename Block>
const Block* blocks(const uint8_t* row) {
    return static_cast<const Block*>(static_cast<const void*>(row));
}

// Four fp16 values as floats, exactly as fp16_to_fp32: the half's bits shifted into a float's place
// are the value times 2^-112 (subnormal halves included), except for infinity and NaN.
inline v128_t halves_to_floats(v128_t h) {  // h: four halves in the low 16 bits of each lane
    const v128_t magnitude = wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x7fff)), 13);
    const v128_t sign = wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x8000)), 16);
    const v128_t scaled = wasm_f32x4_mul(magnitude, wasm_f32x4_splat(0x1p112f));
    const v128_t special = wasm_i32x4_ge(magnitude, wasm_i32x4_splat(0x0f800000));  // exponent 31
    const v128_t inf_nan = wasm_v128_or(magnitude, wasm_i32x4_splat(0x7f800000));
    return wasm_v128_or(wasm_v128_bitselect(inf_nan, scaled, special), sign);
}

inline v128_t halves4(uint16_t h0, uint16_t h1, uint16_t h2, uint16_t h3) {
    return halves_to_floats(wasm_i32x4_make(h0, h1, h2, h3));
}

inline float half_to_float(uint16_t h) {
    return fp16_to_fp32(h);
}

// The totals of four int32x4 vectors: lane i = sum of vi's lanes.
inline v128_t sum4_i32(v128_t v0, v128_t v1, v128_t v2, v128_t v3) {
    const v128_t a =
        wasm_i32x4_add(wasm_i32x4_shuffle(v0, v1, 0, 4, 1, 5), wasm_i32x4_shuffle(v0, v1, 2, 6, 3, 7));
    const v128_t b =
        wasm_i32x4_add(wasm_i32x4_shuffle(v2, v3, 0, 4, 1, 5), wasm_i32x4_shuffle(v2, v3, 2, 6, 3, 7));
    return wasm_i32x4_add(wasm_i32x4_shuffle(a, b, 0, 1, 4, 5), wasm_i32x4_shuffle(a, b, 2, 3, 6, 7));
}

inline int32_t hsum_i32(v128_t v) {
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_i32x4_extract_lane(v, 0);
}

inline float hsum_f32(v128_t v) {
    v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(v, 0);
}

// Sum of products of 16 signed bytes, as int32x4 partial sums. Two products fit int16 for |x| <= 128,
// |y| <= 127.
// Both sides of a 32-element block product are widened to int16 and dotted with i32x4.dot_i16x8: that
// is one pmaddwd in V8 on x86, where i16x8.extmul_high_i8x16 + extadd_pairwise take several
// instructions. Each weight row is widened once per block for all the tile's tokens (~1.3x on prompts).
inline void widen_block(const int8_t* qs, v128_t a16[4]) {
    const v128_t lo = load(qs), hi = load(qs + 16);
    a16[0] = wasm_i16x8_extend_low_i8x16(lo);
    a16[1] = wasm_i16x8_extend_high_i8x16(lo);
    a16[2] = wasm_i16x8_extend_low_i8x16(hi);
    a16[3] = wasm_i16x8_extend_high_i8x16(hi);
}

inline v128_t dot16(v128_t x, v128_t y) {
    const v128_t p = wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(x, y), wasm_i16x8_extmul_high_i8x16(x, y));
    return wasm_i32x4_extadd_pairwise_i16x8(p);
}

// 16 packed nibble bytes -> low nibbles (elements 0-15) and high nibbles (16-31).
inline void unpack_nibbles(const uint8_t* qs, v128_t& lo, v128_t& hi) {
    const v128_t q = load(qs);
    lo = wasm_v128_and(q, wasm_i8x16_splat(0x0f));
    hi = wasm_u8x16_shr(q, 4);
}

// Bytes 0x10 where the fifth bit of element j (bit j of qh) is set: elements 0-15 and 16-31.
inline void fifth_bits(const uint8_t qh[4], v128_t& lo, v128_t& hi) {
    uint32_t bits;
    std::memcpy(&bits, qh, 4);
    const v128_t select = wasm_i64x2_splat(static_cast<int64_t>(0x8040201008040201ull));
    const v128_t word = wasm_i32x4_splat(static_cast<int32_t>(bits));
    const v128_t b01 =
        wasm_i8x16_swizzle(word, wasm_i8x16_make(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
    const v128_t b23 =
        wasm_i8x16_swizzle(word, wasm_i8x16_make(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    const v128_t bit4 = wasm_i8x16_splat(0x10);
    lo = wasm_v128_and(wasm_i8x16_eq(wasm_v128_and(b01, select), select), bit4);
    hi = wasm_v128_and(wasm_i8x16_eq(wasm_v128_and(b23, select), select), bit4);
}

// --- Tiles: 4 weight rows x T tokens ------------------------------------------------------------------

template <class M, int T>
void run_micro(size_t n, const uint8_t* const* w, const uint8_t* a, size_t a_stride, float* out) {
    const uint8_t* at[T];
    for (int t = 0; t < T; ++t) at[t] = a + static_cast<size_t>(t) * a_stride;
    M::template run<T>(n, w, at, out);
}

template <class M>
void tile(size_t n, const void* w, size_t w_stride, size_t n_rows, const void* a, size_t a_stride,
          size_t n_tokens, float* y, size_t y_stride) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const auto* ab = static_cast<const uint8_t*>(a);
    float out[8];
    for (size_t r = 0; r < n_rows; r += 4) {
        const size_t nr = n_rows - r < 4 ? n_rows - r : 4;
        const uint8_t* wr[4];
        for (size_t i = 0; i < 4; ++i) wr[i] = wb + (r + (i < nr ? i : nr - 1)) * w_stride;
        for (size_t t = 0; t < n_tokens; t += 2) {
            const size_t nt = n_tokens - t < 2 ? n_tokens - t : 2;
            if (nt == 2) {
                run_micro<M, 2>(n, wr, ab + t * a_stride, a_stride, out);
            } else {
                run_micro<M, 1>(n, wr, ab + t * a_stride, a_stride, out);
            }
            for (size_t j = 0; j < nt; ++j)
                for (size_t i = 0; i < nr; ++i) y[(t + j) * y_stride + r + i] = out[j * 4 + i];
        }
    }
}

template <class M>
float vec_dot(size_t n, const void* w, const void* a) {
    float y;
    tile<M>(n, w, 0, 1, a, 0, 1, &y, 1);
    return y;
}

// --- 32-element formats ------------------------------------------------------------------------------

// A row's block as signed bytes: elements 0-15 and 16-31.
struct Quants {
    v128_t lo, hi;
};

struct Q5_0Format {
    using WBlock = BlockQ5_0;
    using ABlock = BlockQ8_0;
    static Quants row(const WBlock& b) {
        v128_t lo, hi, hlo, hhi;
        unpack_nibbles(b.qs, lo, hi);
        fifth_bits(b.qh, hlo, hhi);
        const v128_t sixteen = wasm_i8x16_splat(16);
        return {wasm_i8x16_sub(wasm_v128_or(lo, hlo), sixteen),
                wasm_i8x16_sub(wasm_v128_or(hi, hhi), sixteen)};
    }
    // sum += (d_w * d_a) * sumi
    static v128_t term(v128_t sumi, v128_t dw, v128_t da, v128_t, v128_t) {
        return wasm_f32x4_mul(wasm_f32x4_mul(dw, da), sumi);
    }
};

struct IQ4_NLFormat {
    using WBlock = BlockIQ4_NL;
    using ABlock = BlockQ8_0;
    static Quants row(const WBlock& b) {
        v128_t lo, hi;
        unpack_nibbles(b.qs, lo, hi);
        const v128_t levels = load(quant::kIq4nlLevels);
        return {wasm_i8x16_swizzle(levels, lo), wasm_i8x16_swizzle(levels, hi)};
    }
    // sum += (d_a * d_w) * sumi
    static v128_t term(v128_t sumi, v128_t dw, v128_t da, v128_t, v128_t) {
        return wasm_f32x4_mul(wasm_f32x4_mul(da, dw), sumi);
    }
};

// Q4_1 / Q5_1 x Q8_1: sum += ((d_w * d_a) * sumi) + (m_w * s_a)
struct Q4_1Format {
    using WBlock = BlockQ4_1;
    using ABlock = BlockQ8_1;
    static Quants row(const WBlock& b) {
        Quants q;
        unpack_nibbles(b.qs, q.lo, q.hi);
        return q;
    }
    static v128_t term(v128_t sumi, v128_t dw, v128_t da, v128_t mw, v128_t sa) {
        return wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(dw, da), sumi), wasm_f32x4_mul(mw, sa));
    }
};

struct Q5_1Format {
    using WBlock = BlockQ5_1;
    using ABlock = BlockQ8_1;
    static Quants row(const WBlock& b) {
        v128_t lo, hi, hlo, hhi;
        unpack_nibbles(b.qs, lo, hi);
        fifth_bits(b.qh, hlo, hhi);
        return {wasm_v128_or(lo, hlo), wasm_v128_or(hi, hhi)};
    }
    static v128_t term(v128_t sumi, v128_t dw, v128_t da, v128_t mw, v128_t sa) {
        return wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(dw, da), sumi), wasm_f32x4_mul(mw, sa));
    }
};

template <typename B>
constexpr bool kHasOffset = false;
template <>
constexpr bool kHasOffset<BlockQ4_1> = true;
template <>
constexpr bool kHasOffset<BlockQ5_1> = true;

template <class F>
struct LegacyMicro {
    template <int T>
    static void run(size_t n, const uint8_t* const* w, const uint8_t* const* a, float* out) {
        using WBlock = typename F::WBlock;
        using ABlock = typename F::ABlock;
        const WBlock* wr[4] = {blocks<WBlock>(w[0]), blocks<WBlock>(w[1]), blocks<WBlock>(w[2]),
                               blocks<WBlock>(w[3])};
        const ABlock* ar[T];
        v128_t acc[T];
        for (int t = 0; t < T; ++t) {
            ar[t] = blocks<ABlock>(a[t]);
            acc[t] = wasm_f32x4_splat(0.0f);
        }
        for (size_t b = 0; b < n / quant::kBlockSize; ++b) {
            const WBlock* wb[4] = {wr[0] + b, wr[1] + b, wr[2] + b, wr[3] + b};
            const Quants q[4] = {F::row(*wb[0]), F::row(*wb[1]), F::row(*wb[2]), F::row(*wb[3])};
            const v128_t dw = halves4(wb[0]->d, wb[1]->d, wb[2]->d, wb[3]->d);
            v128_t mw = dw;
            if constexpr (kHasOffset<WBlock>) mw = halves4(wb[0]->m, wb[1]->m, wb[2]->m, wb[3]->m);
            // Activations widened once per block, each weight row widened once for all T tokens.
            v128_t a16[T][4];
            for (int t = 0; t < T; ++t) widen_block(ar[t][b].qs, a16[t]);
            v128_t s[T][4];
            for (int r = 0; r < 4; ++r) {
                v128_t w16[4];
                w16[0] = wasm_i16x8_extend_low_i8x16(q[r].lo);
                w16[1] = wasm_i16x8_extend_high_i8x16(q[r].lo);
                w16[2] = wasm_i16x8_extend_low_i8x16(q[r].hi);
                w16[3] = wasm_i16x8_extend_high_i8x16(q[r].hi);
                for (int t = 0; t < T; ++t)
                    s[t][r] = wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_dot_i16x8(w16[0], a16[t][0]),
                                                            wasm_i32x4_dot_i16x8(w16[1], a16[t][1])),
                                             wasm_i32x4_add(wasm_i32x4_dot_i16x8(w16[2], a16[t][2]),
                                                            wasm_i32x4_dot_i16x8(w16[3], a16[t][3])));
            }
            for (int t = 0; t < T; ++t) {
                const ABlock& ab = ar[t][b];
                const v128_t sumi = wasm_f32x4_convert_i32x4(sum4_i32(s[t][0], s[t][1], s[t][2], s[t][3]));
                const v128_t da = wasm_f32x4_splat(half_to_float(ab.d));
                v128_t sa = da;
                if constexpr (kHasOffset<WBlock>) sa = wasm_f32x4_splat(half_to_float(ab.s));
                acc[t] = wasm_f32x4_add(acc[t], F::term(sumi, dw, da, mw, sa));
            }
        }
        for (int t = 0; t < T; ++t) wasm_v128_store(out + 4 * t, acc[t]);
    }
};

// --- Q4_0 and Q8_0: plain rows, or 4 rows interleaved in place ---------------------------------------
//
// Where a group of 4 rows keeps block b: in rows of their own (Rows), or, repacked at load (Packed,
// repack_4rows), side by side in one stream: per group and block, the four fp16 scales (8 bytes, one
// load16x4), then the four rows' quants in row order. That is the 4 blocks' own size (72 bytes for
// Q4_0, 136 for Q8_0), so a group keeps its 4 x row-bytes size and place and can be rewritten in place
// (MatmulKernel::repack_in_place). Decode then reads one sequential stream instead of four rows at a
// time, and V8 keeps one pointer instead of four (its code for the 4-row loop spent much of the time on
// address arithmetic and register spills): ~2x on a 5632x2048 Q8_0 matvec under node.
//
// Activation scales: converted once per tile call for all its row groups (Given, from an array the
// tile fills) rather than per block and row group; rows too long for that array convert per block
// (Converted). Integer sums and the float ops per block are the reference's: bit for bit the same.

template <typename WBlock>
struct Rows {
    const WBlock* r[4];
    explicit Rows(const uint8_t* const* w)
        : r{blocks<WBlock>(w[0]), blocks<WBlock>(w[1]), blocks<WBlock>(w[2]), blocks<WBlock>(w[3])} {}
    const void* qs(size_t b, int i) const { return r[i][b].qs; }
    v128_t scales(size_t b) const {  // the four fp16 scales in the low halves of the lanes
        v128_t h = wasm_i32x4_splat(0);
        h = wasm_v128_load16_lane(&r[0][b].d, h, 0);
        h = wasm_v128_load16_lane(&r[1][b].d, h, 2);
        h = wasm_v128_load16_lane(&r[2][b].d, h, 4);
        h = wasm_v128_load16_lane(&r[3][b].d, h, 6);
        return h;
    }
};

template <typename WBlock>
struct Packed {
    static constexpr size_t kQuants = sizeof(WBlock) - 2;  // bytes of quants per row and block
    const uint8_t* p;                                      // the group's first byte
    explicit Packed(const uint8_t* const* w) : p(w[0]) {}
    const void* qs(size_t b, int i) const { return p + 4 * sizeof(WBlock) * b + 8 + kQuants * i; }
    v128_t scales(size_t b) const { return wasm_u32x4_load16x4(p + 4 * sizeof(WBlock) * b); }
};

// The scale of token t's block b as four equal lanes.
struct GivenScales {
    const float* da[2];  // da[t][b]
    v128_t get(const BlockQ8_0* const*, int t, size_t b) const { return wasm_v128_load32_splat(da[t] + b); }
};
struct ConvertedScales {
    v128_t get(const BlockQ8_0* const* ar, int t, size_t b) const {
        return wasm_f32x4_splat(half_to_float(ar[t][b].d));
    }
};

// Q4_0 x Q8_0 without byte shuffles: a block's 16 bytes read as int16 lanes give each nibble with two
// masks and shifts (lane k holds bytes 2k and 2k + 1, so the even and the odd elements come out
// separately), the activations are split the same way by shifts, and the -8 of every weight is taken
// off once per block and token as 8 * (sum of the activations). x86 has no byte shift, which V8
// emulates in several instructions; these are all 16-bit. sum += (sumi * d_w) * d_a, as the reference.
struct Q4_0Core {
    using WBlock = BlockQ4_0;
    template <int T, class Src>
    static void block_sums(const Src& src, const BlockQ8_0* const* ar, size_t b, v128_t s[T][4]) {
        const v128_t nibble = wasm_i16x8_splat(0x000f);
        // Activations: elements 0, 2, .., 14 | 1, 3, .., 15 | 16, 18, .., 30 | 17, 19, .., 31.
        v128_t a16[T][4];
        v128_t offset[T];  // lanes summing to 8 * (sum of the block's activations)
        for (int t = 0; t < T; ++t) {
            const v128_t lo = load(ar[t][b].qs), hi = load(ar[t][b].qs + 16);
            a16[t][0] = wasm_i16x8_shr(wasm_i16x8_shl(lo, 8), 8);
            a16[t][1] = wasm_i16x8_shr(lo, 8);
            a16[t][2] = wasm_i16x8_shr(wasm_i16x8_shl(hi, 8), 8);
            a16[t][3] = wasm_i16x8_shr(hi, 8);
            const v128_t sum = wasm_i16x8_add(wasm_i16x8_add(a16[t][0], a16[t][1]),
                                              wasm_i16x8_add(a16[t][2], a16[t][3]));  // |lane| <= 508
            offset[t] = wasm_i32x4_dot_i16x8(sum, wasm_i16x8_splat(8));
        }
        for (int r = 0; r < 4; ++r) {
            const v128_t q = load(src.qs(b, r));
            const v128_t w0 = wasm_v128_and(q, nibble);                     // elements 0, 2, ..
            const v128_t w1 = wasm_v128_and(wasm_u16x8_shr(q, 8), nibble);  // 1, 3, ..
            const v128_t w2 = wasm_v128_and(wasm_u16x8_shr(q, 4), nibble);  // 16, 18, ..
            const v128_t w3 = wasm_u16x8_shr(q, 12);                        // 17, 19, ..
            for (int t = 0; t < T; ++t) {
                const v128_t d = wasm_i32x4_add(
                    wasm_i32x4_add(wasm_i32x4_dot_i16x8(w0, a16[t][0]), wasm_i32x4_dot_i16x8(w1, a16[t][1])),
                    wasm_i32x4_add(wasm_i32x4_dot_i16x8(w2, a16[t][2]), wasm_i32x4_dot_i16x8(w3, a16[t][3])));
                s[t][r] = wasm_i32x4_sub(d, offset[t]);
            }
        }
    }
    static v128_t term(v128_t sumi, v128_t dw, v128_t da) {
        return wasm_f32x4_mul(wasm_f32x4_mul(sumi, dw), da);
    }
};

// Q8_0 x Q8_0: both sides sign-extended to int16 by their loads (v128.load8x8_s, one pmovsxbw in V8).
// sum += sumi * (d_w * d_a), as the reference.
struct Q8_0Core {
    using WBlock = BlockQ8_0;
    template <int T, class Src>
    static void block_sums(const Src& src, const BlockQ8_0* const* ar, size_t b, v128_t s[T][4]) {
        v128_t a16[T][4];
        for (int t = 0; t < T; ++t)
            for (int k = 0; k < 4; ++k) a16[t][k] = wasm_i16x8_load8x8(ar[t][b].qs + 8 * k);
        for (int r = 0; r < 4; ++r) {
            const auto* q = static_cast<const int8_t*>(src.qs(b, r));
            const v128_t w0 = wasm_i16x8_load8x8(q), w1 = wasm_i16x8_load8x8(q + 8);
            const v128_t w2 = wasm_i16x8_load8x8(q + 16), w3 = wasm_i16x8_load8x8(q + 24);
            for (int t = 0; t < T; ++t)
                s[t][r] = wasm_i32x4_add(
                    wasm_i32x4_add(wasm_i32x4_dot_i16x8(w0, a16[t][0]), wasm_i32x4_dot_i16x8(w1, a16[t][1])),
                    wasm_i32x4_add(wasm_i32x4_dot_i16x8(w2, a16[t][2]), wasm_i32x4_dot_i16x8(w3, a16[t][3])));
        }
    }
    static v128_t term(v128_t sumi, v128_t dw, v128_t da) {
        return wasm_f32x4_mul(sumi, wasm_f32x4_mul(dw, da));
    }
};

template <class Core, class Src, class Scales>
struct BlockMicro {
    template <int T>
    static void run(size_t n, const uint8_t* const* w, const uint8_t* const* a, const Scales& scales,
                    float* out) {
        const Src src(w);
        const BlockQ8_0* ar[T];
        v128_t acc[T];
        for (int t = 0; t < T; ++t) {
            ar[t] = blocks<BlockQ8_0>(a[t]);
            acc[t] = wasm_f32x4_splat(0.0f);
        }
        for (size_t b = 0; b < n / quant::kBlockSize; ++b) {
            v128_t s[T][4];
            Core::template block_sums<T>(src, ar, b, s);
            const v128_t dw = halves_to_floats(src.scales(b));
            for (int t = 0; t < T; ++t) {
                const v128_t sumi = wasm_f32x4_convert_i32x4(sum4_i32(s[t][0], s[t][1], s[t][2], s[t][3]));
                acc[t] = wasm_f32x4_add(acc[t], Core::term(sumi, dw, scales.get(ar, t, b)));
            }
        }
        for (int t = 0; t < T; ++t) wasm_v128_store(out + 4 * t, acc[t]);
    }
};

constexpr size_t kMaxScales = 2048;  // activation scales a tile keeps on its stack (8 KiB)

inline bool scales_fit(size_t n) {
    return 2 * (n / quant::kBlockSize) <= kMaxScales;
}

// The tile over plain rows or packed groups (n_rows then a multiple of 4): the activation scales of as
// many tokens as fit in kMaxScales, then rows and tokens as tile() takes them.
template <class Core, bool kPacked>
void block_tile(size_t n, const void* w, size_t w_stride, size_t n_rows, const void* a, size_t a_stride,
                size_t n_tokens, float* y, size_t y_stride) {
    using WBlock = typename Core::WBlock;
    using Src = std::conditional_t<kPacked, Packed<WBlock>, Rows<WBlock>>;
    const auto* wb = static_cast<const uint8_t*>(w);
    const auto* ab = static_cast<const uint8_t*>(a);
    const size_t nb = n / quant::kBlockSize;
    const auto rows_x_tokens = [&](size_t t0, size_t ng, const auto& scales_of) {
        using Scales = std::decay_t<decltype(scales_of(0))>;
        float out[8];
        for (size_t r = 0; r < n_rows; r += 4) {
            const size_t nr = n_rows - r < 4 ? n_rows - r : 4;
            const uint8_t* wr[4];
            for (size_t i = 0; i < 4; ++i) wr[i] = wb + (r + (i < nr ? i : nr - 1)) * w_stride;
            for (size_t t = 0; t < ng; t += 2) {
                const size_t nt = ng - t < 2 ? ng - t : 2;
                const uint8_t* at[2] = {ab + (t0 + t) * a_stride, ab + (t0 + t + nt - 1) * a_stride};
                if (nt == 2) {
                    BlockMicro<Core, Src, Scales>::template run<2>(n, wr, at, scales_of(t), out);
                } else {
                    BlockMicro<Core, Src, Scales>::template run<1>(n, wr, at, scales_of(t), out);
                }
                for (size_t j = 0; j < nt; ++j)
                    for (size_t i = 0; i < nr; ++i) y[(t0 + t + j) * y_stride + r + i] = out[j * 4 + i];
            }
        }
    };
    if (nb == 0 || !scales_fit(n)) {
        rows_x_tokens(0, n_tokens, [](size_t) { return ConvertedScales{}; });
        return;
    }
    const size_t group = kMaxScales / nb / 2 * 2;  // tokens whose scales fit, even
    float scales[kMaxScales];
    for (size_t t0 = 0; t0 < n_tokens; t0 += group) {
        const size_t ng = n_tokens - t0 < group ? n_tokens - t0 : group;
        for (size_t t = 0; t < ng; ++t) {
            const BlockQ8_0* at = blocks<BlockQ8_0>(ab + (t0 + t) * a_stride);
            for (size_t b = 0; b < nb; ++b) scales[t * nb + b] = half_to_float(at[b].d);
        }
        rows_x_tokens(t0, ng, [&](size_t t) {
            const size_t last = t + 1 < ng ? t + 1 : t;
            return GivenScales{{scales + t * nb, scales + last * nb}};
        });
    }
}

template <class Core>
float block_vec_dot(size_t n, const void* w, const void* a) {
    float y;
    block_tile<Core, false>(n, w, 0, 1, a, 0, 1, &y, 1);
    return y;
}

// The packed layout above, group by group through a copy of the group's rows, so `out` may be `w`
// itself (w_stride then the row size). Rows a multiple of 4, short enough for the activation scales to
// fit (block_tile's packed path has no other).
template <typename WBlock>
bool repack_4rows(const void* w, size_t w_stride, size_t rows, size_t cols, void* out) {
    constexpr size_t kQuants = sizeof(WBlock) - 2;
    const size_t nb = cols / quant::kBlockSize;
    const size_t row = nb * sizeof(WBlock);
    if (rows % 4 != 0 || nb == 0 || !scales_fit(cols)) return false;
    std::vector<WBlock> group(4 * nb);
    for (size_t g = 0; g < rows / 4; ++g) {
        for (size_t i = 0; i < 4; ++i)
            std::memcpy(&group[i * nb], static_cast<const uint8_t*>(w) + (4 * g + i) * w_stride, row);
        uint8_t* o = static_cast<uint8_t*>(out) + 4 * g * row;
        for (size_t b = 0; b < nb; ++b, o += 4 * sizeof(WBlock)) {
            for (size_t i = 0; i < 4; ++i) {
                std::memcpy(o + 2 * i, &group[i * nb + b].d, 2);
                std::memcpy(o + 8 + kQuants * i, group[i * nb + b].qs, kQuants);
            }
        }
    }
    return true;
}

template <class Core>
constexpr WeightKernels block_entry(GgmlType type) {
    return {type,
            block_vec_dot<Core>,
            block_tile<Core, false>,
            nullptr,
            repack_4rows<typename Core::WBlock>,
            block_tile<Core, true>,
            true};
}

// --- K-quants (256-element super-blocks against Q8_K) ------------------------------------------------

// Sum over 32 elements of q * a (q and a signed bytes with |q * a| <= 2032), times an int16 scale:
// the four int16 product vectors are added in int16 (|sum| <= 8128) and dotted with the scale.
inline v128_t scaled_dot32(v128_t q0, v128_t q1, const int8_t* a, v128_t scale) {
    const v128_t a0 = load(a), a1 = load(a + 16);
    const v128_t p = wasm_i16x8_add(
        wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(q0, a0), wasm_i16x8_extmul_high_i8x16(q0, a0)),
        wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(q1, a1), wasm_i16x8_extmul_high_i8x16(q1, a1)));
    return wasm_i32x4_dot_i16x8(p, scale);
}

// Q4_K / Q5_K: 6-bit scales and mins of the 8 sub-blocks.
inline void k4_scales_mins(const uint8_t* packed, uint8_t sc[8], uint8_t m[8]) {
    for (int j = 0; j < 8; ++j) quant::k4_scale_min(j, packed, sc[j], m[j]);
}

template <int T, bool kFifthBit, typename Block>
void k4_row_sums(const Block& x, const BlockQ8_K* const* a, size_t b, v128_t* isum, v128_t* msum) {
    uint8_t sc[8], m[8];
    k4_scales_mins(x.scales, sc, m);
    const v128_t mins_lo = wasm_i16x8_make(m[0], m[0], m[1], m[1], m[2], m[2], m[3], m[3]);
    const v128_t mins_hi = wasm_i16x8_make(m[4], m[4], m[5], m[5], m[6], m[6], m[7], m[7]);
    for (int t = 0; t < T; ++t) {
        msum[t] = wasm_i32x4_add(wasm_i32x4_dot_i16x8(load(a[t][b].bsums), mins_lo),
                                 wasm_i32x4_dot_i16x8(load(a[t][b].bsums + 8), mins_hi));
        isum[t] = wasm_i32x4_splat(0);
    }
    const v128_t low4 = wasm_i8x16_splat(0x0f);
    v128_t high0 = wasm_i32x4_splat(0), high1 = high0;
    if constexpr (kFifthBit) {
        high0 = load(x.qh);
        high1 = load(x.qh + 16);
    }
    for (int c = 0; c < 4; ++c) {
        const v128_t q0 = load(x.qs + 32 * c), q1 = load(x.qs + 32 * c + 16);
        v128_t lo0 = wasm_v128_and(q0, low4), lo1 = wasm_v128_and(q1, low4);
        v128_t hi0 = wasm_u8x16_shr(q0, 4), hi1 = wasm_u8x16_shr(q1, 4);
        if constexpr (kFifthBit) {
            // bits 2c and 2c + 1 of qh moved to bit 4
            const v128_t bit4 = wasm_i8x16_splat(0x10);
            lo0 = wasm_v128_or(lo0, wasm_v128_and(wasm_i8x16_shl(high0, 4), bit4));
            lo1 = wasm_v128_or(lo1, wasm_v128_and(wasm_i8x16_shl(high1, 4), bit4));
            hi0 = wasm_v128_or(hi0, wasm_v128_and(wasm_i8x16_shl(high0, 3), bit4));
            hi1 = wasm_v128_or(hi1, wasm_v128_and(wasm_i8x16_shl(high1, 3), bit4));
            high0 = wasm_u8x16_shr(high0, 2);
            high1 = wasm_u8x16_shr(high1, 2);
        }
        const v128_t sc_lo = wasm_i16x8_splat(sc[2 * c]), sc_hi = wasm_i16x8_splat(sc[2 * c + 1]);
        for (int t = 0; t < T; ++t) {
            const int8_t* q8 = a[t][b].qs + 64 * c;
            isum[t] = wasm_i32x4_add(isum[t], wasm_i32x4_add(scaled_dot32(lo0, lo1, q8, sc_lo),
                                                             scaled_dot32(hi0, hi1, q8 + 32, sc_hi)));
        }
    }
}

template <typename Block>
v128_t finish_k4(v128_t acc, v128_t isum, v128_t msum, const Block* const* w, float da) {
    const v128_t d = wasm_f32x4_mul(halves4(w[0]->d, w[1]->d, w[2]->d, w[3]->d), wasm_f32x4_splat(da));
    const v128_t dmin =
        wasm_f32x4_mul(halves4(w[0]->dmin, w[1]->dmin, w[2]->dmin, w[3]->dmin), wasm_f32x4_splat(da));
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(d, wasm_f32x4_convert_i32x4(isum)));
    return wasm_f32x4_sub(acc, wasm_f32x4_mul(dmin, wasm_f32x4_convert_i32x4(msum)));
}

struct Q4_KFormat {
    using WBlock = BlockQ4_K;
    template <int T>
    static void row_sums(const WBlock& x, const BlockQ8_K* const* a, size_t b, v128_t* isum, v128_t* msum) {
        k4_row_sums<T, false>(x, a, b, isum, msum);
    }
    static v128_t finish(v128_t acc, v128_t isum, v128_t msum, const WBlock* const* w, float da) {
        return finish_k4(acc, isum, msum, w, da);
    }
};

struct Q5_KFormat {
    using WBlock = BlockQ5_K;
    template <int T>
    static void row_sums(const WBlock& x, const BlockQ8_K* const* a, size_t b, v128_t* isum, v128_t* msum) {
        k4_row_sums<T, true>(x, a, b, isum, msum);
    }
    static v128_t finish(v128_t acc, v128_t isum, v128_t msum, const WBlock* const* w, float da) {
        return finish_k4(acc, isum, msum, w, da);
    }
};

// Q6_K: quants 0..63 with the offset 32 applied through the scaled bsums (isum - 32 msum).
struct Q6_KFormat {
    using WBlock = BlockQ6_K;
    template <int T>
    static void row_sums(const WBlock& x, const BlockQ8_K* const* a, size_t b, v128_t* isum, v128_t* msum) {
        const v128_t sc8 = load(x.scales);
        const v128_t sc_lo = wasm_i16x8_extend_low_i8x16(sc8), sc_hi = wasm_i16x8_extend_high_i8x16(sc8);
        for (int t = 0; t < T; ++t) {
            msum[t] = wasm_i32x4_add(wasm_i32x4_dot_i16x8(load(a[t][b].bsums), sc_lo),
                                     wasm_i32x4_dot_i16x8(load(a[t][b].bsums + 8), sc_hi));
            isum[t] = wasm_i32x4_splat(0);
        }
        const v128_t low4 = wasm_i8x16_splat(0x0f);
        const v128_t bits45 = wasm_i8x16_splat(0x30);
        for (int h = 0; h < 2; ++h) {
            for (int part = 0; part < 2; ++part) {  // bytes 0-15 and 16-31 of each 32-byte array
                const int o = 16 * part;
                const v128_t ql0 = load(x.ql + 64 * h + o), ql1 = load(x.ql + 64 * h + 32 + o);
                const v128_t qh = load(x.qh + 32 * h + o);
                const v128_t q[4] = {
                    wasm_v128_or(wasm_v128_and(ql0, low4), wasm_v128_and(wasm_i8x16_shl(qh, 4), bits45)),
                    wasm_v128_or(wasm_v128_and(ql1, low4), wasm_v128_and(wasm_i8x16_shl(qh, 2), bits45)),
                    wasm_v128_or(wasm_u8x16_shr(ql0, 4), wasm_v128_and(qh, bits45)),
                    wasm_v128_or(wasm_u8x16_shr(ql1, 4), wasm_v128_and(wasm_u8x16_shr(qh, 2), bits45)),
                };
                for (int k = 0; k < 4; ++k) {
                    // elements 128h + 32k + o .. +15: sub-block 8h + 2k + part
                    const int s = 8 * h + 2 * k + part;
                    const v128_t scale = wasm_i16x8_splat(x.scales[s]);
                    for (int t = 0; t < T; ++t) {
                        const v128_t av = load(a[t][b].qs + 128 * h + 32 * k + o);
                        const v128_t p = wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(q[k], av),
                                                        wasm_i16x8_extmul_high_i8x16(q[k], av));
                        isum[t] = wasm_i32x4_add(isum[t], wasm_i32x4_dot_i16x8(p, scale));
                    }
                }
            }
        }
    }
    static v128_t finish(v128_t acc, v128_t isum, v128_t msum, const WBlock* const* w, float da) {
        const v128_t d = wasm_f32x4_mul(halves4(w[0]->d, w[1]->d, w[2]->d, w[3]->d), wasm_f32x4_splat(da));
        const v128_t total = wasm_i32x4_sub(isum, wasm_i32x4_shl(msum, 5));
        return wasm_f32x4_add(acc, wasm_f32x4_mul(d, wasm_f32x4_convert_i32x4(total)));
    }
};

// Sum over 16 elements of q * a times an int16 scale (|q * a| <= 16256 for two products).
inline v128_t scaled_dot16(v128_t q, const int8_t* a, v128_t scale) {
    const v128_t av = load(a);
    const v128_t p = wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(q, av), wasm_i16x8_extmul_high_i8x16(q, av));
    return wasm_i32x4_dot_i16x8(p, scale);
}

// Q2_K / Q3_K: 2-bit fields of qs (bits 2k..2k+1 of byte l of half h = element 128h + 32k + l), plus for
// Q3_K the high bit from hmask, over 16-element sub-blocks with int16 scales `sc`.
template <int T, bool kHighBit>
void q23_row_sums(const uint8_t* qs, const uint8_t* hmask, const int16_t* sc, const BlockQ8_K* const* a,
                  size_t b, v128_t* isum) {
    const v128_t low2 = wasm_i8x16_splat(3);
    for (int h = 0; h < 2; ++h) {
        for (int part = 0; part < 2; ++part) {
            const int o = 16 * part;
            const v128_t q = load(qs + 32 * h + o);
            v128_t hm = wasm_i32x4_splat(0);
            if constexpr (kHighBit) hm = load(hmask + o);
            for (int k = 0; k < 4; ++k) {
                v128_t v = wasm_v128_and(wasm_u8x16_shr(q, 2 * k), low2);
                if constexpr (kHighBit) {
                    const v128_t bit = wasm_v128_and(wasm_u8x16_shr(hm, 4 * h + k), wasm_i8x16_splat(1));
                    v = wasm_v128_or(v, wasm_i8x16_shl(bit, 2));
                }
                const v128_t scale = wasm_i16x8_splat(sc[8 * h + 2 * k + part]);
                for (int t = 0; t < T; ++t)
                    isum[t] =
                        wasm_i32x4_add(isum[t], scaled_dot16(v, a[t][b].qs + 128 * h + 32 * k + o, scale));
            }
        }
    }
}

// Q2_K: exact: sum += (d_a d_w) isum - (d_a dmin_w) msum.
struct Q2_KFormat {
    using WBlock = BlockQ2_K;
    template <int T>
    static void row_sums(const WBlock& x, const BlockQ8_K* const* a, size_t b, v128_t* isum, v128_t* msum) {
        int16_t sc[16], m[16];
        for (int s = 0; s < 16; ++s) {
            sc[s] = static_cast<int16_t>(x.scales[s] & 0xf);
            m[s] = static_cast<int16_t>(x.scales[s] >> 4);
        }
        for (int t = 0; t < T; ++t) {
            msum[t] = wasm_i32x4_add(wasm_i32x4_dot_i16x8(load(a[t][b].bsums), load(m)),
                                     wasm_i32x4_dot_i16x8(load(a[t][b].bsums + 8), load(m + 8)));
            isum[t] = wasm_i32x4_splat(0);
        }
        q23_row_sums<T, false>(x.qs, nullptr, sc, a, b, isum);
    }
    static v128_t finish(v128_t acc, v128_t isum, v128_t msum, const WBlock* const* w, float da) {
        const v128_t dall = wasm_f32x4_mul(wasm_f32x4_splat(da), halves4(w[0]->d, w[1]->d, w[2]->d, w[3]->d));
        const v128_t dmin =
            wasm_f32x4_mul(wasm_f32x4_splat(da), halves4(w[0]->dmin, w[1]->dmin, w[2]->dmin, w[3]->dmin));
        const v128_t t = wasm_f32x4_sub(wasm_f32x4_mul(dall, wasm_f32x4_convert_i32x4(isum)),
                                        wasm_f32x4_mul(dmin, wasm_f32x4_convert_i32x4(msum)));
        return wasm_f32x4_add(acc, t);
    }
};

// Q3_K: quants 0..7 with the offset 4 applied through the scaled bsums.
struct Q3_KFormat {
    using WBlock = BlockQ3_K;
    template <int T>
    static void row_sums(const WBlock& x, const BlockQ8_K* const* a, size_t b, v128_t* isum, v128_t* msum) {
        int16_t sc[16];
        for (int s = 0; s < 16; ++s) sc[s] = static_cast<int16_t>(quant::q3_K_scale(s, x.scales));
        for (int t = 0; t < T; ++t) {
            msum[t] = wasm_i32x4_add(wasm_i32x4_dot_i16x8(load(a[t][b].bsums), load(sc)),
                                     wasm_i32x4_dot_i16x8(load(a[t][b].bsums + 8), load(sc + 8)));
            isum[t] = wasm_i32x4_splat(0);
        }
        q23_row_sums<T, true>(x.qs, x.hmask, sc, a, b, isum);
    }
    static v128_t finish(v128_t acc, v128_t isum, v128_t msum, const WBlock* const* w, float da) {
        const v128_t d = wasm_f32x4_mul(halves4(w[0]->d, w[1]->d, w[2]->d, w[3]->d), wasm_f32x4_splat(da));
        const v128_t total = wasm_i32x4_sub(isum, wasm_i32x4_shl(msum, 2));
        return wasm_f32x4_add(acc, wasm_f32x4_mul(d, wasm_f32x4_convert_i32x4(total)));
    }
};

template <class F>
struct KMicro {
    template <int T>
    static void run(size_t n, const uint8_t* const* w, const uint8_t* const* a, float* out) {
        using WBlock = typename F::WBlock;
        const WBlock* wr[4] = {blocks<WBlock>(w[0]), blocks<WBlock>(w[1]), blocks<WBlock>(w[2]),
                               blocks<WBlock>(w[3])};
        const BlockQ8_K* ar[T];
        v128_t acc[T];
        for (int t = 0; t < T; ++t) {
            ar[t] = blocks<BlockQ8_K>(a[t]);
            acc[t] = wasm_f32x4_splat(0.0f);
        }
        for (size_t b = 0; b < n / quant::kSuperBlockSize; ++b) {
            v128_t isum[4][T], msum[4][T];
            for (int r = 0; r < 4; ++r) F::template row_sums<T>(wr[r][b], ar, b, isum[r], msum[r]);
            const WBlock* wb[4] = {wr[0] + b, wr[1] + b, wr[2] + b, wr[3] + b};
            for (int t = 0; t < T; ++t)
                acc[t] = F::finish(acc[t], sum4_i32(isum[0][t], isum[1][t], isum[2][t], isum[3][t]),
                                   sum4_i32(msum[0][t], msum[1][t], msum[2][t], msum[3][t]), wb, ar[t][b].d);
        }
        for (int t = 0; t < T; ++t) wasm_v128_store(out + 4 * t, acc[t]);
    }
};

// --- IQ4_XS: one float step per 32-element group, as the reference (bit-exact) -------------------------

struct IQ4_XSMicro {
    static int32_t group_scale(const BlockIQ4_XS& x, int g) {
        return (((x.scales_l[g / 2] >> (4 * (g % 2))) & 0xf) | ((x.scales_h >> (2 * g)) & 3) << 4) - 32;
    }

    template <int T>
    static void run(size_t n, const uint8_t* const* w, const uint8_t* const* a, float* out) {
        const BlockIQ4_XS* wr[4] = {blocks<BlockIQ4_XS>(w[0]), blocks<BlockIQ4_XS>(w[1]),
                                    blocks<BlockIQ4_XS>(w[2]), blocks<BlockIQ4_XS>(w[3])};
        const BlockQ8_K* ar[T];
        v128_t acc[T];
        for (int t = 0; t < T; ++t) {
            ar[t] = blocks<BlockQ8_K>(a[t]);
            acc[t] = wasm_f32x4_splat(0.0f);
        }
        const v128_t levels = load(quant::kIq4nlLevels);
        for (size_t b = 0; b < n / quant::kSuperBlockSize; ++b) {
            const BlockIQ4_XS* x[4] = {wr[0] + b, wr[1] + b, wr[2] + b, wr[3] + b};
            const v128_t dw = halves4(x[0]->d, x[1]->d, x[2]->d, x[3]->d);
            v128_t d[T];
            for (int t = 0; t < T; ++t) d[t] = wasm_f32x4_mul(dw, wasm_f32x4_splat(ar[t][b].d));
            for (int g = 0; g < 8; ++g) {
                const v128_t ls =
                    wasm_f32x4_convert_i32x4(wasm_i32x4_make(group_scale(*x[0], g), group_scale(*x[1], g),
                                                             group_scale(*x[2], g), group_scale(*x[3], g)));
                Quants q[4];
                for (int r = 0; r < 4; ++r) {
                    v128_t lo, hi;
                    unpack_nibbles(x[r]->qs + 16 * g, lo, hi);
                    q[r] = {wasm_i8x16_swizzle(levels, lo), wasm_i8x16_swizzle(levels, hi)};
                }
                for (int t = 0; t < T; ++t) {
                    const v128_t a_lo = load(ar[t][b].qs + 32 * g), a_hi = load(ar[t][b].qs + 32 * g + 16);
                    v128_t s[4];
                    for (int r = 0; r < 4; ++r)
                        s[r] = wasm_i32x4_add(dot16(q[r].lo, a_lo), dot16(q[r].hi, a_hi));
                    const v128_t sumi = wasm_f32x4_convert_i32x4(sum4_i32(s[0], s[1], s[2], s[3]));
                    acc[t] = wasm_f32x4_add(acc[t], wasm_f32x4_mul(wasm_f32x4_mul(d[t], ls), sumi));
                }
            }
        }
        for (int t = 0; t < T; ++t) wasm_v128_store(out + 4 * t, acc[t]);
    }
};

// --- Float rows --------------------------------------------------------------------------------------

struct F32Format {
    static v128_t load4(const uint8_t* row, size_t i) { return load(row + 4 * i); }
    static float get(const uint8_t* row, size_t i) {
        float f;
        std::memcpy(&f, row + 4 * i, 4);
        return f;
    }
};

struct F16Format {
    static v128_t load4(const uint8_t* row, size_t i) {
        return halves_to_floats(wasm_u32x4_load16x4(row + 2 * i));
    }
    static float get(const uint8_t* row, size_t i) {
        uint16_t h;
        std::memcpy(&h, row + 2 * i, 2);
        return fp16_to_fp32(h);
    }
};

struct BF16Format {
    static v128_t load4(const uint8_t* row, size_t i) {
        return wasm_i32x4_shl(wasm_u32x4_load16x4(row + 2 * i), 16);
    }
    static float get(const uint8_t* row, size_t i) {
        uint16_t h;
        std::memcpy(&h, row + 2 * i, 2);
        return bf16_to_fp32(h);
    }
};

template <class F>
struct FloatMicro {
    template <int T>
    static void run(size_t n, const uint8_t* const* w, const uint8_t* const* a, float* out) {
        v128_t acc[4][T];
        for (int r = 0; r < 4; ++r)
            for (int t = 0; t < T; ++t) acc[r][t] = wasm_f32x4_splat(0.0f);
        size_t i = 0;
        for (; i + 4 <= n; i += 4) {
            const v128_t wv[4] = {F::load4(w[0], i), F::load4(w[1], i), F::load4(w[2], i), F::load4(w[3], i)};
            for (int t = 0; t < T; ++t) {
                const v128_t x = F::load4(a[t], i);
                for (int r = 0; r < 4; ++r) acc[r][t] = wasm_f32x4_add(acc[r][t], wasm_f32x4_mul(wv[r], x));
            }
        }
        for (int t = 0; t < T; ++t) {
            for (int r = 0; r < 4; ++r) {
                float s = hsum_f32(acc[r][t]);
                for (size_t j = i; j < n; ++j) s += F::get(w[r], j) * F::get(a[t], j);
                out[4 * t + r] = s;
            }
        }
    }
};

// --- Activation quantizers ---------------------------------------------------------------------------

constexpr int32_t kNonFinite = 0x7f800000;  // |x| bits at or above this: infinity or NaN

inline v128_t abs_bits(v128_t v) {
    return wasm_v128_and(v, wasm_i32x4_splat(0x7fffffff));
}

inline int32_t hmax_i32(v128_t v) {
    v = wasm_i32x4_max(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_i32x4_max(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_i32x4_extract_lane(v, 0);
}

// Round half away from zero, exactly.
inline v128_t round_away(v128_t v) {
    const v128_t whole = wasm_f32x4_trunc(v);
    const v128_t frac = wasm_f32x4_abs(wasm_f32x4_sub(v, whole));
    const v128_t up = wasm_f32x4_ge(frac, wasm_f32x4_splat(0.5f));
    const v128_t one = wasm_v128_or(wasm_v128_and(v, wasm_i32x4_splat(INT32_MIN)), wasm_f32x4_splat(1.0f));
    return wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_add(whole, wasm_v128_and(up, one)));
}

// 16 int32 values in [-128, 127] as 16 bytes in order.
inline v128_t pack_bytes(v128_t v0, v128_t v1, v128_t v2, v128_t v3) {
    return wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(v0, v1), wasm_i16x8_narrow_i32x4(v2, v3));
}

inline bool is_finite(float f) {
    return __builtin_fabsf(f) <= 3.40282347e38f;
}

// Q8_0 / Q8_1 of one block (see avx2.cpp): false when the reference must handle it.
template <typename Block>
bool quantize_block_q8(const float* x, Block& y, float& d_out, int32_t& sum) {
    v128_t v[8];
    v128_t m = wasm_i32x4_splat(0);
    for (int i = 0; i < 8; ++i) {
        v[i] = load(x + 4 * i);
        m = wasm_i32x4_max(m, abs_bits(v[i]));
    }
    const int32_t amax_bits = hmax_i32(m);
    if (amax_bits >= kNonFinite) return false;
    float amax;
    std::memcpy(&amax, &amax_bits, 4);
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    if (!is_finite(id)) return false;
    y.d = fp32_to_fp16(d);
    d_out = d;
    const v128_t scale = wasm_f32x4_splat(id);
    v128_t q[8];
    v128_t total = wasm_i32x4_splat(0);
    for (int i = 0; i < 8; ++i) {
        q[i] = round_away(wasm_f32x4_mul(v[i], scale));
        total = wasm_i32x4_add(total, q[i]);
    }
    wasm_v128_store(y.qs, pack_bytes(q[0], q[1], q[2], q[3]));
    wasm_v128_store(y.qs + 16, pack_bytes(q[4], q[5], q[6], q[7]));
    sum = hsum_i32(total);
    return true;
}

void quantize_q8_0(const float* x, void* vy, size_t n) {
    auto* y = static_cast<BlockQ8_0*>(vy);
    for (size_t b = 0; b < n / quant::kBlockSize; ++b) {
        float d;
        int32_t sum;
        if (!quantize_block_q8(x + 32 * b, y[b], d, sum)) quant::quantize_row_q8_0(x + 32 * b, &y[b], 32);
    }
}

void quantize_q8_1(const float* x, void* vy, size_t n) {
    auto* y = static_cast<BlockQ8_1*>(vy);
    for (size_t b = 0; b < n / quant::kBlockSize; ++b) {
        float d;
        int32_t sum;
        if (!quantize_block_q8(x + 32 * b, y[b], d, sum)) {
            quant::quantize_row_q8_1(x + 32 * b, &y[b], 32);
            continue;
        }
        y[b].s = fp32_to_fp16(static_cast<float>(sum) * d);
    }
}

void quantize_q8_K(const float* x, void* vy, size_t n) {
    auto* y = static_cast<BlockQ8_K*>(vy);
    for (size_t b = 0; b < n / quant::kSuperBlockSize; ++b) {
        const float* xb = x + quant::kSuperBlockSize * b;
        v128_t m = wasm_i32x4_splat(0);
        for (int i = 0; i < 64; ++i) m = wasm_i32x4_max(m, abs_bits(load(xb + 4 * i)));
        const int32_t amax_bits = hmax_i32(m);
        if (amax_bits >= kNonFinite) {
            quant::quantize_row_q8_K(xb, &y[b], quant::kSuperBlockSize);
            continue;
        }
        if (amax_bits == 0) {
            std::memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        const v128_t target = wasm_i32x4_splat(amax_bits);
        float extreme = 0.0f;
        for (int i = 0; i < 64; ++i) {
            const uint32_t mask = wasm_i32x4_bitmask(wasm_i32x4_eq(abs_bits(load(xb + 4 * i)), target));
            if (mask != 0) {
                extreme = xb[4 * i + __builtin_ctz(mask)];
                break;
            }
        }
        const float iscale = -127.0f / extreme;
        if (!is_finite(iscale)) {
            quant::quantize_row_q8_K(xb, &y[b], quant::kSuperBlockSize);
            continue;
        }
        const v128_t scale = wasm_f32x4_splat(iscale);
        const v128_t top = wasm_i32x4_splat(127);
        for (int g = 0; g < 16; ++g) {  // one bsum group of 16 per step
            v128_t q[4];
            for (int i = 0; i < 4; ++i) {
                const v128_t r = wasm_f32x4_nearest(wasm_f32x4_mul(load(xb + 16 * g + 4 * i), scale));
                q[i] = wasm_i32x4_min(wasm_i32x4_trunc_sat_f32x4(r), top);
            }
            wasm_v128_store(y[b].qs + 16 * g, pack_bytes(q[0], q[1], q[2], q[3]));
            y[b].bsums[g] = static_cast<int16_t>(
                hsum_i32(wasm_i32x4_add(wasm_i32x4_add(q[0], q[1]), wasm_i32x4_add(q[2], q[3]))));
        }
        y[b].d = 1.0f / iscale;
    }
}

// BF16: round to nearest even on the bits; NaN kept quiet (bit 6 of the result set), as fp32_to_bf16.
void quantize_bf16(const float* x, void* vy, size_t n) {
    auto* y = static_cast<uint16_t*>(vy);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v128_t r[2];
        for (int h = 0; h < 2; ++h) {
            const v128_t u = load(x + i + 4 * h);
            const v128_t odd = wasm_v128_and(wasm_u32x4_shr(u, 16), wasm_i32x4_splat(1));
            const v128_t rounded =
                wasm_u32x4_shr(wasm_i32x4_add(u, wasm_i32x4_add(wasm_i32x4_splat(0x7fff), odd)), 16);
            const v128_t quiet = wasm_v128_or(wasm_u32x4_shr(u, 16), wasm_i32x4_splat(64));
            const v128_t nan = wasm_i32x4_gt(abs_bits(u), wasm_i32x4_splat(kNonFinite));
            r[h] = wasm_v128_bitselect(quiet, rounded, nan);
        }
        wasm_v128_store(y + i, wasm_u16x8_narrow_i32x4(r[0], r[1]));
    }
    if (i < n) quant::quantize_row_bf16(x + i, y + i, n - i);
}

// --- The variant's table -----------------------------------------------------------------------------

template <class M>
constexpr WeightKernels entry(GgmlType type) {
    return {type, vec_dot<M>, tile<M>};
}

constexpr WeightKernels kWeights[] = {
    block_entry<Q4_0Core>(GgmlType::Q4_0),          entry<LegacyMicro<Q4_1Format>>(GgmlType::Q4_1),
    entry<LegacyMicro<Q5_0Format>>(GgmlType::Q5_0), entry<LegacyMicro<Q5_1Format>>(GgmlType::Q5_1),
    block_entry<Q8_0Core>(GgmlType::Q8_0),          entry<LegacyMicro<IQ4_NLFormat>>(GgmlType::IQ4_NL),
    entry<KMicro<Q4_KFormat>>(GgmlType::Q4_K),      entry<KMicro<Q5_KFormat>>(GgmlType::Q5_K),
    entry<KMicro<Q6_KFormat>>(GgmlType::Q6_K),      entry<KMicro<Q2_KFormat>>(GgmlType::Q2_K),
    entry<KMicro<Q3_KFormat>>(GgmlType::Q3_K),      entry<IQ4_XSMicro>(GgmlType::IQ4_XS),
    entry<FloatMicro<F32Format>>(GgmlType::F32),    entry<FloatMicro<F16Format>>(GgmlType::F16),
    entry<FloatMicro<BF16Format>>(GgmlType::BF16),
};

// --- Attention's vector ops (kernels/vector_ops.h) ---------------------------------------------------
// Four lanes at a time; F16 keys and values widened exactly by halves_to_floats (WebAssembly has no
// half-precision conversion, so the scalar path converts one value at a time in software). The
// products y += p * v round like the reference's (no fused multiply-add); the dots sum in four lanes.
// exp_sum and swiglu stay the reference's: their exp is a library call either way.

inline v128_t load_halves4(const uint16_t* p) {
    return halves_to_floats(wasm_u32x4_load16x4(p));
}

float attn_dot_f16(size_t n, const uint16_t* q, const uint16_t* k) {
    v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(load_halves4(q + i), load_halves4(k + i)));
        acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(load_halves4(q + i + 4), load_halves4(k + i + 4)));
    }
    float sum = hsum_f32(wasm_f32x4_add(acc0, acc1));
    for (; i < n; ++i) sum += fp16_to_fp32(q[i]) * fp16_to_fp32(k[i]);
    return sum;
}

float attn_dot_f32(size_t n, const float* q, const float* k) {
    v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(load(q + i), load(k + i)));
        acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(load(q + i + 4), load(k + i + 4)));
    }
    float sum = hsum_f32(wasm_f32x4_add(acc0, acc1));
    for (; i < n; ++i) sum += q[i] * k[i];
    return sum;
}

void attn_axpy_f16(size_t n, float p, const uint16_t* v, float* y) {
    const v128_t pv = wasm_f32x4_splat(p);
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        wasm_v128_store(y + i, wasm_f32x4_add(load(y + i), wasm_f32x4_mul(pv, load_halves4(v + i))));
    for (; i < n; ++i) y[i] += p * fp16_to_fp32(v[i]);
}

void attn_axpy_f32(size_t n, float p, const float* v, float* y) {
    const v128_t pv = wasm_f32x4_splat(p);
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        wasm_v128_store(y + i, wasm_f32x4_add(load(y + i), wasm_f32x4_mul(pv, load(v + i))));
    for (; i < n; ++i) y[i] += p * v[i];
}

constexpr ActQuantizer kQuantizers[] = {
    {GgmlType::Q8_0, quantize_q8_0},
    {GgmlType::Q8_1, quantize_q8_1},
    {GgmlType::Q8_K, quantize_q8_K},
    {GgmlType::BF16, quantize_bf16},
};

}  // namespace

extern const VectorKernels kSimd128Vector = {attn_dot_f16,  attn_dot_f32, ref::attn_exp_sum, attn_axpy_f16,
                                             attn_axpy_f32, ref::swiglu,  "simd128"};

extern const Variant kSimd128Variant = {"simd128", kWeights, sizeof kWeights / sizeof kWeights[0],
                                        kQuantizers, sizeof kQuantizers / sizeof kQuantizers[0]};

}  // namespace chord::kernels

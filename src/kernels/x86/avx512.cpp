// AVX-512 (F/BW/VL/DQ) kernels: the 32-element formats two blocks per 512-bit register, the K-quants 64
// elements per register, the float formats 16 lanes wide, in tiles of 4 weight rows by up to 4 tokens
// (32 registers hold them). Compiled twice: here with -mavx512f/bw/vl/dq, and as avx512_vnni.cpp with
// -mavx512vnni too (CHORD_AVX512_VNNI), where Q4_0, Q4_1, Q8_0 and IQ4_NL instead transpose 16 rows so
// that each register lane is a row (see LaneMicro) and each int8 dot is one vpdpbusd.
// dispatch.cpp calls these only after cpuid; like avx2.cpp this file uses no inline function of a
// shared header and no standard-library templates. Q2_K, Q3_K, IQ4_XS and the activation quantizers
// come from the AVX2 variant (dispatch falls back type by type).
//
// Numerics are avx2.cpp's: bit-exact for the 32-element formats (integer block sums, the reference's
// float order per (row, token) lane), float-rounding close for the K-quants and float formats.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/variants.h"
#include "quant/blocks.h"

// GCC 12 warns inside its own AVX-512 intrinsics (their _mm512_undefined_* passthrough; GCC PR 105593,
// fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace chord::kernels {
namespace {

using quant::BlockIQ4_NL;
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

inline __m512i load512(const void* p) {
    return _mm512_loadu_si512(p);
}
inline __m256i load256(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
inline __m128i load128(const void* p) {
    return _mm_loadu_si128(static_cast<const __m128i*>(p));
}

// Two 256-bit halves as one register: lo in bits 0-255.
inline __m512i join(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

template <typename Block>
const Block* blocks(const uint8_t* row) {
    return static_cast<const Block*>(static_cast<const void*>(row));
}

inline float half_to_float(uint16_t h) {
    return _cvtsh_ss(h);
}

// Sum of u8 x s8 products, four per int32 lane, added to acc (exact for |u| <= 128, |s| <= 127).
inline __m512i dot_u8s8(__m512i acc, __m512i u, __m512i s) {
#if defined(CHORD_AVX512_VNNI)
    return _mm512_dpbusd_epi32(acc, u, s);
#else
    return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1)));
#endif
}

template <size_t kBytes>
inline void prefetch_next(const uint8_t* next, size_t step) {
    for (size_t off = 0; off < kBytes; off += 64)
        _mm_prefetch(reinterpret_cast<const char*>(next + step * kBytes + off), _MM_HINT_T0);
}

// --- Tiles: 4 weight rows x T tokens (see avx2.cpp: same driver, same prefetch of the next group) -------

template <class M, int T>
void run_micro(size_t n, const uint8_t* const* w, const uint8_t* next, const uint8_t* a, size_t a_stride,
               float* out) {
    const uint8_t* at[T];
    for (int t = 0; t < T; ++t) at[t] = a + static_cast<size_t>(t) * a_stride;
    M::template run<T>(n, w, next, at, out);
}

template <class M>
void tile(size_t n, const void* w, size_t w_stride, size_t n_rows, const void* a, size_t a_stride,
          size_t n_tokens, float* y, size_t y_stride) {
    constexpr size_t kR = M::kRows;
    const auto* wb = static_cast<const uint8_t*>(w);
    const auto* ab = static_cast<const uint8_t*>(a);
    float out[kR * 4];
    for (size_t r = 0; r < n_rows; r += kR) {
        const size_t nr = n_rows - r < kR ? n_rows - r : kR;
        const uint8_t* wr[kR];
        for (size_t i = 0; i < kR; ++i) wr[i] = wb + (r + (i < nr ? i : nr - 1)) * w_stride;
        const uint8_t* next = r + kR < n_rows ? wb + (r + kR) * w_stride : wr[0];
        for (size_t t = 0; t < n_tokens; t += 4) {
            const size_t nt = n_tokens - t < 4 ? n_tokens - t : 4;
            const uint8_t* at = ab + t * a_stride;
            switch (nt) {
                case 4:
                    run_micro<M, 4>(n, wr, next, at, a_stride, out);
                    break;
                case 3:
                    run_micro<M, 3>(n, wr, next, at, a_stride, out);
                    break;
                case 2:
                    run_micro<M, 2>(n, wr, next, at, a_stride, out);
                    break;
                default:
                    run_micro<M, 1>(n, wr, next, at, a_stride, out);
                    break;
            }
            for (size_t j = 0; j < nt; ++j)
                for (size_t i = 0; i < nr; ++i) y[(t + j) * y_stride + r + i] = out[j * kR + i];
        }
    }
}

template <class M>
float vec_dot(size_t n, const void* w, const void* a) {
    float y;
    tile<M>(n, w, 0, 1, a, 0, 1, &y, 1);
    return y;
}

// --- 32-element formats, two blocks per register ------------------------------------------------------

// Blocks b and b + 1 of 16 nibble bytes each -> 64 bytes: b's 32 quants, then b + 1's.
inline __m512i unpack_nibbles2(const uint8_t* qs0, const uint8_t* qs1) {
    const __m256i q = _mm256_inserti128_si256(_mm256_castsi128_si256(load128(qs0)), load128(qs1), 1);
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m512i x = join(_mm256_and_si256(q, low4), _mm256_and_si256(_mm256_srli_epi16(q, 4), low4));
    // [b lo, b+1 lo, b hi, b+1 hi] -> [b lo, b hi, b+1 lo, b+1 hi] (128-bit lanes)
    return _mm512_shuffle_i64x2(x, x, _MM_SHUFFLE(3, 1, 2, 0));
}

// Byte j of each 32-byte half = 0x10 where bit j of that block's qh word is set.
inline __m512i fifth_bits2(const uint8_t* qh0, const uint8_t* qh1) {
    uint32_t h0, h1;
    std::memcpy(&h0, qh0, 4);
    std::memcpy(&h1, qh1, 4);
    const __mmask64 bits = static_cast<__mmask64>(h0) | static_cast<__mmask64>(h1) << 32;
    return _mm512_maskz_mov_epi8(bits, _mm512_set1_epi8(0x10));
}

struct SignedRow {
    __m512i abs;
    __mmask64 negative;
    explicit SignedRow(__m512i q) : abs(_mm512_abs_epi8(q)), negative(_mm512_movepi8_mask(q)) {}
    __m512i dot(__m512i a) const {
        return dot_u8s8(_mm512_setzero_si512(), abs,
                        _mm512_mask_sub_epi8(a, negative, _mm512_setzero_si512(), a));
    }
};

struct UnsignedRow {
    __m512i w;
    __m512i dot(__m512i a) const { return dot_u8s8(_mm512_setzero_si512(), w, a); }
};

struct Q4_0Format {
    using WBlock = BlockQ4_0;
    using ABlock = BlockQ8_0;
    using Row = SignedRow;
    static Row row(const WBlock* b) {
        return Row(_mm512_sub_epi8(unpack_nibbles2(b[0].qs, b[1].qs), _mm512_set1_epi8(8)));
    }
    // sum += (sumi * d_w) * d_a
    static __m256 term(__m256 sumi, __m256 dw, __m256 da, const __m256*) {
        return _mm256_mul_ps(_mm256_mul_ps(sumi, dw), da);
    }
};

struct Q8_0Format {
    using WBlock = BlockQ8_0;
    using ABlock = BlockQ8_0;
    using Row = SignedRow;
    static Row row(const WBlock* b) { return Row(join(load256(b[0].qs), load256(b[1].qs))); }
    // sum += sumi * (d_w * d_a)
    static __m256 term(__m256 sumi, __m256 dw, __m256 da, const __m256*) {
        return _mm256_mul_ps(sumi, _mm256_mul_ps(dw, da));
    }
};

struct Q5_0Format {
    using WBlock = BlockQ5_0;
    using ABlock = BlockQ8_0;
    using Row = SignedRow;
    static Row row(const WBlock* b) {
        const __m512i q = _mm512_or_si512(unpack_nibbles2(b[0].qs, b[1].qs), fifth_bits2(b[0].qh, b[1].qh));
        return Row(_mm512_sub_epi8(q, _mm512_set1_epi8(16)));
    }
    // sum += (d_w * d_a) * sumi
    static __m256 term(__m256 sumi, __m256 dw, __m256 da, const __m256*) {
        return _mm256_mul_ps(_mm256_mul_ps(dw, da), sumi);
    }
};

struct IQ4_NLFormat {
    using WBlock = BlockIQ4_NL;
    using ABlock = BlockQ8_0;
    using Row = SignedRow;
    static Row row(const WBlock* b) {
        const __m512i levels = _mm512_broadcast_i32x4(load128(quant::kIq4nlLevels));
        return Row(_mm512_shuffle_epi8(levels, unpack_nibbles2(b[0].qs, b[1].qs)));
    }
    // sum += (d_a * d_w) * sumi
    static __m256 term(__m256 sumi, __m256 dw, __m256 da, const __m256*) {
        return _mm256_mul_ps(_mm256_mul_ps(da, dw), sumi);
    }
};

// Q4_1 / Q5_1 x Q8_1: sum += ((d_w * d_a) * sumi) + (m_w * s_a); extra = {m_w, s_a}
struct Q4_1Format {
    using WBlock = BlockQ4_1;
    using ABlock = BlockQ8_1;
    using Row = UnsignedRow;
    static Row row(const WBlock* b) { return Row{unpack_nibbles2(b[0].qs, b[1].qs)}; }
    static __m256 term(__m256 sumi, __m256 dw, __m256 da, const __m256* extra) {
        return _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(dw, da), sumi), _mm256_mul_ps(extra[0], extra[1]));
    }
};

struct Q5_1Format {
    using WBlock = BlockQ5_1;
    using ABlock = BlockQ8_1;
    using Row = UnsignedRow;
    static Row row(const WBlock* b) {
        return Row{_mm512_or_si512(unpack_nibbles2(b[0].qs, b[1].qs), fifth_bits2(b[0].qh, b[1].qh))};
    }
    static __m256 term(__m256 sumi, __m256 dw, __m256 da, const __m256* extra) {
        return _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(dw, da), sumi), _mm256_mul_ps(extra[0], extra[1]));
    }
};

template <typename B>
constexpr bool kHasOffset = false;
template <>
constexpr bool kHasOffset<BlockQ4_1> = true;
template <>
constexpr bool kHasOffset<BlockQ5_1> = true;

// The sums of four int32x16 vectors, each two blocks of 8 lanes: [v0 b, v1 b, v2 b, v3 b, v0 b+1, ...].
inline __m256i sum4x2_epi32(__m512i v0, __m512i v1, __m512i v2, __m512i v3) {
    const __m512i u01 = _mm512_add_epi32(_mm512_unpacklo_epi32(v0, v1), _mm512_unpackhi_epi32(v0, v1));
    const __m512i u23 = _mm512_add_epi32(_mm512_unpacklo_epi32(v2, v3), _mm512_unpackhi_epi32(v2, v3));
    // per 128-bit lane: [v0, v1, v2, v3] partial sums
    const __m512i x = _mm512_add_epi32(_mm512_unpacklo_epi64(u01, u23), _mm512_unpackhi_epi64(u01, u23));
    const __m512i y = _mm512_add_epi32(x, _mm512_shuffle_i32x4(x, x, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm512_castsi512_si256(_mm512_shuffle_i32x4(y, y, _MM_SHUFFLE(2, 0, 2, 0)));
}

// Eight fp16 values as floats.
inline __m256 halves8(const uint16_t (&h)[8]) {
    return _mm256_cvtph_ps(load128(h));
}

template <class F>
struct LegacyMicro {
    static constexpr size_t kRows = 4;
    using WBlock = typename F::WBlock;

    // Blocks b and b1 of a row; b1 == b (a lone last block) reads only block b.
    static typename F::Row row_at(const WBlock* row, size_t b, size_t b1) {
        if (b1 != b) return F::row(row + b);
        const WBlock two[2] = {row[b], row[b]};
        return F::row(two);
    }

    template <int T>
    static void run(size_t n, const uint8_t* const* w, const uint8_t* next, const uint8_t* const* a,
                    float* out) {
        using ABlock = typename F::ABlock;
        const WBlock* wr[4] = {blocks<WBlock>(w[0]), blocks<WBlock>(w[1]), blocks<WBlock>(w[2]),
                               blocks<WBlock>(w[3])};
        const ABlock* ar[T];
        __m128 acc[T];
        for (int t = 0; t < T; ++t) {
            ar[t] = blocks<ABlock>(a[t]);
            acc[t] = _mm_setzero_ps();
        }
        const size_t nb = n / quant::kBlockSize;
        for (size_t b = 0; b < nb; b += 2) {
            prefetch_next<8 * sizeof(WBlock)>(next, b / 2);
            // A lone last block is paired with itself; its second copy is never added.
            const size_t b1 = b + 1 < nb ? b + 1 : b;
            const WBlock* pair[4][2] = {{wr[0] + b, wr[0] + b1},
                                        {wr[1] + b, wr[1] + b1},
                                        {wr[2] + b, wr[2] + b1},
                                        {wr[3] + b, wr[3] + b1}};
            const typename F::Row rows[4] = {row_at(wr[0], b, b1), row_at(wr[1], b, b1), row_at(wr[2], b, b1),
                                             row_at(wr[3], b, b1)};
            alignas(16) uint16_t dh[8], mh[8];
            for (int i = 0; i < 4; ++i) {
                dh[i] = pair[i][0]->d;
                dh[4 + i] = pair[i][1]->d;
                if constexpr (kHasOffset<WBlock>) {
                    mh[i] = pair[i][0]->m;
                    mh[4 + i] = pair[i][1]->m;
                }
            }
            const __m256 dw = halves8(dh);
            __m256 extra[2];
            if constexpr (kHasOffset<WBlock>) extra[0] = halves8(mh);
            for (int t = 0; t < T; ++t) {
                const ABlock& a0 = ar[t][b];
                const ABlock& a1 = ar[t][b1];
                const __m512i q = join(load256(a0.qs), load256(a1.qs));
                const __m256i sumi =
                    sum4x2_epi32(rows[0].dot(q), rows[1].dot(q), rows[2].dot(q), rows[3].dot(q));
                const __m256 da =
                    _mm256_set_m128(_mm_set1_ps(half_to_float(a1.d)), _mm_set1_ps(half_to_float(a0.d)));
                if constexpr (kHasOffset<WBlock>)
                    extra[1] =
                        _mm256_set_m128(_mm_set1_ps(half_to_float(a1.s)), _mm_set1_ps(half_to_float(a0.s)));
                const __m256 term = F::term(_mm256_cvtepi32_ps(sumi), dw, da, extra);
                acc[t] = _mm_add_ps(acc[t], _mm256_castps256_ps128(term));
                if (b1 != b) acc[t] = _mm_add_ps(acc[t], _mm256_extractf128_ps(term, 1));
            }
        }
        for (int t = 0; t < T; ++t) _mm_storeu_ps(out + 4 * t, acc[t]);
    }
};

#if defined(CHORD_AVX512_VNNI)
// --- 32-element formats with a row per lane (VNNI) ---------------------------------------------------
//
// Sixteen rows' blocks are transposed in 4-byte groups: register k holds, in lane r, row r's quants
// 4k..4k+3 (as signed bytes). A token's block then enters as eight broadcast 4-byte groups and each
// vpdpbusd adds four products to every row's lane: no horizontal sums, and the per-block float step
// is lane-wise, one (row, token) per lane in the reference's order, so the result stays bit-exact.
// vpdpbusd multiplies unsigned by signed bytes: the activations go in as a + 128 (unsigned) and
// 128 * sum(w) per row, computed once per block for all tokens, is subtracted.

// Four bytes at p in every 32-bit lane.
inline __m512i broadcast32(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

// 16 row pointers as 32-bit byte offsets from w[0] (the rows of one tile lie close together).
inline __m512i row_offsets(const uint8_t* const* w) {
    alignas(64) int32_t off[16];
    for (int r = 0; r < 16; ++r) off[r] = static_cast<int32_t>(w[r] - w[0]);
    return _mm512_load_si512(off);
}

// 8x8 transpose of 32-bit elements within each 256-bit half of eight registers (z[i] = [row i | row
// i + 8], eight dwords each) into v[k] = dword k of rows 0..15.
inline void transpose_rows16(const __m512i (&z)[8], __m512i (&v)[8]) {
    __m512i t[8], u[8];
    for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm512_unpacklo_epi32(z[2 * i], z[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(z[2 * i], z[2 * i + 1]);
    }
    for (int h = 0; h < 2; ++h) {  // rows 0-3 (h = 0) and 4-7 (h = 1) of each half
        const __m512i* th = t + 4 * h;
        u[4 * h + 0] = _mm512_unpacklo_epi64(th[0], th[2]);
        u[4 * h + 1] = _mm512_unpackhi_epi64(th[0], th[2]);
        u[4 * h + 2] = _mm512_unpacklo_epi64(th[1], th[3]);
        u[4 * h + 3] = _mm512_unpackhi_epi64(th[1], th[3]);
    }
    const __m512i lo = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
    const __m512i hi = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    for (int m = 0; m < 4; ++m) {
        v[m] = _mm512_permutex2var_epi64(u[m], lo, u[4 + m]);
        v[4 + m] = _mm512_permutex2var_epi64(u[m], hi, u[4 + m]);
    }
}

// 16 rows of 16 packed nibble bytes -> w[m] = bytes 4m..4m+3 of rows 0..15 (m < 4).
template <typename Block>
inline void transpose_nibbles16(const Block* const* rows, __m512i (&w)[4]) {
    __m512i z[4];
    for (int i = 0; i < 4; ++i) {
        const __m256i lo = _mm256_inserti128_si256(_mm256_castsi128_si256(load128(rows[i]->qs)),
                                                   load128(rows[i + 4]->qs), 1);
        const __m256i hi = _mm256_inserti128_si256(_mm256_castsi128_si256(load128(rows[i + 8]->qs)),
                                                   load128(rows[i + 12]->qs), 1);
        z[i] = join(lo, hi);
    }
    const __m512i t0 = _mm512_unpacklo_epi32(z[0], z[1]), t1 = _mm512_unpackhi_epi32(z[0], z[1]);
    const __m512i t2 = _mm512_unpacklo_epi32(z[2], z[3]), t3 = _mm512_unpackhi_epi32(z[2], z[3]);
    w[0] = _mm512_unpacklo_epi64(t0, t2);
    w[1] = _mm512_unpackhi_epi64(t0, t2);
    w[2] = _mm512_unpacklo_epi64(t1, t3);
    w[3] = _mm512_unpackhi_epi64(t1, t3);
}

// Quant slices v[k] (elements 4k..4k+3 of each row) of 16 rows from their packed nibbles.
template <typename Block, typename Map>
inline void nibble_slices(const Block* const* rows, __m512i (&v)[8], Map map) {
    __m512i w[4];
    transpose_nibbles16(rows, w);
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    for (int m = 0; m < 4; ++m) {
        v[m] = map(_mm512_and_si512(w[m], low4));
        v[4 + m] = map(_mm512_and_si512(_mm512_srli_epi16(w[m], 4), low4));
    }
}

struct Q4_0Lanes {
    using WBlock = BlockQ4_0;
    using ABlock = BlockQ8_0;
    static constexpr bool kOffset = false;
    static void slices(const WBlock* const* rows, __m512i (&v)[8]) {
        const __m512i eight = _mm512_set1_epi8(8);
        nibble_slices(rows, v, [&](__m512i q) { return _mm512_sub_epi8(q, eight); });
    }
    static __m512 term(__m512 s, __m512 dw, __m512 da, __m512, __m512) {
        return _mm512_mul_ps(_mm512_mul_ps(s, dw), da);
    }
};

struct IQ4_NLLanes {
    using WBlock = BlockIQ4_NL;
    using ABlock = BlockQ8_0;
    static constexpr bool kOffset = false;
    static void slices(const WBlock* const* rows, __m512i (&v)[8]) {
        const __m512i levels = _mm512_broadcast_i32x4(load128(quant::kIq4nlLevels));
        nibble_slices(rows, v, [&](__m512i q) { return _mm512_shuffle_epi8(levels, q); });
    }
    static __m512 term(__m512 s, __m512 dw, __m512 da, __m512, __m512) {
        return _mm512_mul_ps(_mm512_mul_ps(da, dw), s);
    }
};

struct Q4_1Lanes {
    using WBlock = BlockQ4_1;
    using ABlock = BlockQ8_1;
    static constexpr bool kOffset = true;
    static void slices(const WBlock* const* rows, __m512i (&v)[8]) {
        nibble_slices(rows, v, [](__m512i q) { return q; });
    }
    static __m512 term(__m512 s, __m512 dw, __m512 da, __m512 mw, __m512 sa) {
        return _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(dw, da), s), _mm512_mul_ps(mw, sa));
    }
};

struct Q8_0Lanes {
    using WBlock = BlockQ8_0;
    using ABlock = BlockQ8_0;
    static constexpr bool kOffset = false;
    static void slices(const WBlock* const* rows, __m512i (&v)[8]) {
        __m512i z[8];
        for (int i = 0; i < 8; ++i) z[i] = join(load256(rows[i]->qs), load256(rows[i + 8]->qs));
        transpose_rows16(z, v);
    }
    static __m512 term(__m512 s, __m512 dw, __m512 da, __m512, __m512) {
        return _mm512_mul_ps(s, _mm512_mul_ps(dw, da));
    }
};

// Up to kMaxTokens tokens share each block's transposed weights; their float sums live in memory (L1),
// so the token count is a run-time loop and the transposition is paid once per 16 rows and block.
template <class F>
struct LaneMicro {
    static constexpr size_t kRows = 16;
    static constexpr size_t kMaxTokens = 16;
    using WBlock = typename F::WBlock;
    using ABlock = typename F::ABlock;

    static void run(size_t n, const uint8_t* const* w, const uint8_t* next, const uint8_t* a, size_t a_stride,
                    size_t n_tokens, float* out) {
        const __m512i offsets = row_offsets(w);
        const WBlock* wr[16];
        for (int r = 0; r < 16; ++r) wr[r] = blocks<WBlock>(w[r]);
        alignas(64) float acc[kMaxTokens][16] = {};
        const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
        alignas(32) uint8_t shifted[32];  // a token's block quants + 128
        for (size_t b = 0; b < n / quant::kBlockSize; ++b) {
            prefetch_next<16 * sizeof(WBlock)>(next, b);
            const WBlock* rows[16];
            for (int r = 0; r < 16; ++r) rows[r] = wr[r] + b;
            __m512i v[8];
            F::slices(rows, v);
            // -128 * sum(w) per row, the start of every token's sums
            __m512i start = _mm512_setzero_si512();
            for (int k = 0; k < 8; ++k) start = _mm512_dpbusd_epi32(start, bias, v[k]);
            start = _mm512_sub_epi32(_mm512_setzero_si512(), start);
            // d (and m) of each row's block: the first 4 bytes of the block
            const __m512i head = _mm512_i32gather_epi32(offsets, static_cast<const void*>(wr[0] + b), 1);
            const __m512 dw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(head));
            __m512 mw = _mm512_setzero_ps();
            if constexpr (F::kOffset)
                mw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(head, 16)));
            for (size_t t = 0; t < n_tokens; ++t) {
                const ABlock& ab = blocks<ABlock>(a + t * a_stride)[b];
                _mm256_store_si256(static_cast<__m256i*>(static_cast<void*>(shifted)),
                                   _mm256_xor_si256(load256(ab.qs), _mm512_castsi512_si256(bias)));
                // Read the groups back from memory: as broadcast operands of vpdpbusd they cost no shuffle
                // (built from a register they would take two each, on the port vpdpbusd needs).
                __asm__ volatile("" ::: "memory");
                __m512i s0 = start, s1 = _mm512_setzero_si512();
                for (int k = 0; k < 8; k += 2) {
                    s0 = _mm512_dpbusd_epi32(s0, broadcast32(shifted + 4 * k), v[k]);
                    s1 = _mm512_dpbusd_epi32(s1, broadcast32(shifted + 4 * k + 4), v[k + 1]);
                }
                const __m512 sumi = _mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1));
                const __m512 da = _mm512_set1_ps(half_to_float(ab.d));
                __m512 sa = _mm512_setzero_ps();
                if constexpr (F::kOffset) sa = _mm512_set1_ps(half_to_float(ab.s));
                _mm512_store_ps(acc[t], _mm512_add_ps(_mm512_load_ps(acc[t]), F::term(sumi, dw, da, mw, sa)));
            }
        }
        for (size_t t = 0; t < n_tokens; ++t) std::memcpy(out + 16 * t, acc[t], sizeof acc[t]);
    }
};

template <class M>
void lane_tile(size_t n, const void* w, size_t w_stride, size_t n_rows, const void* a, size_t a_stride,
               size_t n_tokens, float* y, size_t y_stride) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const auto* ab = static_cast<const uint8_t*>(a);
    float out[16 * M::kMaxTokens];
    for (size_t r = 0; r < n_rows; r += 16) {
        const size_t nr = n_rows - r < 16 ? n_rows - r : 16;
        const uint8_t* wr[16];
        for (size_t i = 0; i < 16; ++i) wr[i] = wb + (r + (i < nr ? i : nr - 1)) * w_stride;
        const uint8_t* next = r + 16 < n_rows ? wb + (r + 16) * w_stride : wr[0];
        for (size_t t = 0; t < n_tokens; t += M::kMaxTokens) {
            const size_t nt = n_tokens - t < M::kMaxTokens ? n_tokens - t : M::kMaxTokens;
            M::run(n, wr, next, ab + t * a_stride, a_stride, nt, out);
            for (size_t j = 0; j < nt; ++j)
                for (size_t i = 0; i < nr; ++i) y[(t + j) * y_stride + r + i] = out[j * 16 + i];
        }
    }
}

template <class M>
float lane_vec_dot(size_t n, const void* w, const void* a) {
    float y;
    lane_tile<M>(n, w, 0, 1, a, 0, 1, &y, 1);
    return y;
}


// --- Q4_0 repacked at load (VNNI) ----------------------------------------------------------------------
//
// Layout, per group of 16 rows and per block b (288 bytes, the same as the 16 rows' blocks): the 16
// scales (fp16, row r at bytes 2r), then four 64-byte slices, slice m holding bytes 4m..4m+3 of each
// row's 16 nibble bytes (row r at bytes 4r). A slice is then register k = m (low nibbles: quants 4m..4m+3)
// and k = 4 + m (high nibbles: quants 16+4m..) of LaneMicro<Q4_0Lanes> without any transposition or
// gather at run time, and a group's bytes are one sequential stream. The nibbles (0..15) are the unsigned
// operand of vpdpbusd and the activations the signed one; 8 * sum(a) per block corrects for the offset.
// Same integer sums and the same float steps per (row, token) lane as the reference: bit-exact.

constexpr size_t kPackRows = 16;
constexpr size_t kMaxPackedBlocks = 1024;  // 32768 columns
constexpr size_t kPackTokens = 4;

bool repack_q4_0(const void* w, size_t w_stride, size_t rows, size_t cols, void* out) {
    const size_t nb = cols / quant::kBlockSize;
    if (rows % kPackRows != 0 || nb == 0 || nb > kMaxPackedBlocks || w_stride != nb * sizeof(BlockQ4_0))
        return false;
    const auto* src = static_cast<const uint8_t*>(w);
    auto* o = static_cast<uint8_t*>(out);
    for (size_t g = 0; g < rows; g += kPackRows) {
        for (size_t b = 0; b < nb; ++b) {
            for (size_t r = 0; r < kPackRows; ++r) {
                const BlockQ4_0& blk = blocks<BlockQ4_0>(src + (g + r) * w_stride)[b];
                std::memcpy(o + 2 * r, &blk.d, 2);
                for (size_t m = 0; m < 4; ++m) std::memcpy(o + 32 + 64 * m + 4 * r, blk.qs + 4 * m, 4);
            }
            o += kPackRows * sizeof(BlockQ4_0);
        }
    }
    return true;
}

// Sum of a Q8_0 block's 32 quants.
inline int32_t q8_block_sum(const BlockQ8_0& ab) {
    const __m256i s = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(1), load256(ab.qs));
    __m128i x = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0x4e));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0xb1));
    return _mm_cvtsi128_si32(x);
}

template <size_t T>
inline void q4_0_packed_group(size_t nb, const uint8_t* pw, const BlockQ8_0* const* a, const int32_t* corr,
                              float* y, size_t y_stride) {
    __m512 acc[T];
    for (size_t t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    for (size_t b = 0; b < nb; ++b, pw += kPackRows * sizeof(BlockQ4_0)) {
        _mm_prefetch(reinterpret_cast<const char*>(pw + 8 * 288), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(pw + 8 * 288 + 64), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(pw + 8 * 288 + 128), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(pw + 8 * 288 + 192), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(pw + 8 * 288 + 256), _MM_HINT_T0);
        const __m512 dw = _mm512_cvtph_ps(load256(pw));
        __m512i v[8];
        for (int m = 0; m < 4; ++m) {
            const __m512i q = load512(pw + 32 + 64 * m);
            v[m] = _mm512_and_si512(q, low4);
            v[4 + m] = _mm512_and_si512(_mm512_srli_epi16(q, 4), low4);
        }
        for (size_t t = 0; t < T; ++t) {
            const BlockQ8_0& ab = a[t][b];
            __m512i s0 = _mm512_set1_epi32(corr[t * nb + b]), s1 = _mm512_setzero_si512();
            for (int k = 0; k < 8; k += 2) {
                s0 = _mm512_dpbusd_epi32(s0, v[k], broadcast32(reinterpret_cast<const uint8_t*>(ab.qs) + 4 * k));
                s1 = _mm512_dpbusd_epi32(s1, v[k + 1], broadcast32(reinterpret_cast<const uint8_t*>(ab.qs) + 4 * k + 4));
            }
            const __m512 sumi = _mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1));
            const __m512 da = _mm512_set1_ps(half_to_float(ab.d));
            acc[t] = _mm512_add_ps(acc[t], _mm512_mul_ps(_mm512_mul_ps(sumi, dw), da));
        }
    }
    for (size_t t = 0; t < T; ++t) _mm512_storeu_ps(y + t * y_stride, acc[t]);
}

void q4_0_packed_tile(size_t n, const void* w, size_t w_stride, size_t n_rows, const void* a, size_t a_stride,
                      size_t n_tokens, float* y, size_t y_stride) {
    const size_t nb = n / quant::kBlockSize;
    const auto* wb = static_cast<const uint8_t*>(w);
    const auto* ab = static_cast<const uint8_t*>(a);
    alignas(64) int32_t corr[kPackTokens * kMaxPackedBlocks];  // -8 * sum(a) per token and block
    for (size_t t0 = 0; t0 < n_tokens; t0 += kPackTokens) {
        const size_t nt = n_tokens - t0 < kPackTokens ? n_tokens - t0 : kPackTokens;
        const BlockQ8_0* rows[kPackTokens];
        for (size_t t = 0; t < nt; ++t) {
            rows[t] = blocks<BlockQ8_0>(ab + (t0 + t) * a_stride);
            for (size_t b = 0; b < nb; ++b) corr[t * nb + b] = -8 * q8_block_sum(rows[t][b]);
        }
        float* yt = y + t0 * y_stride;
        for (size_t r = 0; r < n_rows; r += kPackRows) {
            const uint8_t* pw = wb + r * w_stride;
            switch (nt) {
                case 1: q4_0_packed_group<1>(nb, pw, rows, corr, yt + r, y_stride); break;
                case 2: q4_0_packed_group<2>(nb, pw, rows, corr, yt + r, y_stride); break;
                case 3: q4_0_packed_group<3>(nb, pw, rows, corr, yt + r, y_stride); break;
                default: q4_0_packed_group<4>(nb, pw, rows, corr, yt + r, y_stride); break;
            }
        }
    }
}

// --- K-quants with a row per lane (VNNI) ----------------------------------------------------------------
//
// Q4_K / Q5_K: per super-block, the 16 rows' scales and mins are unpacked side by side (lane = row) from
// gathered words; each 32-byte quarter of quants is transposed like Q8_0 above and split into the
// nibble slices of its two sub-blocks. The quants (0..31) are the unsigned operand of vpdpbusd, so the
// activation groups enter as broadcast memory operands. A sub-block's exact integer dot is scaled in
// float by d * scale (per row); the mins come from vpmaddwd of (min, min) pairs with bsum pairs. Float
// rounding differs from the reference (as for every K-quant kernel), the integer sums do not.

// Bytes j of four-byte words in each lane -> float, for j = 0..3.
inline __m512 byte_as_float(__m512i words, int j) {
    return _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srli_epi32(words, 8 * j), _mm512_set1_epi32(0xff)));
}

// kPacked: the rows come repacked at load (repack_q4_K below), w[0] being the group's first packed byte:
// the header dwords and the transposed quants are plain loads instead of gathers and transposes.
template <bool kFifthBit, bool kPacked = false>
struct K4LaneMicro {
    static constexpr size_t kRows = 16;
    static constexpr size_t kMaxTokens = 16;
    using WBlock = std::conditional_t<kFifthBit, BlockQ5_K, BlockQ4_K>;

    static void run(size_t n, const uint8_t* const* w, const uint8_t* next, const uint8_t* a, size_t a_stride,
                    size_t n_tokens, float* out) {
        const __m512i offsets = row_offsets(w);
        const WBlock* wr[16];
        for (int r = 0; r < 16; ++r) wr[r] = blocks<WBlock>(w[r]);
        alignas(64) float acc[kMaxTokens][16] = {};
        alignas(64) float sub[kMaxTokens][16];  // this super-block's sum of d * scale * dot, per token
        alignas(64) float dsc[8][16];           // d * scale of sub-block j, per row
        alignas(64) int32_t bsum_pairs[kMaxTokens][4];  // (bsum of sub-block 2p, of 2p + 1) as int16 pairs
        for (size_t b = 0; b < n / quant::kSuperBlockSize; ++b) {
            __m512i head, w0, w1, w2;
            [[maybe_unused]] const uint8_t* pb = w[0] + b * 16 * sizeof(WBlock);  // packed: this super-block
            if constexpr (kPacked) {
                head = load512(pb);
                w0 = load512(pb + 64);
                w1 = load512(pb + 128);
                w2 = load512(pb + 192);
            } else {
                prefetch_next<16 * sizeof(WBlock)>(next, b);
                const uint8_t* base = static_cast<const uint8_t*>(static_cast<const void*>(wr[0] + b));
                head = _mm512_i32gather_epi32(offsets, base, 1);
                w0 = _mm512_i32gather_epi32(offsets, base + 4, 1);
                w1 = _mm512_i32gather_epi32(offsets, base + 8, 1);
                w2 = _mm512_i32gather_epi32(offsets, base + 12, 1);
            }
            const __m512 d = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(head));
            const __m512 dmin = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(head, 16)));
            const __m512i low6 = _mm512_set1_epi8(0x3f), low4 = _mm512_set1_epi8(0x0f),
                          top2 = _mm512_set1_epi8(0x30);
            const __m512i sc_lo = _mm512_and_si512(w0, low6);  // scales 0-3, one byte each
            const __m512i m_lo = _mm512_and_si512(w1, low6);   // mins 0-3
            const __m512i sc_hi =
                _mm512_or_si512(_mm512_and_si512(w2, low4), _mm512_and_si512(_mm512_srli_epi32(w0, 2), top2));
            const __m512i m_hi = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(w2, 4), low4),
                                                 _mm512_and_si512(_mm512_srli_epi32(w1, 2), top2));
            for (int j = 0; j < 4; ++j) {
                _mm512_store_ps(dsc[j], _mm512_mul_ps(d, byte_as_float(sc_lo, j)));
                _mm512_store_ps(dsc[4 + j], _mm512_mul_ps(d, byte_as_float(sc_hi, j)));
            }
            // (m_2p, m_2p+1) as int16 pairs per row, for vpmaddwd with (bsum pair 2p, 2p + 1)
            const __m512i byte0 = _mm512_set1_epi32(0xff), byte2 = _mm512_set1_epi32(0xff0000);
            const __m512i mins[4] = {
                _mm512_or_si512(_mm512_and_si512(m_lo, byte0),
                                _mm512_and_si512(_mm512_slli_epi32(m_lo, 8), byte2)),
                _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(m_lo, 16), byte0),
                                _mm512_and_si512(_mm512_srli_epi32(m_lo, 8), byte2)),
                _mm512_or_si512(_mm512_and_si512(m_hi, byte0),
                                _mm512_and_si512(_mm512_slli_epi32(m_hi, 8), byte2)),
                _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(m_hi, 16), byte0),
                                _mm512_and_si512(_mm512_srli_epi32(m_hi, 8), byte2)),
            };
            for (size_t t = 0; t < n_tokens; ++t) {
                const BlockQ8_K& ab = blocks<BlockQ8_K>(a + t * a_stride)[b];
                // bsum of each 32-element sub-block (two 16-element bsums), packed as int16 pairs
                const __m256i pair_sums = _mm256_madd_epi16(load256(ab.bsums), _mm256_set1_epi16(1));
                _mm_store_si128(static_cast<__m128i*>(static_cast<void*>(bsum_pairs[t])),
                                _mm_packs_epi32(_mm256_castsi256_si128(pair_sums),
                                                _mm256_extracti128_si256(pair_sums, 1)));
                _mm512_store_ps(sub[t], _mm512_setzero_ps());
            }
            __m512i high[8];
            if constexpr (kFifthBit) {
                __m512i z[8];
                for (int i = 0; i < 8; ++i) z[i] = join(load256(wr[i][b].qh), load256(wr[i + 8][b].qh));
                transpose_rows16(z, high);
            }
            for (int c = 0; c < 4; ++c) {
                __m512i v[8];
                if constexpr (kPacked) {
                    for (int k = 0; k < 8; ++k) v[k] = load512(pb + 256 + 512 * c + 64 * k);
                } else {
                    __m512i z[8];
                    for (int i = 0; i < 8; ++i)
                        z[i] = join(load256(wr[i][b].qs + 32 * c), load256(wr[i + 8][b].qs + 32 * c));
                    transpose_rows16(z, v);
                }
                for (int half = 0; half < 2; ++half) {  // low nibbles: sub-block 2c; high: 2c + 1
                    const int j = 2 * c + half;
                    __m512i q[8];
                    for (int k = 0; k < 8; ++k) {
                        q[k] = _mm512_and_si512(half == 0 ? v[k] : _mm512_srli_epi16(v[k], 4), low4);
                        if constexpr (kFifthBit) {
                            const __m512i bit =
                                _mm512_and_si512(_mm512_srli_epi16(high[k], j), _mm512_set1_epi8(1));
                            q[k] = _mm512_or_si512(q[k], _mm512_slli_epi16(bit, 4));
                        }
                    }
                    const __m512 scale = _mm512_load_ps(dsc[j]);
                    for (size_t t = 0; t < n_tokens; ++t) {
                        const int8_t* q8 = blocks<BlockQ8_K>(a + t * a_stride)[b].qs + 32 * j;
                        __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
                        for (int k = 0; k < 8; k += 2) {
                            s0 = _mm512_dpbusd_epi32(
                                s0, q[k], broadcast32(reinterpret_cast<const uint8_t*>(q8) + 4 * k));
                            s1 = _mm512_dpbusd_epi32(
                                s1, q[k + 1], broadcast32(reinterpret_cast<const uint8_t*>(q8) + 4 * k + 4));
                        }
                        const __m512 dot = _mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1));
                        _mm512_store_ps(sub[t], _mm512_fmadd_ps(scale, dot, _mm512_load_ps(sub[t])));
                    }
                }
            }
            for (size_t t = 0; t < n_tokens; ++t) {
                const BlockQ8_K& ab = blocks<BlockQ8_K>(a + t * a_stride)[b];
                __m512i msum = _mm512_setzero_si512();
                for (int p = 0; p < 4; ++p)
                    msum = _mm512_add_epi32(msum,
                                            _mm512_madd_epi16(mins[p], _mm512_set1_epi32(bsum_pairs[t][p])));
                const __m512 total = _mm512_fnmadd_ps(dmin, _mm512_cvtepi32_ps(msum), _mm512_load_ps(sub[t]));
                _mm512_store_ps(acc[t], _mm512_fmadd_ps(_mm512_set1_ps(ab.d), total, _mm512_load_ps(acc[t])));
            }
        }
        for (size_t t = 0; t < n_tokens; ++t) std::memcpy(out + 16 * t, acc[t], sizeof acc[t]);
    }
};

// Q4_K repacked at load: per group of 16 rows and super-block (2304 bytes, the 16 rows' blocks), the
// four header dwords (d and dmin, then the 12 scale bytes) as four 64-byte slices (dword j of row r at
// 64j + 4r), then for each 32-byte quarter c of the quants eight slices (dword k of row r at
// 256 + 512c + 64k + 4r): exactly what K4LaneMicro gathers and transposes otherwise.
bool repack_q4_K(const void* w, size_t w_stride, size_t rows, size_t cols, void* out) {
    const size_t nb = cols / quant::kSuperBlockSize;
    if (rows % kPackRows != 0 || nb == 0 || w_stride != nb * sizeof(BlockQ4_K)) return false;
    const auto* src = static_cast<const uint8_t*>(w);
    auto* o = static_cast<uint8_t*>(out);
    for (size_t g = 0; g < rows; g += kPackRows) {
        for (size_t b = 0; b < nb; ++b) {
            for (size_t r = 0; r < kPackRows; ++r) {
                const auto* blk = reinterpret_cast<const uint8_t*>(&blocks<BlockQ4_K>(src + (g + r) * w_stride)[b]);
                const uint8_t* qs = blocks<BlockQ4_K>(src + (g + r) * w_stride)[b].qs;
                for (size_t j = 0; j < 4; ++j) std::memcpy(o + 64 * j + 4 * r, blk + 4 * j, 4);
                for (size_t c = 0; c < 4; ++c)
                    for (size_t k = 0; k < 8; ++k)
                        std::memcpy(o + 256 + 512 * c + 64 * k + 4 * r, qs + 32 * c + 4 * k, 4);
            }
            o += kPackRows * sizeof(BlockQ4_K);
        }
    }
    return true;
}

// The tile over packed rows for a lane micro-kernel M whose run() takes w[0] as the group's packed bytes.
template <class M>
void packed_lane_tile(size_t n, const void* w, size_t w_stride, size_t n_rows, const void* a, size_t a_stride,
                      size_t n_tokens, float* y, size_t y_stride) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const auto* ab = static_cast<const uint8_t*>(a);
    float out[16 * M::kMaxTokens];
    for (size_t r = 0; r < n_rows; r += 16) {
        const uint8_t* wr[16];
        for (size_t i = 0; i < 16; ++i) wr[i] = wb + r * w_stride;
        for (size_t t = 0; t < n_tokens; t += M::kMaxTokens) {
            const size_t nt = n_tokens - t < M::kMaxTokens ? n_tokens - t : M::kMaxTokens;
            M::run(n, wr, wr[0], ab + t * a_stride, a_stride, nt, out);
            for (size_t j = 0; j < nt; ++j)
                for (size_t i = 0; i < 16; ++i) y[(t + j) * y_stride + r + i] = out[j * 16 + i];
        }
    }
}

// Q6_K: per super-block and half h, the 32-byte chunks ql[64h..], ql[64h + 32..] and qh[32h..] of the
// 16 rows are transposed; slice group k (elements 128h + 32k + l) is assembled from them, its first four
// slices forming sub-block 8h + 2k and the last four 8h + 2k + 1. Quants 0..63 are vpdpbusd's unsigned
// operand; the offset 32 comes back through vpmaddwd of per-row (scale, scale) int16 pairs with the
// activation's bsums, which Q8_K already stores as int16 pairs.
struct Q6_KLaneMicro {
    static constexpr size_t kRows = 16;
    static constexpr size_t kMaxTokens = 16;

    static void run(size_t n, const uint8_t* const* w, const uint8_t* next, const uint8_t* a, size_t a_stride,
                    size_t n_tokens, float* out) {
        const __m512i offsets = row_offsets(w);
        const BlockQ6_K* wr[16];
        for (int r = 0; r < 16; ++r) wr[r] = blocks<BlockQ6_K>(w[r]);
        alignas(64) float acc[kMaxTokens][16] = {};
        alignas(64) float sub[kMaxTokens][16];  // this super-block's sum of d * scale * dot, per token
        alignas(64) float dsc[16][16];          // d * scale of sub-block s, per row
        alignas(64) __m512i chunks[3][8];       // transposed ql[64h..], ql[64h + 32..], qh[32h..]
        for (size_t b = 0; b < n / quant::kSuperBlockSize; ++b) {
            prefetch_next<16 * sizeof(BlockQ6_K)>(next, b);
            const uint8_t* base = static_cast<const uint8_t*>(static_cast<const void*>(wr[0] + b));
            const __m512 d = _mm512_cvtph_ps(
                _mm512_cvtepi32_epi16(_mm512_i32gather_epi32(offsets, base + offsetof(BlockQ6_K, d), 1)));
            __m512i pairs[8];  // (scale 2p, scale 2p + 1) as int16 per row
            for (int q = 0; q < 4; ++q) {
                const __m512i x =
                    _mm512_i32gather_epi32(offsets, base + offsetof(BlockQ6_K, scales) + 4 * q, 1);
                const __m512i even = _mm512_srai_epi16(_mm512_slli_epi16(x, 8), 8);  // scales 4q, 4q + 2
                const __m512i odd = _mm512_srai_epi16(x, 8);                         // scales 4q + 1, 4q + 3
                const __m512i low16 = _mm512_set1_epi32(0xffff);
                pairs[2 * q] = _mm512_or_si512(_mm512_and_si512(even, low16), _mm512_slli_epi32(odd, 16));
                pairs[2 * q + 1] =
                    _mm512_or_si512(_mm512_srli_epi32(even, 16), _mm512_andnot_si512(low16, odd));
                for (int j = 0; j < 4; ++j) {
                    const __m512i sc = _mm512_srai_epi32(_mm512_slli_epi32(x, 24 - 8 * j), 24);
                    _mm512_store_ps(dsc[4 * q + j], _mm512_mul_ps(d, _mm512_cvtepi32_ps(sc)));
                }
            }
            for (size_t t = 0; t < n_tokens; ++t) _mm512_store_ps(sub[t], _mm512_setzero_ps());
            const __m512i low4 = _mm512_set1_epi8(0x0f), bits45 = _mm512_set1_epi8(0x30);
            for (int h = 0; h < 2; ++h) {
                const uint8_t* const starts[3] = {wr[0][b].ql + 64 * h, wr[0][b].ql + 64 * h + 32,
                                                  wr[0][b].qh + 32 * h};
                for (int c = 0; c < 3; ++c) {
                    const size_t off =
                        static_cast<size_t>(starts[c] - reinterpret_cast<const uint8_t*>(wr[0] + b));
                    __m512i z[8];
                    for (int i = 0; i < 8; ++i)
                        z[i] = join(load256(reinterpret_cast<const uint8_t*>(wr[i] + b) + off),
                                    load256(reinterpret_cast<const uint8_t*>(wr[i + 8] + b) + off));
                    transpose_rows16(z, chunks[c]);
                }
                for (int k = 0; k < 4; ++k) {
                    __m512i q[8];
                    for (int m = 0; m < 8; ++m) {
                        const __m512i lowq = chunks[k & 1][m];
                        const __m512i hq = chunks[2][m];
                        const __m512i nib = k < 2 ? _mm512_and_si512(lowq, low4)
                                                  : _mm512_and_si512(_mm512_srli_epi16(lowq, 4), low4);
                        const __m512i top = k == 0   ? _mm512_slli_epi16(hq, 4)
                                            : k == 1 ? _mm512_slli_epi16(hq, 2)
                                            : k == 2 ? hq
                                                     : _mm512_srli_epi16(hq, 2);
                        q[m] = _mm512_or_si512(nib, _mm512_and_si512(top, bits45));
                    }
                    const int s0 = 8 * h + 2 * k;
                    const __m512 scale0 = _mm512_load_ps(dsc[s0]), scale1 = _mm512_load_ps(dsc[s0 + 1]);
                    for (size_t t = 0; t < n_tokens; ++t) {
                        const uint8_t* q8 = reinterpret_cast<const uint8_t*>(
                            blocks<BlockQ8_K>(a + t * a_stride)[b].qs + 128 * h + 32 * k);
                        __m512i d0 = _mm512_setzero_si512(), d1 = _mm512_setzero_si512();
                        for (int m = 0; m < 4; ++m) {
                            d0 = _mm512_dpbusd_epi32(d0, q[m], broadcast32(q8 + 4 * m));
                            d1 = _mm512_dpbusd_epi32(d1, q[4 + m], broadcast32(q8 + 16 + 4 * m));
                        }
                        __m512 acc_t = _mm512_load_ps(sub[t]);
                        acc_t = _mm512_fmadd_ps(scale0, _mm512_cvtepi32_ps(d0), acc_t);
                        _mm512_store_ps(sub[t], _mm512_fmadd_ps(scale1, _mm512_cvtepi32_ps(d1), acc_t));
                    }
                }
            }
            const __m512 d32 = _mm512_mul_ps(d, _mm512_set1_ps(32.0f));
            for (size_t t = 0; t < n_tokens; ++t) {
                const BlockQ8_K& ab = blocks<BlockQ8_K>(a + t * a_stride)[b];
                const auto* bsum_pairs = reinterpret_cast<const uint8_t*>(ab.bsums);
                __m512i msum = _mm512_setzero_si512();
                for (int p = 0; p < 8; ++p)
                    msum =
                        _mm512_add_epi32(msum, _mm512_madd_epi16(pairs[p], broadcast32(bsum_pairs + 4 * p)));
                const __m512 total = _mm512_fnmadd_ps(d32, _mm512_cvtepi32_ps(msum), _mm512_load_ps(sub[t]));
                _mm512_store_ps(acc[t], _mm512_fmadd_ps(_mm512_set1_ps(ab.d), total, _mm512_load_ps(acc[t])));
            }
        }
        for (size_t t = 0; t < n_tokens; ++t) std::memcpy(out + 16 * t, acc[t], sizeof acc[t]);
    }
};
#endif  // CHORD_AVX512_VNNI

// --- K-quants: 64 elements (two 32-element sub-blocks) per register ----------------------------------

// Per (row, token): int32x16 sums of scale * quant * activation and of the mins, folded at the end of
// each super-block into one int32x4 per token ([I_r] and [M_r] for the four rows) and finished in
// float by the format, as in avx2.cpp.

// int16 lanes: sub-block s's scale in lanes 0-15, s + 1's in 16-31, from 8 scales as int16 in a xmm.
inline __m512i scale_pair16(__m128i scales16, int s) {
    const __m512i all = _mm512_broadcast_i32x4(scales16);
    const short lo = static_cast<short>(0x0100 + 0x0202 * s);
    const short hi = static_cast<short>(0x0100 + 0x0202 * (s + 1));
    const __m512i idx = join(_mm256_set1_epi16(lo), _mm256_set1_epi16(hi));
    return _mm512_shuffle_epi8(all, idx);
}

inline __m128i k4_scales_mins(const uint8_t* packed) {
    uint32_t w0, w1, w2;
    std::memcpy(&w0, packed, 4);
    std::memcpy(&w1, packed + 4, 4);
    std::memcpy(&w2, packed + 8, 4);
    const uint32_t sc_lo = w0 & 0x3f3f3f3fu;
    const uint32_t m_lo = w1 & 0x3f3f3f3fu;
    const uint32_t sc_hi = (w2 & 0x0f0f0f0fu) | ((w0 >> 2) & 0x30303030u);
    const uint32_t m_hi = ((w2 >> 4) & 0x0f0f0f0fu) | ((w1 >> 2) & 0x30303030u);
    return _mm_setr_epi32(static_cast<int>(sc_lo), static_cast<int>(sc_hi), static_cast<int>(m_lo),
                          static_cast<int>(m_hi));
}

inline __m512i madd_scaled(__m512i u, __m512i s, __m512i scale16) {
    return _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), scale16);
}

template <int T, bool kFifthBit, typename Block>
void k4_row_sums(const Block& x, const BlockQ8_K* const* a, size_t b, __m512i* isum, __m256i* msum) {
    const __m128i sm = k4_scales_mins(x.scales);
    const __m128i scales = _mm_cvtepu8_epi16(sm);
    const __m128i mins = _mm_cvtepu8_epi16(_mm_unpackhi_epi64(sm, sm));
    const __m256i mins_rep = _mm256_set_m128i(_mm_unpackhi_epi16(mins, mins), _mm_unpacklo_epi16(mins, mins));
    for (int t = 0; t < T; ++t) {
        msum[t] = _mm256_madd_epi16(load256(a[t][b].bsums), mins_rep);
        isum[t] = _mm512_setzero_si512();
    }
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    __m256i high = _mm256_setzero_si256();
    if constexpr (kFifthBit) high = load256(x.qh);
    for (int c = 0; c < 4; ++c) {
        const __m256i q = load256(x.qs + 32 * c);
        __m256i lo = _mm256_and_si256(q, low4);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
        if constexpr (kFifthBit) {
            const __m256i bit4 = _mm256_set1_epi8(0x10);
            lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(high, 4), bit4));
            hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(high, 3), bit4));
            high = _mm256_srli_epi16(high, 2);
        }
        const __m512i wq = join(lo, hi);  // elements 64c .. 64c + 63
        const __m512i sc = scale_pair16(scales, 2 * c);
        for (int t = 0; t < T; ++t)
            isum[t] = _mm512_add_epi32(isum[t], madd_scaled(wq, load512(a[t][b].qs + 64 * c), sc));
    }
}

struct Q4_KFormat {
    using WBlock = BlockQ4_K;
    template <int T>
    static void row_sums(const WBlock& x, const BlockQ8_K* const* a, size_t b, __m512i* isum, __m256i* msum) {
        k4_row_sums<T, false>(x, a, b, isum, msum);
    }
    static __m128 finish(__m128 acc, __m128i isum, __m128i msum, const WBlock* const* w, float da) {
        alignas(16) uint16_t h[8] = {w[0]->d,    w[1]->d,    w[2]->d,    w[3]->d,
                                     w[0]->dmin, w[1]->dmin, w[2]->dmin, w[3]->dmin};
        const __m256 dd = _mm256_mul_ps(halves8(h), _mm256_set1_ps(da));
        acc = _mm_fmadd_ps(_mm256_castps256_ps128(dd), _mm_cvtepi32_ps(isum), acc);
        return _mm_fnmadd_ps(_mm256_extractf128_ps(dd, 1), _mm_cvtepi32_ps(msum), acc);
    }
};

struct Q5_KFormat {
    using WBlock = BlockQ5_K;
    template <int T>
    static void row_sums(const WBlock& x, const BlockQ8_K* const* a, size_t b, __m512i* isum, __m256i* msum) {
        k4_row_sums<T, true>(x, a, b, isum, msum);
    }
    static __m128 finish(__m128 acc, __m128i isum, __m128i msum, const WBlock* const* w, float da) {
        alignas(16) uint16_t h[8] = {w[0]->d,    w[1]->d,    w[2]->d,    w[3]->d,
                                     w[0]->dmin, w[1]->dmin, w[2]->dmin, w[3]->dmin};
        const __m256 dd = _mm256_mul_ps(halves8(h), _mm256_set1_ps(da));
        acc = _mm_fmadd_ps(_mm256_castps256_ps128(dd), _mm_cvtepi32_ps(isum), acc);
        return _mm_fnmadd_ps(_mm256_extractf128_ps(dd, 1), _mm_cvtepi32_ps(msum), acc);
    }
};

struct Q6_KFormat {
    using WBlock = BlockQ6_K;
    template <int T>
    static void row_sums(const WBlock& x, const BlockQ8_K* const* a, size_t b, __m512i* isum, __m256i* msum) {
        const __m128i sc8 = load128(x.scales);
        const __m256i sc16 = _mm256_cvtepi8_epi16(sc8);
        for (int t = 0; t < T; ++t) {
            msum[t] = _mm256_madd_epi16(load256(a[t][b].bsums), sc16);
            isum[t] = _mm512_setzero_si512();
        }
        const __m256i low4 = _mm256_set1_epi8(0x0f);
        const __m256i bits45 = _mm256_set1_epi8(0x30);
        // int16 lanes 0-7 sub-block s, 8-15 s + 1, 16-23 s + 2, 24-31 s + 3 (s = 4m): one 64-element step
        const __m512i sc_all = _mm512_broadcast_i32x4(_mm_cvtepi8_epi16(sc8));
        const __m512i sc_all_hi = _mm512_broadcast_i32x4(_mm_cvtepi8_epi16(_mm_unpackhi_epi64(sc8, sc8)));
        for (int h = 0; h < 2; ++h) {
            const __m256i ql0 = load256(x.ql + 64 * h);
            const __m256i ql1 = load256(x.ql + 64 * h + 32);
            const __m256i qh = load256(x.qh + 32 * h);
            const __m256i q0 = _mm256_or_si256(_mm256_and_si256(ql0, low4),
                                               _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45));
            const __m256i q1 = _mm256_or_si256(_mm256_and_si256(ql1, low4),
                                               _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45));
            const __m256i q2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                                               _mm256_and_si256(qh, bits45));
            const __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                               _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45));
            const __m512i sc = h == 0 ? sc_all : sc_all_hi;  // scales of sub-blocks 8h .. 8h + 7
            for (int m = 0; m < 2; ++m) {
                // elements 128h + 64m .. +63 = sub-blocks 8h + 4m .. 8h + 4m + 3
                const __m512i wq = m == 0 ? join(q0, q1) : join(q2, q3);
                const short s0 = static_cast<short>(0x0100 + 0x0202 * (4 * m));
                const short s1 = static_cast<short>(0x0100 + 0x0202 * (4 * m + 1));
                const short s2 = static_cast<short>(0x0100 + 0x0202 * (4 * m + 2));
                const short s3 = static_cast<short>(0x0100 + 0x0202 * (4 * m + 3));
                const __m512i idx =
                    join(_mm256_setr_epi16(s0, s0, s0, s0, s0, s0, s0, s0, s1, s1, s1, s1, s1, s1, s1, s1),
                         _mm256_setr_epi16(s2, s2, s2, s2, s2, s2, s2, s2, s3, s3, s3, s3, s3, s3, s3, s3));
                const __m512i scale = _mm512_shuffle_epi8(sc, idx);
                for (int t = 0; t < T; ++t)
                    isum[t] = _mm512_add_epi32(
                        isum[t], madd_scaled(wq, load512(a[t][b].qs + 128 * h + 64 * m), scale));
            }
        }
    }
    static __m128 finish(__m128 acc, __m128i isum, __m128i msum, const WBlock* const* w, float da) {
        const __m128 d =
            _mm_mul_ps(_mm_cvtph_ps(_mm_setr_epi16(static_cast<short>(w[0]->d), static_cast<short>(w[1]->d),
                                                   static_cast<short>(w[2]->d), static_cast<short>(w[3]->d),
                                                   0, 0, 0, 0)),
                       _mm_set1_ps(da));
        const __m128i total = _mm_sub_epi32(isum, _mm_slli_epi32(msum, 5));
        return _mm_fmadd_ps(d, _mm_cvtepi32_ps(total), acc);
    }
};

// int32x4 [total of v0, v1, v2, v3] for four int32x8 vectors.
inline __m128i sum4_epi32(__m256i v0, __m256i v1, __m256i v2, __m256i v3) {
    const __m256i s = _mm256_hadd_epi32(_mm256_hadd_epi32(v0, v1), _mm256_hadd_epi32(v2, v3));
    return _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
}

inline __m256i fold512(__m512i v) {
    return _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
}

template <class F>
struct KMicro {
    static constexpr size_t kRows = 4;
    template <int T>
    static void run(size_t n, const uint8_t* const* w, const uint8_t* next, const uint8_t* const* a,
                    float* out) {
        using WBlock = typename F::WBlock;
        const WBlock* wr[4] = {blocks<WBlock>(w[0]), blocks<WBlock>(w[1]), blocks<WBlock>(w[2]),
                               blocks<WBlock>(w[3])};
        const BlockQ8_K* ar[T];
        __m128 acc[T];
        for (int t = 0; t < T; ++t) {
            ar[t] = blocks<BlockQ8_K>(a[t]);
            acc[t] = _mm_setzero_ps();
        }
        for (size_t b = 0; b < n / quant::kSuperBlockSize; ++b) {
            prefetch_next<4 * sizeof(WBlock)>(next, b);
            __m256i isum8[4][T], msum8[4][T];
            for (int r = 0; r < 4; ++r) {
                __m512i isum[T];
                F::template row_sums<T>(wr[r][b], ar, b, isum, msum8[r]);
                for (int t = 0; t < T; ++t) isum8[r][t] = fold512(isum[t]);
            }
            const WBlock* wb[4] = {wr[0] + b, wr[1] + b, wr[2] + b, wr[3] + b};
            for (int t = 0; t < T; ++t) {
                const __m128i isum = sum4_epi32(isum8[0][t], isum8[1][t], isum8[2][t], isum8[3][t]);
                const __m128i msum = sum4_epi32(msum8[0][t], msum8[1][t], msum8[2][t], msum8[3][t]);
                acc[t] = F::finish(acc[t], isum, msum, wb, ar[t][b].d);
            }
        }
        for (int t = 0; t < T; ++t) _mm_storeu_ps(out + 4 * t, acc[t]);
    }
};

// --- Float rows, 16 per register ----------------------------------------------------------------------

struct F32Format {
    static constexpr size_t kBytes = 4;
    static __m512 load16(const uint8_t* row, size_t i) {
        return _mm512_loadu_ps(static_cast<const float*>(static_cast<const void*>(row)) + i);
    }
    static __m512 load_tail(const uint8_t* row, size_t i, __mmask16 m) {
        return _mm512_maskz_loadu_ps(m, static_cast<const float*>(static_cast<const void*>(row)) + i);
    }
};

struct F16Format {
    static constexpr size_t kBytes = 2;
    static __m512 load16(const uint8_t* row, size_t i) { return _mm512_cvtph_ps(load256(row + 2 * i)); }
    static __m512 load_tail(const uint8_t* row, size_t i, __mmask16 m) {
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, row + 2 * i));
    }
};

struct BF16Format {
    static constexpr size_t kBytes = 2;
    static __m512 load16(const uint8_t* row, size_t i) {
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(load256(row + 2 * i)), 16));
    }
    static __m512 load_tail(const uint8_t* row, size_t i, __mmask16 m) {
        return _mm512_castsi512_ps(
            _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, row + 2 * i)), 16));
    }
};

template <class F>
struct FloatMicro {
    static constexpr size_t kRows = 4;
    template <int T>
    static void run(size_t n, const uint8_t* const* w, const uint8_t* next, const uint8_t* const* a,
                    float* out) {
        __m512 acc[4][T];
        for (int r = 0; r < 4; ++r)
            for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
        size_t i = 0;
        const auto step = [&](__m512 w0, __m512 w1, __m512 w2, __m512 w3, auto load_a) {
            for (int t = 0; t < T; ++t) {
                const __m512 x = load_a(t);
                acc[0][t] = _mm512_fmadd_ps(w0, x, acc[0][t]);
                acc[1][t] = _mm512_fmadd_ps(w1, x, acc[1][t]);
                acc[2][t] = _mm512_fmadd_ps(w2, x, acc[2][t]);
                acc[3][t] = _mm512_fmadd_ps(w3, x, acc[3][t]);
            }
        };
        for (; i + 16 <= n; i += 16) {
            prefetch_next<4 * F::kBytes * 16>(next, i / 16);
            step(F::load16(w[0], i), F::load16(w[1], i), F::load16(w[2], i), F::load16(w[3], i),
                 [&](int t) { return F::load16(a[t], i); });
        }
        if (i < n) {
            const auto m = static_cast<__mmask16>((1u << (n - i)) - 1);
            step(F::load_tail(w[0], i, m), F::load_tail(w[1], i, m), F::load_tail(w[2], i, m),
                 F::load_tail(w[3], i, m), [&](int t) { return F::load_tail(a[t], i, m); });
        }
        for (int t = 0; t < T; ++t)
            for (int r = 0; r < 4; ++r) out[4 * t + r] = _mm512_reduce_add_ps(acc[r][t]);
    }
};

// --- The variant's table ------------------------------------------------------------------------------

template <class M>
constexpr WeightKernels entry(GgmlType type) {
    return {type, vec_dot<M>, tile<M>};
}

#if defined(CHORD_AVX512_VNNI)
// Below kMinTokens tokens the tile runs the 4-row kernels, above it the lane kernels, whose per-block
// transposition (and gathers) are paid back over several tokens. Measured: for the nibble formats the
// lane kernels are as fast at one token on AMD Zen 4 and 1.6x faster on Intel Sapphire Rapids (1 for
// them); for Q8_0 and the K-quants the 4-row kernels are faster at one token on Zen 4 (up to 2x) and
// level on Intel (4).
template <class Small, class Lanes, size_t kMinTokens>
void hybrid_tile(size_t n, const void* w, size_t w_stride, size_t n_rows, const void* a, size_t a_stride,
                 size_t n_tokens, float* y, size_t y_stride) {
    if (n_tokens < kMinTokens) {
        tile<Small>(n, w, w_stride, n_rows, a, a_stride, n_tokens, y, y_stride);
    } else {
        lane_tile<Lanes>(n, w, w_stride, n_rows, a, a_stride, n_tokens, y, y_stride);
    }
}

template <class Small, class Lanes, size_t kMinTokens>
constexpr WeightKernels lane_entry(GgmlType type) {
    if constexpr (kMinTokens <= 1) {
        return {type, lane_vec_dot<Lanes>, lane_tile<Lanes>};
    } else {
        return {type, vec_dot<Small>, hybrid_tile<Small, Lanes, kMinTokens>};
    }
}
#endif

// Not here, so dispatch falls back to AVX2 for them: Q5_0 (slower than AVX2 in both builds) and, without
// VNNI, Q4_0 and IQ4_NL (the sign handling of two-block registers costs more than it saves), measured on
// AMD Zen 4.
#if defined(CHORD_AVX512_VNNI)
constexpr WeightKernels packed_entry(WeightKernels k, Repack repack, MatmulTile packed_tile) {
    k.repack = repack;
    k.packed_tile = packed_tile;
    return k;
}
#endif

constexpr WeightKernels kWeights[] = {
#if defined(CHORD_AVX512_VNNI)
    packed_entry(lane_entry<LegacyMicro<Q4_0Format>, LaneMicro<Q4_0Lanes>, 1>(GgmlType::Q4_0), repack_q4_0,
                 q4_0_packed_tile),
    lane_entry<LegacyMicro<Q4_1Format>, LaneMicro<Q4_1Lanes>, 1>(GgmlType::Q4_1),
    lane_entry<LegacyMicro<Q8_0Format>, LaneMicro<Q8_0Lanes>, 4>(GgmlType::Q8_0),
    lane_entry<LegacyMicro<IQ4_NLFormat>, LaneMicro<IQ4_NLLanes>, 1>(GgmlType::IQ4_NL),
    packed_entry(lane_entry<KMicro<Q4_KFormat>, K4LaneMicro<false>, 4>(GgmlType::Q4_K), repack_q4_K,
                 packed_lane_tile<K4LaneMicro<false, true>>),
    lane_entry<KMicro<Q5_KFormat>, K4LaneMicro<true>, 4>(GgmlType::Q5_K),
    lane_entry<KMicro<Q6_KFormat>, Q6_KLaneMicro, 4>(GgmlType::Q6_K),
#else
    entry<LegacyMicro<Q4_1Format>>(GgmlType::Q4_1), entry<LegacyMicro<Q8_0Format>>(GgmlType::Q8_0),
    entry<KMicro<Q4_KFormat>>(GgmlType::Q4_K),      entry<KMicro<Q5_KFormat>>(GgmlType::Q5_K),
    entry<KMicro<Q6_KFormat>>(GgmlType::Q6_K),
#endif
    entry<LegacyMicro<Q5_1Format>>(GgmlType::Q5_1),
    entry<FloatMicro<F32Format>>(GgmlType::F32),
    entry<FloatMicro<F16Format>>(GgmlType::F16),
    entry<FloatMicro<BF16Format>>(GgmlType::BF16),
};

}  // namespace

#if defined(CHORD_AVX512_VNNI)
extern const Variant kAvx512VnniVariant = {"avx512-vnni", kWeights, sizeof kWeights / sizeof kWeights[0],
                                           nullptr, 0};
#else
extern const Variant kAvx512Variant = {"avx512", kWeights, sizeof kWeights / sizeof kWeights[0], nullptr, 0};
#endif

}  // namespace chord::kernels

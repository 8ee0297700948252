// AVX2 (+FMA, F16C) kernels: dot products of every common weight format with its activation format,
// in tiles of 4 weight rows by 1-2 tokens, and the activation quantizers to Q8_0, Q8_1, Q8_K, F16
// and BF16.
// This file alone is compiled with -mavx2 -mfma -mf16c, and dispatch.cpp calls it only after cpuid
// said the CPU has those; it therefore uses no inline function of a shared header (a copy compiled
// here could be picked by the linker for baseline code) and no standard-library templates.
//
// Numerics: the 32-element formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL), IQ4_XS and Q2_K sum each
// block's (group's, super-block's) products exactly in integers and then apply the scales in the
// reference's float order, one (row, token) pair per float lane, so they give the scalar reference's
// floats bit for bit. Q3_K..Q6_K keep exact integer sums per super-block but combine them in an order
// of their own (the reference spreads them over eight float lanes), and the float formats accumulate
// in float with FMA where the reference sums in double: those differ from the reference by float
// rounding only. The quantizers are bit-exact.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

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

inline __m256i load256(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
inline __m128i load128(const void* p) {
    return _mm_loadu_si128(static_cast<const __m128i*>(p));
}

template <typename Block>
const Block* blocks(const uint8_t* row) {
    return static_cast<const Block*>(static_cast<const void*>(row));
}

inline float half_to_float(uint16_t h) {
    return _cvtsh_ss(h);
}

// Round to nearest even, like fp32_to_fp16 (clang's _cvtss_sh is a macro that -Wpedantic rejects).
inline uint16_t float_to_half(float f) {
    return static_cast<uint16_t>(
        _mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT), 0));
}

// Four fp16 values (one per row) as floats.
inline __m128 halves4(uint16_t h0, uint16_t h1, uint16_t h2, uint16_t h3) {
    return _mm_cvtph_ps(_mm_setr_epi16(static_cast<short>(h0), static_cast<short>(h1), static_cast<short>(h2),
                                       static_cast<short>(h3), 0, 0, 0, 0));
}

// The totals of four int32x8 vectors: lane i = sum of vi's lanes.
inline __m128i sum4_epi32(__m256i v0, __m256i v1, __m256i v2, __m256i v3) {
    const __m256i s = _mm256_hadd_epi32(_mm256_hadd_epi32(v0, v1), _mm256_hadd_epi32(v2, v3));
    return _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
}

inline float hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline int hmax_epi32(__m256i v) {
    __m128i m = _mm_max_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    m = _mm_max_epi32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
    m = _mm_max_epi32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(m);
}

inline int hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

// Sum of u8 x s8 products, four per int32 lane. Exact while no pair of products exceeds int16, which
// holds for every use here (|u| <= 128 with |s| <= 127).
inline __m256i dot_u8s8(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// 16 packed bytes of nibbles -> 32 bytes in element order: low nibbles, then high nibbles.
inline __m256i unpack_nibbles(__m128i q) {
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0f));
}

// Byte j = 0x10 where bit j of `bits` is set, else 0 (the fifth bit of Q5_0 / Q5_1 quants).
inline __m256i fifth_bits(const uint8_t qh[4]) {
    uint32_t bits;
    std::memcpy(&bits, qh, 4);
    const __m256i spread =
        _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)),
                            _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2,
                                             2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    const __m256i select = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
    const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select);
    return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

// Reading four rows side by side starts four short streams every few KiB, which the hardware
// prefetcher of some CPUs never catches (measured: 2.5x below a plain sequential read of the same
// rows). The four rows of a tile are one contiguous region, and so are the next four: while a micro-
// kernel works through its rows it prefetches the next group's region at the same pace, `bytes` per
// step of `step_bytes` of its own rows.
template <size_t kBytes>
inline void prefetch_next(const uint8_t* next, size_t step) {
    for (size_t off = 0; off < kBytes; off += 64)
        _mm_prefetch(reinterpret_cast<const char*>(next + step * kBytes + off), _MM_HINT_T0);
}

// --- Tiles: 4 weight rows x T tokens -----------------------------------------------------------------
//
// A micro-kernel M computes out[t * 4 + i] = dot(w[i], a[t]) for 4 row pointers (repeated to pad a
// short tile) and T <= M::kMaxTokens token pointers.

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
    constexpr size_t kT = M::kMaxTokens;
    const auto* wb = static_cast<const uint8_t*>(w);
    const auto* ab = static_cast<const uint8_t*>(a);
    float out[4 * kT];
    for (size_t r = 0; r < n_rows; r += 4) {
        const size_t nr = n_rows - r < 4 ? n_rows - r : 4;
        const uint8_t* wr[4];
        for (size_t i = 0; i < 4; ++i) wr[i] = wb + (r + (i < nr ? i : nr - 1)) * w_stride;
        // the next group's rows, or (last group) these again: a prefetch of cached lines costs little
        const uint8_t* next = r + 4 < n_rows ? wb + (r + 4) * w_stride : wr[0];
        for (size_t t = 0; t < n_tokens; t += kT) {
            const size_t nt = n_tokens - t < kT ? n_tokens - t : kT;
            const uint8_t* at = ab + t * a_stride;
            if constexpr (kT >= 4) {
                if (nt == 4) run_micro<M, (kT >= 4 ? 4 : 1)>(n, wr, next, at, a_stride, out);
            }
            if constexpr (kT >= 3) {
                if (nt == 3) run_micro<M, (kT >= 3 ? 3 : 1)>(n, wr, next, at, a_stride, out);
            }
            if (nt == 2) run_micro<M, 2>(n, wr, next, at, a_stride, out);
            if (nt == 1) run_micro<M, 1>(n, wr, next, at, a_stride, out);
            for (size_t j = 0; j < nt; ++j)
                for (size_t i = 0; i < nr; ++i) y[(t + j) * y_stride + r + i] = out[j * 4 + i];
        }
    }
}

// --- 32-element formats ------------------------------------------------------------------------------
//
// Per block: each row's quants as 32 bytes, their exact dot with each token's quants, the four rows'
// sums gathered in one int32x4, then the reference's float formula with one (row, token) per lane.

// Signed weights use the sign trick: |w| (unsigned) times a with w's sign.
struct SignedRow {
    __m256i w, abs;
    explicit SignedRow(__m256i q) : w(q), abs(_mm256_sign_epi8(q, q)) {}
    __m256i dot(__m256i a) const { return dot_u8s8(abs, _mm256_sign_epi8(a, w)); }
};

struct UnsignedRow {
    __m256i w;
    __m256i dot(__m256i a) const { return dot_u8s8(w, a); }
};

// The block scales of four (row, token) lanes, as floats: d_w, d_a and, for Q4_1 / Q5_1 x Q8_1, m_w, s_a.
struct Scales4 {
    __m128 dw, da, mw, sa;
};

struct Q4_0Format {
    using WBlock = BlockQ4_0;
    using ABlock = BlockQ8_0;
    using Row = SignedRow;
    static Row row(const WBlock& b) {
        return Row(_mm256_sub_epi8(unpack_nibbles(load128(b.qs)), _mm256_set1_epi8(8)));
    }
    // sum += (sumi * d_w) * d_a
    static __m128 term(__m128 sumi, const Scales4& s) { return _mm_mul_ps(_mm_mul_ps(sumi, s.dw), s.da); }
};

struct Q8_0Format {
    using WBlock = BlockQ8_0;
    using ABlock = BlockQ8_0;
    using Row = SignedRow;
    static Row row(const WBlock& b) { return Row(load256(b.qs)); }
    // sum += sumi * (d_w * d_a)
    static __m128 term(__m128 sumi, const Scales4& s) { return _mm_mul_ps(sumi, _mm_mul_ps(s.dw, s.da)); }
};

struct Q5_0Format {
    using WBlock = BlockQ5_0;
    using ABlock = BlockQ8_0;
    using Row = SignedRow;
    static Row row(const WBlock& b) {
        const __m256i q = _mm256_or_si256(unpack_nibbles(load128(b.qs)), fifth_bits(b.qh));
        return Row(_mm256_sub_epi8(q, _mm256_set1_epi8(16)));
    }
    // sum += (d_w * d_a) * sumi
    static __m128 term(__m128 sumi, const Scales4& s) { return _mm_mul_ps(_mm_mul_ps(s.dw, s.da), sumi); }
};

struct IQ4_NLFormat {
    using WBlock = BlockIQ4_NL;
    using ABlock = BlockQ8_0;
    using Row = SignedRow;
    static Row row(const WBlock& b) {
        const __m256i levels = _mm256_broadcastsi128_si256(load128(quant::kIq4nlLevels));
        return Row(_mm256_shuffle_epi8(levels, unpack_nibbles(load128(b.qs))));
    }
    // sum += (d_a * d_w) * sumi
    static __m128 term(__m128 sumi, const Scales4& s) { return _mm_mul_ps(_mm_mul_ps(s.da, s.dw), sumi); }
};

// Q4_1 / Q5_1 x Q8_1: sum += ((d_w * d_a) * sumi) + (m_w * s_a)
inline __m128 offset_term(__m128 sumi, const Scales4& s) {
    return _mm_add_ps(_mm_mul_ps(_mm_mul_ps(s.dw, s.da), sumi), _mm_mul_ps(s.mw, s.sa));
}

struct Q4_1Format {
    using WBlock = BlockQ4_1;
    using ABlock = BlockQ8_1;
    using Row = UnsignedRow;
    static Row row(const WBlock& b) { return Row{unpack_nibbles(load128(b.qs))}; }
    static __m128 term(__m128 sumi, const Scales4& s) { return offset_term(sumi, s); }
};

struct Q5_1Format {
    using WBlock = BlockQ5_1;
    using ABlock = BlockQ8_1;
    using Row = UnsignedRow;
    static Row row(const WBlock& b) {
        return Row{_mm256_or_si256(unpack_nibbles(load128(b.qs)), fifth_bits(b.qh))};
    }
    static __m128 term(__m128 sumi, const Scales4& s) { return offset_term(sumi, s); }
};

template <typename B>
constexpr bool kHasOffset = false;
template <>
constexpr bool kHasOffset<BlockQ4_1> = true;
template <>
constexpr bool kHasOffset<BlockQ5_1> = true;

// The weight side of Scales4 for four blocks (of four rows, or four consecutive blocks of one row).
template <typename WBlock>
void weight_scales(const WBlock* const* w, Scales4& s) {
    s.dw = halves4(w[0]->d, w[1]->d, w[2]->d, w[3]->d);
    if constexpr (kHasOffset<WBlock>) s.mw = halves4(w[0]->m, w[1]->m, w[2]->m, w[3]->m);
}

template <class F>
struct LegacyMicro {
    static constexpr size_t kMaxTokens = 2;

    template <int T>
    static void run(size_t n, const uint8_t* const* w, const uint8_t* next, const uint8_t* const* a,
                    float* out) {
        using WBlock = typename F::WBlock;
        using ABlock = typename F::ABlock;
        const WBlock* wr[4] = {blocks<WBlock>(w[0]), blocks<WBlock>(w[1]), blocks<WBlock>(w[2]),
                               blocks<WBlock>(w[3])};
        const ABlock* ar[T];
        __m128 acc[T];
        for (int t = 0; t < T; ++t) {
            ar[t] = blocks<ABlock>(a[t]);
            acc[t] = _mm_setzero_ps();
        }
        for (size_t b = 0; b < n / quant::kBlockSize; ++b) {
            const WBlock* wb[4] = {wr[0] + b, wr[1] + b, wr[2] + b, wr[3] + b};
            prefetch_next<4 * sizeof(WBlock)>(next, b);
            const typename F::Row r0 = F::row(*wb[0]), r1 = F::row(*wb[1]), r2 = F::row(*wb[2]),
                                  r3 = F::row(*wb[3]);
            Scales4 sc;
            weight_scales(wb, sc);
            for (int t = 0; t < T; ++t) {
                const __m256i q = load256(ar[t][b].qs);
                const __m128i sumi = sum4_epi32(r0.dot(q), r1.dot(q), r2.dot(q), r3.dot(q));
                sc.da = _mm_set1_ps(half_to_float(ar[t][b].d));
                if constexpr (kHasOffset<WBlock>) sc.sa = _mm_set1_ps(half_to_float(ar[t][b].s));
                acc[t] = _mm_add_ps(acc[t], F::term(_mm_cvtepi32_ps(sumi), sc));
            }
        }
        for (int t = 0; t < T; ++t) _mm_storeu_ps(out + 4 * t, acc[t]);
    }
};

// --- K-quants (256-element super-blocks against Q8_K) ------------------------------------------------
//
// Per super-block and (row, token): an int32x8 sum of scale * quant * activation and one of the
// sub-block "mins" (scale * bsum), both exact; the four rows' pairs are folded into int32x4 vectors
// and finished in float by the format.

// Selects int16 lane j of a 128-bit vector into every lane of both halves.
inline __m256i broadcast_lane16(__m256i both_halves, int j) {
    return _mm256_shuffle_epi8(both_halves, _mm256_set1_epi16(static_cast<short>(0x0100 + 0x0202 * j)));
}

// Q4_K / Q5_K: the 6-bit scales (low 8 bytes) and mins (high 8 bytes) of a super-block.
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

template <int T, bool kFifthBit, typename Block>
void k4_row_sums(const Block& x, const BlockQ8_K* const* a, size_t b, __m256i* isum, __m256i* msum) {
    const __m128i sm = k4_scales_mins(x.scales);
    const __m256i scales = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(sm));
    const __m128i mins = _mm_cvtepu8_epi16(_mm_unpackhi_epi64(sm, sm));
    const __m256i mins_rep = _mm256_set_m128i(_mm_unpackhi_epi16(mins, mins), _mm_unpacklo_epi16(mins, mins));
    for (int t = 0; t < T; ++t) {
        msum[t] = _mm256_madd_epi16(load256(a[t][b].bsums), mins_rep);
        isum[t] = _mm256_setzero_si256();
    }
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    __m256i high = _mm256_setzero_si256();
    if constexpr (kFifthBit) high = load256(x.qh);
    for (int c = 0; c < 4; ++c) {
        const __m256i q = load256(x.qs + 32 * c);
        __m256i lo = _mm256_and_si256(q, low4);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
        if constexpr (kFifthBit) {
            // bits 2c and 2c + 1 of qh, moved to bit 4 (the shifts by 2 below walk c forward)
            const __m256i bit4 = _mm256_set1_epi8(0x10);
            lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(high, 4), bit4));
            hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(high, 3), bit4));
            high = _mm256_srli_epi16(high, 2);
        }
        const __m256i sc_lo = broadcast_lane16(scales, 2 * c);
        const __m256i sc_hi = broadcast_lane16(scales, 2 * c + 1);
        for (int t = 0; t < T; ++t) {
            const int8_t* q8 = a[t][b].qs + 64 * c;
            const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, load256(q8)), sc_lo);
            const __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, load256(q8 + 32)), sc_hi);
            isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(p_lo, p_hi));
        }
    }
}

struct Q4_KFormat {
    using WBlock = BlockQ4_K;
    template <int T>
    static void row_sums(const WBlock& x, const BlockQ8_K* const* a, size_t b, __m256i* isum, __m256i* msum) {
        k4_row_sums<T, false>(x, a, b, isum, msum);
    }
    // sum += d_w d_a isum - dmin_w d_a msum
    static __m256 row_finish(__m256 acc, __m256i isum, __m256i msum, const WBlock& x, float da) {
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half_to_float(x.d) * da), _mm256_cvtepi32_ps(isum), acc);
        return _mm256_fnmadd_ps(_mm256_set1_ps(half_to_float(x.dmin) * da), _mm256_cvtepi32_ps(msum), acc);
    }
    static __m128 finish(__m128 acc, __m128i isum, __m128i msum, const WBlock* const* w, __m128 da) {
        const __m128 d = _mm_mul_ps(halves4(w[0]->d, w[1]->d, w[2]->d, w[3]->d), da);
        const __m128 dmin = _mm_mul_ps(halves4(w[0]->dmin, w[1]->dmin, w[2]->dmin, w[3]->dmin), da);
        acc = _mm_fmadd_ps(d, _mm_cvtepi32_ps(isum), acc);
        return _mm_fnmadd_ps(dmin, _mm_cvtepi32_ps(msum), acc);
    }
};

struct Q5_KFormat {
    using WBlock = BlockQ5_K;
    template <int T>
    static void row_sums(const WBlock& x, const BlockQ8_K* const* a, size_t b, __m256i* isum, __m256i* msum) {
        k4_row_sums<T, true>(x, a, b, isum, msum);
    }
    static __m256 row_finish(__m256 acc, __m256i isum, __m256i msum, const WBlock& x, float da) {
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half_to_float(x.d) * da), _mm256_cvtepi32_ps(isum), acc);
        return _mm256_fnmadd_ps(_mm256_set1_ps(half_to_float(x.dmin) * da), _mm256_cvtepi32_ps(msum), acc);
    }
    static __m128 finish(__m128 acc, __m128i isum, __m128i msum, const WBlock* const* w, __m128 da) {
        const __m128 d = _mm_mul_ps(halves4(w[0]->d, w[1]->d, w[2]->d, w[3]->d), da);
        const __m128 dmin = _mm_mul_ps(halves4(w[0]->dmin, w[1]->dmin, w[2]->dmin, w[3]->dmin), da);
        acc = _mm_fmadd_ps(d, _mm_cvtepi32_ps(isum), acc);
        return _mm_fnmadd_ps(dmin, _mm_cvtepi32_ps(msum), acc);
    }
};

// Q6_K: quants 0..63 with the offset 32 applied through the scaled bsums: isum - 32 msum.
struct Q6_KFormat {
    using WBlock = BlockQ6_K;
    template <int T>
    static void row_sums(const WBlock& x, const BlockQ8_K* const* a, size_t b, __m256i* isum, __m256i* msum) {
        const __m256i sc16 = _mm256_cvtepi8_epi16(load128(x.scales));
        for (int t = 0; t < T; ++t) {
            msum[t] = _mm256_madd_epi16(load256(a[t][b].bsums), sc16);
            isum[t] = _mm256_setzero_si256();
        }
        const __m256i low4 = _mm256_set1_epi8(0x0f);
        const __m256i bits45 = _mm256_set1_epi8(0x30);
        for (int h = 0; h < 2; ++h) {
            // scales of sub-blocks 8h..8h+7 in both halves; a pair (s, s+1) -> [sc_s x8 | sc_s+1 x8]
            const __m256i sc = h == 0 ? _mm256_permute2x128_si256(sc16, sc16, 0x00)
                                      : _mm256_permute2x128_si256(sc16, sc16, 0x11);
            const __m256i ql0 = load256(x.ql + 64 * h);
            const __m256i ql1 = load256(x.ql + 64 * h + 32);
            const __m256i qh = load256(x.qh + 32 * h);
            const __m256i q[4] = {
                _mm256_or_si256(_mm256_and_si256(ql0, low4),
                                _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45)),
                _mm256_or_si256(_mm256_and_si256(ql1, low4),
                                _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                                _mm256_and_si256(qh, bits45)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45)),
            };
            for (int k = 0; k < 4; ++k) {
                const short lo = static_cast<short>(0x0100 + 0x0202 * (2 * k));
                const short hi = static_cast<short>(0x0100 + 0x0202 * (2 * k + 1));
                const __m256i scale = _mm256_shuffle_epi8(
                    sc, _mm256_setr_epi16(lo, lo, lo, lo, lo, lo, lo, lo, hi, hi, hi, hi, hi, hi, hi, hi));
                for (int t = 0; t < T; ++t) {
                    const __m256i p = _mm256_maddubs_epi16(q[k], load256(a[t][b].qs + 128 * h + 32 * k));
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(p, scale));
                }
            }
        }
    }
    static __m256 row_finish(__m256 acc, __m256i isum, __m256i msum, const WBlock& x, float da) {
        const __m256i total = _mm256_sub_epi32(isum, _mm256_slli_epi32(msum, 5));
        return _mm256_fmadd_ps(_mm256_set1_ps(half_to_float(x.d) * da), _mm256_cvtepi32_ps(total), acc);
    }
    static __m128 finish(__m128 acc, __m128i isum, __m128i msum, const WBlock* const* w, __m128 da) {
        const __m128 d = _mm_mul_ps(halves4(w[0]->d, w[1]->d, w[2]->d, w[3]->d), da);
        const __m128i total = _mm_sub_epi32(isum, _mm_slli_epi32(msum, 5));
        return _mm_fmadd_ps(d, _mm_cvtepi32_ps(total), acc);
    }
};

// Scale vectors for the sub-block pairs (s, s + 1) of a 16-sub-block format: int16 scales sc16 (all 16
// in one register) -> [sc_s x8 | sc_s+1 x8] for s = 8h + 2k.
struct PairScales {
    __m256i halves[2];  // sub-blocks 0-7 and 8-15 in both 128-bit lanes
    explicit PairScales(__m256i sc16)
        : halves{_mm256_permute2x128_si256(sc16, sc16, 0x00), _mm256_permute2x128_si256(sc16, sc16, 0x11)} {}
    __m256i get(int h, int k) const {
        const short lo = static_cast<short>(0x0100 + 0x0202 * (2 * k));
        const short hi = static_cast<short>(0x0100 + 0x0202 * (2 * k + 1));
        return _mm256_shuffle_epi8(
            halves[h], _mm256_setr_epi16(lo, lo, lo, lo, lo, lo, lo, lo, hi, hi, hi, hi, hi, hi, hi, hi));
    }
};

// Q2_K: quants 0..3 with 4-bit scales and mins; exact: sum += (d_a d_w) isum - (d_a dmin_w) msum.
struct Q2_KFormat {
    using WBlock = BlockQ2_K;
    template <int T>
    static void row_sums(const WBlock& x, const BlockQ8_K* const* a, size_t b, __m256i* isum, __m256i* msum) {
        const __m128i packed = load128(x.scales);
        const __m256i mins16 =
            _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0f)));
        const PairScales scales(_mm256_cvtepu8_epi16(_mm_and_si128(packed, _mm_set1_epi8(0x0f))));
        for (int t = 0; t < T; ++t) {
            msum[t] = _mm256_madd_epi16(load256(a[t][b].bsums), mins16);
            isum[t] = _mm256_setzero_si256();
        }
        const __m256i low2 = _mm256_set1_epi8(3);
        for (int h = 0; h < 2; ++h) {
            const __m256i q = load256(x.qs + 32 * h);
            for (int k = 0; k < 4; ++k) {
                const __m256i v = _mm256_and_si256(_mm256_srli_epi16(q, 2 * k), low2);
                const __m256i scale = scales.get(h, k);
                for (int t = 0; t < T; ++t) {
                    const __m256i p = _mm256_maddubs_epi16(v, load256(a[t][b].qs + 128 * h + 32 * k));
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(p, scale));
                }
            }
        }
    }
    static __m128 finish(__m128 acc, __m128i isum, __m128i msum, const WBlock* const* w, __m128 da) {
        const __m128 dall = _mm_mul_ps(da, halves4(w[0]->d, w[1]->d, w[2]->d, w[3]->d));
        const __m128 dmin = _mm_mul_ps(da, halves4(w[0]->dmin, w[1]->dmin, w[2]->dmin, w[3]->dmin));
        const __m128 t =
            _mm_sub_ps(_mm_mul_ps(dall, _mm_cvtepi32_ps(isum)), _mm_mul_ps(dmin, _mm_cvtepi32_ps(msum)));
        return _mm_add_ps(acc, t);
    }
};

// Q3_K: quants 0..7 (low 2 bits | high bit << 2) with the offset 4 applied through the scaled bsums,
// 6-bit scales offset by 32.
struct Q3_KFormat {
    using WBlock = BlockQ3_K;
    static __m256i scales16(const uint8_t* packed) {
        uint32_t w0, w1, w2;
        std::memcpy(&w0, packed, 4);
        std::memcpy(&w1, packed + 4, 4);
        std::memcpy(&w2, packed + 8, 4);
        const uint32_t low[4] = {w0 & 0x0f0f0f0fu, w1 & 0x0f0f0f0fu, (w0 >> 4) & 0x0f0f0f0fu,
                                 (w1 >> 4) & 0x0f0f0f0fu};
        uint32_t sc[4];
        for (int q = 0; q < 4; ++q) sc[q] = low[q] | ((w2 >> (2 * q)) & 0x03030303u) << 4;
        const __m128i bytes = _mm_sub_epi8(_mm_setr_epi32(static_cast<int>(sc[0]), static_cast<int>(sc[1]),
                                                          static_cast<int>(sc[2]), static_cast<int>(sc[3])),
                                           _mm_set1_epi8(32));
        return _mm256_cvtepi8_epi16(bytes);
    }
    template <int T>
    static void row_sums(const WBlock& x, const BlockQ8_K* const* a, size_t b, __m256i* isum, __m256i* msum) {
        const __m256i sc16 = scales16(x.scales);
        const PairScales scales(sc16);
        for (int t = 0; t < T; ++t) {
            msum[t] = _mm256_madd_epi16(load256(a[t][b].bsums), sc16);
            isum[t] = _mm256_setzero_si256();
        }
        const __m256i low2 = _mm256_set1_epi8(3);
        const __m256i bit2 = _mm256_set1_epi8(4);
        const __m256i hm = load256(x.hmask);
        for (int h = 0; h < 2; ++h) {
            const __m256i q = load256(x.qs + 32 * h);
            for (int k = 0; k < 4; ++k) {
                // the high bit of element 128h + 32k + l is bit 4h + k of hmask[l]
                const int bit = 4 * h + k;
                const __m256i high =
                    bit >= 2 ? _mm256_srli_epi16(hm, bit - 2) : _mm256_slli_epi16(hm, 2 - bit);
                const __m256i v = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 2 * k), low2),
                                                  _mm256_and_si256(high, bit2));
                const __m256i scale = scales.get(h, k);
                for (int t = 0; t < T; ++t) {
                    const __m256i p = _mm256_maddubs_epi16(v, load256(a[t][b].qs + 128 * h + 32 * k));
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(p, scale));
                }
            }
        }
    }
    static __m256 row_finish(__m256 acc, __m256i isum, __m256i msum, const WBlock& x, float da) {
        const __m256i total = _mm256_sub_epi32(isum, _mm256_slli_epi32(msum, 2));
        return _mm256_fmadd_ps(_mm256_set1_ps(half_to_float(x.d) * da), _mm256_cvtepi32_ps(total), acc);
    }
    static __m128 finish(__m128 acc, __m128i isum, __m128i msum, const WBlock* const* w, __m128 da) {
        const __m128 d = _mm_mul_ps(halves4(w[0]->d, w[1]->d, w[2]->d, w[3]->d), da);
        const __m128i total = _mm_sub_epi32(isum, _mm_slli_epi32(msum, 2));
        return _mm_fmadd_ps(d, _mm_cvtepi32_ps(total), acc);
    }
};

template <class F>
struct KMicro {
    static constexpr size_t kMaxTokens = 2;

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
            // Rows 2p and 2p + 1 fold into [I_2p, M_2p, I_2p+1, M_2p+1] per token.
            __m128i folded[2][T];
            for (int p = 0; p < 2; ++p) {
                __m256i pair[2][T];
                for (int k = 0; k < 2; ++k) {
                    __m256i isum[T], msum[T];
                    F::template row_sums<T>(wr[2 * p + k][b], ar, b, isum, msum);
                    for (int t = 0; t < T; ++t) pair[k][t] = _mm256_hadd_epi32(isum[t], msum[t]);
                }
                for (int t = 0; t < T; ++t) {
                    const __m256i s = _mm256_hadd_epi32(pair[0][t], pair[1][t]);
                    folded[p][t] = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
                }
            }
            const WBlock* wb[4] = {wr[0] + b, wr[1] + b, wr[2] + b, wr[3] + b};
            for (int t = 0; t < T; ++t) {
                const __m128 f0 = _mm_castsi128_ps(folded[0][t]), f1 = _mm_castsi128_ps(folded[1][t]);
                const __m128i isum = _mm_castps_si128(_mm_shuffle_ps(f0, f1, _MM_SHUFFLE(2, 0, 2, 0)));
                const __m128i msum = _mm_castps_si128(_mm_shuffle_ps(f0, f1, _MM_SHUFFLE(3, 1, 3, 1)));
                acc[t] = F::finish(acc[t], isum, msum, wb, _mm_set1_ps(ar[t][b].d));
            }
        }
        for (int t = 0; t < T; ++t) _mm_storeu_ps(out + 4 * t, acc[t]);
    }
};

// --- IQ4_XS: 32-element groups of a 256-element super-block --------------------------------------------
//
// One float step per group, as the reference: sum += (d_w d_a (ls - 32)) * sumi, so group sums are
// reduced per group like the 32-element formats and the result is bit-exact.

struct IQ4_XSMicro {
    static constexpr size_t kMaxTokens = 2;

    static int group_scale(const BlockIQ4_XS& x, int g) {
        return (((x.scales_l[g / 2] >> (4 * (g % 2))) & 0xf) | ((x.scales_h >> (2 * g)) & 3) << 4) - 32;
    }

    template <int T>
    static void run(size_t n, const uint8_t* const* w, const uint8_t* next, const uint8_t* const* a,
                    float* out) {
        const BlockIQ4_XS* wr[4] = {blocks<BlockIQ4_XS>(w[0]), blocks<BlockIQ4_XS>(w[1]),
                                    blocks<BlockIQ4_XS>(w[2]), blocks<BlockIQ4_XS>(w[3])};
        const BlockQ8_K* ar[T];
        __m128 acc[T];
        for (int t = 0; t < T; ++t) {
            ar[t] = blocks<BlockQ8_K>(a[t]);
            acc[t] = _mm_setzero_ps();
        }
        const __m256i levels = _mm256_broadcastsi128_si256(load128(quant::kIq4nlLevels));
        for (size_t b = 0; b < n / quant::kSuperBlockSize; ++b) {
            prefetch_next<4 * sizeof(BlockIQ4_XS)>(next, b);
            const BlockIQ4_XS* x[4] = {wr[0] + b, wr[1] + b, wr[2] + b, wr[3] + b};
            const __m128 dw = halves4(x[0]->d, x[1]->d, x[2]->d, x[3]->d);
            __m128 d[T];
            for (int t = 0; t < T; ++t) d[t] = _mm_mul_ps(dw, _mm_set1_ps(ar[t][b].d));
            for (int g = 0; g < 8; ++g) {
                const __m128 ls =
                    _mm_cvtepi32_ps(_mm_setr_epi32(group_scale(*x[0], g), group_scale(*x[1], g),
                                                   group_scale(*x[2], g), group_scale(*x[3], g)));
                SignedRow rows[4] = {
                    SignedRow(_mm256_shuffle_epi8(levels, unpack_nibbles(load128(x[0]->qs + 16 * g)))),
                    SignedRow(_mm256_shuffle_epi8(levels, unpack_nibbles(load128(x[1]->qs + 16 * g)))),
                    SignedRow(_mm256_shuffle_epi8(levels, unpack_nibbles(load128(x[2]->qs + 16 * g)))),
                    SignedRow(_mm256_shuffle_epi8(levels, unpack_nibbles(load128(x[3]->qs + 16 * g)))),
                };
                for (int t = 0; t < T; ++t) {
                    const __m256i q = load256(ar[t][b].qs + 32 * g);
                    const __m128i sumi =
                        sum4_epi32(rows[0].dot(q), rows[1].dot(q), rows[2].dot(q), rows[3].dot(q));
                    acc[t] = _mm_add_ps(acc[t], _mm_mul_ps(_mm_mul_ps(d[t], ls), _mm_cvtepi32_ps(sumi)));
                }
            }
        }
        for (int t = 0; t < T; ++t) _mm_storeu_ps(out + 4 * t, acc[t]);
    }
};

// --- Float rows --------------------------------------------------------------------------------------

struct F32Format {
    static constexpr size_t kBytes = 4;
    static __m256 load8(const uint8_t* row, size_t i) {
        return _mm256_loadu_ps(static_cast<const float*>(static_cast<const void*>(row)) + i);
    }
    static float get(const uint8_t* row, size_t i) {
        return static_cast<const float*>(static_cast<const void*>(row))[i];
    }
};

struct F16Format {
    static constexpr size_t kBytes = 2;
    static __m256 load8(const uint8_t* row, size_t i) { return _mm256_cvtph_ps(load128(row + 2 * i)); }
    static float get(const uint8_t* row, size_t i) {
        uint16_t h;
        std::memcpy(&h, row + 2 * i, 2);
        return half_to_float(h);
    }
};

struct BF16Format {
    static constexpr size_t kBytes = 2;
    static __m256 load8(const uint8_t* row, size_t i) {
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(load128(row + 2 * i)), 16));
    }
    static float get(const uint8_t* row, size_t i) {
        uint16_t h;
        std::memcpy(&h, row + 2 * i, 2);
        const uint32_t bits = static_cast<uint32_t>(h) << 16;
        float f;
        std::memcpy(&f, &bits, 4);
        return f;
    }
};

template <class F>
struct FloatMicro {
    static constexpr size_t kMaxTokens = 2;

    template <int T>
    static void run(size_t n, const uint8_t* const* w, const uint8_t* next, const uint8_t* const* a,
                    float* out) {
        __m256 acc[4][T];
        for (int r = 0; r < 4; ++r)
            for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            prefetch_next<4 * F::kBytes * 8>(next, i / 8);
            const __m256 w0 = F::load8(w[0], i), w1 = F::load8(w[1], i), w2 = F::load8(w[2], i),
                         w3 = F::load8(w[3], i);
            for (int t = 0; t < T; ++t) {
                const __m256 x = F::load8(a[t], i);
                acc[0][t] = _mm256_fmadd_ps(w0, x, acc[0][t]);
                acc[1][t] = _mm256_fmadd_ps(w1, x, acc[1][t]);
                acc[2][t] = _mm256_fmadd_ps(w2, x, acc[2][t]);
                acc[3][t] = _mm256_fmadd_ps(w3, x, acc[3][t]);
            }
        }
        for (int t = 0; t < T; ++t) {
            for (int r = 0; r < 4; ++r) {
                float s = hsum_ps(acc[r][t]);
                for (size_t j = i; j < n; ++j) s += F::get(w[r], j) * F::get(a[t], j);
                out[4 * t + r] = s;
            }
        }
    }
};

// --- Matrix-vector: one row at a time ------------------------------------------------------------------
//
// With a single token the tiles' four rows buy nothing (the activation row is in L1 either way) and
// cost a lot on CPUs whose prefetchers want few long streams: on AMD Zen 4 four interleaved rows stream
// at ~60-80% of one sequential read. These kernels read one row after the other, the whole matrix one
// sequential stream. Lanes hold four consecutive blocks (super-blocks, groups) of the row instead of
// four rows; their float terms are then added to the row's sum one by one in block order, so the
// formats that are bit-exact above stay bit-exact.

// Adds the four lanes of `terms` to `sum` in lane order.
inline float add_in_order(float sum, __m128 terms) {
    alignas(16) float t[4];
    _mm_store_ps(t, terms);
    return (((sum + t[0]) + t[1]) + t[2]) + t[3];
}

template <class F>
float legacy_row(size_t n, const uint8_t* w, const uint8_t* a) {
    using WBlock = typename F::WBlock;
    using ABlock = typename F::ABlock;
    const WBlock* x = blocks<WBlock>(w);
    const ABlock* y = blocks<ABlock>(a);
    const size_t nb = n / quant::kBlockSize;
    float sum = 0.0f;
    size_t b = 0;
    for (; b + 4 <= nb; b += 4) {
        __m256i dots[4];
        for (int i = 0; i < 4; ++i) dots[i] = F::row(x[b + i]).dot(load256(y[b + i].qs));
        const __m128i sumi = sum4_epi32(dots[0], dots[1], dots[2], dots[3]);
        const WBlock* wb[4] = {x + b, x + b + 1, x + b + 2, x + b + 3};
        Scales4 sc;
        weight_scales(wb, sc);
        sc.da = halves4(y[b].d, y[b + 1].d, y[b + 2].d, y[b + 3].d);
        if constexpr (kHasOffset<WBlock>) sc.sa = halves4(y[b].s, y[b + 1].s, y[b + 2].s, y[b + 3].s);
        sum = add_in_order(sum, F::term(_mm_cvtepi32_ps(sumi), sc));
    }
    for (; b < nb; ++b) {  // the last blocks one at a time (lane 0)
        const __m256i dot = F::row(x[b]).dot(load256(y[b].qs));
        const __m128i sumi = _mm_set1_epi32(hsum_epi32(dot));
        const WBlock* wb[4] = {x + b, x + b, x + b, x + b};
        Scales4 sc;
        weight_scales(wb, sc);
        sc.da = _mm_set1_ps(half_to_float(y[b].d));
        if constexpr (kHasOffset<WBlock>) sc.sa = _mm_set1_ps(half_to_float(y[b].s));
        sum += _mm_cvtss_f32(F::term(_mm_cvtepi32_ps(sumi), sc));
    }
    return sum;
}

template <class F>
float k_row(size_t n, const uint8_t* w, const uint8_t* a) {
    using WBlock = typename F::WBlock;
    const WBlock* x = blocks<WBlock>(w);
    const BlockQ8_K* y = blocks<BlockQ8_K>(a);
    const size_t nb = n / quant::kSuperBlockSize;
    float sum = 0.0f;
    for (size_t b = 0; b < nb; b += 4) {
        const size_t m = nb - b < 4 ? nb - b : 4;  // super-blocks in this step (lanes beyond are unused)
        __m256i isum[4], msum[4];
        for (size_t i = 0; i < 4; ++i) {
            const size_t bi = b + (i < m ? i : 0);
            F::template row_sums<1>(x[bi], &y, bi, &isum[i], &msum[i]);
        }
        const WBlock* wb[4] = {x + b, x + b + (m > 1), x + b + 2 * (m > 2), x + b + 3 * (m > 3)};
        const __m128 da = _mm_setr_ps(y[b].d, y[b + (m > 1)].d, y[b + 2 * (m > 2)].d, y[b + 3 * (m > 3)].d);
        const __m128 terms = F::finish(_mm_setzero_ps(), sum4_epi32(isum[0], isum[1], isum[2], isum[3]),
                                       sum4_epi32(msum[0], msum[1], msum[2], msum[3]), wb, da);
        alignas(16) float t[4];
        _mm_store_ps(t, terms);
        for (size_t i = 0; i < m; ++i) sum += t[i];
    }
    return sum;
}

// Q3_K..Q6_K are not bit-exact with the reference anyway: their row kernel keeps eight float lanes per
// row and reduces once at the end, instead of once per super-block.
template <class F>
float k_row_lanes(size_t n, const uint8_t* w, const uint8_t* a) {
    using WBlock = typename F::WBlock;
    const WBlock* x = blocks<WBlock>(w);
    const BlockQ8_K* y = blocks<BlockQ8_K>(a);
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < n / quant::kSuperBlockSize; ++b) {
        __m256i isum, msum;
        F::template row_sums<1>(x[b], &y, b, &isum, &msum);
        acc = F::row_finish(acc, isum, msum, x[b], y[b].d);
    }
    return hsum_ps(acc);
}

inline float iq4_xs_row(size_t n, const uint8_t* w, const uint8_t* a) {
    const BlockIQ4_XS* x = blocks<BlockIQ4_XS>(w);
    const BlockQ8_K* y = blocks<BlockQ8_K>(a);
    const __m256i levels = _mm256_broadcastsi128_si256(load128(quant::kIq4nlLevels));
    float sum = 0.0f;
    for (size_t b = 0; b < n / quant::kSuperBlockSize; ++b) {
        const __m128 d = _mm_set1_ps(half_to_float(x[b].d) * y[b].d);
        for (int g0 = 0; g0 < 8; g0 += 4) {  // four groups per step, one per lane
            __m256i dots[4];
            for (int i = 0; i < 4; ++i) {
                const SignedRow q(
                    _mm256_shuffle_epi8(levels, unpack_nibbles(load128(x[b].qs + 16 * (g0 + i)))));
                dots[i] = q.dot(load256(y[b].qs + 32 * (g0 + i)));
            }
            const __m128 ls = _mm_cvtepi32_ps(_mm_setr_epi32(
                IQ4_XSMicro::group_scale(x[b], g0), IQ4_XSMicro::group_scale(x[b], g0 + 1),
                IQ4_XSMicro::group_scale(x[b], g0 + 2), IQ4_XSMicro::group_scale(x[b], g0 + 3)));
            const __m128 sumi = _mm_cvtepi32_ps(sum4_epi32(dots[0], dots[1], dots[2], dots[3]));
            sum = add_in_order(sum, _mm_mul_ps(_mm_mul_ps(d, ls), sumi));
        }
    }
    return sum;
}

template <class F>
float float_row(size_t n, const uint8_t* w, const uint8_t* a) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 4; ++k)
            acc[k] = _mm256_fmadd_ps(F::load8(w, i + 8 * k), F::load8(a, i + 8 * k), acc[k]);
    for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(F::load8(w, i), F::load8(a, i), acc[0]);
    float s = hsum_ps(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; i < n; ++i) s += F::get(w, i) * F::get(a, i);
    return s;
}

// The matrix-vector kernels as tiles: every row against every token, rows inner.
template <float (*Row)(size_t, const uint8_t*, const uint8_t*)>
void row_tile(size_t n, const void* w, size_t w_stride, size_t n_rows, const void* a, size_t a_stride,
              size_t n_tokens, float* y, size_t y_stride) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const auto* ab = static_cast<const uint8_t*>(a);
    for (size_t t = 0; t < n_tokens; ++t)
        for (size_t r = 0; r < n_rows; ++r)
            y[t * y_stride + r] = Row(n, wb + r * w_stride, ab + t * a_stride);
}

template <float (*Row)(size_t, const uint8_t*, const uint8_t*)>
float row_vec_dot(size_t n, const void* w, const void* a) {
    return Row(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a));
}

// --- Activation quantizers ---------------------------------------------------------------------------

constexpr int kNonFinite = 0x7f800000;  // |x| bits at or above this: infinity or NaN

inline __m256i abs_bits(__m256 v) {
    return _mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32(0x7fffffff));
}

// Round half away from zero, exactly (the float's integer and fractional parts are exact).
inline __m256i round_away(__m256 v) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 whole = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 frac = _mm256_andnot_ps(sign, _mm256_sub_ps(v, whole));
    const __m256 up = _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
    const __m256 one = _mm256_or_ps(_mm256_and_ps(v, sign), _mm256_set1_ps(1.0f));
    return _mm256_cvttps_epi32(_mm256_add_ps(whole, _mm256_and_ps(up, one)));
}

// 32 int32 values in [-128, 127] as 32 bytes in order.
inline __m256i pack_bytes(__m256i v0, __m256i v1, __m256i v2, __m256i v3) {
    const __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(v0, v1), _mm256_packs_epi32(v2, v3));
    return _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

inline bool is_finite(float f) {
    return __builtin_fabsf(f) <= 3.40282347e38f;
}

// Q8_0 / Q8_1 of one 32-element block: d = max|x| / 127, q = round(x / d). False (nothing written)
// for a block the reference must handle: a non-finite value, or a scale whose inverse overflows.
template <typename Block>
bool quantize_block_q8(const float* x, Block& y, float& d_out, int& sum) {
    __m256 v[4];
    __m256i m = _mm256_setzero_si256();
    for (int i = 0; i < 4; ++i) {
        v[i] = _mm256_loadu_ps(x + 8 * i);
        m = _mm256_max_epi32(m, abs_bits(v[i]));
    }
    const int amax_bits = hmax_epi32(m);
    if (amax_bits >= kNonFinite) return false;
    float amax;
    std::memcpy(&amax, &amax_bits, 4);
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    if (!is_finite(id)) return false;
    y.d = float_to_half(d);
    d_out = d;
    const __m256 scale = _mm256_set1_ps(id);
    __m256i q[4];
    for (int i = 0; i < 4; ++i) q[i] = round_away(_mm256_mul_ps(v[i], scale));
    _mm256_storeu_si256(static_cast<__m256i*>(static_cast<void*>(y.qs)), pack_bytes(q[0], q[1], q[2], q[3]));
    sum = hsum_epi32(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
    return true;
}

void quantize_q8_0(const float* x, void* vy, size_t n) {
    auto* y = static_cast<BlockQ8_0*>(vy);
    for (size_t b = 0; b < n / quant::kBlockSize; ++b) {
        float d;
        int sum;
        if (!quantize_block_q8(x + 32 * b, y[b], d, sum)) quant::quantize_row_q8_0(x + 32 * b, &y[b], 32);
    }
}

void quantize_q8_1(const float* x, void* vy, size_t n) {
    auto* y = static_cast<BlockQ8_1*>(vy);
    for (size_t b = 0; b < n / quant::kBlockSize; ++b) {
        float d;
        int sum;
        if (!quantize_block_q8(x + 32 * b, y[b], d, sum)) {
            quant::quantize_row_q8_1(x + 32 * b, &y[b], 32);
            continue;
        }
        y[b].s = float_to_half(static_cast<float>(sum) * d);
    }
}

// Q8_K of one super-block: d = extreme / -127 for the first element of largest magnitude, q rounded to
// nearest even and capped at 127, bsums per 16.
void quantize_q8_K(const float* x, void* vy, size_t n) {
    auto* y = static_cast<BlockQ8_K*>(vy);
    for (size_t b = 0; b < n / quant::kSuperBlockSize; ++b) {
        const float* xb = x + quant::kSuperBlockSize * b;
        __m256i m = _mm256_setzero_si256();
        for (int i = 0; i < 32; ++i) m = _mm256_max_epi32(m, abs_bits(_mm256_loadu_ps(xb + 8 * i)));
        const int amax_bits = hmax_epi32(m);
        if (amax_bits >= kNonFinite) {
            quant::quantize_row_q8_K(xb, &y[b], quant::kSuperBlockSize);
            continue;
        }
        if (amax_bits == 0) {
            std::memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        const __m256i target = _mm256_set1_epi32(amax_bits);
        float extreme = 0.0f;
        for (int i = 0; i < 32; ++i) {
            const __m256i eq = _mm256_cmpeq_epi32(abs_bits(_mm256_loadu_ps(xb + 8 * i)), target);
            const int mask = _mm256_movemask_ps(_mm256_castsi256_ps(eq));
            if (mask != 0) {
                extreme = xb[8 * i + __builtin_ctz(static_cast<unsigned>(mask))];
                break;
            }
        }
        const float iscale = -127.0f / extreme;
        if (!is_finite(iscale)) {
            quant::quantize_row_q8_K(xb, &y[b], quant::kSuperBlockSize);
            continue;
        }
        const __m256 scale = _mm256_set1_ps(iscale);
        const __m256i top = _mm256_set1_epi32(127);
        for (int g = 0; g < 8; ++g) {  // 32 elements (two bsum groups) per step
            __m256i q[4];
            for (int i = 0; i < 4; ++i)
                q[i] = _mm256_min_epi32(
                    _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xb + 32 * g + 8 * i), scale)), top);
            _mm256_storeu_si256(static_cast<__m256i*>(static_cast<void*>(y[b].qs + 32 * g)),
                                pack_bytes(q[0], q[1], q[2], q[3]));
            y[b].bsums[2 * g] = static_cast<int16_t>(hsum_epi32(_mm256_add_epi32(q[0], q[1])));
            y[b].bsums[2 * g + 1] = static_cast<int16_t>(hsum_epi32(_mm256_add_epi32(q[2], q[3])));
        }
        y[b].d = 1.0f / iscale;
    }
}

void quantize_f16(const float* x, void* vy, size_t n) {
    auto* y = static_cast<uint16_t*>(vy);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128(static_cast<__m128i*>(static_cast<void*>(y + i)),
                         _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; ++i) y[i] = float_to_half(x[i]);
}

// BF16: round to nearest even on the bits; NaN kept quiet (bit 6 of the result set), as fp32_to_bf16.
void quantize_bf16(const float* x, void* vy, size_t n) {
    auto* y = static_cast<uint16_t*>(vy);
    size_t i = 0;
    const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff), inf = _mm256_set1_epi32(0x7f800000);
    for (; i + 8 <= n; i += 8) {
        const __m256i u = _mm256_castps_si256(_mm256_loadu_ps(x + i));
        const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
        const __m256i rounded =
            _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), odd)), 16);
        const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(64));
        const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, abs_mask), inf);
        const __m256i r = _mm256_blendv_epi8(rounded, quiet, nan);  // 16-bit values in 32-bit lanes
        const __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
        _mm_storeu_si128(static_cast<__m128i*>(static_cast<void*>(y + i)), packed);
    }
    if (i < n) quant::quantize_row_bf16(x + i, y + i, n - i);
}

// --- The variant's table -----------------------------------------------------------------------------

// --- Attention's vector operations (kernels/vector_ops.h) ----------------------------------------------

inline float hsum256(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

float attn_dot_f16(size_t n, const uint16_t* q, const uint16_t* k) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_cvtph_ps(load128(q + i)), _mm256_cvtph_ps(load128(k + i)), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtph_ps(load128(q + i + 8)), _mm256_cvtph_ps(load128(k + i + 8)), acc1);
    }
    for (; i + 8 <= n; i += 8)
        acc0 = _mm256_fmadd_ps(_mm256_cvtph_ps(load128(q + i)), _mm256_cvtph_ps(load128(k + i)), acc0);
    float sum = hsum256(_mm256_add_ps(acc0, acc1));
    for (; i < n; ++i) sum += half_to_float(q[i]) * half_to_float(k[i]);
    return sum;
}

float attn_dot_f32(size_t n, const float* q, const float* k) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(k + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(k + i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(k + i), acc0);
    float sum = hsum256(_mm256_add_ps(acc0, acc1));
    for (; i < n; ++i) sum += q[i] * k[i];
    return sum;
}

// exp(x) for x <= 0 (scores minus their maximum), within 2 ulp: x = n ln2 + r with |r| <= ln2 / 2,
// exp(r) by a degree-6 polynomial, 2^n put into the exponent. Below -87.3 the result flushes to 0.
inline __m256 exp256(__m256 x) {
    const __m256 lo = _mm256_set1_ps(-87.33654f);
    const __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    x = _mm256_max_ps(x, lo);
    const __m256 nf = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(nf), _mm256_set1_epi32(127)), 23);
    const __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
    return _mm256_andnot_ps(underflow, y);
}

double attn_exp_sum(float* s, size_t n, float max) {
    const __m256 m = _mm256_set1_ps(max);
    __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(s + j), m));
        _mm256_storeu_ps(s + j, e);
        acc0 = _mm256_add_pd(acc0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        acc1 = _mm256_add_pd(acc1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    alignas(32) double parts[4];
    _mm256_store_pd(parts, _mm256_add_pd(acc0, acc1));
    double sum = (parts[0] + parts[1]) + (parts[2] + parts[3]);
    if (j < n) {
        alignas(32) float tail[8] = {};
        for (size_t t = 0; j + t < n; ++t) tail[t] = s[j + t] - max;
        alignas(32) float e[8];
        _mm256_store_ps(e, exp256(_mm256_load_ps(tail)));
        for (size_t t = 0; j + t < n; ++t) {
            s[j + t] = e[t];
            sum += static_cast<double>(e[t]);
        }
    }
    return sum;
}

void attn_axpy_f16(size_t n, float p, const uint16_t* v, float* y) {
    const __m256 pv = _mm256_set1_ps(p);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_mul_ps(pv, _mm256_cvtph_ps(load128(v + i)))));
    for (; i < n; ++i) y[i] += p * half_to_float(v[i]);
}

void attn_axpy_f32(size_t n, float p, const float* v, float* y) {
    const __m256 pv = _mm256_set1_ps(p);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_mul_ps(pv, _mm256_loadu_ps(v + i))));
    for (; i < n; ++i) y[i] += p * v[i];
}

// silu(g) * u with exp(-g) from exp256, which takes arguments <= 0: for g < 0, exp(-g) = 1 / exp(g)
// (below g = -87.3 that is 1 / 0 = inf and the quotient -0, as in the reference).
inline __m256 swiglu8(__m256 g, __m256 u) {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    const __m256 e_pos = exp256(_mm256_sub_ps(zero, _mm256_max_ps(g, zero)));  // g >= 0: exp(-g)
    const __m256 e_neg = _mm256_div_ps(one, exp256(_mm256_min_ps(g, zero)));   // g < 0: 1 / exp(g)
    const __m256 e = _mm256_blendv_ps(e_pos, e_neg, _mm256_cmp_ps(g, zero, _CMP_LT_OQ));
    return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), u);
}

void swiglu(size_t n, float* gate, const float* up) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(gate + i, swiglu8(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
    if (i < n) {
        alignas(32) float g[8] = {}, u[8] = {};
        for (size_t t = 0; i + t < n; ++t) {
            g[t] = gate[i + t];
            u[t] = up[i + t];
        }
        _mm256_store_ps(g, swiglu8(_mm256_load_ps(g), _mm256_load_ps(u)));
        for (size_t t = 0; i + t < n; ++t) gate[i + t] = g[t];
    }
}

// Each format's tile, and its one-row kernel as vec_dot; the one-row kernel is also the matrix-vector
// tile for the formats that stream faster that way (measured on AMD Zen 4, where it matters: Q8_0, the
// K-quants, the float formats). For the 4-bit and 5-bit 32-element formats a single row is compute-bound
// (its in-order float adds and per-block scale loads cost more than one stream saves): they keep their
// tiles for one token too.
template <class M, float (*Row)(size_t, const uint8_t*, const uint8_t*), bool kRowMatvec>
constexpr WeightKernels entry(GgmlType type) {
    return {type, row_vec_dot<Row>, tile<M>, kRowMatvec ? row_tile<Row> : nullptr};
}

constexpr WeightKernels kWeights[] = {
    entry<LegacyMicro<Q4_0Format>, legacy_row<Q4_0Format>, false>(GgmlType::Q4_0),
    entry<LegacyMicro<Q4_1Format>, legacy_row<Q4_1Format>, false>(GgmlType::Q4_1),
    entry<LegacyMicro<Q5_0Format>, legacy_row<Q5_0Format>, false>(GgmlType::Q5_0),
    entry<LegacyMicro<Q5_1Format>, legacy_row<Q5_1Format>, false>(GgmlType::Q5_1),
    entry<LegacyMicro<Q8_0Format>, legacy_row<Q8_0Format>, true>(GgmlType::Q8_0),
    entry<LegacyMicro<IQ4_NLFormat>, legacy_row<IQ4_NLFormat>, false>(GgmlType::IQ4_NL),
    entry<KMicro<Q4_KFormat>, k_row_lanes<Q4_KFormat>, true>(GgmlType::Q4_K),
    entry<KMicro<Q5_KFormat>, k_row_lanes<Q5_KFormat>, true>(GgmlType::Q5_K),
    entry<KMicro<Q6_KFormat>, k_row_lanes<Q6_KFormat>, true>(GgmlType::Q6_K),
    entry<KMicro<Q2_KFormat>, k_row<Q2_KFormat>, true>(GgmlType::Q2_K),
    entry<KMicro<Q3_KFormat>, k_row_lanes<Q3_KFormat>, true>(GgmlType::Q3_K),
    entry<IQ4_XSMicro, iq4_xs_row, true>(GgmlType::IQ4_XS),
    entry<FloatMicro<F32Format>, float_row<F32Format>, true>(GgmlType::F32),
    entry<FloatMicro<F16Format>, float_row<F16Format>, true>(GgmlType::F16),
    entry<FloatMicro<BF16Format>, float_row<BF16Format>, true>(GgmlType::BF16),
};

constexpr ActQuantizer kQuantizers[] = {
    {GgmlType::Q8_0, quantize_q8_0}, {GgmlType::Q8_1, quantize_q8_1}, {GgmlType::Q8_K, quantize_q8_K},
    {GgmlType::F16, quantize_f16},   {GgmlType::BF16, quantize_bf16},
};

}  // namespace

extern const VectorKernels kAvx2Vector = {attn_dot_f16, attn_dot_f32, attn_exp_sum, attn_axpy_f16,
                                               attn_axpy_f32, swiglu, "avx2"};

extern const Variant kAvx2Variant = {"avx2", kWeights, sizeof kWeights / sizeof kWeights[0], kQuantizers,
                                     sizeof kQuantizers / sizeof kQuantizers[0]};

}  // namespace chord::kernels

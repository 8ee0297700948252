// Every kernel variant this machine runs (AVX-512 VNNI, AVX-512, AVX2 natively; SIMD128 under node),
// forced one by one, against the scalar references of kernels/ref: dot products on quantizer output
// and on raw random blocks, with row lengths from one block to many, tiles (and matrix-vector tiles) of
// every shape up to 21 rows by 7 tokens with padded strides; activation quantizers byte for byte, non-finite
// inputs included; and the threaded matmul for several thread counts.
//
// What "equal" means, per type (the contract each variant keeps):
//  - Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, Q2_K, IQ4_XS: bit-exact. The per-block (per-group) integer
//    sums are exact in any order and the float combination follows the reference's order.
//  - Q3_K, Q4_K, Q5_K, Q6_K: the integer sums per super-block are exact, but the reference spreads them
//    over eight float lanes (ggml's generic code) which SIMD does not mirror; F32, F16, BF16: products
//    are the same floats, summed in float (FMA) instead of double. For these the variant must be within
//    1e-5 of sum_i |w_i a_i| (the dequantized magnitudes) of the reference: float reordering error,
//    nothing more.
// Activation rows never hold the quant -128 (no quantizer writes it); weights may hold any bits.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "core/thread_pool.h"
#include "kernels/dispatch.h"
#include "kernels/matmul.h"
#include "kernels/ref/ref_kernels.h"
#include "quant/blocks.h"
#include "quant/quant_table.h"
#include "quant_test_data.h"

namespace chord {
namespace {

using kernels::MatmulKernel;

bool is_exact(GgmlType t) {
    switch (t) {
        case GgmlType::Q4_0:
        case GgmlType::Q4_1:
        case GgmlType::Q5_0:
        case GgmlType::Q5_1:
        case GgmlType::Q8_0:
        case GgmlType::IQ4_NL:
        case GgmlType::Q2_K:
        case GgmlType::IQ4_XS:
            return true;
        default:
            return false;
    }
}

const GgmlType kWeightTypes[] = {
    GgmlType::Q4_0,   GgmlType::Q4_1,   GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0,
    GgmlType::IQ4_NL, GgmlType::Q2_K,   GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
    GgmlType::Q6_K,   GgmlType::IQ4_XS, GgmlType::F32,  GgmlType::F16,  GgmlType::BF16,
};

std::string name_of(GgmlType t) {
    return std::string(type_traits(t).name);
}

size_t bytes_of(GgmlType t, size_t n) {
    return static_cast<size_t>(row_bytes(type_traits(t), n));
}

GgmlType act_type_of(GgmlType w) {
    return *quant::quant_format(w).vec_dot_type;
}

// The variants other than "scalar" (those are what is under test).
std::vector<std::string> simd_isas() {
    std::vector<std::string> out;
    for (std::string_view isa : kernels::kernel_isas())
        if (isa != "scalar") out.emplace_back(isa);
    return out;
}

// Row lengths to test: 1..many blocks, odd counts, and (float types) lengths off the SIMD width.
std::vector<size_t> lengths_for(GgmlType t) {
    const size_t bs = type_traits(t).block_size;
    if (bs == 1) return {1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 257, 1000};
    if (bs == 32) return {32, 64, 96, 160, 224, 256, 288, 512, 1056};
    return {256, 512, 768, 1280, 2304};
}

// --- Inputs -------------------------------------------------------------------------------------------

// `rows` rows of weights of type t: quantized awkward floats (kind 0) or raw random bytes with sane
// scales (kind 1, which reaches bit patterns no quantizer writes: Q8_0 -128, Q6_K scale -128, ...).
std::vector<uint8_t> make_weights(GgmlType t, size_t rows, size_t n, int kind, uint64_t seed) {
    const size_t rb = bytes_of(t, n);
    std::vector<uint8_t> w(rb * rows);
    const size_t bs = type_traits(t).block_size;
    if (kind == 0 || bs == 1) {
        const std::vector<float> x =
            bs == 1 ? std::vector<float>() : test::awkward_matrix(rows, (n + 255) / 256 * 256, seed);
        test::Rng rng(seed);
        for (size_t r = 0; r < rows; ++r) {
            std::vector<float> row(n);
            for (size_t i = 0; i < n; ++i)
                row[i] = bs == 1 ? rng.normal() : x[r * ((n + 255) / 256 * 256) + i];
            quant::quant_format(t).quantize_row(row.data(), &w[r * rb], n);
        }
        return w;
    }
    test::Rng rng(seed);
    for (auto& b : w) b = static_cast<uint8_t>(rng.next());
    // Put finite, moderate fp16 scales where the format keeps them.
    const auto set_half = [&](uint8_t* p) {
        const uint16_t h = fp32_to_fp16(rng.uniform() * 0.05f);
        std::memcpy(p, &h, 2);
    };
    const size_t bb = type_traits(t).block_bytes;
    for (size_t off = 0; off < w.size(); off += bb) {
        uint8_t* blk = &w[off];
        switch (t) {
            case GgmlType::Q4_1:
            case GgmlType::Q5_1:
                set_half(blk + 2);
                set_half(blk);
                break;
            case GgmlType::Q4_K:
            case GgmlType::Q5_K:
                set_half(blk);
                set_half(blk + 2);
                break;
            case GgmlType::Q2_K:
                set_half(blk + offsetof(quant::BlockQ2_K, d));
                set_half(blk + offsetof(quant::BlockQ2_K, dmin));
                break;
            case GgmlType::Q3_K:
                set_half(blk + offsetof(quant::BlockQ3_K, d));
                break;
            case GgmlType::Q6_K:
                set_half(blk + offsetof(quant::BlockQ6_K, d));
                break;
            default:  // Q4_0, Q5_0, Q8_0, IQ4_NL, IQ4_XS: d first
                set_half(blk);
                break;
        }
    }
    return w;
}

// `tokens` activation rows in the act format: dense activations (kind 0) or awkward blocks (kind 1).
std::vector<uint8_t> make_acts(GgmlType act, size_t tokens, size_t n, int kind, uint64_t seed) {
    const size_t rb = bytes_of(act, n);
    std::vector<uint8_t> a(rb * tokens);
    const size_t padded = (n + 255) / 256 * 256;
    const std::vector<float> awk = test::awkward_matrix(tokens, padded, seed);
    for (size_t t = 0; t < tokens; ++t) {
        std::vector<float> row = test::activation_vector(padded, seed + 31 * t);
        if (kind == 1)
            row.assign(awk.begin() + static_cast<long>(t * padded),
                       awk.begin() + static_cast<long>((t + 1) * padded));
        row.resize(n);
        quant::quant_format(act).quantize_row(row.data(), &a[t * rb], n);
    }
    return a;
}

// sum_i |w_i a_i| over the dequantized rows: the scale of float reordering error.
double magnitude(GgmlType w_type, const uint8_t* w, const uint8_t* a, size_t n) {
    std::vector<float> wd(n), ad(n);
    quant::quant_format(w_type).dequantize_row(w, wd.data(), n);
    quant::quant_format(act_type_of(w_type)).dequantize_row(a, ad.data(), n);
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(wd[i]) * ad[i]);
    return s;
}

// --- Checks -------------------------------------------------------------------------------------------

struct Case {
    GgmlType type;
    size_t n, rows, tokens;
    std::vector<uint8_t> w, a;
    std::vector<float> ref;  // (tokens, rows)
    std::vector<double> mag;

    size_t w_bytes() const { return bytes_of(type, n); }
    size_t a_bytes() const { return bytes_of(act_type_of(type), n); }
};

Case make_case(GgmlType t, size_t n, size_t rows, size_t tokens, int w_kind, int a_kind, uint64_t seed) {
    Case c{t,
           n,
           rows,
           tokens,
           make_weights(t, rows, n, w_kind, seed),
           make_acts(act_type_of(t), tokens, n, a_kind, seed + 7),
           {},
           {}};
    const kernels::ref::VecDotFn dot = kernels::ref::find_vec_dot(t);
    for (size_t tok = 0; tok < tokens; ++tok) {
        for (size_t r = 0; r < rows; ++r) {
            const uint8_t* wr = &c.w[r * c.w_bytes()];
            const uint8_t* ar = &c.a[tok * c.a_bytes()];
            c.ref.push_back(dot(n, wr, ar));
            c.mag.push_back(is_exact(t) ? 0.0 : magnitude(t, wr, ar, n));
        }
    }
    return c;
}

// "" when `got` is what the contract allows for reference value `ref`, else why not.
std::string mismatch(const Case& c, float got, size_t tok, size_t r) {
    const float want = c.ref[tok * c.rows + r];
    if (std::isnan(want) && std::isnan(got)) return "";
    if (is_exact(c.type)) {
        if (std::memcmp(&got, &want, sizeof got) == 0) return "";
    } else {
        const double tol = 1e-5 * c.mag[tok * c.rows + r];
        if (std::fabs(static_cast<double>(got) - want) <= tol) return "";
    }
    return "row " + std::to_string(r) + " token " + std::to_string(tok) + ": got " + std::to_string(got) +
           ", want " + std::to_string(want) + " (" + (is_exact(c.type) ? "bit-exact" : "1e-5 of |w||a|") +
           ")";
}

void check_vec_dot(const MatmulKernel& k, const Case& c) {
    for (size_t tok = 0; tok < c.tokens; ++tok) {
        for (size_t r = 0; r < c.rows; ++r) {
            const float got = k.vec_dot(c.n, &c.w[r * c.w_bytes()], &c.a[tok * c.a_bytes()]);
            const std::string why = mismatch(c, got, tok, r);
            ASSERT_EQ(why, "") << "vec_dot n=" << c.n;
        }
    }
}

void check_tiles(kernels::MatmulTile tile, const Case& c) {
    const size_t stride = c.rows + 3;
    std::vector<float> y(stride * c.tokens);
    for (size_t nr = 1; nr <= c.rows; ++nr) {
        for (size_t nt = 1; nt <= c.tokens; ++nt) {
            const size_t r0 = (c.rows - nr) / 2, t0 = c.tokens - nt;
            std::fill(y.begin(), y.end(), -12345.0f);
            tile(c.n, &c.w[r0 * c.w_bytes()], c.w_bytes(), nr, &c.a[t0 * c.a_bytes()], c.a_bytes(), nt,
                 y.data(), stride);
            for (size_t i = 0; i < stride * c.tokens; ++i) {
                const size_t tt = i / stride, rr = i % stride;
                if (tt < nt && rr < nr) {
                    const std::string why = mismatch(c, y[i], t0 + tt, r0 + rr);
                    ASSERT_EQ(why, "") << "tile " << nr << "x" << nt << " n=" << c.n;
                } else {
                    ASSERT_EQ(y[i], -12345.0f) << "tile " << nr << "x" << nt << " wrote outside at " << i;
                }
            }
        }
    }
}

// Every tile shape from 1x1 to rows x tokens at offset (r0, t0), into y with a padded stride; for the
// tile and for the matrix-vector tile (made for one token, correct for any number).
void check_tiles(const MatmulKernel& k, const Case& c) {
    for (kernels::MatmulTile tile : {k.tile, k.matvec}) {
        SCOPED_TRACE(tile == k.tile ? "tile" : "matvec");
        check_tiles(tile, c);
    }
}

TEST(KernelsSimd, ListsTheVariants) {
    const auto isas = kernels::kernel_isas();
    ASSERT_FALSE(isas.empty());
    EXPECT_EQ(isas.back(), "scalar");
    bool found = false;
    for (auto isa : isas) found = found || isa == kernels::kernel_isa();
    EXPECT_TRUE(found) << kernels::kernel_isa();
    std::string all;
    for (auto isa : isas) all += std::string(isa) + " ";
    std::printf("kernel variants on this machine: %s(dispatch uses %s)\n", all.c_str(),
                kernels::kernel_isa());
    for (GgmlType t : kWeightTypes) {
        const MatmulKernel& k = kernels::matmul_kernel(t);
        EXPECT_NE(k.tile, nullptr);
        EXPECT_EQ(k.act, &type_traits(act_type_of(t)));
        EXPECT_NE(k.matvec, nullptr);
        std::printf("  %-7s -> %s (matvec %s)\n", name_of(t).c_str(), k.isa, k.matvec_isa);
    }
#if defined(__wasm_simd128__)
    EXPECT_EQ(isas.front(), "simd128");
#endif
}

TEST(KernelsSimd, DotProductsMatchTheReference) {
    const auto isas = simd_isas();
    if (isas.empty()) GTEST_SKIP() << "no SIMD variant runs here";
    uint64_t seed = 1000;
    for (GgmlType t : kWeightTypes) {
        SCOPED_TRACE(name_of(t));
        for (size_t n : lengths_for(t)) {
            for (int w_kind = 0; w_kind < 2; ++w_kind) {
                for (int a_kind = 0; a_kind < 2; ++a_kind) {
                    const Case c = make_case(t, n, 21, 7, w_kind, a_kind, ++seed);
                    for (const std::string& isa : isas) {
                        SCOPED_TRACE(isa + " weights " + std::to_string(w_kind) + " acts " +
                                     std::to_string(a_kind));
                        const MatmulKernel* k = kernels::find_matmul_kernel(t, isa);
                        if (k == nullptr) continue;
                        check_vec_dot(*k, c);
                        if (n <= 512) check_tiles(*k, c);
                    }
                }
            }
        }
    }
}

// Long rows (a TinyLlama-sized 5632, and 33024, past what some tiles keep per-block scales for) against
// the reference, one tile of many tokens.
TEST(KernelsSimd, LongRowsMatchTheReference) {
    const auto isas = simd_isas();
    if (isas.empty()) GTEST_SKIP() << "no SIMD variant runs here";
    for (GgmlType t : kWeightTypes)
        for (size_t n : {size_t{5632}, size_t{33024}}) {
            if (n % type_traits(t).block_size != 0) continue;
            SCOPED_TRACE(name_of(t) + " n=" + std::to_string(n));
            const Case c = make_case(t, n, 18, 5, 0, 0, 77);
            for (const std::string& isa : isas) {
                SCOPED_TRACE(isa);
                const MatmulKernel* k = kernels::find_matmul_kernel(t, isa);
                if (k == nullptr) continue;
                std::vector<float> y(c.rows * c.tokens);
                k->tile(c.n, c.w.data(), c.w_bytes(), c.rows, c.a.data(), c.a_bytes(), c.tokens, y.data(),
                        c.rows);
                for (size_t i = 0; i < y.size(); ++i)
                    ASSERT_EQ(mismatch(c, y[i], i / c.rows, i % c.rows), "");
                k->matvec(c.n, c.w.data(), c.w_bytes(), c.rows, c.a.data(), c.a_bytes(), 1, y.data(), c.rows);
                for (size_t r = 0; r < c.rows; ++r) ASSERT_EQ(mismatch(c, y[r], 0, r), "") << "matvec";
            }
        }
}

// --- Activation quantizers ----------------------------------------------------------------------------

std::vector<float> quantizer_inputs(size_t n, uint64_t seed) {
    std::vector<float> x = test::awkward_matrix(1, (n + 255) / 256 * 256, seed);
    x.resize(n);
    return x;
}

void expect_same_bytes(GgmlType act, kernels::QuantizeRow q, const std::vector<float>& x,
                       const std::string& what) {
    const size_t n = x.size();
    std::vector<uint8_t> want(bytes_of(act, n) + 16, 0xAB), got(bytes_of(act, n) + 16, 0xAB);
    quant::quant_format(act).quantize_row(x.data(), want.data(), n);
    q(x.data(), got.data(), n);
    for (size_t i = 0; i < want.size(); ++i)
        ASSERT_EQ(got[i], want[i]) << what << ": byte " << i << " of " << bytes_of(act, n) << " (block "
                                   << i / type_traits(act).block_bytes << ")";
}

TEST(KernelsSimd, ActivationQuantizersAreBitExact) {
    const auto isas = simd_isas();
    if (isas.empty()) GTEST_SKIP() << "no SIMD variant runs here";
    const GgmlType acts[] = {GgmlType::Q8_0, GgmlType::Q8_1, GgmlType::Q8_K, GgmlType::F16, GgmlType::BF16};
    const float specials[] = {NAN,    -NAN,     INFINITY, -INFINITY, 1e-40f, -1e-45f, 3e38f,
                              -3e38f, 65519.0f, 65520.0f, 1e-38f,    0.0f,   -0.0f};
    for (const std::string& isa : isas) {
        for (GgmlType act : acts) {
            const kernels::QuantizeRow q = kernels::find_act_quantizer(act, isa);
            if (q == nullptr) continue;
            SCOPED_TRACE(isa + " " + name_of(act));
            const size_t bs = type_traits(act).block_size;
            const std::vector<size_t> lengths = bs == 1 ? std::vector<size_t>{1, 7, 8, 9, 17, 33, 256, 1000}
                                                        : (bs == 32 ? std::vector<size_t>{32, 96, 256, 2048}
                                                                    : std::vector<size_t>{256, 768, 2048});
            uint64_t seed = 500;
            for (size_t n : lengths) {
                for (int rep = 0; rep < 4; ++rep)
                    expect_same_bytes(act, q, quantizer_inputs(n, ++seed), "awkward");
                std::vector<float> dense = test::activation_vector((n + 31) / 32 * 32, ++seed);
                dense.resize(n);
                expect_same_bytes(act, q, dense, "dense");
                // Magnitudes far outside what models hold, block by block.
                test::Rng rng(++seed);
                const float scales[] = {1e30f, 1e-30f, 1e-40f, 6e4f, 7e4f, 1e8f, 1e-8f, 1e-37f, 1.0f};
                std::vector<float> extreme(n);
                for (size_t i = 0; i < n; i += 32) {
                    const float s = scales[rng.next() % 9];
                    for (size_t j = i; j < n && j < i + 32; ++j) extreme[j] = rng.normal() * s;
                }
                expect_same_bytes(act, q, extreme, "extreme");
                // One special value at a time, at several places.
                for (float sp : specials) {
                    for (size_t at : {size_t{0}, n / 2, n - 1}) {
                        std::vector<float> x = quantizer_inputs(n, seed);
                        x[at] = sp;
                        expect_same_bytes(act, q, x,
                                          "special " + std::to_string(sp) + " at " + std::to_string(at));
                    }
                }
                // Ties of the last element with the extreme (Q8_K picks the first largest |x|).
                std::vector<float> ties = quantizer_inputs(n, seed);
                ties[n / 3] = 50.0f;
                ties[n - 1] = -50.0f;
                expect_same_bytes(act, q, ties, "ties");
            }
        }
    }
}

// --- The threaded matmul -------------------------------------------------------------------------------

TEST(KernelsSimd, ThreadedMatmulMatchesTheReference) {
    const GgmlType types[] = {GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q6_K, GgmlType::F16};
    for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        std::vector<uint8_t> scratch;
        for (GgmlType t : types) {
            struct Shape {
                size_t rows, cols, tokens;
            };
            for (const auto [rows, cols, tokens] :
                 {Shape{37, 512, 1}, Shape{64, 256, 5}, Shape{203, 768, 17}}) {
                SCOPED_TRACE(name_of(t) + " " + std::to_string(rows) + "x" + std::to_string(cols) +
                             " tokens " + std::to_string(tokens) + " threads " + std::to_string(threads));
                const std::vector<uint8_t> w = make_weights(t, rows, cols, 0, rows + cols);
                std::vector<float> x;
                for (size_t tok = 0; tok < tokens; ++tok) {
                    const auto row = test::activation_vector(cols, 100 + tok);
                    x.insert(x.end(), row.begin(), row.end());
                }
                const MatmulKernel& k = kernels::matmul_kernel(t);
                std::vector<float> y(rows * tokens, NAN);
                kernels::matmul(k, pool, w.data(), bytes_of(t, cols), static_cast<int64_t>(rows),
                                static_cast<int64_t>(cols), x.data(), static_cast<int64_t>(tokens), y.data(),
                                scratch);
                std::vector<float> want(rows);
                for (size_t tok = 0; tok < tokens; ++tok) {
                    kernels::ref::matvec(t, w.data(), rows, cols, &x[tok * cols], want.data());
                    for (size_t r = 0; r < rows; ++r) {
                        const float got = y[tok * rows + r];
                        if (is_exact(t)) {
                            ASSERT_EQ(got, want[r]) << "row " << r << " token " << tok;
                        } else {
                            const GgmlType act = act_type_of(t);
                            std::vector<uint8_t> a(bytes_of(act, cols));
                            quant::quant_format(act).quantize_row(&x[tok * cols], a.data(), cols);
                            const double tol = 1e-5 * magnitude(t, &w[r * bytes_of(t, cols)], a.data(), cols);
                            ASSERT_NEAR(got, want[r], tol) << "row " << r << " token " << tok;
                        }
                    }
                }
            }
        }
    }
}

}  // namespace
}  // namespace chord

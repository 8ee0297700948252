// The quantization formats and reference kernels without llama.cpp at hand (so also in WebAssembly):
// layouts and the type tables, hand-worked rounding cases, agreement with the hashes of llama.cpp's
// own output recorded in quant_test_data.h, quantize -> dequantize error within each format's bound,
// and the dot products against the dequantized rows they stand for.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/fp16.h"
#include "kernels/ref/ref_kernels.h"
#include "quant/blocks.h"
#include "quant/quant_table.h"
#include "quant/quants.h"
#include "quant_test_data.h"

namespace chord {
namespace {

using kernels::ref::find_vec_dot;
using kernels::ref::matvec;
using quant::find_quant_format;
using quant::quant_format;
using quant::QuantFormat;

const GgmlType kAllFormats[] = {
    GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q4_0,   GgmlType::Q4_1,   GgmlType::Q5_0,
    GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q8_1, GgmlType::Q2_K,   GgmlType::Q3_K,   GgmlType::Q4_K,
    GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::Q8_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS,
};

std::string name_of(GgmlType t) {
    return std::string(type_traits(t).name);
}

size_t bytes_of(GgmlType t, size_t n) {
    return static_cast<size_t>(row_bytes(type_traits(t), n));
}

std::vector<uint8_t> quantize(GgmlType t, const float* x, size_t n) {
    std::vector<uint8_t> q(bytes_of(t, n));
    quant_format(t).quantize_row(x, q.data(), n);
    return q;
}

std::vector<float> dequantize(GgmlType t, const std::vector<uint8_t>& q, size_t n) {
    std::vector<float> y(n);
    quant_format(t).dequantize_row(q.data(), y.data(), n);
    return y;
}

// --- Tables -----------------------------------------------------------------------------------------

TEST(QuantTable, BlockStructsMatchTheTypeTable) {
    EXPECT_EQ(sizeof(quant::BlockQ4_0), type_traits(GgmlType::Q4_0).block_bytes);
    EXPECT_EQ(sizeof(quant::BlockQ4_1), type_traits(GgmlType::Q4_1).block_bytes);
    EXPECT_EQ(sizeof(quant::BlockQ5_0), type_traits(GgmlType::Q5_0).block_bytes);
    EXPECT_EQ(sizeof(quant::BlockQ5_1), type_traits(GgmlType::Q5_1).block_bytes);
    EXPECT_EQ(sizeof(quant::BlockQ8_0), type_traits(GgmlType::Q8_0).block_bytes);
    EXPECT_EQ(sizeof(quant::BlockQ8_1), type_traits(GgmlType::Q8_1).block_bytes);
    EXPECT_EQ(sizeof(quant::BlockQ2_K), type_traits(GgmlType::Q2_K).block_bytes);
    EXPECT_EQ(sizeof(quant::BlockQ3_K), type_traits(GgmlType::Q3_K).block_bytes);
    EXPECT_EQ(sizeof(quant::BlockQ4_K), type_traits(GgmlType::Q4_K).block_bytes);
    EXPECT_EQ(sizeof(quant::BlockQ5_K), type_traits(GgmlType::Q5_K).block_bytes);
    EXPECT_EQ(sizeof(quant::BlockQ6_K), type_traits(GgmlType::Q6_K).block_bytes);
    EXPECT_EQ(sizeof(quant::BlockQ8_K), type_traits(GgmlType::Q8_K).block_bytes);
    EXPECT_EQ(sizeof(quant::BlockIQ4_NL), type_traits(GgmlType::IQ4_NL).block_bytes);
    EXPECT_EQ(sizeof(quant::BlockIQ4_XS), type_traits(GgmlType::IQ4_XS).block_bytes);
}

// computable <=> reference quantize/dequantize and a dot product against the type's vec_dot type.
TEST(QuantTable, ComputableMeansQuantCodeAndDotProduct) {
    for (uint32_t id = 0; id < 64; ++id) {
        const TypeTraits* t = find_type_traits(id);
        if (t == nullptr) continue;
        SCOPED_TRACE(std::string(t->name));
        const QuantFormat* f = find_quant_format(t->type);
        const bool has_dot = f != nullptr && f->vec_dot_type.has_value() && find_vec_dot(t->type) != nullptr;
        EXPECT_EQ(t->computable, has_dot);
        if (f == nullptr) {
            EXPECT_THROW(quant_format(t->type), Error);
            continue;
        }
        EXPECT_EQ(f->type, t->type);
        if (f->vec_dot_type) {
            EXPECT_NE(find_quant_format(*f->vec_dot_type), nullptr);
        }
    }
    for (GgmlType t : kAllFormats) EXPECT_NE(find_quant_format(t), nullptr) << name_of(t);
}

TEST(QuantTable, VecDotTypesAreGgmls) {
    const std::pair<GgmlType, GgmlType> expected[] = {
        {GgmlType::F32, GgmlType::F32},     {GgmlType::F16, GgmlType::F16},
        {GgmlType::BF16, GgmlType::BF16},   {GgmlType::Q4_0, GgmlType::Q8_0},
        {GgmlType::Q4_1, GgmlType::Q8_1},   {GgmlType::Q5_0, GgmlType::Q8_0},
        {GgmlType::Q5_1, GgmlType::Q8_1},   {GgmlType::Q8_0, GgmlType::Q8_0},
        {GgmlType::Q2_K, GgmlType::Q8_K},   {GgmlType::Q3_K, GgmlType::Q8_K},
        {GgmlType::Q4_K, GgmlType::Q8_K},   {GgmlType::Q5_K, GgmlType::Q8_K},
        {GgmlType::Q6_K, GgmlType::Q8_K},   {GgmlType::IQ4_NL, GgmlType::Q8_0},
        {GgmlType::IQ4_XS, GgmlType::Q8_K},
    };
    for (const auto& [w, a] : expected) EXPECT_EQ(quant_format(w).vec_dot_type, a) << name_of(w);
    EXPECT_FALSE(quant_format(GgmlType::Q8_1).vec_dot_type.has_value());
    EXPECT_FALSE(quant_format(GgmlType::Q8_K).vec_dot_type.has_value());
}

// --- Rounding worked by hand ------------------------------------------------------------------------

TEST(QuantRounding, Q4_0TruncatesAfterAddingEightAndAHalf) {
    float x[32] = {-8.0f, -7.5f, 0.0f, 3.49f, 7.5f, 7.99f};
    quant::BlockQ4_0 b;
    quant::quantize_row_q4_0(x, &b, 32);
    EXPECT_EQ(fp16_to_fp32(b.d), 1.0f);            // d = extreme / -8
    const int expected[] = {0, 1, 8, 11, 15, 15};  // trunc(x + 8.5), capped at 15
    for (int j = 0; j < 6; ++j) EXPECT_EQ(b.qs[j] & 0xF, expected[j]) << j;
    EXPECT_EQ(b.qs[0] >> 4, 8);  // element 16 is 0
}

TEST(QuantRounding, Q8_0RoundsHalfAwayFromZero) {
    float x[32] = {127.0f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f};
    quant::BlockQ8_0 b;
    quant::quantize_row_q8_0(x, &b, 32);
    EXPECT_EQ(fp16_to_fp32(b.d), 1.0f);
    const int expected[] = {127, 1, 2, 3, -1, -2, -3, 127};
    for (int j = 0; j < 8; ++j) EXPECT_EQ(b.qs[j], expected[j]) << j;
}

TEST(QuantRounding, Q8_KRoundsHalfToEvenAndSumsGroups) {
    std::vector<float> x(256, 0.0f);
    x[0] = -127.0f;  // iscale = -127 / -127 = 1
    const float halves[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f};
    for (int j = 0; j < 6; ++j) x[17 + j] = halves[j];
    quant::BlockQ8_K b;
    quant::quantize_row_q8_K(x.data(), &b, 256);
    EXPECT_EQ(b.d, 1.0f);
    const int expected[] = {0, 2, 2, 0, -2, -2};
    for (int j = 0; j < 6; ++j) EXPECT_EQ(b.qs[17 + j], expected[j]) << j;
    EXPECT_EQ(b.bsums[0], -127);
    EXPECT_EQ(b.bsums[1], 0);
}

TEST(QuantRounding, Q8_1CarriesTheScaledSum) {
    float x[32];
    for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j) - 4.0f;  // extreme 27
    quant::BlockQ8_1 b;
    quant::quantize_row_q8_1(x, &b, 32);
    int sum = 0;
    for (int j = 0; j < 32; ++j) sum += b.qs[j];
    EXPECT_EQ(b.s, fp32_to_fp16(static_cast<float>(sum) * (27.0f / 127.0f)));
}

TEST(QuantRounding, AllZeroBlocksStayZero) {
    const std::vector<float> zeros(512, 0.0f);
    for (GgmlType t : kAllFormats) {
        const std::vector<float> back = dequantize(t, quantize(t, zeros.data(), 512), 512);
        for (float v : back) ASSERT_EQ(v, 0.0f) << name_of(t);
    }
}

// NaN and infinity quantize to garbage without trapping (WebAssembly traps on float -> int conversions
// out of range) and without disturbing the other blocks of the row.
TEST(QuantRounding, NonFiniteInputsStayInTheirBlock) {
    const size_t n = 1024;
    std::vector<float> x = test::awkward_matrix(1, n, 21);
    const std::vector<float> clean = x;
    const float specials[] = {std::nanf(""), INFINITY, -INFINITY};
    for (size_t k = 0; k < 3; ++k) x[300 + k] = specials[k];  // all in elements 256..511
    for (GgmlType t : kAllFormats) {
        const std::vector<uint8_t> dirty_q = quantize(t, x.data(), n);
        const std::vector<uint8_t> clean_q = quantize(t, clean.data(), n);
        dequantize(t, dirty_q, n);
        const size_t lo = bytes_of(t, 256), hi = bytes_of(t, 512);
        EXPECT_EQ(std::memcmp(dirty_q.data(), clean_q.data(), lo), 0) << name_of(t);
        EXPECT_EQ(std::memcmp(dirty_q.data() + hi, clean_q.data() + hi, dirty_q.size() - hi), 0)
            << name_of(t);
    }
}

// Blocks are independent: several rows quantized at once give the same bytes as row by row.
TEST(QuantRounding, RowsAreIndependent) {
    const std::vector<float> m = test::awkward_matrix(3, 512, 5);
    for (GgmlType t : kAllFormats) {
        const std::vector<uint8_t> all = quantize(t, m.data(), m.size());
        for (size_t r = 0; r < 3; ++r) {
            const std::vector<uint8_t> row = quantize(t, &m[r * 512], 512);
            EXPECT_EQ(std::memcmp(row.data(), &all[r * row.size()], row.size()), 0)
                << name_of(t) << " row " << r;
        }
    }
}

// --- llama.cpp's results, through recorded hashes -----------------------------------------------------

TEST(QuantGolden, QuantizeDequantizeAndDotMatchLlamaCpp) {
    using test::kGoldenCols;
    using test::kGoldenRows;
    const std::vector<float> w = test::awkward_matrix(kGoldenRows, kGoldenCols, test::kGoldenSeed);
    const std::vector<float> x = test::activation_vector(kGoldenCols, test::kGoldenSeed + 1);
    for (const test::GoldenHashes& g : test::kGolden) {
        SCOPED_TRACE(name_of(g.type));
        const std::vector<uint8_t> q = quantize(g.type, w.data(), w.size());
        EXPECT_EQ(test::hash_bytes(q.data(), q.size()), g.quantized);
        if (g.dequantized != 0) {
            const std::vector<float> back = dequantize(g.type, q, w.size());
            EXPECT_EQ(test::hash_floats(back.data(), back.size()), g.dequantized);
        }
        if (g.dots != 0) {
            const std::vector<uint8_t> a =
                quantize(*quant_format(g.type).vec_dot_type, x.data(), kGoldenCols);
            std::vector<float> dots(kGoldenRows);
            for (size_t r = 0; r < kGoldenRows; ++r)
                dots[r] = find_vec_dot(g.type)(kGoldenCols, &q[r * bytes_of(g.type, kGoldenCols)], a.data());
            EXPECT_EQ(test::hash_floats(dots.data(), dots.size()), g.dots);
        }
    }
}

// --- Error bounds -----------------------------------------------------------------------------------

// RMS of (x - dequantize(quantize(x))) over RMS of x, on normal data. The bounds sit ~15% above what
// the formats reach (measured: see docs/FORMATS.md), so a regression in the search shows.
struct ErrorBound {
    GgmlType type;
    double max_relative_rmse;
};

constexpr ErrorBound kErrorBounds[] = {
    {GgmlType::F32, 0.0},     {GgmlType::F16, 0.00025},  {GgmlType::BF16, 0.0019},  {GgmlType::Q8_0, 0.0058},
    {GgmlType::Q8_1, 0.0058}, {GgmlType::Q8_K, 0.0072},  {GgmlType::Q6_K, 0.0195},  {GgmlType::Q5_0, 0.046},
    {GgmlType::Q5_1, 0.042},  {GgmlType::Q5_K, 0.040},   {GgmlType::Q4_0, 0.094},   {GgmlType::Q4_1, 0.087},
    {GgmlType::Q4_K, 0.079},  {GgmlType::IQ4_NL, 0.085}, {GgmlType::IQ4_XS, 0.085}, {GgmlType::Q3_K, 0.168},
    {GgmlType::Q2_K, 0.33},
};

TEST(QuantError, RoundTripWithinEachFormatsBound) {
    const size_t n = 64 * 1024;
    test::Rng rng(42);
    std::vector<float> x(n);
    for (float& v : x) v = rng.normal();
    double rms = 0.0;
    for (float v : x) rms += static_cast<double>(v) * v;
    rms = std::sqrt(rms / static_cast<double>(n));
    for (const ErrorBound& b : kErrorBounds) {
        const std::vector<float> back = dequantize(b.type, quantize(b.type, x.data(), n), n);
        double se = 0.0;
        for (size_t i = 0; i < n; ++i)
            se += (static_cast<double>(x[i]) - back[i]) * (static_cast<double>(x[i]) - back[i]);
        const double rel = std::sqrt(se / static_cast<double>(n)) / rms;
        EXPECT_LE(rel, b.max_relative_rmse) << name_of(b.type);
    }
}

// Scaled data round-trips within the same bounds relative to its own scale, as long as the fp16 scales
// stay normal numbers (Q6_K's are the smallest: about max|x| / 4000).
TEST(QuantError, ScaleInvariantOverMagnitudes) {
    const size_t n = 4096;
    for (float scale : {0.25f, 1024.0f}) {
        test::Rng rng(7);
        std::vector<float> x(n);
        for (float& v : x) v = rng.normal() * scale;
        for (const ErrorBound& b : kErrorBounds) {
            const std::vector<float> back = dequantize(b.type, quantize(b.type, x.data(), n), n);
            double se = 0.0, ss = 0.0;
            for (size_t i = 0; i < n; ++i) {
                se += (static_cast<double>(x[i]) - back[i]) * (static_cast<double>(x[i]) - back[i]);
                ss += static_cast<double>(x[i]) * x[i];
            }
            EXPECT_LE(std::sqrt(se / ss), b.max_relative_rmse * 1.1)
                << name_of(b.type) << " at scale " << scale;
        }
    }
}

// --- Dot products -----------------------------------------------------------------------------------

// Q4_1 / Q5_1 dots apply each weight block's offset m through Q8_1's s = fp16(d * sum(q)), taken with
// the activation scale d before d itself was rounded to fp16: two half-ulp roundings (2 * 2^-11
// relative) that are part of the format, so they are allowed for.
double offset_rounding_slack(GgmlType t, const uint8_t* w_row, const uint8_t* a_row, size_t n) {
    if (t != GgmlType::Q4_1 && t != GgmlType::Q5_1) return 0.0;
    const size_t w_block = type_traits(t).block_bytes;
    double slack = 0.0;
    for (size_t b = 0; b < n / 32; ++b) {
        uint16_t m, s;
        std::memcpy(&m, w_row + b * w_block + 2, 2);                   // BlockQ4_1/Q5_1::m
        std::memcpy(&s, a_row + b * sizeof(quant::BlockQ8_1) + 2, 2);  // BlockQ8_1::s
        slack += std::fabs(static_cast<double>(fp16_to_fp32(m)) * fp16_to_fp32(s)) * 0x1p-10;
    }
    return slack;
}

// Every vec_dot equals the double-precision dot of the dequantized rows it multiplies, to float
// rounding relative to sum |w a|.
TEST(RefVecDot, EqualsDotOfDequantizedRows) {
    const size_t rows = 5, cols = 1024;
    const std::vector<float> w = test::awkward_matrix(rows, cols, 3);
    for (GgmlType t : kAllFormats) {
        const QuantFormat& f = quant_format(t);
        if (!f.vec_dot_type) continue;
        SCOPED_TRACE(name_of(t));
        const std::vector<uint8_t> wq = quantize(t, w.data(), w.size());
        const std::vector<float> wd = dequantize(t, wq, w.size());
        for (uint64_t seed = 0; seed < 3; ++seed) {
            const std::vector<float> x = test::activation_vector(cols, 50 + seed);
            const std::vector<uint8_t> aq = quantize(*f.vec_dot_type, x.data(), cols);
            const std::vector<float> ad = dequantize(*f.vec_dot_type, aq, cols);
            for (size_t r = 0; r < rows; ++r) {
                double exact = 0.0, magnitude = 0.0;
                for (size_t i = 0; i < cols; ++i) {
                    exact += static_cast<double>(wd[r * cols + i]) * ad[i];
                    magnitude += std::fabs(static_cast<double>(wd[r * cols + i]) * ad[i]);
                }
                const uint8_t* wr = &wq[r * bytes_of(t, cols)];
                const float got = find_vec_dot(t)(cols, wr, aq.data());
                const double slack = offset_rounding_slack(t, wr, aq.data(), cols);
                EXPECT_NEAR(got, exact, 2e-6 * magnitude + slack + 1e-30) << "row " << r;
            }
        }
    }
}

TEST(RefMatvec, IsOneVecDotPerRowOnQuantizedActivations) {
    const size_t rows = 9, cols = 512;
    const std::vector<float> w = test::awkward_matrix(rows, cols, 8);
    const std::vector<float> x = test::activation_vector(cols, 9);
    for (GgmlType t : kAllFormats) {
        const QuantFormat& f = quant_format(t);
        if (!f.vec_dot_type) continue;
        SCOPED_TRACE(name_of(t));
        const std::vector<uint8_t> wq = quantize(t, w.data(), w.size());
        const std::vector<uint8_t> aq = quantize(*f.vec_dot_type, x.data(), cols);
        std::vector<float> y(rows);
        matvec(t, wq.data(), rows, cols, x.data(), y.data());
        for (size_t r = 0; r < rows; ++r) {
            const float expected = find_vec_dot(t)(cols, &wq[r * bytes_of(t, cols)], aq.data());
            EXPECT_EQ(std::memcmp(&y[r], &expected, sizeof expected), 0) << "row " << r;
        }
    }
}

TEST(RefMatvec, RefusesTypesWithoutADotAndRaggedRows) {
    std::vector<uint8_t> w(4096);
    std::vector<float> x(256), y(4);
    EXPECT_THROW(matvec(GgmlType::Q8_K, w.data(), 1, 256, x.data(), y.data()), Error);
    EXPECT_THROW(matvec(GgmlType::IQ2_XXS, w.data(), 1, 256, x.data(), y.data()), Error);
    EXPECT_THROW(matvec(GgmlType::Q4_K, w.data(), 1, 128, x.data(), y.data()), Error);
}

// Small integers are exact in every float format, and so is their dot product.
TEST(RefVecDot, FloatTypesExactOnSmallIntegers) {
    const size_t n = 256;
    std::vector<float> ones(n, 1.0f), ramp(n);
    for (size_t i = 0; i < n; ++i) ramp[i] = static_cast<float>(i % 32) - 15.0f;  // in [-15, 16]
    double expected = 0.0;
    for (float v : ramp) expected += v;
    ASSERT_EQ(expected, 128.0);
    for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16}) {
        const std::vector<uint8_t> wq = quantize(t, ones.data(), n);
        const std::vector<uint8_t> aq = quantize(t, ramp.data(), n);
        EXPECT_EQ(find_vec_dot(t)(n, wq.data(), aq.data()), 128.0f) << name_of(t);
    }
}

}  // namespace
}  // namespace chord

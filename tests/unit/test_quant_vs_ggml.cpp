// Bit-exactness against llama.cpp itself: loads the prebuilt ggml libraries shipped with the oracle
// package (tests/oracle/node_modules) at run time and compares, type by type, our quantized bytes with
// ggml_quantize_chunk's (no importance matrix, as llama-quantize --pure), our dequantized floats with
// ggml's dequantize_row_*, our reference dot products with ggml's generic C ones, and our type table
// with ggml's. Native x86-64 Linux only; skipped when the libraries are absent (fails instead when
// CHORD_REQUIRE_TESTDATA is set) and under WebAssembly, where test_quant checks the same results
// through recorded hashes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/ref/ref_kernels.h"
#include "quant/quant_table.h"
#include "quant/type_table.h"
#include "quant_test_data.h"

#if defined(__EMSCRIPTEN__) || !defined(__linux__) || !defined(__x86_64__)

TEST(QuantVsGgml, NeedsNativeLinux) {
    GTEST_SKIP() << "the ggml oracle libraries are x86-64 Linux only";
}

#else

#include <dlfcn.h>

namespace chord {
namespace {

using test::awkward_matrix;
using test::hash_bytes;
using test::hash_floats;

// The ggml entry points these tests call (declared here from ggml.h / ggml-quants.h / ggml-cpu's
// quants.h of the oracle's llama.cpp version).
struct Ggml {
    using QuantizeChunk = size_t (*)(int type, const float* src, void* dst, int64_t start, int64_t nrows,
                                     int64_t n_per_row, const float* imatrix);
    using ToFloat = void (*)(const void* x, float* y, int64_t k);
    using FromFloat = void (*)(const float* x, void* y, int64_t k);
    using VecDot = void (*)(int n, float* s, size_t bs, const void* x, size_t bx, const void* y, size_t by,
                            int nrc);
    using TypeSize = size_t (*)(int type);
    using BlockSize = int64_t (*)(int type);
    using TypeName = const char* (*)(int type);

    void* base = nullptr;
    void* cpu = nullptr;
    QuantizeChunk quantize_chunk = nullptr;
    TypeSize type_size = nullptr;
    BlockSize blck_size = nullptr;
    TypeName type_name = nullptr;

    template <typename F>
    F symbol(void* lib, const std::string& name) const {
        return reinterpret_cast<F>(dlsym(lib, name.c_str()));
    }
};

// Loads the libraries once; nullptr (with the reason in `why`) when they are not there.
const Ggml* ggml(std::string& why) {
    static std::string error;
    static const Ggml* loaded = []() -> const Ggml* {
        const std::string dir = CHORD_GGML_ORACLE_DIR;
        static Ggml g;
        g.base = dlopen((dir + "/libggml-base.so").c_str(), RTLD_NOW | RTLD_LOCAL);
        if (g.base == nullptr) {
            error = dlerror();
            return nullptr;
        }
        // The baseline x86-64 build: its *_generic functions are ggml's scalar C code.
        g.cpu = dlopen((dir + "/libggml-cpu-x64.so").c_str(), RTLD_NOW | RTLD_LOCAL);
        if (g.cpu == nullptr) {
            error = dlerror();
            return nullptr;
        }
        g.quantize_chunk = g.symbol<Ggml::QuantizeChunk>(g.base, "ggml_quantize_chunk");
        g.type_size = g.symbol<Ggml::TypeSize>(g.base, "ggml_type_size");
        g.blck_size = g.symbol<Ggml::BlockSize>(g.base, "ggml_blck_size");
        g.type_name = g.symbol<Ggml::TypeName>(g.base, "ggml_type_name");
        auto cpu_init = g.symbol<void (*)()>(g.cpu, "ggml_cpu_init");  // fills the fp16 tables
        if (!g.quantize_chunk || !g.type_size || !g.blck_size || !g.type_name || !cpu_init) {
            error = "a ggml symbol is missing";
            return nullptr;
        }
        cpu_init();
        return &g;
    }();
    why = error;
    return loaded;
}

#define REQUIRE_GGML(g)                                                                             \
    std::string why_;                                                                               \
    const Ggml* g = ggml(why_);                                                                     \
    if (g == nullptr) {                                                                             \
        if (std::getenv("CHORD_REQUIRE_TESTDATA") != nullptr) FAIL() << "no ggml oracle: " << why_; \
        GTEST_SKIP() << "no ggml oracle (" << why_ << "); run npm ci in tests/oracle";              \
    }

// The ggml id count of the oracle's version (GGML_TYPE_COUNT); ids from here on are unknown to it.
constexpr int kGgmlTypeCount = 43;

const std::vector<GgmlType>& types_under_test() {
    static const std::vector<GgmlType> types = {
        GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q4_0,   GgmlType::Q4_1,   GgmlType::Q5_0,
        GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q8_1, GgmlType::Q2_K,   GgmlType::Q3_K,   GgmlType::Q4_K,
        GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::Q8_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS,
    };
    return types;
}

std::string name_of(GgmlType t) {
    return std::string(type_traits(t).name);
}

size_t bytes_of(GgmlType t, size_t n) {
    return static_cast<size_t>(row_bytes(type_traits(t), n));
}

// ggml's quantizer for `type`: ggml_quantize_chunk for the weight types (what llama-quantize runs),
// the _ref row function for the activation-only Q8_1 and Q8_K, which ggml_quantize_chunk refuses.
std::vector<uint8_t> ggml_quantize(const Ggml& g, GgmlType type, const float* x, size_t rows, size_t cols) {
    std::vector<uint8_t> out(bytes_of(type, rows * cols), 0);
    if (type == GgmlType::Q8_1 || type == GgmlType::Q8_K) {
        auto ref = g.symbol<Ggml::FromFloat>(g.base, "quantize_row_" + name_of(type) + "_ref");
        if (ref == nullptr)
            ADD_FAILURE() << "no quantize_row_" << name_of(type) << "_ref";
        else
            ref(x, out.data(), static_cast<int64_t>(rows * cols));
        return out;
    }
    g.quantize_chunk(static_cast<int>(type), x, out.data(), 0, static_cast<int64_t>(rows),
                     static_cast<int64_t>(cols), nullptr);
    return out;
}

// ggml's dequantizer, or nullptr where it has none (Q8_1). F32 rows are copied.
bool ggml_dequantize(const Ggml& g, GgmlType type, const void* q, size_t n, float* out) {
    if (type == GgmlType::F32) {
        std::memcpy(out, q, n * sizeof(float));
        return true;
    }
    std::string name = "dequantize_row_" + name_of(type);
    if (type == GgmlType::F16) name = "ggml_fp16_to_fp32_row";
    if (type == GgmlType::BF16) name = "ggml_bf16_to_fp32_row";
    auto fn = g.symbol<Ggml::ToFloat>(g.base, name);
    if (fn == nullptr) return false;
    fn(q, out, static_cast<int64_t>(n));
    return true;
}

// ggml's generic dot product for `type` against its vec_dot type; nullptr for the float types (ggml
// compiles those with SIMD, summed in a different order) and the activation-only types.
Ggml::VecDot ggml_generic_dot(const Ggml& g, GgmlType type) {
    const quant::QuantFormat& f = quant::quant_format(type);
    if (!f.vec_dot_type || type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16)
        return nullptr;
    return g.symbol<Ggml::VecDot>(
        g.cpu, "ggml_vec_dot_" + name_of(type) + "_" + name_of(*f.vec_dot_type) + "_generic");
}

// Bitwise float comparison, any NaN equal to any NaN. Returns the first differing index or -1.
long first_float_difference(const float* a, const float* b, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        if (std::isnan(a[i]) && std::isnan(b[i])) continue;
        if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return static_cast<long>(i);
    }
    return -1;
}

long first_byte_difference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    for (size_t i = 0; i < a.size() && i < b.size(); ++i)
        if (a[i] != b[i]) return static_cast<long>(i);
    return a.size() == b.size() ? -1 : static_cast<long>(std::min(a.size(), b.size()));
}

// Inputs far outside what models hold: overflowing and underflowing scales, subnormals, mixed extremes.
std::vector<float> extreme_matrix(size_t rows, size_t cols, uint64_t seed) {
    test::Rng rng(seed);
    static const float kScales[] = {1e30f, 1e-30f, 1e-40f, 6e4f, 7e4f, 1e8f, 1e-8f, 1.0f};
    std::vector<float> m(rows * cols);
    for (size_t i = 0; i < m.size(); i += 32) {
        const float s = kScales[rng.next() % 8];
        const float t = kScales[rng.next() % 8];
        for (size_t j = 0; j < 32; ++j) m[i + j] = rng.normal() * (j % 5 == 0 ? t : s);
    }
    return m;
}

void expect_same_as_ggml(const Ggml& g, GgmlType type, const std::vector<float>& x, size_t rows,
                         size_t cols) {
    SCOPED_TRACE(name_of(type));
    const quant::QuantFormat& f = quant::quant_format(type);
    const std::vector<uint8_t> theirs = ggml_quantize(g, type, x.data(), rows, cols);
    std::vector<uint8_t> ours(theirs.size(), 0);
    for (size_t r = 0; r < rows; ++r) f.quantize_row(&x[r * cols], &ours[r * bytes_of(type, cols)], cols);
    const long at = first_byte_difference(ours, theirs);
    EXPECT_EQ(at, -1) << "quantized bytes differ at byte " << at << " (block "
                      << at / static_cast<long>(type_traits(type).block_bytes) << ")";

    std::vector<float> ours_f(rows * cols), theirs_f(rows * cols);
    f.dequantize_row(theirs.data(), ours_f.data(), rows * cols);
    if (ggml_dequantize(g, type, theirs.data(), rows * cols, theirs_f.data())) {
        const long fd = first_float_difference(ours_f.data(), theirs_f.data(), rows * cols);
        EXPECT_EQ(fd, -1) << "dequantized floats differ at element " << fd << ": ours " << ours_f[fd]
                          << ", ggml " << theirs_f[fd];
    }
}

TEST(QuantVsGgml, TypeTableMatchesGgml) {
    REQUIRE_GGML(g);
    for (int id = 0; id < kGgmlTypeCount; ++id) {
        SCOPED_TRACE(id);
        const TypeTraits* ours = find_type_traits(static_cast<uint32_t>(id));
        if (g->blck_size(id) == 0) {  // removed ids (4, 5, 31-33, 36-38)
            EXPECT_EQ(ours, nullptr);
            continue;
        }
        ASSERT_NE(ours, nullptr) << "ggml type " << g->type_name(id) << " is missing from our table";
        EXPECT_EQ(ours->name, std::string(g->type_name(id)));
        EXPECT_EQ(ours->block_size, static_cast<uint32_t>(g->blck_size(id)));
        EXPECT_EQ(ours->block_bytes, static_cast<uint32_t>(g->type_size(id)));
    }
    for (uint32_t id = kGgmlTypeCount; id < 64; ++id) EXPECT_EQ(find_type_traits(id), nullptr) << id;
}

TEST(QuantVsGgml, QuantizeAndDequantizeAwkwardBlocks) {
    REQUIRE_GGML(g);
    const size_t rows = 7, cols = 1536;
    const std::vector<float> x = awkward_matrix(rows, cols, 7);
    for (GgmlType t : types_under_test()) expect_same_as_ggml(*g, t, x, rows, cols);
}

TEST(QuantVsGgml, QuantizeAndDequantizeManySeeds) {
    REQUIRE_GGML(g);
    for (uint64_t seed = 100; seed < 132; ++seed) {
        SCOPED_TRACE(seed);
        const std::vector<float> x = awkward_matrix(8, 1024, seed);
        for (GgmlType t : types_under_test()) expect_same_as_ggml(*g, t, x, 8, 1024);
    }
}

TEST(QuantVsGgml, QuantizeAndDequantizeExtremeMagnitudes) {
    REQUIRE_GGML(g);
    const std::vector<float> x = extreme_matrix(4, 1024, 99);
    for (GgmlType t : types_under_test()) expect_same_as_ggml(*g, t, x, 4, 1024);
}

// NaN and infinity in a block give garbage, but the same garbage as llama.cpp's.
TEST(QuantVsGgml, QuantizeNonFiniteInputs) {
    REQUIRE_GGML(g);
    std::vector<float> x = awkward_matrix(4, 1024, 13);
    test::Rng rng(14);
    const float specials[] = {std::nanf(""), -std::nanf(""), INFINITY, -INFINITY};
    for (size_t i = 0; i < x.size(); i += 61 + rng.next() % 100) x[i] = specials[rng.next() % 4];
    for (GgmlType t : types_under_test()) expect_same_as_ggml(*g, t, x, 4, 1024);
}

// Every weight type's reference dot product equals ggml's generic one bit for bit, on weights and
// activations quantized by ggml.
TEST(QuantVsGgml, VecDotMatchesGgmlGeneric) {
    REQUIRE_GGML(g);
    const size_t rows = 7, cols = 1536;
    const std::vector<float> w = awkward_matrix(rows, cols, 11);
    for (GgmlType t : types_under_test()) {
        const quant::QuantFormat& f = quant::quant_format(t);
        const Ggml::VecDot theirs = ggml_generic_dot(*g, t);
        if (theirs == nullptr) continue;
        SCOPED_TRACE(name_of(t));
        const std::vector<uint8_t> wq = ggml_quantize(*g, t, w.data(), rows, cols);
        const kernels::ref::VecDotFn ours = kernels::ref::find_vec_dot(t);
        ASSERT_NE(ours, nullptr);
        for (uint64_t seed = 0; seed < 4; ++seed) {
            const std::vector<float> x = test::activation_vector(cols, 1000 + seed);
            const std::vector<uint8_t> aq = ggml_quantize(*g, *f.vec_dot_type, x.data(), 1, cols);
            for (size_t r = 0; r < rows; ++r) {
                const uint8_t* wr = &wq[r * bytes_of(t, cols)];
                float s = 0.0f;
                theirs(static_cast<int>(cols), &s, 0, wr, 0, aq.data(), 0, 1);
                const float o = ours(cols, wr, aq.data());
                EXPECT_EQ(std::memcmp(&o, &s, sizeof s), 0)
                    << "row " << r << ": ours " << o << ", ggml " << s;
            }
        }
    }
}

// The float types: ggml's dot products there are SIMD (another summation order), so agreement is to
// rounding, relative to sum |w a|.
TEST(QuantVsGgml, FloatVecDotsAgreeWithGgmlToRounding) {
    REQUIRE_GGML(g);
    const size_t cols = 1000;
    for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16}) {
        SCOPED_TRACE(name_of(t));
        const std::string fn = t == GgmlType::F32   ? "ggml_vec_dot_f32"
                               : t == GgmlType::F16 ? "ggml_vec_dot_f16"
                                                    : "ggml_vec_dot_bf16";
        const auto theirs = g->symbol<Ggml::VecDot>(g->cpu, fn);
        ASSERT_NE(theirs, nullptr);
        const std::vector<float> w = test::activation_vector(cols, 5), x = test::activation_vector(cols, 6);
        std::vector<uint8_t> wq(bytes_of(t, cols)), xq(bytes_of(t, cols));
        quant::quant_format(t).quantize_row(w.data(), wq.data(), cols);
        quant::quant_format(t).quantize_row(x.data(), xq.data(), cols);
        float s = 0.0f;
        theirs(static_cast<int>(cols), &s, 0, wq.data(), 0, xq.data(), 0, 1);
        double mag = 0.0;
        for (size_t i = 0; i < cols; ++i) mag += std::fabs(static_cast<double>(w[i]) * x[i]);
        EXPECT_NEAR(kernels::ref::find_vec_dot(t)(cols, wq.data(), xq.data()), s, 1e-5 * mag);
    }
}

// The hashes recorded in quant_test_data.h are what ggml computes (test_quant checks ours against them,
// also in WebAssembly). On a mismatch the message is the corrected table line.
TEST(QuantVsGgml, GoldenHashesAreGgmls) {
    REQUIRE_GGML(g);
    using test::kGoldenCols;
    using test::kGoldenRows;
    const std::vector<float> w = awkward_matrix(kGoldenRows, kGoldenCols, test::kGoldenSeed);
    const std::vector<float> x = test::activation_vector(kGoldenCols, test::kGoldenSeed + 1);
    for (GgmlType t : types_under_test()) {
        SCOPED_TRACE(name_of(t));
        const std::vector<uint8_t> q = ggml_quantize(*g, t, w.data(), kGoldenRows, kGoldenCols);
        std::vector<float> deq(w.size());
        const uint64_t h_deq =
            ggml_dequantize(*g, t, q.data(), w.size(), deq.data()) ? hash_floats(deq.data(), deq.size()) : 0;
        uint64_t h_dot = 0;
        if (const Ggml::VecDot dot = ggml_generic_dot(*g, t)) {
            const std::vector<uint8_t> aq =
                ggml_quantize(*g, *quant::quant_format(t).vec_dot_type, x.data(), 1, kGoldenCols);
            std::vector<float> dots(kGoldenRows);
            for (size_t r = 0; r < kGoldenRows; ++r)
                dot(static_cast<int>(kGoldenCols), &dots[r], 0, &q[r * bytes_of(t, kGoldenCols)], 0,
                    aq.data(), 0, 1);
            h_dot = hash_floats(dots.data(), dots.size());
        }
        const uint64_t h_q = hash_bytes(q.data(), q.size());
        const test::GoldenHashes* golden = nullptr;
        for (const auto& e : test::kGolden)
            if (e.type == t) golden = &e;
        std::string upper(type_traits(t).name);
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        char line[160];
        std::snprintf(line, sizeof line, "{GgmlType::%s, 0x%016llxull, 0x%016llxull, 0x%016llxull},",
                      upper.c_str(), static_cast<unsigned long long>(h_q),
                      static_cast<unsigned long long>(h_deq), static_cast<unsigned long long>(h_dot));
        if (golden == nullptr) {
            ADD_FAILURE() << "missing golden line: " << line;
            continue;
        }
        EXPECT_EQ(golden->quantized, h_q) << line;
        EXPECT_EQ(golden->dequantized, h_deq) << line;
        EXPECT_EQ(golden->dots, h_dot) << line;
    }
}

}  // namespace
}  // namespace chord

#endif

// Weights repacked at load (kernels::MatmulKernel::repack, Model::pack_for_cpu): for every variant and
// type with a packed layout, the packed tile against the scalar reference dot product, bit for bit (the
// packed kernels keep the reference's integer block sums and float order; Q4_K within float rounding),
// for 16..48 rows, row lengths from one block to many, 1..9 tokens with padded strides; shapes the layout
// does not take are refused; a layout made in place (out == w) is the same as one made into a copy.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/dispatch.h"
#include "kernels/ref/ref_kernels.h"
#include "quant/quant_table.h"

namespace chord {
namespace {

std::vector<float> random_floats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

std::vector<uint8_t> quantize_rows(GgmlType type, const std::vector<float>& x, size_t rows, size_t cols) {
    const size_t rb = static_cast<size_t>(row_bytes(type_traits(type), cols));
    std::vector<uint8_t> out(rows * rb);
    for (size_t r = 0; r < rows; ++r)
        quant::quant_format(type).quantize_row(x.data() + r * cols, out.data() + r * rb, cols);
    return out;
}

TEST(PackedKernels, MatchReference) {
    int checked = 0;
    for (auto isa : kernels::kernel_isas()) {
        for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K}) {
            const kernels::MatmulKernel* k = kernels::find_matmul_kernel(type, isa);
            if (k == nullptr || k->repack == nullptr) continue;
            const GgmlType act = k->act->type;
            const size_t block = type_traits(type).block_size;
            const kernels::ref::VecDotFn dot = kernels::ref::find_vec_dot(type);
            for (size_t rows : {16u, 48u}) {
                for (size_t cols : {block, 3 * block, size_t{2048}}) {
                    if (cols % block != 0) continue;
                    for (size_t tokens : {1u, 2u, 4u, 5u, 9u}) {
                        SCOPED_TRACE(std::string(isa) + " " + std::string(type_traits(type).name) + " rows " +
                                     std::to_string(rows) + " cols " + std::to_string(cols) + " tokens " +
                                     std::to_string(tokens));
                        const size_t rb = static_cast<size_t>(row_bytes(type_traits(type), cols));
                        const auto w = quantize_rows(
                            type, random_floats(rows * cols, static_cast<uint32_t>(11 + rows + cols)), rows,
                            cols);
                        const size_t ab = static_cast<size_t>(row_bytes(type_traits(act), cols));
                        const size_t a_stride = ab + 64;  // padded
                        const auto x = random_floats(tokens * cols, static_cast<uint32_t>(5 + tokens));
                        std::vector<uint8_t> a(tokens * a_stride);
                        for (size_t t = 0; t < tokens; ++t)
                            quant::quant_format(act).quantize_row(x.data() + t * cols,
                                                                  a.data() + t * a_stride, cols);
                        std::vector<uint8_t> packed(rows * rb);
                        ASSERT_TRUE(k->repack(w.data(), rb, rows, cols, packed.data()));
                        if (k->repack_in_place) {  // the same bytes when made in the rows' own memory
                            std::vector<uint8_t> in_place = w;
                            ASSERT_TRUE(k->repack(in_place.data(), rb, rows, cols, in_place.data()));
                            ASSERT_EQ(in_place, packed);
                        }
                        const size_t y_stride = rows + 3;
                        std::vector<float> y(tokens * y_stride, -1.0f);
                        k->packed_tile(cols, packed.data(), rb, rows, a.data(), a_stride, tokens, y.data(),
                                       y_stride);
                        // Exact for the 32-element formats; the K-quants within float reordering error of
                        // sum_i |w_i a_i| (as tests/unit/test_kernels_simd.cpp).
                        const bool exact = type != GgmlType::Q4_K;
                        std::vector<float> wf(cols), af(cols);
                        for (size_t t = 0; t < tokens; ++t) {
                            quant::quant_format(act).dequantize_row(a.data() + t * a_stride, af.data(), cols);
                            for (size_t r = 0; r < rows; ++r) {
                                const float ref = dot(cols, w.data() + r * rb, a.data() + t * a_stride);
                                if (exact) {
                                    ASSERT_EQ(y[t * y_stride + r], ref) << "row " << r << " token " << t;
                                    continue;
                                }
                                quant::quant_format(type).dequantize_row(w.data() + r * rb, wf.data(), cols);
                                double mag = 0;
                                for (size_t i = 0; i < cols; ++i) mag += std::fabs(wf[i] * af[i]);
                                ASSERT_NEAR(y[t * y_stride + r], ref, 1e-5 * mag)
                                    << "row " << r << " token " << t;
                            }
                        }
                        ++checked;
                    }
                }
            }
            // 17 rows do not make whole groups of 16: refused
            const size_t rb = static_cast<size_t>(row_bytes(type_traits(type), block));
            std::vector<uint8_t> w(17 * rb), out(17 * rb);
            EXPECT_FALSE(k->repack(w.data(), rb, 17, block, out.data()));
        }
    }
    if (checked == 0) GTEST_SKIP() << "no kernel variant on this machine repacks weights";
}

}  // namespace
}  // namespace chord

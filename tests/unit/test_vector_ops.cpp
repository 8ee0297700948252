// The SIMD vector operations of kernels/vector_ops.h (attention's dot products, exponentials and value
// sums; SwiGLU) of every variant this machine has, against the scalar references of kernels/ref:
// y += p * v is bit-exact (a product then a sum per element, as the reference); dot products within
// float reordering error (1e-5 of sum |q_i k_i|); exponentials and SwiGLU within 4 ulp-ish relative
// error (2e-6) of std::exp's; lengths from 1 to 200 so every tail is exercised.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/fp16.h"
#include "kernels/dispatch.h"
#include "kernels/ref/ref_kernels.h"
#include "kernels/vector_ops.h"

namespace chord {
namespace {

std::vector<float> random_floats(size_t n, float scale, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

std::vector<uint16_t> to_half(const std::vector<float>& v) {
    std::vector<uint16_t> h(v.size());
    for (size_t i = 0; i < v.size(); ++i) h[i] = fp32_to_fp16(v[i]);
    return h;
}

class VectorOps : public ::testing::TestWithParam<std::string> {
  protected:
    const kernels::VectorKernels* k() const { return kernels::find_vector_kernels(GetParam().c_str()); }
};

TEST_P(VectorOps, MatchReference) {
    const kernels::VectorKernels* ops = k();
    if (ops == nullptr) GTEST_SKIP() << GetParam() << " has no vector kernels of its own";
    for (size_t n : {1u, 3u, 7u, 8u, 9u, 15u, 16u, 17u, 31u, 64u, 80u, 128u, 200u}) {
        SCOPED_TRACE("n = " + std::to_string(n));
        const auto q = random_floats(n, 1.0f, 1 + static_cast<uint32_t>(n));
        const auto kk = random_floats(n, 1.0f, 1000 + static_cast<uint32_t>(n));
        const auto q16 = to_half(q), k16 = to_half(kk);
        double mag = 0, mag16 = 0;
        for (size_t i = 0; i < n; ++i) {
            mag += std::fabs(q[i] * kk[i]);
            mag16 += std::fabs(fp16_to_fp32(q16[i]) * fp16_to_fp32(k16[i]));
        }
        EXPECT_NEAR(ops->dot_f32(n, q.data(), kk.data()), kernels::ref::attn_dot_f32(n, q.data(), kk.data()),
                    1e-5 * mag);
        EXPECT_NEAR(ops->dot_f16(n, q16.data(), k16.data()),
                    kernels::ref::attn_dot_f16(n, q16.data(), k16.data()), 1e-5 * mag16);

        // y += p * v: bit-exact
        std::vector<float> y = random_floats(n, 1.0f, 7), y_ref = y;
        ops->axpy_f32(n, 0.37f, kk.data(), y.data());
        kernels::ref::attn_axpy_f32(n, 0.37f, kk.data(), y_ref.data());
        EXPECT_EQ(y, y_ref);
        ops->axpy_f16(n, -1.25f, k16.data(), y.data());
        kernels::ref::attn_axpy_f16(n, -1.25f, k16.data(), y_ref.data());
        EXPECT_EQ(y, y_ref);

        // exponentials of scores minus their maximum, including ones that underflow
        std::vector<float> s = random_floats(n, 8.0f, 99 + static_cast<uint32_t>(n));
        if (n > 2) s[1] = -200.0f;
        float max = s[0];
        for (float x : s) max = std::max(max, x);
        std::vector<float> s_ref = s;
        const double sum = ops->exp_sum(s.data(), n, max);
        const double sum_ref = kernels::ref::attn_exp_sum(s_ref.data(), n, max);
        EXPECT_NEAR(sum, sum_ref, 2e-6 * sum_ref);
        for (size_t j = 0; j < n; ++j) EXPECT_NEAR(s[j], s_ref[j], 2e-6f * s_ref[j] + 1e-38f) << j;

        // SwiGLU over a wide range of gate values (large negative ones give -0)
        std::vector<float> g = random_floats(n, 6.0f, 5 + static_cast<uint32_t>(n));
        if (n > 3) g[2] = -120.0f, g[3] = 95.0f;
        std::vector<float> g_ref = g;
        ops->swiglu(n, g.data(), kk.data());
        kernels::ref::swiglu(n, g_ref.data(), kk.data());
        for (size_t i = 0; i < n; ++i) EXPECT_NEAR(g[i], g_ref[i], 2e-6f * std::fabs(g_ref[i]) + 1e-30f) << i;
    }
}

std::vector<std::string> isas() {
    std::vector<std::string> out;
    for (auto isa : kernels::kernel_isas()) out.emplace_back(isa);
    return out;
}

INSTANTIATE_TEST_SUITE_P(Isas, VectorOps, ::testing::ValuesIn(isas()),
                         [](const auto& p) {
                             std::string name = p.param;
                             for (char& c : name)
                                 if (c == '-') c = '_';
                             return name;
                         });

}  // namespace
}  // namespace chord

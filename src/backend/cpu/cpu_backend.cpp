// CpuBackend ops (see cpu_backend.h). Numerics follow ggml's CPU path where it decides bits the
// parity tests can see: RMSNorm sums squares in double; softmax sums exponentials in double and
// scales by the float reciprocal; RoPE advances theta by repeated multiplication in float.
#include "backend/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/fp16.h"
#include "kernels/dispatch.h"
#include "kernels/matmul.h"
#include "kernels/vector_ops.h"

namespace chord::backend {
namespace {

// Items per thread below which an op runs on the calling thread alone: a pool round costs about
// a microsecond, a norm or RoPE of one token less than that.
constexpr int64_t kMinParallelItems = 4;

}  // namespace

CpuBackend::CpuBackend(int n_threads) : pool_(std::max(1, n_threads)) {
    scores_.resize(static_cast<size_t>(pool_.size()));
    half_.resize(static_cast<size_t>(pool_.size()));
}

void CpuBackend::matmul(const model::Matrix& w, const float* x, int64_t n_tokens, float* y) {
    kernels::matmul(kernels::matmul_kernel(w.type), pool_, w.packed != nullptr ? w.packed : w.data,
                    w.row_bytes, w.rows, w.cols, x, n_tokens, y, act_, w.packed != nullptr);
}

void CpuBackend::get_rows(const model::Matrix& table, const int32_t* ids, int64_t n, float* out) {
    const kernels::DequantizeRow dequantize = kernels::dequantize_row(table.type);
    for (int64_t t = 0; t < n; ++t) {
        if (ids[t] < 0 || ids[t] >= table.rows)
            throw Error(ErrorCode::InvalidArgument, "token id " + std::to_string(ids[t]) +
                                                        " is outside the vocabulary (0.." +
                                                        std::to_string(table.rows - 1) + ")");
        dequantize(table.row(ids[t]), out + t * table.cols, static_cast<size_t>(table.cols));
    }
}

void CpuBackend::rmsnorm(const float* x, const float* weight, int64_t n_tokens, int64_t dim, float eps,
                         float* y) {
    const auto norm_rows = [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
            const float* xr = x + t * dim;
            float* yr = y + t * dim;
            double sum = 0.0;
            for (int64_t i = 0; i < dim; ++i) sum += static_cast<double>(xr[i] * xr[i]);
            const float mean = static_cast<float>(sum / static_cast<double>(dim));
            const float scale = 1.0f / std::sqrt(mean + eps);
            for (int64_t i = 0; i < dim; ++i) yr[i] = xr[i] * scale * weight[i];
        }
    };
    if (n_tokens < kMinParallelItems * pool_.size()) {
        norm_rows(0, n_tokens);
        return;
    }
    pool_.run([&](int i) {
        const auto [b, e] = ThreadPool::split(n_tokens, i, pool_.size());
        norm_rows(b, e);
    });
}

void CpuBackend::rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* positions,
                      const RopeParams& p) {
    const float theta_scale = std::pow(p.base, -2.0f / static_cast<float>(p.n_rot));
    const int64_t half = p.n_rot / 2;
    // Pair j of a head is (j, j + 1) spaced by 1 in NORM style, (j, j + n_rot/2) in NEOX style.
    const auto rotate_tokens = [&](int64_t begin, int64_t end, std::vector<float>& cache) {
        cache.resize(static_cast<size_t>(p.n_rot));
        for (int64_t t = begin; t < end; ++t) {
            float theta = static_cast<float>(positions[t]);
            for (int64_t j = 0; j < half; ++j) {
                const float ff = p.freq_factors != nullptr ? p.freq_factors[j] : 1.0f;
                const float angle = p.freq_scale * (theta / ff);
                cache[static_cast<size_t>(2 * j)] = std::cos(angle);
                cache[static_cast<size_t>(2 * j + 1)] = std::sin(angle);
                theta *= theta_scale;
            }
            for (int64_t h = 0; h < n_heads; ++h) {
                float* v = x + (t * n_heads + h) * head_dim;
                for (int64_t j = 0; j < half; ++j) {
                    const int64_t a = p.style == model::RopeStyle::Norm ? 2 * j : j;
                    const int64_t b = p.style == model::RopeStyle::Norm ? 2 * j + 1 : j + half;
                    const float c = cache[static_cast<size_t>(2 * j)];
                    const float s = cache[static_cast<size_t>(2 * j + 1)];
                    const float x0 = v[a];
                    const float x1 = v[b];
                    v[a] = x0 * c - x1 * s;
                    v[b] = x0 * s + x1 * c;
                }
            }
        }
    };
    if (n_tokens < kMinParallelItems * pool_.size()) {
        rotate_tokens(0, n_tokens, scores_[0]);
        return;
    }
    pool_.run([&](int i) {
        const auto [b, e] = ThreadPool::split(n_tokens, i, pool_.size());
        rotate_tokens(b, e, scores_[static_cast<size_t>(i)]);
    });
}

void CpuBackend::kv_store(model::KvCache& kv, uint32_t layer, const int32_t* positions, int64_t n_tokens,
                          const float* k, const float* v) {
    const int64_t d = kv.kv_dim();
    for (int64_t t = 0; t < n_tokens; ++t) {
        const auto pos = static_cast<uint32_t>(positions[t]);
        uint8_t* kr = kv.k_row(layer, pos);
        uint8_t* vr = kv.v_row(layer, pos);
        if (kv.type() == GgmlType::F32) {
            std::memcpy(kr, k + t * d, static_cast<size_t>(d) * 4);
            std::memcpy(vr, v + t * d, static_cast<size_t>(d) * 4);
            continue;
        }
        auto* k16 = reinterpret_cast<uint16_t*>(kr);
        auto* v16 = reinterpret_cast<uint16_t*>(vr);
        for (int64_t i = 0; i < d; ++i) {
            k16[i] = fp32_to_fp16(k[t * d + i]);
            v16[i] = fp32_to_fp16(v[t * d + i]);
        }
    }
}

void CpuBackend::attention(const float* q, const model::KvCache& kv, uint32_t layer, const int32_t* positions,
                           int64_t n_tokens, int64_t n_heads, int64_t n_kv_heads, int64_t head_dim,
                           float scale, float* out) {
    const int64_t group = n_heads / n_kv_heads;
    const bool f16 = kv.type() == GgmlType::F16;
    const int64_t n_items = n_tokens * n_heads;
    for (int i = 0; i < pool_.size(); ++i) {
        scores_[static_cast<size_t>(i)].resize(kv.n_ctx());
        half_[static_cast<size_t>(i)].resize(std::max<size_t>(kv.n_ctx(), static_cast<size_t>(head_dim)));
    }

    const kernels::VectorKernels& ak = kernels::vector_kernels();
    const auto attend = [&](int64_t begin, int64_t end, int thread) {
        float* s = scores_[static_cast<size_t>(thread)].data();
        uint16_t* h16 = half_[static_cast<size_t>(thread)].data();
        for (int64_t item = begin; item < end; ++item) {
            const int64_t t = item / n_heads;
            const int64_t h = item % n_heads;
            const int64_t g = h / group;
            const float* qh = q + (t * n_heads + h) * head_dim;
            const int64_t n_keys = static_cast<int64_t>(positions[t]) + 1;

            // Scores q·k: against an F16 cache, q is rounded to F16 first (ggml converts the F32 side
            // of an F16 matrix product to F16).
            if (f16) {
                for (int64_t i = 0; i < head_dim; ++i) h16[i] = fp32_to_fp16(qh[i]);
            }
            const size_t kv_off = static_cast<size_t>(g * head_dim) * (f16 ? 2 : 4);
            const auto hd = static_cast<size_t>(head_dim);
            float max = -std::numeric_limits<float>::infinity();
            for (int64_t j = 0; j < n_keys; ++j) {
                const uint8_t* krow = kv.k_row(layer, static_cast<uint32_t>(j)) + kv_off;
                const float dot = f16 ? ak.dot_f16(hd, h16, reinterpret_cast<const uint16_t*>(krow))
                                      : ak.dot_f32(hd, qh, reinterpret_cast<const float*>(krow));
                s[j] = dot * scale;
                max = std::max(max, s[j]);
            }
            const double sum = ak.exp_sum(s, static_cast<size_t>(n_keys), max);
            const auto inv = static_cast<float>(1.0 / sum);
            for (int64_t j = 0; j < n_keys; ++j) s[j] *= inv;

            // Weighted sum of values: the weights meet an F16 cache as F16, like q above.
            float* oh = out + (t * n_heads + h) * head_dim;
            std::fill(oh, oh + head_dim, 0.0f);
            for (int64_t j = 0; j < n_keys; ++j) {
                const uint8_t* vrow = kv.v_row(layer, static_cast<uint32_t>(j)) + kv_off;
                if (f16) {
                    const float p = fp16_to_fp32(fp32_to_fp16(s[j]));
                    ak.axpy_f16(hd, p, reinterpret_cast<const uint16_t*>(vrow), oh);
                } else {
                    ak.axpy_f32(hd, s[j], reinterpret_cast<const float*>(vrow), oh);
                }
            }
        }
    };
    pool_.run([&](int i) {
        const auto [b, e] = ThreadPool::split(n_items, i, pool_.size());
        attend(b, e, i);
    });
}

void CpuBackend::swiglu(float* gate, const float* up, int64_t n) {
    kernels::vector_kernels().swiglu(static_cast<size_t>(n), gate, up);
}

void CpuBackend::add(float* x, const float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void CpuBackend::add_bias(float* x, const float* bias, int64_t n_tokens, int64_t dim) {
    for (int64_t t = 0; t < n_tokens; ++t)
        for (int64_t i = 0; i < dim; ++i) x[t * dim + i] += bias[i];
}

}  // namespace chord::backend

// backend::Backend: the op set the forward pass calls, named after the math. Activations are F32 rows
// (n_tokens, width) in host memory; weights are model::Matrix views in their stored block format; the
// KV cache is the model's. The CPU backend implements it with threaded kernels; every backend must
// match the CPU one in the op-parity tests (tests/unit/test_backend_ops.cpp).
#pragma once

#include <cstdint>

#include "model/hparams.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace chord::backend {

struct RopeParams {
    model::RopeStyle style = model::RopeStyle::Norm;
    int n_rot = 0;  // dimensions rotated, from the start of each head
    float base = 10000.0f;
    float freq_scale = 1.0f;
    const float* freq_factors = nullptr;  // (n_rot / 2) divisors of the base frequencies, or null
};

class Backend {
  public:
    virtual ~Backend() = default;
    virtual const char* name() const = 0;

    // y (n_tokens, w.rows) = x (n_tokens, w.cols) · wᵀ, with x rounded/quantized to the weight type's
    // activation format first (as llama.cpp does).
    virtual void matmul(const model::Matrix& w, const float* x, int64_t n_tokens, float* y) = 0;
    // out (n, table.cols) = rows `ids` of `table`, converted to F32.
    virtual void get_rows(const model::Matrix& table, const int32_t* ids, int64_t n, float* out) = 0;
    // y (n_tokens, dim) = x / rms(x) * weight, per row; y may be x.
    virtual void rmsnorm(const float* x, const float* weight, int64_t n_tokens, int64_t dim, float eps,
                         float* y) = 0;
    // Rotates x (n_tokens, n_heads, head_dim) in place by each token's position.
    virtual void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* positions,
                      const RopeParams& p) = 0;
    // Writes k and v (n_tokens, kv_dim) into the cache of `layer` at the tokens' positions.
    virtual void kv_store(model::KvCache& kv, uint32_t layer, const int32_t* positions, int64_t n_tokens,
                          const float* k, const float* v) = 0;
    // out (n_tokens, n_heads * head_dim): causal softmax(q·kᵀ * scale)·v over cache positions
    // [0, positions[t]] of `layer`, kv head = head / (n_heads / n_kv_heads).
    virtual void attention(const float* q, const model::KvCache& kv, uint32_t layer, const int32_t* positions,
                           int64_t n_tokens, int64_t n_heads, int64_t n_kv_heads, int64_t head_dim,
                           float scale, float* out) = 0;
    // gate (n) = silu(gate) * up
    virtual void swiglu(float* gate, const float* up, int64_t n) = 0;
    // x (n) += y (n)
    virtual void add(float* x, const float* y, int64_t n) = 0;
    // x (n_tokens, dim) += bias (dim) on every row
    virtual void add_bias(float* x, const float* bias, int64_t n_tokens, int64_t dim) = 0;
};

}  // namespace chord::backend

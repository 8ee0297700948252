// CpuBackend: the Backend ops on the CPU, split across a persistent ThreadPool by output rows (matmul),
// by (token, head) pairs (attention) or by tokens (norms, RoPE). Matrix products quantize the
// activations once per call into the weight type's activation format and run the type's dot kernel;
// attention mirrors llama.cpp's numerics without flash attention (q and the softmax weights rounded
// to F16 against an F16 cache, F32 softmax). Scratch memory grows to the largest call and is reused.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/backend.h"
#include "core/thread_pool.h"

namespace chord::backend {

class CpuBackend final : public Backend {
public:
    explicit CpuBackend(int n_threads);

    const char* name() const override { return "cpu"; }
    int threads() const { return pool_.size(); }

    void matmul(const model::Matrix& w, const float* x, int64_t n_tokens, float* y) override;
    void get_rows(const model::Matrix& table, const int32_t* ids, int64_t n, float* out) override;
    void rmsnorm(const float* x, const float* weight, int64_t n_tokens, int64_t dim, float eps, float* y) override;
    void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* positions,
              const RopeParams& p) override;
    void kv_store(model::KvCache& kv, uint32_t layer, const int32_t* positions, int64_t n_tokens, const float* k,
                  const float* v) override;
    void attention(const float* q, const model::KvCache& kv, uint32_t layer, const int32_t* positions,
                   int64_t n_tokens, int64_t n_heads, int64_t n_kv_heads, int64_t head_dim, float scale,
                   float* out) override;
    void swiglu(float* gate, const float* up, int64_t n) override;
    void add(float* x, const float* y, int64_t n) override;
    void add_bias(float* x, const float* bias, int64_t n_tokens, int64_t dim) override;

private:
    ThreadPool pool_;
    std::vector<uint8_t> act_;                 // quantized activations of the current matmul
    std::vector<std::vector<float>> scores_;   // per thread: attention scores over the cache
    std::vector<std::vector<uint16_t>> half_;  // per thread: F16 copies (q, softmax weights)
};

}  // namespace chord::backend

// The Llama-family forward pass (llama, qwen2, qwen3): tokens in, logits out, reading top to bottom
// like llama2.c — embed, then per layer RMSNorm, q/k/v (+ biases for qwen2, per-head q/k RMSNorm for
// qwen3), RoPE, attention over the KV cache, output
// projection, residual, RMSNorm, SwiGLU feed-forward, residual; final norm and the vocabulary
// projection. Prompts go through as one batch (matrix-matrix products), generation one token at a time.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/backend.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace chord::model {

// Activation buffers for batches of up to `max_tokens` tokens, allocated once.
struct ForwardState {
    ForwardState(const HParams& h, int64_t max_tokens);

    int64_t max_tokens;
    std::vector<float> x;       // (n, dim) the residual stream
    std::vector<float> xb;      // (n, dim) normed input of a block
    std::vector<float> xb2;     // (n, dim) output of a block, before the residual add
    std::vector<float> q;       // (n, n_heads * head_dim)
    std::vector<float> k;       // (n, n_kv_heads * head_dim)
    std::vector<float> v;       // (n, n_kv_heads * head_dim)
    std::vector<float> att;     // (n, n_heads * head_dim) attention output
    std::vector<float> hb;      // (n, ffn) gate, then silu(gate) * up
    std::vector<float> hb2;     // (n, ffn) up
    std::vector<float> logits;  // (n_out, vocab): the last token's, or every token's
};

// Runs `n` tokens at `positions` (cells of `kv` up to each position must hold the earlier tokens)
// and leaves logits in state.logits: one row for the last token, or one per token if `all_logits`.
void forward(const Model& model, backend::Backend& be, KvCache& kv, ForwardState& s, const int32_t* tokens,
             const int32_t* positions, int64_t n, bool all_logits);

}  // namespace chord::model

// runtime::Context: one sequence being evaluated against a model — its KV cache, activation buffers
// and backend. eval() appends tokens (prompts in batches of n_batch, generation one at a time) and
// returns their logits; clear() and truncate() drop tokens so a chat can start over or drop old turns.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "model/kv_cache.h"
#include "model/llama.h"
#include "model/model.h"

namespace chord::runtime {

struct ContextOptions {
    uint32_t n_ctx = 0;      // 0: the model's training context, at most 4096
    int threads = 0;         // 0: the physical cores
    uint32_t n_batch = 512;  // tokens per forward pass while evaluating a prompt
    GgmlType kv_type = GgmlType::F16;
};

class Context {
  public:
    Context(std::shared_ptr<const model::Model> model, const ContextOptions& options = {});

    const model::Model& model() const { return *model_; }
    uint32_t n_ctx() const { return kv_.n_ctx(); }
    uint32_t n_past() const { return static_cast<uint32_t>(tokens_.size()); }
    const std::vector<int32_t>& tokens() const { return tokens_; }
    int threads() const { return threads_; }
    size_t kv_bytes() const { return kv_.bytes(); }

    // Evaluates `tokens` after those already in the context. Returns the logits (n_vocab) of the
    // last token, or with `all_logits` those of every token in order (n_tokens * n_vocab). A batch
    // that would overflow the context is refused before anything changes.
    std::span<const float> eval(std::span<const int32_t> tokens, bool all_logits = false);

    void clear() { tokens_.clear(); }
    // Keeps the first n tokens (their cache cells stay valid).
    void truncate(uint32_t n);

  private:
    std::shared_ptr<const model::Model> model_;
    int threads_;
    uint32_t n_batch_;
    std::unique_ptr<backend::Backend> backend_;
    model::KvCache kv_;
    model::ForwardState state_;
    std::vector<int32_t> tokens_;     // what the cache holds, by position
    std::vector<int32_t> positions_;  // scratch: positions of the batch being evaluated
    std::vector<float> all_logits_;
};

}  // namespace chord::runtime

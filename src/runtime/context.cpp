// runtime::Context (see context.h).
#include "runtime/context.h"

#include <algorithm>
#include <cstring>

#include "backend/cpu/cpu_backend.h"
#include "core/error.h"
#include "core/thread_pool.h"

namespace chord::runtime {
namespace {

uint32_t choose_n_ctx(const model::HParams& h, uint32_t requested) {
    if (requested != 0) return requested;
    return std::min<uint32_t>(h.n_ctx_train, 4096);
}

}  // namespace

Context::Context(std::shared_ptr<const model::Model> model, const ContextOptions& o)
    : model_(std::move(model)),
      threads_(o.threads > 0 ? o.threads : default_thread_count()),
      n_batch_(std::max<uint32_t>(1, o.n_batch)),
      backend_(std::make_unique<backend::CpuBackend>(threads_)),
      kv_(model_->hparams(), choose_n_ctx(model_->hparams(), o.n_ctx), o.kv_type),
      state_(model_->hparams(), std::min<int64_t>(n_batch_, kv_.n_ctx())) {
    tokens_.reserve(kv_.n_ctx());
}

void Context::truncate(uint32_t n) {
    if (n < tokens_.size()) tokens_.resize(n);
}

std::span<const float> Context::eval(std::span<const int32_t> tokens, bool all_logits) {
    if (tokens.empty()) throw Error(ErrorCode::InvalidArgument, "nothing to evaluate (no tokens)");
    if (tokens.size() > kv_.n_ctx() - tokens_.size())
        throw Error(ErrorCode::InvalidArgument,
                    std::to_string(tokens.size()) +
                        " tokens do not fit in the context: " + std::to_string(tokens_.size()) + " of " +
                        std::to_string(kv_.n_ctx()) + " positions are used (raise the context size with -c)");
    const auto n_vocab = static_cast<size_t>(model_->hparams().n_vocab);
    for (const int32_t id : tokens)
        if (id < 0 || static_cast<size_t>(id) >= n_vocab)
            throw Error(ErrorCode::InvalidArgument, "token id " + std::to_string(id) +
                                                        " is outside the vocabulary (0.." +
                                                        std::to_string(n_vocab - 1) + ")");
    if (all_logits) all_logits_.resize(tokens.size() * n_vocab);
    const auto batch_max = static_cast<size_t>(state_.max_tokens);
    for (size_t start = 0; start < tokens.size(); start += batch_max) {
        const size_t n = std::min(batch_max, tokens.size() - start);
        positions_.resize(n);
        for (size_t i = 0; i < n; ++i) positions_[i] = static_cast<int32_t>(tokens_.size() + i);
        model::forward(*model_, *backend_, kv_, state_, tokens.data() + start, positions_.data(),
                       static_cast<int64_t>(n), all_logits);
        tokens_.insert(tokens_.end(), tokens.begin() + static_cast<std::ptrdiff_t>(start),
                       tokens.begin() + static_cast<std::ptrdiff_t>(start + n));
        if (all_logits)
            std::memcpy(all_logits_.data() + start * n_vocab, state_.logits.data(), n * n_vocab * 4);
    }
    if (all_logits) return all_logits_;
    return {state_.logits.data(), n_vocab};
}

}  // namespace chord::runtime

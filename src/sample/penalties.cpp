// Penalties (see penalties.h).
#include "sample/penalties.h"

namespace chord::sample {

Penalties::Penalties(size_t n_vocab, size_t last_n, float repeat, float frequency, float presence)
    : repeat_(repeat), frequency_(frequency), presence_(presence), ring_(last_n), counts_(n_vocab, 0) {}

void Penalties::accept(int32_t id) {
    if (ring_.empty() || id < 0 || static_cast<size_t>(id) >= counts_.size()) return;
    if (size_ == ring_.size()) {
        --counts_[static_cast<size_t>(ring_[head_])];
        ring_[head_] = id;
        head_ = (head_ + 1) % ring_.size();
    } else {
        ring_[(head_ + size_) % ring_.size()] = id;
        ++size_;
    }
    ++counts_[static_cast<size_t>(id)];
}

void Penalties::clear() {
    for (size_t i = 0; i < size_; ++i) counts_[static_cast<size_t>(ring_[(head_ + i) % ring_.size()])] = 0;
    head_ = size_ = 0;
}

void Penalties::apply(Candidates& c) {
    if (!enabled()) return;
    // Each distinct token once: its count is negated while it is penalized, then restored.
    for (size_t i = 0; i < size_; ++i) {
        const auto id = static_cast<size_t>(ring_[(head_ + i) % ring_.size()]);
        const int32_t count = counts_[id];
        if (count <= 0 || id >= c.size()) continue;
        float& logit = c.items[id].logit;
        logit = logit <= 0 ? logit * repeat_ : logit / repeat_;
        logit -= static_cast<float>(count) * frequency_ + presence_;
        counts_[id] = -count;
    }
    for (size_t i = 0; i < size_; ++i) {
        int32_t& count = counts_[static_cast<size_t>(ring_[(head_ + i) % ring_.size()])];
        if (count < 0) count = -count;
    }
    c.sorted = false;
}

}  // namespace chord::sample

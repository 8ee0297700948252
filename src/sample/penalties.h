// sample::Penalties: repetition, frequency and presence penalties over the last N accepted tokens, with
// llama.cpp's formulas: for a token seen `count` times in the window,
//   logit = logit <= 0 ? logit * repeat : logit / repeat;   logit -= count * frequency + presence.
// The window is a ring buffer and the counts a per-vocabulary array, both allocated once: accepting and
// applying cost O(N), nothing per vocabulary entry and no allocation.
#pragma once

#include <cstdint>
#include <vector>

#include "sample/candidates.h"

namespace chord::sample {

class Penalties {
  public:
    Penalties(size_t n_vocab, size_t last_n, float repeat, float frequency, float presence);

    // Off when the window is empty or no penalty would change a logit.
    bool enabled() const { return !ring_.empty() && (repeat_ != 1.0f || frequency_ != 0 || presence_ != 0); }

    // Adds a token to the window, pushing out the oldest one when full. Ids outside the vocabulary are
    // ignored (callers check them; this runs per token).
    void accept(int32_t id);
    void clear();

    // `c` must hold the whole vocabulary in id order (the stage runs right after Candidates::fill).
    void apply(Candidates& c);

    size_t window() const { return size_; }
    int32_t count(int32_t id) const { return counts_[static_cast<size_t>(id)]; }

  private:
    float repeat_, frequency_, presence_;
    std::vector<int32_t> ring_;  // (last_n) the window, oldest at head_
    size_t head_ = 0, size_ = 0;
    std::vector<int32_t> counts_;  // (n_vocab) occurrences in the window
};

}  // namespace chord::sample

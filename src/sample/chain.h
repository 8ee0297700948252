// sample::Chain: picks the next token from a vector of logits with the stages of stages.h in their fixed
// order, remembering accepted tokens for the penalties and owning the random generator. Everything is
// allocated in the constructor; sample() and accept() allocate nothing. Not thread-safe: one per
// generating sequence.
//
//   sample::Chain chain(n_vocab, params);
//   TokenId id = chain.sample(ctx.eval(...));
//   chain.accept(id);  // the penalties see it from now on
#pragma once

#include <cstdint>
#include <span>

#include "sample/candidates.h"
#include "sample/params.h"
#include "sample/penalties.h"
#include "sample/rng.h"

namespace chord::sample {

class Chain {
  public:
    // Throws chord::Error (InvalidArgument) for bad params (Params::validate). repeat_last_n = -1
    // means the last `n_ctx` tokens.
    Chain(size_t n_vocab, Params params, uint32_t n_ctx = 4096);

    // The next token for `logits` (n_vocab values; -1 when there are none). Does not accept it.
    int32_t sample(std::span<const float> logits);
    // Records a token (prompt or generated) for the penalties.
    void accept(int32_t id) { penalties_.accept(id); }
    // Forgets the accepted tokens; the random sequence goes on.
    void clear_history() { penalties_.clear(); }
    // Forgets the accepted tokens and restarts the random sequence from seed().
    void reset();

    const Params& params() const { return params_; }
    // The seed in use: params().seed, or the random one drawn for kRandomSeed.
    uint32_t seed() const { return seed_; }
    // After sample(): the candidates the token was drawn from (with probabilities unless greedy).
    const Candidates& candidates() const { return candidates_; }
    size_t n_vocab() const { return n_vocab_; }

  private:
    size_t n_vocab_;
    Params params_;
    uint32_t seed_;
    Rng rng_;
    Candidates candidates_;
    Penalties penalties_;
};

}  // namespace chord::sample

// Chain and Params::validate (see chain.h, params.h).
#include "sample/chain.h"

#include <chrono>
#include <cmath>
#include <random>
#include <string>

#include "core/error.h"
#include "sample/stages.h"

namespace chord::sample {
namespace {

void check(bool ok, const std::string& what) {
    if (!ok) throw Error(ErrorCode::InvalidArgument, what);
}

uint32_t fresh_seed() {
    // random_device may be a fixed-sequence PRNG on some platforms: mix in the clock.
    std::random_device rd;
    const auto now = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    uint32_t s = rd() ^ static_cast<uint32_t>(now ^ (now >> 32));
    return s == kRandomSeed ? 0 : s;
}

}  // namespace

void Params::validate(size_t n_vocab) const {
    check(std::isfinite(temperature), "temperature must be a finite number");
    check(std::isfinite(top_p), "top-p must be a finite number");
    check(std::isfinite(min_p), "min-p must be a finite number");
    check(std::isfinite(typical_p), "typical-p must be a finite number");
    check(std::isfinite(repeat_penalty) && repeat_penalty > 0, "repeat penalty must be greater than 0");
    check(std::isfinite(frequency_penalty), "frequency penalty must be a finite number");
    check(std::isfinite(presence_penalty), "presence penalty must be a finite number");
    check(repeat_last_n >= -1, "repeat-last-n must be -1 (the context), 0 (off) or more");
    for (const LogitBias& b : logit_bias) {
        check(b.token >= 0 && static_cast<size_t>(b.token) < n_vocab,
              "logit bias for token " + std::to_string(b.token) + ", outside the vocabulary (0.." +
                  std::to_string(n_vocab - 1) + ")");
        check(!std::isnan(b.bias) && b.bias != INFINITY,
              "logit bias for token " + std::to_string(b.token) + " must be a number or -inf");
    }
}

Chain::Chain(size_t n_vocab, Params params, uint32_t n_ctx)
    : n_vocab_(n_vocab),
      params_((params.validate(n_vocab), std::move(params))),
      seed_(params_.seed == kRandomSeed ? fresh_seed() : params_.seed),
      rng_(seed_),
      candidates_(n_vocab),
      penalties_(n_vocab, params_.repeat_last_n < 0 ? n_ctx : static_cast<size_t>(params_.repeat_last_n),
                 params_.repeat_penalty, params_.frequency_penalty, params_.presence_penalty) {}

void Chain::reset() {
    penalties_.clear();
    rng_.reseed(seed_);
}

int32_t Chain::sample(std::span<const float> logits) {
    Candidates& c = candidates_;
    c.fill(logits.first(std::min(logits.size(), n_vocab_)));
    apply_logit_bias(c, params_.logit_bias);
    penalties_.apply(c);
    if (c.size() == 0) return -1;
    if (params_.temperature <= 0.0f) return c[argmax(c)].id;
    top_k(c, params_.top_k);
    typical_p(c, params_.typical_p);
    top_p(c, params_.top_p);
    min_p(c, params_.min_p);
    temperature(c, params_.temperature);
    return c[draw(c, rng_)].id;
}

}  // namespace chord::sample

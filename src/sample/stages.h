// The stages of the sampler chain, each a function over Candidates, applied by sample::Chain in this
// order (llama.cpp's default): logit bias -> penalties (penalties.h) -> top-k -> typical-p -> top-p ->
// min-p -> temperature -> draw. With temperature <= 0 the chain stops after the penalties and takes the
// argmax. Each stage keeps llama.cpp's semantics (boundaries noted per function) but computes in double
// with exp_det(), so results repeat bit for bit on every platform. A value that disables a stage makes
// it return at once.
#pragma once

#include <span>

#include "sample/candidates.h"
#include "sample/params.h"
#include "sample/rng.h"

namespace chord::sample {

// Adds each bias to its token's logit; `c` must be in id order (right after fill()).
void apply_logit_bias(Candidates& c, std::span<const LogitBias> biases);

// Keeps the k highest logits (sorted); k <= 0: off.
void top_k(Candidates& c, int32_t k);

// Locally typical sampling: ranks tokens by |(-log p) - entropy| (closest first) and keeps the
// shortest prefix of that ranking whose probabilities sum to more than p (strictly); p >= 1: off.
void typical_p(Candidates& c, float p);

// Nucleus: keeps the most probable tokens up to and including the one where the running sum first
// reaches p (>= p); always at least one; p >= 1: off. Leaves the candidates sorted.
void top_p(Candidates& c, float p);

// Keeps tokens with probability >= p * (the largest probability); order is preserved; p <= 0: off.
void min_p(Candidates& c, float p);

// Divides every logit by t (> 0).
void temperature(Candidates& c, float t);

// Index of the first highest logit (the lowest id among ties when `c` is in id order).
size_t argmax(const Candidates& c);

// Index of a token drawn from softmax(logits), walking the candidates in their current order until
// the running sum reaches u * total (u from `rng`, one draw per call). Sets every p.
size_t draw(Candidates& c, Rng& rng);

}  // namespace chord::sample

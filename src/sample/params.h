// sample::Params: the settings of the sampler chain, with llama.cpp's command-line defaults (temp 0.8,
// top-k 40, top-p 0.95, min-p 0.05, no penalties). A value that switches a stage off (top_k <= 0,
// top_p >= 1, min_p <= 0, typical_p >= 1, penalty 1 / 0, repeat_last_n 0) makes the chain skip it.
// validate() is the one place bad values are refused (cold path: the CLI, the C ABI, Generator).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace chord::sample {

// A seed that asks for a fresh random seed (llama.cpp's LLAMA_DEFAULT_SEED).
constexpr uint32_t kRandomSeed = 0xFFFFFFFFu;

struct LogitBias {
    int32_t token = 0;
    float bias = 0.0f;  // added to the token's logit; -infinity bans it
};

struct Params {
    float temperature = 0.8f;  // <= 0: greedy (argmax after biases and penalties)
    int32_t top_k = 40;        // <= 0: off
    float top_p = 0.95f;       // >= 1: off
    float min_p = 0.05f;       // <= 0: off
    float typical_p = 1.0f;    // >= 1: off
    float repeat_penalty = 1.0f;
    float frequency_penalty = 0.0f;
    float presence_penalty = 0.0f;
    int32_t repeat_last_n = 64;  // tokens the penalties look back over; 0: off
    uint32_t seed = kRandomSeed;
    std::vector<LogitBias> logit_bias;

    // Throws chord::Error (InvalidArgument) naming the first bad value; n_vocab bounds the bias ids.
    void validate(size_t n_vocab) const;
};

}  // namespace chord::sample

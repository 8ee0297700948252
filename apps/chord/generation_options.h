// Flags shared by `chord run` and `chord chat`: llama.cpp's sampling and generation flags (-n, --temp,
// --top-k, --top-p, --min-p, --typical, --repeat-penalty, --repeat-last-n, --presence-penalty,
// --frequency-penalty, -s/--seed, -l/--logit-bias, --ignore-eos, -r/--reverse-prompt) turned into
// sample::Params and runtime::GenerateOptions, and the statistics line both print at the end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/generator.h"
#include "sample/params.h"
#include "tokenizer/tokenizer.h"

namespace CLI {
class App;
}

namespace chord::cli {

struct GenerationOptions {
    sample::Params sampler;
    int64_t seed = -1;                    // -1: random
    int32_t n_predict = -1;               // -n; < 0: until end of generation or a full context
    std::vector<std::string> logit_bias;  // "TOKEN+BIAS", "TOKEN-BIAS", "TOKEN-inf"
    std::vector<std::string> stop;        // -r
    bool ignore_eos = false;
    bool no_perf = false;
};

void add_generation_options(CLI::App& cmd, GenerationOptions& o);

// Throws chord::Error naming the bad flag value.
sample::Params sampler_params(const GenerationOptions& o, const tokenizer::Tokenizer& tokenizer);
runtime::GenerateOptions generate_options(const GenerationOptions& o);

// "prompt 12 tokens at 345.6 tok/s, generated 64 tokens at 40.1 tok/s, first token after 0.12 s (stop:
// max_tokens, seed 42)" to stderr.
void print_stats(const runtime::GenerateStats& s, uint32_t seed);

// llama.cpp's -e: \n \r \t \\ \' \" \? \a \b \f \v \0 and \xHH become the characters they name.
std::string process_escapes(const std::string& text);

}  // namespace chord::cli

// Generation flags (see generation_options.h).
#include "generation_options.h"

#include <CLI/CLI.hpp>

#include <cctype>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"

namespace chord::cli {

void add_generation_options(CLI::App& cmd, GenerationOptions& o) {
    sample::Params& s = o.sampler;
    cmd.add_option("-n,--n-predict", o.n_predict,
                   "Tokens to generate at most (-1: until the end or a full context)")
        ->capture_default_str();
    cmd.add_option("--temp", s.temperature, "Temperature (<= 0: greedy)")->capture_default_str();
    cmd.add_option("--top-k", s.top_k, "Keep the K most likely tokens (<= 0: off)")->capture_default_str();
    cmd.add_option("--top-p", s.top_p, "Keep the most likely tokens up to this total probability (1: off)")
        ->capture_default_str();
    cmd.add_option("--min-p", s.min_p,
                   "Drop tokens below this fraction of the top one's probability (0: off)")
        ->capture_default_str();
    cmd.add_option("--typical", s.typical_p, "Locally typical sampling, p (1: off)")->capture_default_str();
    cmd.add_option("--repeat-penalty", s.repeat_penalty, "Penalty for repeating recent tokens (1: off)")
        ->capture_default_str();
    cmd.add_option("--repeat-last-n", s.repeat_last_n,
                   "Recent tokens the penalties look at (0: off, -1: context)")
        ->capture_default_str();
    cmd.add_option("--presence-penalty", s.presence_penalty,
                   "Subtracted once from every recent token (0: off)")
        ->capture_default_str();
    cmd.add_option("--frequency-penalty", s.frequency_penalty,
                   "Subtracted per occurrence of a recent token (0: off)")
        ->capture_default_str();
    cmd.add_option("-s,--seed", o.seed, "Random seed (-1: a random one, printed at the end)")
        ->capture_default_str();
    cmd.add_option("-l,--logit-bias", o.logit_bias,
                   "Add to a token's logit: TOKEN+BIAS or TOKEN-BIAS, e.g. 15043+1 or 2-inf (repeatable)");
    cmd.add_flag("--ignore-eos", o.ignore_eos, "Never end on an end-of-generation token (bans them)");
    cmd.add_option("-r,--reverse-prompt", o.stop,
                   "Stop when this text appears; it is not printed (repeatable)");
    cmd.add_flag("--no-perf", o.no_perf, "Do not print the statistics at the end");
}

namespace {

sample::LogitBias parse_bias(const std::string& spec) {
    const size_t sign = spec.find_first_of("+-", 1);
    const auto bad = [&] {
        return Error(ErrorCode::InvalidArgument,
                     "--logit-bias '" + spec + "': expected TOKEN+BIAS or TOKEN-BIAS (e.g. 15043+1, 2-inf)");
    };
    if (sign == std::string::npos) throw bad();
    const std::string id_text = spec.substr(0, sign), bias_text = spec.substr(sign);
    char* end = nullptr;
    const long long id = std::strtoll(id_text.c_str(), &end, 10);
    if (id_text.empty() || *end != '\0' || id < 0 || id > INT32_MAX) throw bad();
    float bias = 0;
    if (bias_text == "-inf" || bias_text == "-INF") {
        bias = -INFINITY;
    } else {
        bias = std::strtof(bias_text.c_str(), &end);
        if (*end != '\0' || !std::isfinite(bias)) throw bad();
    }
    return {static_cast<int32_t>(id), bias};
}

}  // namespace

sample::Params sampler_params(const GenerationOptions& o, const tokenizer::Tokenizer& tokenizer) {
    sample::Params p = o.sampler;
    if (o.seed < -1 || o.seed > static_cast<int64_t>(UINT32_MAX))
        throw Error(ErrorCode::InvalidArgument, "--seed must be -1 (random) or 0..4294967295");
    p.seed = o.seed < 0 ? sample::kRandomSeed : static_cast<uint32_t>(o.seed);
    for (const std::string& spec : o.logit_bias) p.logit_bias.push_back(parse_bias(spec));
    if (o.ignore_eos)
        for (const tokenizer::TokenId id : tokenizer.vocab().eog) p.logit_bias.push_back({id, -INFINITY});
    p.validate(tokenizer.n_vocab());
    return p;
}

runtime::GenerateOptions generate_options(const GenerationOptions& o) {
    runtime::GenerateOptions g;
    g.max_tokens = o.n_predict;
    g.stop = o.stop;
    return g;
}

void print_stats(const runtime::GenerateStats& s, uint32_t seed) {
    std::fprintf(stderr,
                 "chord: prompt %" PRIu32 " tokens (%" PRIu32 " cached) at %.1f tok/s, generated %" PRIu32
                 " tokens at %.1f tok/s, first token after %.3f s (",
                 s.prompt_tokens, s.prompt_tokens_cached, s.prompt_tokens_per_second(), s.generated_tokens,
                 s.generation_tokens_per_second(), s.time_to_first_token);
    if (s.stop_reason != runtime::StopReason::None)
        std::fprintf(stderr, "stop: %s, ", runtime::stop_reason_name(s.stop_reason));
    std::fprintf(stderr, "seed %" PRIu32 ")\n", seed);
}

std::string process_escapes(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\' || i + 1 == text.size()) {
            out += text[i];
            continue;
        }
        const char c = text[++i];
        switch (c) {
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'a':
                out += '\a';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'v':
                out += '\v';
                break;
            case '0':
                out += '\0';
                break;
            case '\\':
            case '\'':
            case '"':
            case '?':
                out += c;
                break;
            case 'x':
                if (i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                    std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
                    out += static_cast<char>(std::strtol(text.substr(i + 1, 2).c_str(), nullptr, 16));
                    i += 2;
                    break;
                }
                [[fallthrough]];
            default:  // not an escape: kept as written
                out += '\\';
                out += c;
        }
    }
    return out;
}

}  // namespace chord::cli

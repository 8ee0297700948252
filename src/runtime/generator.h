// runtime::Generator: streams a model's continuation of a prompt as text. It evaluates the prompt
// (reusing whatever the Context already holds of it, so a chat that re-sends its history only evaluates
// the new turn), samples with a sample::Chain, and hands UTF-8-complete pieces to a callback, holding
// back text that could still become a stop string. A run ends at an end-of-generation token, a stop
// string, max_tokens, a full context (no context shift: the reason says so and the caller decides, e.g.
// start over), when the callback returns false, or on abort() from any thread. Statistics of each run
// (tokens/s, time to first token, why it stopped) come back from run().
//
//   runtime::Generator gen(ctx, tokenizer, {.temperature = 0.7f, .seed = 42});
//   auto stats = gen.run("Once upon a time", {.max_tokens = 64, .stop = {"\n\n"}},
//                        [](std::string_view piece) { std::cout << piece << std::flush; return true; });
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/context.h"
#include "runtime/stop_strings.h"
#include "sample/chain.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace chord::runtime {

struct GenerateOptions {
    int32_t max_tokens = -1;        // tokens to sample at most; < 0: no limit
    std::vector<std::string> stop;  // the text ends before the first of these (which is not streamed)
    bool add_special = true;        // text prompts: add BOS / EOS where the model asks for them
    bool parse_special =
        true;  // text prompts: "<|im_start|>" etc. become control tokens (as llama.cpp's CLI)
};

enum class StopReason : int {
    None = 0,         // no run yet
    EndOfGeneration,  // the model sampled an end-of-generation token (EOS, EOT, <|im_end|>, ...)
    MaxTokens,        // max_tokens were sampled
    StopString,       // a stop string appeared in the text
    Callback,         // the callback returned false
    Aborted,          // abort() was called
    ContextFull,      // every position of the context is used; nothing is dropped automatically
};
const char* stop_reason_name(StopReason reason);  // "eog", "max_tokens", ...

struct GenerateStats {
    uint32_t prompt_tokens = 0;         // in the prompt
    uint32_t prompt_tokens_cached = 0;  // of those, already in the context and not evaluated again
    double prompt_seconds = 0;          // evaluating the others
    uint32_t generated_tokens = 0;      // sampled, an end-of-generation token included
    double generation_seconds = 0;      // from the end of the prompt to the end of the run
    double time_to_first_token = 0;     // seconds from the start of the run to the first sampled token
    StopReason stop_reason = StopReason::None;

    double prompt_tokens_per_second() const;
    double generation_tokens_per_second() const;
};

class Generator {
  public:
    // Receives each piece of text; returning false ends the run (StopReason::Callback).
    using Callback = std::function<bool(std::string_view piece)>;

    // The context and tokenizer must outlive the generator. Throws chord::Error for bad sampler params.
    Generator(Context& ctx, const tokenizer::Tokenizer& tokenizer, const sample::Params& params = {});

    // Replaces the sampler (history cleared, random sequence restarted from the new seed).
    void set_sampler(const sample::Params& params);
    sample::Chain& sampler() { return chain_; }
    const sample::Chain& sampler() const { return chain_; }

    // Makes the context hold `prompt` (keeping the longest prefix it already holds), then generates.
    // Throws chord::Error (InvalidArgument) before touching the context when the prompt is empty, has
    // a token outside the vocabulary, or is longer than the context; a callback's exception passes
    // through. The penalties see the prompt; the random sequence continues from the previous run.
    GenerateStats run(std::span<const tokenizer::TokenId> prompt, const GenerateOptions& options,
                      const Callback& on_piece);
    // The same for text, tokenized with options.add_special / parse_special.
    GenerateStats run(std::string_view prompt, const GenerateOptions& options, const Callback& on_piece);

    // Throws what run() throws for a prompt it cannot take (see above), without running anything.
    void check_prompt(std::span<const tokenizer::TokenId> prompt) const;

    // Thread-safe and async-signal-safe: ends the run in progress after the token being computed (or
    // after the prompt). Returns false, doing nothing, when no run is in progress.
    bool abort();

    // The tokens sampled by the last run, an end-of-generation token included.
    const std::vector<tokenizer::TokenId>& generated() const { return generated_; }
    const GenerateStats& last_stats() const { return stats_; }

  private:
    enum State : int { kIdle, kRunning, kAborting };

    std::span<const float> evaluate_prompt(std::span<const tokenizer::TokenId> prompt);
    bool emit(std::string_view text, const Callback& on_piece);

    Context* ctx_;
    const tokenizer::Tokenizer* tokenizer_;
    sample::Chain chain_;
    std::atomic<int> state_{kIdle};
    static_assert(std::atomic<int>::is_always_lock_free, "abort() must be async-signal-safe");

    GenerateStats stats_;
    std::vector<tokenizer::TokenId> generated_;
    tokenizer::StreamDecoder decoder_;
    StopStrings stops_;
    std::string text_;  // scratch: decoded text of one token
    std::string out_;   // scratch: what goes to the callback
};

}  // namespace chord::runtime

// Generator (see generator.h). The token loop allocates nothing once its buffers have grown: the chain
// reuses its candidates, the text scratch strings keep their capacity, generated_ is reserved per run.
#include "runtime/generator.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"

namespace chord::runtime {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

tokenizer::StreamDecoder::Options continuation() {
    tokenizer::StreamDecoder::Options o;
    o.text_start = false;  // the text continues the prompt: pieces exactly as they are
    return o;
}

}  // namespace

const char* stop_reason_name(StopReason reason) {
    switch (reason) {
        case StopReason::None:
            return "none";
        case StopReason::EndOfGeneration:
            return "eog";
        case StopReason::MaxTokens:
            return "max_tokens";
        case StopReason::StopString:
            return "stop_string";
        case StopReason::Callback:
            return "callback";
        case StopReason::Aborted:
            return "aborted";
        case StopReason::ContextFull:
            return "context_full";
    }
    return "unknown";
}

double GenerateStats::prompt_tokens_per_second() const {
    const uint32_t evaluated = prompt_tokens - prompt_tokens_cached;
    return prompt_seconds > 0 ? evaluated / prompt_seconds : 0.0;
}

double GenerateStats::generation_tokens_per_second() const {
    return generation_seconds > 0 ? generated_tokens / generation_seconds : 0.0;
}

Generator::Generator(Context& ctx, const tokenizer::Tokenizer& tokenizer, const sample::Params& params)
    : ctx_(&ctx),
      tokenizer_(&tokenizer),
      chain_(static_cast<size_t>(ctx.model().hparams().n_vocab), params, ctx.n_ctx()),
      decoder_(tokenizer, continuation()) {}

void Generator::set_sampler(const sample::Params& params) {
    chain_ = sample::Chain(chain_.n_vocab(), params, ctx_->n_ctx());
}

bool Generator::abort() {
    int expected = kRunning;
    return state_.compare_exchange_strong(expected, kAborting);
}

void Generator::check_prompt(std::span<const tokenizer::TokenId> prompt) const {
    if (prompt.empty()) throw Error(ErrorCode::InvalidArgument, "the prompt is empty (no tokens)");
    if (prompt.size() > ctx_->n_ctx())
        throw Error(ErrorCode::InvalidArgument,
                    "the prompt has " + std::to_string(prompt.size()) + " tokens, more than the context of " +
                        std::to_string(ctx_->n_ctx()) + " (raise it with -c, or shorten the prompt)");
    const size_t n_vocab = chain_.n_vocab();
    for (const tokenizer::TokenId id : prompt)
        if (id < 0 || static_cast<size_t>(id) >= n_vocab)
            throw Error(ErrorCode::InvalidArgument, "prompt token " + std::to_string(id) +
                                                        " is outside the vocabulary (0.." +
                                                        std::to_string(n_vocab - 1) + ")");
}

std::span<const float> Generator::evaluate_prompt(std::span<const tokenizer::TokenId> prompt) {
    const std::vector<int32_t>& cached = ctx_->tokens();
    size_t keep =
        std::mismatch(cached.begin(), cached.end(), prompt.begin(), prompt.end()).first - cached.begin();
    keep = std::min(keep, prompt.size() - 1);  // the last prompt token is evaluated again for its logits
    ctx_->truncate(static_cast<uint32_t>(keep));
    stats_.prompt_tokens_cached = static_cast<uint32_t>(keep);
    return ctx_->eval(prompt.subspan(keep));
}

// Decoded text -> stop strings -> callback. Returns false when the run must end here.
bool Generator::emit(std::string_view text, const Callback& on_piece) {
    out_.clear();
    const bool stop_string = stops_.feed(text, out_);
    const bool keep_going = out_.empty() || on_piece(out_);
    if (stop_string) {
        stats_.stop_reason = StopReason::StopString;
        return false;
    }
    if (!keep_going) {
        stats_.stop_reason = StopReason::Callback;
        return false;
    }
    return true;
}

GenerateStats Generator::run(std::string_view prompt, const GenerateOptions& options,
                             const Callback& on_piece) {
    const std::vector<tokenizer::TokenId> ids =
        tokenizer_->encode(prompt, options.add_special, options.parse_special);
    return run(std::span<const tokenizer::TokenId>(ids), options, on_piece);
}

GenerateStats Generator::run(std::span<const tokenizer::TokenId> prompt, const GenerateOptions& options,
                             const Callback& on_piece) {
    check_prompt(prompt);
    state_.store(kRunning);
    struct Idle {  // whatever happens, the next abort() finds no run
        std::atomic<int>& state;
        ~Idle() { state.store(kIdle); }
    } idle{state_};

    const auto start = Clock::now();
    stats_ = GenerateStats{};
    stats_.prompt_tokens = static_cast<uint32_t>(prompt.size());
    generated_.clear();
    generated_.reserve(options.max_tokens >= 0 ? static_cast<size_t>(options.max_tokens) : ctx_->n_ctx());
    text_.clear();
    decoder_.finish(text_);  // forget what a run that threw may have left
    stops_ = StopStrings(options.stop);

    chain_.clear_history();
    for (const tokenizer::TokenId id : prompt) chain_.accept(id);

    std::span<const float> logits = evaluate_prompt(prompt);
    stats_.prompt_seconds = seconds_since(start);
    const auto generation_start = Clock::now();

    bool flush = true;  // hand out held-back text at the end
    if (options.max_tokens == 0) stats_.stop_reason = StopReason::MaxTokens;
    while (stats_.stop_reason == StopReason::None) {
        if (state_.load(std::memory_order_relaxed) == kAborting) {
            stats_.stop_reason = StopReason::Aborted;
            break;
        }
        const tokenizer::TokenId id = chain_.sample(logits);
        chain_.accept(id);
        generated_.push_back(id);
        if (generated_.size() == 1) stats_.time_to_first_token = seconds_since(start);
        if (tokenizer_->is_eog(id)) {
            stats_.stop_reason = StopReason::EndOfGeneration;
            break;
        }
        text_.clear();
        decoder_.push(id, text_);
        if (!text_.empty() && !emit(text_, on_piece)) {
            flush = false;
            break;
        }
        if (options.max_tokens >= 0 && generated_.size() >= static_cast<size_t>(options.max_tokens)) {
            stats_.stop_reason = StopReason::MaxTokens;
            break;
        }
        if (ctx_->n_past() >= ctx_->n_ctx()) {
            stats_.stop_reason = StopReason::ContextFull;
            break;
        }
        logits = ctx_->eval(std::span<const tokenizer::TokenId>(&id, 1));
    }

    text_.clear();
    decoder_.finish(text_);  // an incomplete character at the very end comes out as U+FFFD
    if (flush) {
        out_.clear();
        if (stops_.feed(text_, out_))
            stats_.stop_reason = StopReason::StopString;
        else
            stops_.flush(out_);
        if (!out_.empty()) on_piece(out_);
    }
    stats_.generated_tokens = static_cast<uint32_t>(generated_.size());
    stats_.generation_seconds = seconds_since(generation_start);
    return stats_;
}

}  // namespace chord::runtime

// The C ABI, part 2: contexts, samplers, generation and chat (chord.h). Each call converts the plain C
// parameter structs into the C++ ones and runs runtime::Generator; exceptions end in guarded().
#include <cstring>

#include "capi/handles.h"
#include "runtime/chat_prompt.h"

namespace chord::capi {
namespace {

sample::Params sampler_params(const chord_sampler_params& p) {
    sample::Params s;
    s.temperature = p.temperature;
    s.top_k = p.top_k;
    s.top_p = p.top_p;
    s.min_p = p.min_p;
    s.typical_p = p.typical_p;
    s.repeat_penalty = p.repeat_penalty;
    s.frequency_penalty = p.frequency_penalty;
    s.presence_penalty = p.presence_penalty;
    s.repeat_last_n = p.repeat_last_n;
    s.seed = p.seed;
    if (p.n_logit_bias > 0) require(p.logit_bias, "logit_bias");
    for (size_t i = 0; i < p.n_logit_bias; ++i)
        s.logit_bias.push_back({p.logit_bias[i].token, p.logit_bias[i].bias});
    return s;
}

runtime::GenerateOptions generate_options(const chord_generate_params& p) {
    runtime::GenerateOptions o;
    o.max_tokens = p.max_tokens;
    if (p.n_stop > 0) require(p.stop, "stop");
    for (size_t i = 0; i < p.n_stop; ++i) o.stop.emplace_back(&require(p.stop[i], "a stop string"));
    o.add_special = p.add_special != 0;
    o.parse_special = p.parse_special != 0;
    return o;
}

void write_stats(const runtime::GenerateStats& s, chord_stats* out) {
    if (out == nullptr) return;
    out->prompt_tokens = s.prompt_tokens;
    out->prompt_tokens_cached = s.prompt_tokens_cached;
    out->generated_tokens = s.generated_tokens;
    static_assert(static_cast<int>(runtime::StopReason::EndOfGeneration) == CHORD_STOP_EOG &&
                  static_cast<int>(runtime::StopReason::ContextFull) == CHORD_STOP_CONTEXT_FULL);
    out->stop_reason = static_cast<int32_t>(s.stop_reason);
    out->prompt_seconds = s.prompt_seconds;
    out->generation_seconds = s.generation_seconds;
    out->time_to_first_token = s.time_to_first_token;
    out->prompt_tokens_per_second = s.prompt_tokens_per_second();
    out->generation_tokens_per_second = s.generation_tokens_per_second();
}

// Sets up the context's generator for one call and runs `run` with the C callback wrapped.
template <class Run>
void generate(chord_context& c, const chord_generate_params* params, chord_piece_callback callback,
              void* user_data, chord_stats* stats, Run&& run) {
    chord_generate_params defaults;
    chord_generate_default_params(&defaults);
    const chord_generate_params& p = params != nullptr ? *params : defaults;
    const runtime::GenerateOptions options = generate_options(p);
    c.generator.set_sampler(sampler_params(p.sampler));
    const runtime::Generator::Callback on_piece = [&](std::string_view piece) {
        if (callback == nullptr) return true;
        c.piece.assign(piece);  // NUL-terminated for C
        return callback(c.piece.c_str(), c.piece.size(), user_data) != 0;
    };
    write_stats(run(options, on_piece), stats);
}

// The model's template, a built-in by name, or Jinja source (never a path: the wasm module has no files).
chat::Template make_template(const model::Model& m, const tokenizer::Tokenizer& tok,
                             const char* chat_template) {
    const std::string_view spec = chat_template == nullptr ? "" : chat_template;
    if (spec.empty()) return chat::Template::from_gguf(m.file());
    for (const std::string& name : chat::Template::builtin_names())
        if (spec == name) return chat::Template::from_gguf(m.file(), spec);
    chat::Template t = chat::Template::parse(spec, "chat template");
    const auto text = [&](tokenizer::TokenId id) { return id < 0 ? std::string() : tok.token_text(id); };
    t.set_special_tokens(text(tok.bos()), text(tok.eos()));
    return t;
}

std::vector<chat::Message> messages_of(const chord_message* messages, size_t n) {
    if (n > 0) require(messages, "messages");
    std::vector<chat::Message> out;
    for (size_t i = 0; i < n; ++i)
        out.push_back({&require(messages[i].role, "a message's role"),
                       &require(messages[i].content, "a message's content")});
    return out;
}

}  // namespace
}  // namespace chord::capi

using namespace chord;
using capi::guarded;
using capi::require;

extern "C" {

chord_status chord_context_default_params(chord_context_params* out) {
    return guarded(__func__, [&] {
        const runtime::ContextOptions d;
        require(out, "out") = {d.n_ctx, d.threads, d.n_batch, CHORD_KV_F16};
    });
}

chord_status chord_context_create(const chord_model* model, const chord_context_params* params,
                                  chord_context** out) {
    return guarded(__func__, [&] {
        const chord_model& m = require(model, "model");
        require(out, "out");
        chord_context_params p;
        chord_context_default_params(&p);
        if (params != nullptr) p = *params;
        if (p.kv_type != CHORD_KV_F16 && p.kv_type != CHORD_KV_F32)
            throw Error(ErrorCode::InvalidArgument, "kv_type must be CHORD_KV_F16 or CHORD_KV_F32");
        runtime::ContextOptions o;
        o.n_ctx = p.n_ctx;
        o.threads = p.n_threads;
        o.n_batch = p.n_batch;
        o.kv_type = p.kv_type == CHORD_KV_F32 ? GgmlType::F32 : GgmlType::F16;
        *out = new chord_context(m.model, m.tokenizer, o);
    });
}

chord_status chord_context_free(chord_context* ctx) {
    delete ctx;
    capi::clear_last_error();
    return CHORD_OK;
}

chord_status chord_context_eval(chord_context* ctx, const int32_t* tokens, size_t n_tokens,
                                const float** logits, size_t* n_logits) {
    return guarded(__func__, [&] {
        chord_context& c = require(ctx, "ctx");
        require(logits, "logits");
        require(n_logits, "n_logits");
        if (tokens == nullptr && n_tokens > 0) throw Error(ErrorCode::InvalidArgument, "tokens is NULL");
        const capi::BusyGuard busy(c);
        const auto l = c.ctx.eval({tokens, n_tokens});
        *logits = l.data();
        *n_logits = l.size();
    });
}

chord_status chord_context_n_past(const chord_context* ctx, uint32_t* n_past, uint32_t* n_ctx) {
    return guarded(__func__, [&] {
        const chord_context& c = require(ctx, "ctx");
        if (n_past != nullptr) *n_past = c.ctx.n_past();
        if (n_ctx != nullptr) *n_ctx = c.ctx.n_ctx();
    });
}

chord_status chord_context_truncate(chord_context* ctx, uint32_t n) {
    return guarded(__func__, [&] {
        chord_context& c = require(ctx, "ctx");
        const capi::BusyGuard busy(c);
        c.ctx.truncate(n);
    });
}

chord_status chord_sampler_default_params(chord_sampler_params* out) {
    return guarded(__func__, [&] {
        const sample::Params d;
        chord_sampler_params& p = require(out, "out");
        p.temperature = d.temperature;
        p.top_k = d.top_k;
        p.top_p = d.top_p;
        p.min_p = d.min_p;
        p.typical_p = d.typical_p;
        p.repeat_penalty = d.repeat_penalty;
        p.frequency_penalty = d.frequency_penalty;
        p.presence_penalty = d.presence_penalty;
        p.repeat_last_n = d.repeat_last_n;
        p.seed = d.seed;
        p.logit_bias = nullptr;
        p.n_logit_bias = 0;
    });
}

chord_status chord_sampler_create(const chord_model* model, const chord_sampler_params* params,
                                  chord_sampler** out) {
    return guarded(__func__, [&] {
        const chord_model& m = require(model, "model");
        require(out, "out");
        chord_sampler_params p;
        chord_sampler_default_params(&p);
        if (params != nullptr) p = *params;
        *out = new chord_sampler{sample::Chain(m.tokenizer.n_vocab(), capi::sampler_params(p))};
    });
}

chord_status chord_sampler_free(chord_sampler* sampler) {
    delete sampler;
    capi::clear_last_error();
    return CHORD_OK;
}

chord_status chord_sampler_sample(chord_sampler* sampler, const float* logits, size_t n_logits,
                                  int32_t* token) {
    return guarded(__func__, [&] {
        chord_sampler& s = require(sampler, "sampler");
        require(logits, "logits");
        require(token, "token");
        if (n_logits != s.chain.n_vocab())
            throw Error(ErrorCode::InvalidArgument, "n_logits is " + std::to_string(n_logits) +
                                                        ", the vocabulary has " +
                                                        std::to_string(s.chain.n_vocab()));
        *token = s.chain.sample({logits, n_logits});
    });
}

chord_status chord_sampler_accept(chord_sampler* sampler, int32_t token) {
    return guarded(__func__, [&] {
        chord_sampler& s = require(sampler, "sampler");
        if (token < 0 || static_cast<size_t>(token) >= s.chain.n_vocab())
            throw Error(ErrorCode::InvalidArgument,
                        "token " + std::to_string(token) + " is outside the vocabulary");
        s.chain.accept(token);
    });
}

chord_status chord_sampler_reset(chord_sampler* sampler) {
    return guarded(__func__, [&] { require(sampler, "sampler").chain.reset(); });
}

chord_status chord_sampler_seed(const chord_sampler* sampler, uint32_t* seed) {
    return guarded(__func__, [&] { require(seed, "seed") = require(sampler, "sampler").chain.seed(); });
}

chord_status chord_generate_default_params(chord_generate_params* out) {
    return guarded(__func__, [&] {
        chord_generate_params& p = require(out, "out");
        chord_sampler_default_params(&p.sampler);
        p.max_tokens = -1;
        p.stop = nullptr;
        p.n_stop = 0;
        p.add_special = 1;
        p.parse_special = 1;
    });
}

chord_status chord_generate(chord_context* ctx, const char* prompt, size_t prompt_length,
                            const chord_generate_params* params, chord_piece_callback callback,
                            void* user_data, chord_stats* stats) {
    return guarded(__func__, [&] {
        chord_context& c = require(ctx, "ctx");
        if (prompt == nullptr && prompt_length > 0) throw Error(ErrorCode::InvalidArgument, "prompt is NULL");
        const capi::BusyGuard busy(c);
        capi::generate(c, params, callback, user_data, stats, [&](const auto& options, const auto& on_piece) {
            return c.generator.run(std::string_view(prompt == nullptr ? "" : prompt, prompt_length), options,
                                   on_piece);
        });
    });
}

chord_status chord_generate_tokens(chord_context* ctx, const int32_t* prompt, size_t n_prompt,
                                   const chord_generate_params* params, chord_piece_callback callback,
                                   void* user_data, chord_stats* stats) {
    return guarded(__func__, [&] {
        chord_context& c = require(ctx, "ctx");
        if (prompt == nullptr && n_prompt > 0) throw Error(ErrorCode::InvalidArgument, "prompt is NULL");
        const capi::BusyGuard busy(c);
        capi::generate(c, params, callback, user_data, stats, [&](const auto& options, const auto& on_piece) {
            return c.generator.run(std::span<const int32_t>(prompt, n_prompt), options, on_piece);
        });
    });
}

chord_status chord_chat_apply_template(const chord_model* model, const char* chat_template,
                                       const chord_message* messages, size_t n_messages,
                                       int32_t add_generation_prompt, char* text, size_t capacity,
                                       size_t* length) {
    return guarded(__func__, [&] {
        const chord_model& m = require(model, "model");
        chat::ApplyOptions o;
        o.add_generation_prompt = add_generation_prompt != 0;
        const std::string s = capi::make_template(*m.model, m.tokenizer, chat_template)
                                  .apply(capi::messages_of(messages, n_messages), o);
        capi::write_text(s, text, capacity, length);
    });
}

chord_status chord_chat(chord_context* ctx, const char* chat_template, const chord_message* messages,
                        size_t n_messages, const chord_generate_params* params, chord_piece_callback callback,
                        void* user_data, chord_stats* stats) {
    return guarded(__func__, [&] {
        chord_context& c = require(ctx, "ctx");
        const capi::BusyGuard busy(c);
        const std::string key = chat_template == nullptr ? "" : chat_template;
        if (!c.chat || c.chat_key != key) {
            c.chat = capi::make_template(*c.model, c.tokenizer, chat_template);
            c.chat_key = key;
        }
        const auto prompt =
            runtime::chat_prompt(c.tokenizer, *c.chat, capi::messages_of(messages, n_messages));
        capi::generate(c, params, callback, user_data, stats, [&](const auto& options, const auto& on_piece) {
            return c.generator.run(std::span<const int32_t>(prompt), options, on_piece);
        });
    });
}

chord_status chord_abort(chord_context* ctx) {
    if (ctx == nullptr) return CHORD_ERROR_INVALID_ARGUMENT;  // no message: this must stay signal-safe
    ctx->generator.abort();
    return CHORD_OK;
}

chord_status chord_context_stats(const chord_context* ctx, chord_stats* out) {
    return guarded(__func__, [&] {
        const chord_context& c = require(ctx, "ctx");
        capi::write_stats(c.generator.last_stats(), &require(out, "out"));
    });
}

}  // extern "C"

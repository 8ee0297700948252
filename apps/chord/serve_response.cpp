// OpenAI response shapes for `chord serve` (see serve_response.h).
#include "serve_response.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>

namespace chord::cli::serve {

using nlohmann::json;

namespace {

// A model can write any bytes: invalid UTF-8 becomes U+FFFD rather than an exception.
std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string sse(const json& j) {
    return "data: " + dump(j) + "\n\n";
}

json usage_json(const Usage& u) {
    return {{"prompt_tokens", u.prompt_tokens},
            {"completion_tokens", u.completion_tokens},
            {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

json base(const AnswerHeader& h, bool chunk) {
    const char* object = h.endpoint == Endpoint::Completion ? "text_completion"
                         : chunk                            ? "chat.completion.chunk"
                                                            : "chat.completion";
    return {{"id", h.id},
            {"object", object},
            {"created", h.created},
            {"model", h.model},
            {"system_fingerprint", "wasm-chord"}};
}

json finish_json(const char* finish) {
    return finish == nullptr ? json(nullptr) : json(finish);
}

json chunk_choice(const AnswerHeader& h, std::string_view text, bool with_role, const char* finish) {
    if (h.endpoint == Endpoint::Completion)
        return {{"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", finish_json(finish)}};
    json delta = json::object();
    if (with_role) delta["role"] = "assistant";
    if (finish == nullptr) delta["content"] = text;
    return {{"index", 0},
            {"delta", std::move(delta)},
            {"logprobs", nullptr},
            {"finish_reason", finish_json(finish)}};
}

}  // namespace

AnswerHeader new_answer(Endpoint endpoint, std::string model) {
    static std::atomic<uint64_t> counter{0};
    static const uint64_t salt = [] {
        std::random_device rd;
        return (static_cast<uint64_t>(rd()) << 32) ^ rd();
    }();
    char id[40];
    std::snprintf(id, sizeof id, "%016llx%06llx", static_cast<unsigned long long>(salt),
                  static_cast<unsigned long long>(counter.fetch_add(1) & 0xFFFFFF));
    AnswerHeader h;
    h.endpoint = endpoint;
    h.id = std::string(endpoint == Endpoint::Chat ? "chatcmpl-" : "cmpl-") + id;
    h.created =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    h.model = std::move(model);
    return h;
}

const char* finish_reason(runtime::StopReason reason) {
    switch (reason) {
        case runtime::StopReason::MaxTokens:
        case runtime::StopReason::ContextFull:
            return "length";
        default:
            return "stop";
    }
}

std::string answer_body(const AnswerHeader& h, std::string_view text, const char* finish,
                        const Usage& usage) {
    json j = base(h, false);
    json choice;
    if (h.endpoint == Endpoint::Completion)
        choice = {{"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", finish}};
    else
        choice = {{"index", 0},
                  {"message", {{"role", "assistant"}, {"content", text}, {"refusal", nullptr}}},
                  {"logprobs", nullptr},
                  {"finish_reason", finish}};
    j["choices"] = json::array({std::move(choice)});
    j["usage"] = usage_json(usage);
    return dump(j);
}

std::string sse_text(const AnswerHeader& h, std::string_view text, bool with_role) {
    json j = base(h, true);
    j["choices"] = json::array({chunk_choice(h, text, with_role, nullptr)});
    return sse(j);
}

std::string sse_finish(const AnswerHeader& h, const char* finish) {
    json j = base(h, true);
    j["choices"] = json::array({chunk_choice(h, "", false, finish)});
    return sse(j);
}

std::string sse_usage(const AnswerHeader& h, const Usage& usage) {
    json j = base(h, true);
    j["choices"] = json::array();
    j["usage"] = usage_json(usage);
    return sse(j);
}

std::string sse_error(const ApiError& e) {
    return "data: " + error_body(e) + "\n\n";
}

}  // namespace chord::cli::serve

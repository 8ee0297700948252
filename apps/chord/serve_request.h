// `chord serve`: the body of an OpenAI chat-completions or completions request, checked and turned into
// what the runtime takes (chat messages or a prompt, sample::Params, runtime::GenerateOptions). Anything
// the server cannot honour is refused here with an ApiError naming the parameter, before a slot is taken.
// Sampling follows OpenAI's defaults (temperature 1, top_p 1, no top-k or min-p), not llama.cpp's CLI
// ones; llama.cpp's server extensions top_k, min_p and repeat_penalty are accepted too.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "chat/template.h"
#include "runtime/generator.h"
#include "sample/params.h"
#include "tokenizer/tokenizer.h"

namespace chord::cli::serve {

// An error that goes back to the client as {"error": {"message", "type", "param", "code"}}.
struct ApiError : std::exception {
    ApiError(int status, std::string message, std::string param = {}, std::string code = {},
             std::string type = {});
    const char* what() const noexcept override { return message.c_str(); }

    int status;
    std::string message;
    std::string type;   // "invalid_request_error", "authentication_error", "server_error", ...
    std::string param;  // empty: null
    std::string code;   // empty: null
};

// The JSON text of an error object.
std::string error_body(const ApiError& e);

enum class Endpoint { Chat, Completion };

struct CompletionRequest {
    Endpoint endpoint = Endpoint::Chat;
    std::vector<chat::Message> messages;         // chat
    std::string prompt;                          // completion, as text ...
    std::vector<tokenizer::TokenId> prompt_ids;  // ... or as token ids (then prompt is empty)
    bool prompt_is_ids = false;
    bool echo = false;  // completion: the answer starts with the prompt
    bool stream = false;
    bool include_usage = false;  // stream_options.include_usage
    // llama.cpp's extension: reuse the slot's cached prefix of the prompt (default). Off, the prompt is
    // evaluated afresh, so a seeded answer is bit-for-bit the one a fresh `chord run` gives (the last
    // prompt token alone vs. in a batch can differ in the last bits, enough to change a random draw).
    bool cache_prompt = true;
    sample::Params sampler;
    runtime::GenerateOptions generate;
};

// Throws ApiError (400) for a body that is not JSON, a wrong type or value, or an unsupported feature
// (n > 1, logprobs, tools, ...). n_vocab bounds logit_bias ids.
CompletionRequest parse_request(std::string_view body, Endpoint endpoint, size_t n_vocab);

}  // namespace chord::cli::serve

// `chord serve`: the JSON that goes back, in OpenAI's shapes. A whole answer is a "chat.completion" or a
// "text_completion" object with usage; a streamed one is a sequence of server-sent events, each
// `data: {chunk}\n\n` ("chat.completion.chunk" or "text_completion" objects: the role first for chat,
// then one chunk per piece of text, then one with the finish_reason, then optionally one with usage
// and no choices), ended by `data: [DONE]\n\n`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/generator.h"
#include "serve_request.h"

namespace chord::cli::serve {

struct Usage {
    uint32_t prompt_tokens = 0;
    uint32_t completion_tokens = 0;
};

// Identifies one answer: its id ("chatcmpl-..." or "cmpl-..."), creation time and model.
struct AnswerHeader {
    Endpoint endpoint = Endpoint::Chat;
    std::string id;
    int64_t created = 0;
    std::string model;
};
AnswerHeader new_answer(Endpoint endpoint, std::string model);

// "stop" (end of generation or a stop string) or "length" (max_tokens or a full context).
const char* finish_reason(runtime::StopReason reason);

// The non-streamed answer.
std::string answer_body(const AnswerHeader& h, std::string_view text, const char* finish, const Usage& usage);

// One streamed event: `data: ...\n\n`. A piece of text (the first chat chunk also carries the role),
// the last chunk with its finish_reason, the usage chunk, and the end.
std::string sse_text(const AnswerHeader& h, std::string_view text, bool with_role = false);
std::string sse_finish(const AnswerHeader& h, const char* finish);
std::string sse_usage(const AnswerHeader& h, const Usage& usage);
std::string sse_error(const ApiError& e);
inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

}  // namespace chord::cli::serve

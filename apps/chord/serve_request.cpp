// Request parsing for `chord serve` (see serve_request.h).
#include "serve_request.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

namespace chord::cli::serve {

using nlohmann::json;

ApiError::ApiError(int status_, std::string message_, std::string param_, std::string code_,
                   std::string type_)
    : status(status_),
      message(std::move(message_)),
      type(type_.empty() ? (status_ >= 500 ? "server_error" : "invalid_request_error") : std::move(type_)),
      param(std::move(param_)),
      code(std::move(code_)) {}

std::string error_body(const ApiError& e) {
    json err = {{"message", e.message},
                {"type", e.type},
                {"param", e.param.empty() ? json(nullptr) : json(e.param)},
                {"code", e.code.empty() ? json(nullptr) : json(e.code)}};
    return json{{"error", std::move(err)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

ApiError bad(const std::string& param, const std::string& message,
             const std::string& code = "invalid_value") {
    return ApiError(400, message, param, code);
}

const char* type_name(const json& v) {
    return v.type_name();
}

// A field, or nullptr when absent or null (OpenAI treats null as "not given").
const json* field(const json& body, const char* name) {
    const auto it = body.find(name);
    return it == body.end() || it->is_null() ? nullptr : &*it;
}

double number(const json& body, const char* name, double lo, double hi, double fallback) {
    const json* v = field(body, name);
    if (v == nullptr) return fallback;
    if (!v->is_number())
        throw bad(name, std::string("'") + name + "' must be a number, not " + type_name(*v), "invalid_type");
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < lo || d > hi)
        throw bad(name, std::string("'") + name + "' must be between " + json(lo).dump() + " and " +
                            json(hi).dump());
    return d;
}

bool boolean(const json& body, const char* name, bool fallback) {
    const json* v = field(body, name);
    if (v == nullptr) return fallback;
    if (!v->is_boolean())
        throw bad(name, std::string("'") + name + "' must be a boolean, not " + type_name(*v),
                  "invalid_type");
    return v->get<bool>();
}

// An integer (a float with an integral value is accepted, as JavaScript clients may send 16.0).
bool integer(const json& body, const char* name, int64_t& out) {
    const json* v = field(body, name);
    if (v == nullptr) return false;
    const auto fail = [&] {
        return bad(name, std::string("'") + name + "' must be an integer", "invalid_type");
    };
    if (v->is_number_integer()) {
        if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) throw fail();
        out = v->get<int64_t>();
        return true;
    }
    if (!v->is_number_float()) throw fail();
    const double d = v->get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9e15) throw fail();
    out = static_cast<int64_t>(d);
    return true;
}

std::string message_content(const json& content, size_t index) {
    const std::string param = "messages[" + std::to_string(index) + "].content";
    if (content.is_string()) return content.get<std::string>();
    if (content.is_null()) return "";
    if (!content.is_array())
        throw bad(param, "'" + param + "' must be a string or an array of parts", "invalid_type");
    std::string text;
    for (const json& part : content) {
        if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
            !part["text"].is_string())
            throw bad(param, "only text content parts ({\"type\": \"text\", \"text\": ...}) are supported");
        text += part["text"].get<std::string>();
    }
    return text;
}

void parse_messages(const json& body, CompletionRequest& r) {
    const json* messages = field(body, "messages");
    if (messages == nullptr) throw bad("messages", "'messages' is required", "missing_required_parameter");
    if (!messages->is_array() || messages->empty())
        throw bad("messages", "'messages' must be a non-empty array");
    for (size_t i = 0; i < messages->size(); ++i) {
        const json& m = (*messages)[i];
        const std::string param = "messages[" + std::to_string(i) + "]";
        if (!m.is_object()) throw bad(param, "'" + param + "' must be an object", "invalid_type");
        const auto role = m.find("role");
        if (role == m.end() || !role->is_string())
            throw bad(param + ".role", "'" + param + ".role' must be a string", "invalid_type");
        std::string name = role->get<std::string>();
        if (name == "developer") name = "system";  // OpenAI's newer name for system instructions
        if (name != "system" && name != "user" && name != "assistant" && name != "tool")
            throw bad(param + ".role",
                      "'" + param + ".role' must be system, developer, user, assistant or tool");
        const auto content = m.find("content");
        r.messages.push_back({name, content == m.end() ? "" : message_content(*content, i)});
    }
}

void parse_prompt(const json& body, CompletionRequest& r) {
    const json* prompt = field(body, "prompt");
    if (prompt == nullptr) throw bad("prompt", "'prompt' is required", "missing_required_parameter");
    const auto ids = [&](const json& list) {
        for (const json& id : list) {
            if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX)
                throw bad("prompt", "a token-id prompt must hold non-negative integers");
            r.prompt_ids.push_back(static_cast<tokenizer::TokenId>(id.get<int64_t>()));
        }
        r.prompt_is_ids = true;
    };
    if (prompt->is_string()) {
        r.prompt = prompt->get<std::string>();
    } else if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_string()) {
        r.prompt = (*prompt)[0].get<std::string>();
    } else if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_array()) {
        ids((*prompt)[0]);
    } else if (prompt->is_array() && !prompt->empty() && (*prompt)[0].is_number()) {
        ids(*prompt);
    } else if (prompt->is_array() && prompt->size() > 1) {
        throw bad("prompt", "only one prompt per request is supported (a batch of prompts is not)");
    } else {
        throw bad("prompt", "'prompt' must be a string, an array of one string, or an array of token ids",
                  "invalid_type");
    }
}

std::vector<std::string> parse_stop(const json& body) {
    const json* stop = field(body, "stop");
    if (stop == nullptr) return {};
    if (stop->is_string()) return {stop->get<std::string>()};
    if (!stop->is_array())
        throw bad("stop", "'stop' must be a string or an array of strings", "invalid_type");
    if (stop->size() > 4) throw bad("stop", "'stop' holds at most 4 strings");
    std::vector<std::string> out;
    for (const json& s : *stop) {
        if (!s.is_string())
            throw bad("stop", "'stop' must be a string or an array of strings", "invalid_type");
        out.push_back(s.get<std::string>());
    }
    return out;
}

void parse_logit_bias(const json& body, size_t n_vocab, sample::Params& p) {
    const json* bias = field(body, "logit_bias");
    if (bias == nullptr) return;
    if (!bias->is_object())
        throw bad("logit_bias", "'logit_bias' must be an object mapping token ids to biases", "invalid_type");
    for (const auto& [key, value] : bias->items()) {
        size_t used = 0;
        long long id = -1;
        try {
            id = std::stoll(key, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != key.size() || id < 0 || static_cast<unsigned long long>(id) >= n_vocab)
            throw bad("logit_bias", "logit_bias key '" + key + "' is not a token id of this model (0.." +
                                        std::to_string(n_vocab - 1) + ")");
        if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < -100 ||
            value.get<double>() > 100)
            throw bad("logit_bias", "logit_bias values must be numbers between -100 and 100");
        p.logit_bias.push_back({static_cast<int32_t>(id), value.get<float>()});
    }
}

void refuse_unsupported(const json& body) {
    int64_t n = 1;
    if (integer(body, "n", n) && n != 1) throw bad("n", "only n = 1 is supported");
    if (integer(body, "best_of", n) && n != 1) throw bad("best_of", "only best_of = 1 is supported");
    if (const json* lp = field(body, "logprobs"); lp != nullptr && !(lp->is_boolean() && !lp->get<bool>()))
        throw bad("logprobs", "logprobs are not supported");
    if (const json* t = field(body, "tools"); t != nullptr && !(t->is_array() && t->empty()))
        throw bad("tools", "tools are not supported");
    if (const json* f = field(body, "response_format");
        f != nullptr && !(f->is_object() && f->value("type", "") == "text"))
        throw bad("response_format", "only response_format {\"type\": \"text\"} is supported");
    if (const json* s = field(body, "suffix");
        s != nullptr && !(s->is_string() && s->get<std::string>().empty()))
        throw bad("suffix", "suffix is not supported");
}

}  // namespace

CompletionRequest parse_request(std::string_view text, Endpoint endpoint, size_t n_vocab) {
    json body;
    try {
        body = json::parse(text);
    } catch (const json::exception& e) {
        throw ApiError(400, std::string("the request body is not valid JSON: ") + e.what(), "",
                       "invalid_json");
    }
    if (!body.is_object()) throw ApiError(400, "the request body must be a JSON object", "", "invalid_json");

    CompletionRequest r;
    r.endpoint = endpoint;
    refuse_unsupported(body);
    if (endpoint == Endpoint::Chat) {
        parse_messages(body, r);
    } else {
        parse_prompt(body, r);
        r.echo = boolean(body, "echo", false);
    }
    r.stream = boolean(body, "stream", false);
    r.cache_prompt = boolean(body, "cache_prompt", true);
    if (const json* so = field(body, "stream_options"); so != nullptr) {
        if (!so->is_object())
            throw bad("stream_options", "'stream_options' must be an object", "invalid_type");
        r.include_usage = boolean(*so, "include_usage", false);
    }

    sample::Params& p = r.sampler;
    p.temperature = static_cast<float>(number(body, "temperature", 0, 2, 1));
    p.top_p = static_cast<float>(number(body, "top_p", 0, 1, 1));
    p.min_p = static_cast<float>(number(body, "min_p", 0, 1, 0));
    p.presence_penalty = static_cast<float>(number(body, "presence_penalty", -2, 2, 0));
    p.frequency_penalty = static_cast<float>(number(body, "frequency_penalty", -2, 2, 0));
    p.repeat_penalty = static_cast<float>(number(body, "repeat_penalty", 1e-3, 100, 1));
    p.repeat_last_n = -1;  // OpenAI's penalties count every token so far, not a recent window
    int64_t value = 0;
    p.top_k = 0;
    if (integer(body, "top_k", value)) {
        if (value < 0 || value > INT32_MAX) throw bad("top_k", "'top_k' must be 0 (off) or more");
        p.top_k = static_cast<int32_t>(value);
    }
    p.seed = sample::kRandomSeed;
    if (integer(body, "seed", value)) {
        const auto u = static_cast<uint64_t>(value);
        p.seed = static_cast<uint32_t>(u ^ (u >> 32));
        if (p.seed == sample::kRandomSeed) p.seed = 0;
    }
    parse_logit_bias(body, n_vocab, p);
    try {
        p.validate(n_vocab);
    } catch (const std::exception& e) {
        throw ApiError(400, e.what());
    }

    const char* max_name = "max_tokens";
    bool has_max = integer(body, "max_tokens", value);
    if (endpoint == Endpoint::Chat && !has_max && integer(body, "max_completion_tokens", value)) {
        max_name = "max_completion_tokens";
        has_max = true;
    }
    if (has_max) {
        if (value < 1 || value > INT32_MAX)
            throw bad(max_name, std::string("'") + max_name + "' must be at least 1");
        r.generate.max_tokens = static_cast<int32_t>(value);
    }
    r.generate.stop = parse_stop(body);
    return r;
}

}  // namespace chord::cli::serve

// chat::Template: parsing, choosing a model's template, and applying it (see template.h).
#include "chat/template.h"

#include <cstdio>
#include <memory>

#include "chat/ast.h"
#include "chat/builtin_templates.h"
#include "chat/context.h"
#include "chat/evaluator.h"
#include "chat/parser.h"
#include "gguf/file.h"

namespace chord::chat {

Template Template::parse(std::string_view source, std::string origin) {
    Template t;
    t.program_ = std::make_shared<const Program>(parse_template(source, origin));
    t.source_ = std::string(source);
    return t;
}

const std::vector<std::string>& Template::builtin_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const BuiltinTemplate& b : kBuiltinTemplates) out.emplace_back(b.name);
        return out;
    }();
    return names;
}

namespace {

std::string builtin_list() {
    std::string out;
    for (const std::string& n : Template::builtin_names()) out += (out.empty() ? "" : ", ") + n;
    return out;
}

// The text of token `key` (a token id) in the vocabulary; "" when either is missing.
std::string token_text(const gguf::File& file, std::string_view key) {
    const gguf::Value* id = file.find(key);
    const gguf::Value* tokens = file.find("tokenizer.ggml.tokens");
    if (id == nullptr || tokens == nullptr || !tokens->is_array()) return "";
    const auto index = id->to_u64();
    if (!index || *index >= tokens->strings().size()) return "";
    return tokens->strings()[static_cast<size_t>(*index)];
}

// The built-in format a template-less model most likely uses, judged from its special tokens and
// architecture.
std::string_view guess_builtin(const gguf::File& file) {
    bool im_start = false, eot_id = false, start_of_turn = false, phi_end = false, inst = false;
    if (const gguf::Value* tokens = file.find("tokenizer.ggml.tokens");
        tokens != nullptr && tokens->is_array()) {
        for (const std::string& t : tokens->strings()) {
            if (t.size() < 5 || (t[0] != '<' && t[0] != '[')) continue;
            im_start = im_start || t == "<|im_start|>";
            eot_id = eot_id || t == "<|eot_id|>";
            start_of_turn = start_of_turn || t == "<start_of_turn>";
            phi_end = phi_end || t == "<|end|>";
            inst = inst || t == "[INST]";
        }
    }
    const std::string arch = file.get_string_or("general.architecture", "");
    if (im_start) return "chatml";
    if (eot_id) return "llama3";
    if (start_of_turn || arch.rfind("gemma", 0) == 0) return "gemma";
    if (phi_end || arch.rfind("phi3", 0) == 0) return "phi3";
    if (inst) return "mistral";
    if (arch == "llama") return "llama2";
    return "chatml";
}

}  // namespace

Template Template::builtin(std::string_view name) {
    for (const BuiltinTemplate& b : kBuiltinTemplates)
        if (b.name == name) return parse(b.source, "built-in template '" + std::string(name) + "'");
    throw Error(ErrorCode::InvalidArgument,
                "unknown chat template '" + std::string(name) + "' (built-ins: " + builtin_list() + ")");
}

Template Template::from_gguf(const gguf::File& file, std::string_view override_name_or_path) {
    Template t;
    if (!override_name_or_path.empty()) {
        bool is_builtin = false;
        for (const BuiltinTemplate& b : kBuiltinTemplates)
            is_builtin = is_builtin || b.name == override_name_or_path;
        if (is_builtin) {
            t = builtin(override_name_or_path);
        } else {
            const std::string path(override_name_or_path);
            // C stdio rather than iostreams: iostreams would add ~100 KB of locale code to the wasm module.
            const std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(path.c_str(), "rb"),
                                                                     std::fclose);
            if (!in)
                throw Error(ErrorCode::InvalidArgument, "chat template '" + path +
                                                            "' is neither a built-in (" + builtin_list() +
                                                            ") nor a readable file");
            std::string text;
            char buffer[4096];
            for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, in.get())) > 0;) text.append(buffer, n);
            t = parse(text, path);
        }
    } else if (const gguf::Value* source = file.find("tokenizer.chat_template");
               source != nullptr && !(source->is_string() && source->str().empty())) {
        if (!source->is_string())
            throw Error(ErrorCode::Format, file.origin() + ": tokenizer.chat_template is not a string");
        t = parse(source->str(), "tokenizer.chat_template");
    } else {
        t = builtin(guess_builtin(file));
    }
    t.set_special_tokens(token_text(file, "tokenizer.ggml.bos_token_id"),
                         token_text(file, "tokenizer.ggml.eos_token_id"));
    return t;
}

const std::string& Template::origin() const {
    static const std::string none;
    return program_ ? program_->origin : none;
}

void Template::set_special_tokens(std::string bos, std::string eos) {
    bos_token_ = std::move(bos);
    eos_token_ = std::move(eos);
}

std::string Template::apply(const std::vector<Message>& messages, const ApplyOptions& options) const {
    std::vector<Data> list;
    list.reserve(messages.size());
    for (const Message& m : messages)
        list.push_back(Data::object({{"role", m.role}, {"content", m.content}}));
    return apply_data(Data::list(std::move(list)), options);
}

std::string Template::apply_data(const Data& messages, const ApplyOptions& options) const {
    if (!program_) throw Error(ErrorCode::InvalidArgument, "chat template: applying an empty Template");
    if (messages.kind() != Data::Kind::List)
        throw Error(ErrorCode::InvalidArgument, "chat template: messages must be a list");
    MemoryMeter meter(options.limits.max_memory_bytes);  // outlives every value of the render
    Heap heap(meter);
    Ctx ctx(heap, options.limits, options.now);
    std::vector<std::pair<std::string, Value>> vars;
    try {
        vars.emplace_back("messages", to_value(ctx, messages));
        vars.emplace_back("bos_token", ctx.string(options.bos_token.value_or(bos_token_)));
        vars.emplace_back("eos_token", ctx.string(options.eos_token.value_or(eos_token_)));
        vars.emplace_back("add_generation_prompt", Value::boolean(options.add_generation_prompt));
        vars.emplace_back("tools", Value::none());
        for (const auto& [name, data] : options.variables) vars.emplace_back(name, to_value(ctx, data));
    } catch (const Error& e) {
        throw Error(e.code(), origin() + ": " + e.what());
    }
    return render(*program_, ctx, std::move(vars));
}

}  // namespace chord::chat

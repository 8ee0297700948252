// chat::Template turns a conversation into the exact prompt text a model was trained on. It runs the
// model's own `tokenizer.chat_template` (Jinja source stored in the GGUF file) with a Jinja-subset
// interpreter written for chat templates (loops, conditionals, macros, namespaces, filters such as
// trim and tojson, Python string methods, raise_exception, strftime_now), rendering like
// Hugging Face's renderers (@huggingface/jinja is the reference the tests compare with). Files without
// a template get a named built-in (chatml, llama2, llama3, mistral, zephyr, phi3, gemma), and a caller
// can override either with a built-in's name or a template file (the CLI's --chat-template NAME|FILE).
// Rendering is bounded (output size, memory, steps, nesting: see Limits), so a hostile template gets a
// chord::Error, never a hang or a crash; so does a template the interpreter cannot run, naming the
// line and column. The text may begin with bos_token when the template writes it: tokenize it without
// adding another BOS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat/data.h"

namespace chord::gguf {
class File;
}

namespace chord::chat {

struct Program;

struct Message {
    std::string role;  // "system", "user", "assistant", ...
    std::string content;
};

struct Limits {
    size_t max_output_bytes = size_t{8} << 20;   // the rendered text, and any one string built on the way
    size_t max_memory_bytes = size_t{64} << 20;  // lists, dicts and what they hold
    uint64_t max_steps = 20'000'000;             // expressions evaluated, loop iterations, bytes copied / 64
    size_t max_depth = 400;                      // nested statements, expressions and macro calls
};

// What strftime_now() reads (local time). Tests fix it so dated templates render the same every day.
struct DateTime {
    int year = 1970, month = 1, day = 1;  // month 1..12
    int hour = 0, minute = 0, second = 0;
};

struct ApplyOptions {
    bool add_generation_prompt = true;     // end with the header of an assistant turn
    std::optional<std::string> bos_token;  // unset: the template's (the model's BOS text)
    std::optional<std::string> eos_token;
    // More variables for the template (enable_thinking, date_string, tools, ...); `tools` is none
    // unless given here. They override the standard ones of the same name.
    std::vector<std::pair<std::string, Data>> variables;
    std::optional<DateTime> now;  // unset: the clock
    Limits limits;
};

class Template {
  public:
    // Parses Jinja source; `origin` names it in error messages. Throws chord::Error naming the line.
    static Template parse(std::string_view source, std::string origin = "chat template");

    // A named built-in (see builtin_names()); throws InvalidArgument for an unknown name.
    static Template builtin(std::string_view name);
    static const std::vector<std::string>& builtin_names();

    // The template for a model: `override_name_or_path` if given (a built-in's name, else a file
    // path), otherwise the file's tokenizer.chat_template, otherwise the built-in that the vocabulary
    // suggests (chatml when nothing does). BOS and EOS texts come from the file's vocabulary.
    static Template from_gguf(const gguf::File& file, std::string_view override_name_or_path = {});

    // The prompt for `messages`. Throws chord::Error: InvalidArgument when the template rejects the
    // conversation (raise_exception) or misuses a value, Unsupported for what the interpreter does not
    // implement, OutOfMemory or Unsupported when a limit is reached.
    std::string apply(const std::vector<Message>& messages, const ApplyOptions& options = {}) const;
    // The same with messages as data: a list of objects with "role" and "content" and whatever else
    // the template reads (tool_calls, reasoning_content, ...).
    std::string apply_data(const Data& messages, const ApplyOptions& options = {}) const;

    const std::string& origin() const;
    const std::string& source() const { return source_; }
    const std::string& bos_token() const { return bos_token_; }
    const std::string& eos_token() const { return eos_token_; }
    void set_special_tokens(std::string bos, std::string eos);

  private:
    std::shared_ptr<const Program> program_;
    std::string source_;
    std::string bos_token_;
    std::string eos_token_;
};

}  // namespace chord::chat

// The named chat formats wasm-chord knows without a model's help (chatml, llama2, llama3, mistral,
// zephyr, phi3, gemma): our own Jinja sources, written to produce the turn layout each model family was
// trained with, for GGUF files that carry no tokenizer.chat_template.
#pragma once

#include <string_view>

namespace chord::chat {

struct BuiltinTemplate {
    std::string_view name;
    std::string_view source;
};

extern const BuiltinTemplate kBuiltinTemplates[7];

}  // namespace chord::chat

// libFuzzer target for the chat-template interpreter: any bytes are parsed as a template and, when
// they parse, rendered for a fixed conversation with the generation prompt off and on. A chord::Error
// (a syntax error, an unsupported construct, raise_exception, a limit reached) is a fine outcome;
// a crash, a sanitizer report, a hang or runaway memory is not. Limits are tighter than the defaults so
// that inputs which hit them stay fast. The same bytes also go through the JSON reader of from_json.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "chat/data.h"
#include "chat/template.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view source(reinterpret_cast<const char*>(data), size);
    try {
        chord::chat::parse_json(source);
    } catch (const chord::Error&) {
    }
    chord::chat::Template tmpl;
    try {
        tmpl = chord::chat::Template::parse(source, "fuzz");
    } catch (const chord::Error&) {
        return 0;
    }
    static const std::vector<chord::chat::Message> chat = {
        {"system", "You are a helpful assistant."},
        {"user", "Hello! <b>bold</b> {{ not a tag }}\n\tünïcödé 🎉"},
        {"assistant", "<think>\nreasoning\n</think>\n\nHi, how can I help?"},
        {"user", "  Bye.  "},
    };
    chord::chat::ApplyOptions options;
    options.bos_token = "<s>";
    options.eos_token = "</s>";
    options.now = chord::chat::DateTime{2025, 7, 26, 14, 5, 0};
    options.variables = {{"enable_thinking", true}, {"date_string", "26 Jul 2025"}};
    options.limits.max_output_bytes = 1 << 16;
    options.limits.max_memory_bytes = 4 << 20;
    options.limits.max_steps = 200'000;
    for (const bool gen : {false, true}) {
        options.add_generation_prompt = gen;
        try {
            tmpl.apply(chat, options);
        } catch (const chord::Error&) {
        }
    }
    return 0;
}

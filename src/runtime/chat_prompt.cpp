// Chat prompt tokenization (see chat_prompt.h).
#include "runtime/chat_prompt.h"

namespace chord::runtime {

std::vector<tokenizer::TokenId> tokenize_chat_prompt(const tokenizer::Tokenizer& tokenizer,
                                                     const chat::Template& tmpl, std::string_view text) {
    const std::string& bos = tmpl.bos_token();
    const std::string& eos = tmpl.eos_token();
    if (tokenizer.add_bos() && !bos.empty() && text.substr(0, bos.size()) == bos)
        text.remove_prefix(bos.size());
    if (tokenizer.add_eos() && !eos.empty() && text.size() >= eos.size() &&
        text.substr(text.size() - eos.size()) == eos)
        text.remove_suffix(eos.size());
    return tokenizer.encode(text, /*add_special=*/true, /*parse_special=*/true);
}

std::vector<tokenizer::TokenId> chat_prompt(const tokenizer::Tokenizer& tokenizer, const chat::Template& tmpl,
                                            const std::vector<chat::Message>& messages,
                                            bool add_generation_prompt) {
    chat::ApplyOptions options;
    options.add_generation_prompt = add_generation_prompt;
    return tokenize_chat_prompt(tokenizer, tmpl, tmpl.apply(messages, options));
}

}  // namespace chord::runtime

// Chat prompts: a conversation rendered with its chat::Template and tokenized the way llama.cpp does it
// (common_chat_templates_apply + tokenize): a BOS or EOS text the template wrote itself is taken off
// where the tokenizer adds that token anyway, then the text is tokenized with special tokens added and
// control-token text ("<|im_start|>") parsed. So a prompt gets exactly one BOS whether or not the
// template writes bos_token.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chat/template.h"
#include "tokenizer/tokenizer.h"

namespace chord::runtime {

std::vector<tokenizer::TokenId> tokenize_chat_prompt(const tokenizer::Tokenizer& tokenizer,
                                                     const chat::Template& tmpl, std::string_view text);

// Renders `messages` (with the assistant header at the end when add_generation_prompt) and tokenizes.
std::vector<tokenizer::TokenId> chat_prompt(const tokenizer::Tokenizer& tokenizer, const chat::Template& tmpl,
                                            const std::vector<chat::Message>& messages,
                                            bool add_generation_prompt = true);

}  // namespace chord::runtime

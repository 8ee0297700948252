// The chat-template lexer: splits Jinja source into text and the tokens inside {{ }} and {% %} tags,
// dropping {# comments #}. It applies whitespace control the way Hugging Face renders chat templates
// (trim_blocks and lstrip_blocks on, plus `-` markers that strip all whitespace on one side of a tag)
// and keeps {% raw %} blocks verbatim, so the parser never sees layout whitespace. It does not know
// statement names; the parser does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chat/source.h"

namespace chord::chat {

enum class TokenType : uint8_t {
    Text,        // literal template text
    BlockBegin,  // {%
    BlockEnd,    // %}
    VarBegin,    // {{
    VarEnd,      // }}
    Name,        // identifier or keyword
    String,      // string literal, escapes resolved
    Integer,
    Float,
    Operator,  // + - * / // % ** ~ == != < <= > >= = ( ) [ ] { } , . : |
    End,
};

struct Token {
    TokenType type = TokenType::End;
    std::string text;  // the text, name, operator or (decoded) string
    SourcePos pos;
    int64_t int_value = 0;
    double float_value = 0.0;
};

// Throws chord::Error (Format) naming origin, line and column for malformed source.
std::vector<Token> tokenize(std::string_view source, const std::string& origin);

}  // namespace chord::chat

// The chat-template lexer (see lexer.h). Whitespace control follows what the reference renderer does
// to the source before tokenizing: one trailing newline of the template is dropped; lstrip_blocks
// removes spaces and tabs between the start of a line and a {% or {# tag; trim_blocks removes the
// newline right after a %} or #}; `{%-`/`{{-`/`{#-` strip all whitespace before the tag and
// `-%}`/`-}}`/`-#}` all whitespace after it; `{%+` keeps what lstrip_blocks would remove.
#include "chat/lexer.h"

#include <algorithm>

#include "chat/text.h"

namespace chord::chat {
namespace {

bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

class Lexer {
  public:
    Lexer(std::string_view source, const std::string& origin) : src_(source), origin_(origin) {
        if (!src_.empty() && src_.back() == '\n') src_.remove_suffix(1);
        line_starts_.push_back(0);
        for (size_t i = 0; i < src_.size(); ++i)
            if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }

    std::vector<Token> run() {
        while (pos_ < src_.size()) {
            const size_t tag = find_tag(pos_);
            std::string_view text = src_.substr(pos_, tag - pos_);
            if (tag < src_.size()) {
                const char kind = src_[tag + 1];
                const char marker = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
                if (marker == '-')
                    text = text::trim_right(text);
                else if (kind != '{' && marker != '+' && starts_line(tag))
                    text = strip_blanks_right(text);
            }
            if (!text.empty()) push(TokenType::Text, std::string(text), pos_);
            if (tag >= src_.size()) break;
            pos_ = tag;
            switch (src_[tag + 1]) {
                case '#':
                    comment();
                    break;
                case '%':
                    tag_contents(/*block=*/true);
                    break;
                default:
                    tag_contents(/*block=*/false);
                    break;
            }
        }
        push(TokenType::End, "", src_.size());
        return std::move(tokens_);
    }

  private:
    [[noreturn]] void fail(size_t offset, const std::string& what) {
        throw_at(ErrorCode::Format, origin_, pos_of(offset), what);
    }

    // Tokens come in source order, so positions are counted forward from the last one asked for.
    SourcePos pos_of(size_t offset) {
        offset = std::min(offset, src_.size());
        if (offset < cursor_offset_) {
            const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
            cursor_line_ = static_cast<size_t>(it - line_starts_.begin());
            cursor_offset_ = line_starts_[cursor_line_ - 1];
            cursor_column_ = 1;
        }
        while (cursor_offset_ < offset) {
            if (src_[cursor_offset_] == '\n') {
                ++cursor_line_;
                cursor_column_ = 1;
                ++cursor_offset_;
            } else {
                text::next_code_point(src_, cursor_offset_);
                ++cursor_column_;
            }
        }
        return {static_cast<uint32_t>(cursor_line_), static_cast<uint32_t>(cursor_column_)};
    }

    void push(TokenType type, std::string text, size_t offset) {
        Token t;
        t.type = type;
        t.text = std::move(text);
        t.pos = pos_of(offset);
        tokens_.push_back(std::move(t));
    }

    size_t find_tag(size_t from) const {
        for (size_t i = from; i + 1 < src_.size(); ++i)
            if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
        return src_.size();
    }

    // Only spaces and tabs between the start of the line and `offset`.
    bool starts_line(size_t offset) const {
        size_t i = offset;
        while (i > 0 && (src_[i - 1] == ' ' || src_[i - 1] == '\t')) --i;
        return i == 0 || src_[i - 1] == '\n' || src_[i - 1] == '\r';
    }

    static std::string_view strip_blanks_right(std::string_view s) {
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    }

    void skip_whitespace() {
        while (pos_ < src_.size()) {
            size_t next = pos_;
            if (!text::is_space(text::next_code_point(src_, next))) break;
            pos_ = next;
        }
    }

    // After a %} or #}: `-` strips all whitespace, otherwise trim_blocks drops one newline.
    void after_block_end(bool strip) {
        if (strip)
            skip_whitespace();
        else if (pos_ < src_.size() && src_[pos_] == '\n')
            ++pos_;
    }

    void comment() {
        const size_t open = pos_;
        const size_t close = src_.find("#}", open + 2);
        if (close == std::string_view::npos) fail(open, "unclosed comment: '{#' without '#}'");
        const bool strip = close > open + 3 && src_[close - 1] == '-';
        pos_ = close + 2;
        after_block_end(strip);
    }

    void tag_contents(bool block) {
        const size_t open = pos_;
        push(block ? TokenType::BlockBegin : TokenType::VarBegin, block ? "{%" : "{{", open);
        pos_ += 2;
        if (pos_ < src_.size() && (src_[pos_] == '-' || src_[pos_] == '+')) ++pos_;
        const size_t first_token = tokens_.size();
        int braces = 0;  // open { of dict literals, inside which }} does not end an expression
        while (true) {
            skip_whitespace();
            if (pos_ >= src_.size())
                fail(open, std::string("unclosed '") + (block ? "{%" : "{{") + "': no matching '" +
                               (block ? "%}" : "}}") + "'");
            const std::string_view rest = src_.substr(pos_);
            const std::string_view end = block ? "%}" : "}}";
            const bool dash_end = rest.size() >= 3 && rest[0] == '-' && rest.substr(1, 2) == end;
            if (dash_end || (rest.substr(0, 2) == end && (block || braces == 0))) {
                push(block ? TokenType::BlockEnd : TokenType::VarEnd, std::string(end), pos_);
                pos_ += dash_end ? 3 : 2;
                if (block) {
                    after_block_end(dash_end);
                    if (tokens_.size() == first_token + 2 && tokens_[first_token].type == TokenType::Name &&
                        tokens_[first_token].text == "raw")
                        raw_block(open);
                } else if (dash_end) {
                    skip_whitespace();
                }
                return;
            }
            const char c = rest[0];
            if (c == '"' || c == '\'')
                string_literal();
            else if (is_digit(c))
                number();
            else if (is_name_start(c))
                name();
            else
                operator_token(braces);
        }
    }

    // {% raw %}...{% endraw %}: the text in between, tags and all. The raw tags themselves are dropped.
    void raw_block(size_t open) {
        tokens_.resize(tokens_.size() - 3);  // {% raw %}
        size_t search = pos_;
        while (true) {
            const size_t tag = src_.find("{%", search);
            if (tag == std::string_view::npos) fail(open, "unclosed '{% raw %}': no '{% endraw %}'");
            size_t i = tag + 2;
            const bool strip_before = i < src_.size() && src_[i] == '-';
            if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) ++i;
            while (i < src_.size() &&
                   (src_[i] == ' ' || src_[i] == '\t' || src_[i] == '\n' || src_[i] == '\r'))
                ++i;
            if (src_.substr(i, 6) != "endraw") {
                search = tag + 2;
                continue;
            }
            i += 6;
            while (i < src_.size() &&
                   (src_[i] == ' ' || src_[i] == '\t' || src_[i] == '\n' || src_[i] == '\r'))
                ++i;
            const bool strip_after = i < src_.size() && src_[i] == '-';
            if (strip_after) ++i;
            if (src_.substr(i, 2) != "%}") {
                search = tag + 2;
                continue;
            }
            std::string_view body = src_.substr(pos_, tag - pos_);
            if (strip_before)
                body = text::trim_right(body);
            else if (starts_line(tag))
                body = strip_blanks_right(body);
            if (!body.empty()) push(TokenType::Text, std::string(body), pos_);
            pos_ = i + 2;
            after_block_end(strip_after);
            return;
        }
    }

    void name() {
        const size_t start = pos_;
        while (pos_ < src_.size() && is_name_char(src_[pos_])) ++pos_;
        push(TokenType::Name, std::string(src_.substr(start, pos_ - start)), start);
    }

    void number() {
        const size_t start = pos_;
        while (pos_ < src_.size() && is_digit(src_[pos_])) ++pos_;
        bool is_float = false;
        // `x.0.1` reads as two subscripts, so a fraction only follows digits not written after a dot.
        const bool after_dot =
            !tokens_.empty() && tokens_.back().type == TokenType::Operator && tokens_.back().text == ".";
        if (!after_dot && pos_ + 1 < src_.size() && src_[pos_] == '.' && is_digit(src_[pos_ + 1])) {
            is_float = true;
            ++pos_;
            while (pos_ < src_.size() && is_digit(src_[pos_])) ++pos_;
        }
        if (!after_dot && pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
            size_t i = pos_ + 1;
            if (i < src_.size() && (src_[i] == '+' || src_[i] == '-')) ++i;
            if (i < src_.size() && is_digit(src_[i])) {
                is_float = true;
                pos_ = i;
                while (pos_ < src_.size() && is_digit(src_[pos_])) ++pos_;
            }
        }
        const std::string literal(src_.substr(start, pos_ - start));
        push(is_float ? TokenType::Float : TokenType::Integer, literal, start);
        if (is_float) {
            tokens_.back().float_value = std::strtod(literal.c_str(), nullptr);
            return;
        }
        int64_t v = 0;
        for (char c : literal) {
            if (v > (INT64_MAX - (c - '0')) / 10) fail(start, "integer literal too large: " + literal);
            v = v * 10 + (c - '0');
        }
        tokens_.back().int_value = v;
    }

    uint32_t hex_escape(size_t digits, size_t at) {
        if (pos_ + digits > src_.size()) fail(at, "truncated escape sequence in string literal");
        uint32_t v = 0;
        for (size_t i = 0; i < digits; ++i) {
            const char h = src_[pos_++];
            uint32_t d;
            if (h >= '0' && h <= '9')
                d = static_cast<uint32_t>(h - '0');
            else if (h >= 'a' && h <= 'f')
                d = static_cast<uint32_t>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
                d = static_cast<uint32_t>(h - 'A' + 10);
            else
                fail(at, "bad hexadecimal escape in string literal");
            v = (v << 4) | d;
        }
        return v;
    }

    // Python's escapes; an unknown escape keeps its backslash, as Python does.
    void string_literal() {
        const size_t start = pos_;
        const char quote = src_[pos_++];
        std::string out;
        while (true) {
            if (pos_ >= src_.size()) fail(start, "unterminated string literal");
            const char c = src_[pos_++];
            if (c == quote) break;
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (pos_ >= src_.size()) fail(start, "unterminated string literal");
            const size_t at = pos_ - 1;
            const char e = src_[pos_++];
            switch (e) {
                case 'n':
                    out.push_back('\n');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case 'b':
                    out.push_back('\b');
                    break;
                case 'f':
                    out.push_back('\f');
                    break;
                case 'v':
                    out.push_back('\v');
                    break;
                case 'a':
                    out.push_back('\a');
                    break;
                case '0':
                    out.push_back('\0');
                    break;
                case '\\':
                    out.push_back('\\');
                    break;
                case '\'':
                    out.push_back('\'');
                    break;
                case '"':
                    out.push_back('"');
                    break;
                case '\n':
                    break;  // line continuation
                case 'x':
                case 'u':
                case 'U': {
                    uint32_t cp = hex_escape(e == 'x' ? 2 : e == 'u' ? 4 : 8, at);
                    if (cp >= 0xD800 && cp <= 0xDBFF && src_.substr(pos_, 2) == "\\u") {
                        const size_t save = pos_;
                        pos_ += 2;
                        const uint32_t lo = hex_escape(4, at);
                        if (lo >= 0xDC00 && lo <= 0xDFFF)
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        else
                            pos_ = save;
                    }
                    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
                    text::append_utf8(out, cp);
                    break;
                }
                default:
                    out.push_back('\\');
                    out.push_back(e);
            }
        }
        push(TokenType::String, std::move(out), start);
    }

    void operator_token(int& braces) {
        static constexpr std::string_view kTwo[] = {"**", "//", "==", "!=", "<=", ">="};
        const std::string_view rest = src_.substr(pos_);
        for (std::string_view op : kTwo) {
            if (rest.substr(0, 2) == op) {
                push(TokenType::Operator, std::string(op), pos_);
                pos_ += 2;
                return;
            }
        }
        const char c = rest[0];
        if (std::string_view("+-*/%~<>=()[]{},.:|").find(c) == std::string_view::npos) {
            size_t next = pos_;
            std::string shown;
            text::append_utf8(shown, text::next_code_point(src_, next));
            fail(pos_, "unexpected character '" + shown + "' in a tag");
        }
        if (c == '{') ++braces;
        if (c == '}' && braces > 0) --braces;
        push(TokenType::Operator, std::string(1, c), pos_);
        ++pos_;
    }

    std::string_view src_;
    const std::string& origin_;
    std::vector<size_t> line_starts_;
    std::vector<Token> tokens_;
    size_t pos_ = 0;
    size_t cursor_offset_ = 0, cursor_line_ = 1, cursor_column_ = 1;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source, const std::string& origin) {
    return Lexer(source, origin).run();
}

}  // namespace chord::chat

// chat::Data construction and the JSON reader (see data.h).
#include "chat/data.h"

#include <cerrno>
#include <cstdlib>

#include "chat/text.h"
#include "core/error.h"

namespace chord::chat {

Data Data::list(std::vector<Data> items) {
    Data d;
    d.kind_ = Kind::List;
    d.items_ = std::move(items);
    return d;
}

Data Data::object(std::vector<Field> fields) {
    Data d;
    d.kind_ = Kind::Object;
    d.fields_ = std::move(fields);
    return d;
}

const Data* Data::find(std::string_view key) const {
    for (const auto& [k, v] : fields_)
        if (k == key) return &v;
    return nullptr;
}

namespace {

class JsonReader {
  public:
    explicit JsonReader(std::string_view s) : s_(s) {}

    Data document() {
        Data d = value(0);
        skip_space();
        if (pos_ != s_.size()) fail("unexpected text after the JSON value");
        return d;
    }

  private:
    [[noreturn]] void fail(const std::string& what) { throw_format_error("JSON: " + what, pos_); }

    void skip_space() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }

    bool eat(char c) {
        skip_space();
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    void expect(char c) {
        if (!eat(c)) fail(std::string("expected '") + c + "'");
    }

    bool word(std::string_view w) {
        if (s_.substr(pos_, w.size()) != w) return false;
        pos_ += w.size();
        return true;
    }

    Data value(size_t depth) {
        if (depth >= kMaxJsonDepth) fail("nesting deeper than " + std::to_string(kMaxJsonDepth));
        skip_space();
        if (pos_ >= s_.size()) fail("unexpected end of input");
        const char c = s_[pos_];
        if (c == '{') {
            ++pos_;
            std::vector<Data::Field> fields;
            if (eat('}')) return Data::object(std::move(fields));
            do {
                skip_space();
                if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string key");
                std::string key = string();
                expect(':');
                fields.emplace_back(std::move(key), value(depth + 1));
            } while (eat(','));
            expect('}');
            return Data::object(std::move(fields));
        }
        if (c == '[') {
            ++pos_;
            std::vector<Data> items;
            if (eat(']')) return Data::list(std::move(items));
            do items.push_back(value(depth + 1));
            while (eat(','));
            expect(']');
            return Data::list(std::move(items));
        }
        if (c == '"') return Data(string());
        if (word("true")) return Data(true);
        if (word("false")) return Data(false);
        if (word("null")) return Data();
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        fail(std::string("unexpected character '") + c + "'");
    }

    Data number() {
        const size_t start = pos_;
        bool integral = true;
        if (s_[pos_] == '-') ++pos_;
        const auto digits = [&] {
            const size_t from = pos_;
            while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
            if (pos_ == from) fail("expected a digit");
        };
        digits();
        if (pos_ < s_.size() && s_[pos_] == '.') {
            integral = false;
            ++pos_;
            digits();
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            integral = false;
            ++pos_;
            if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
            digits();
        }
        const std::string text(s_.substr(start, pos_ - start));
        if (integral) {
            errno = 0;
            char* end = nullptr;
            const long long v = std::strtoll(text.c_str(), &end, 10);
            if (errno == 0 && end == text.c_str() + text.size()) return Data(static_cast<int64_t>(v));
        }
        return Data(std::strtod(text.c_str(), nullptr));
    }

    uint32_t hex4() {
        if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = s_[pos_++];
            v <<= 4;
            if (h >= '0' && h <= '9')
                v |= static_cast<uint32_t>(h - '0');
            else if (h >= 'a' && h <= 'f')
                v |= static_cast<uint32_t>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
                v |= static_cast<uint32_t>(h - 'A' + 10);
            else
                fail("bad \\u escape");
        }
        return v;
    }

    std::string string() {
        ++pos_;  // opening quote
        std::string out;
        while (true) {
            if (pos_ >= s_.size()) fail("unterminated string");
            const char c = s_[pos_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (pos_ >= s_.size()) fail("unterminated string");
            const char e = s_[pos_++];
            switch (e) {
                case '"':
                    out.push_back('"');
                    break;
                case '\\':
                    out.push_back('\\');
                    break;
                case '/':
                    out.push_back('/');
                    break;
                case 'b':
                    out.push_back('\b');
                    break;
                case 'f':
                    out.push_back('\f');
                    break;
                case 'n':
                    out.push_back('\n');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'u': {
                    uint32_t cp = hex4();
                    if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
                        const size_t save = pos_;
                        pos_ += 2;
                        const uint32_t lo = hex4();
                        if (lo >= 0xDC00 && lo <= 0xDFFF)
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        else
                            pos_ = save;
                    }
                    // A lone surrogate has no UTF-8 form: it becomes U+FFFD.
                    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
                    text::append_utf8(out, cp);
                    break;
                }
                default:
                    fail(std::string("bad escape '\\") + e + "'");
            }
        }
    }

    std::string_view s_;
    size_t pos_ = 0;
};

}  // namespace

Data parse_json(std::string_view json) {
    return JsonReader(json).document();
}

}  // namespace chord::chat

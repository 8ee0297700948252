// UTF-8, whitespace and case mapping for the chat-template interpreter (see text.h).
#include "chat/text.h"

namespace chord::chat::text {

uint32_t next_code_point(std::string_view s, size_t& pos) {
    const auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i])); };
    const uint32_t b0 = byte(pos);
    size_t len = 0;
    uint32_t cp = 0;
    if (b0 < 0x80) {
        ++pos;
        return b0;
    } else if ((b0 & 0xE0) == 0xC0) {
        len = 2;
        cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3;
        cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4;
        cp = b0 & 0x07;
    }
    if (len == 0 || pos + len > s.size()) {
        ++pos;
        return b0;
    }
    for (size_t i = 1; i < len; ++i) {
        const uint32_t b = byte(pos + i);
        if ((b & 0xC0) != 0x80) {
            ++pos;
            return b0;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    // Overlong forms and surrogates are not characters: keep their first byte as a byte.
    static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++pos;
        return b0;
    }
    pos += len;
    return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
    const auto put = [&](uint32_t b) { out.push_back(static_cast<char>(static_cast<unsigned char>(b))); };
    if (cp < 0x80) {
        put(cp);
    } else if (cp < 0x800) {
        put(0xC0 | (cp >> 6));
        put(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        put(0xE0 | (cp >> 12));
        put(0x80 | ((cp >> 6) & 0x3F));
        put(0x80 | (cp & 0x3F));
    } else {
        put(0xF0 | (cp >> 18));
        put(0x80 | ((cp >> 12) & 0x3F));
        put(0x80 | ((cp >> 6) & 0x3F));
        put(0x80 | (cp & 0x3F));
    }
}

std::vector<size_t> char_offsets(std::string_view s) {
    std::vector<size_t> offsets;
    for (size_t pos = 0; pos < s.size();) {
        offsets.push_back(pos);
        next_code_point(s, pos);
    }
    offsets.push_back(s.size());
    return offsets;
}

size_t char_count(std::string_view s) {
    size_t n = 0;
    for (size_t pos = 0; pos < s.size(); ++n) next_code_point(s, pos);
    return n;
}

bool is_space(uint32_t cp) {
    if (cp == ' ' || (cp >= '\t' && cp <= '\r')) return true;
    if (cp < 0xA0) return false;
    return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

std::string_view trim_left(std::string_view s) {
    size_t pos = 0;
    while (pos < s.size()) {
        size_t next = pos;
        if (!is_space(next_code_point(s, next))) break;
        pos = next;
    }
    return s.substr(pos);
}

std::string_view trim_right(std::string_view s) {
    // Walk forward, remembering where the last non-space character ended.
    size_t end = 0;
    for (size_t pos = 0; pos < s.size();) {
        if (!is_space(next_code_point(s, pos))) end = pos;
    }
    return s.substr(0, end);
}

std::string_view trim(std::string_view s) {
    return trim_right(trim_left(s));
}

std::string_view trim_chars(std::string_view s, std::string_view chars, bool left, bool right) {
    std::vector<uint32_t> set;
    for (size_t pos = 0; pos < chars.size();) set.push_back(next_code_point(chars, pos));
    const auto in_set = [&](uint32_t cp) {
        for (uint32_t c : set)
            if (c == cp) return true;
        return false;
    };
    size_t begin = 0;
    if (left) {
        while (begin < s.size()) {
            size_t next = begin;
            if (!in_set(next_code_point(s, next))) break;
            begin = next;
        }
    }
    size_t end = s.size();
    if (right) {
        end = begin;
        for (size_t pos = begin; pos < s.size();) {
            if (!in_set(next_code_point(s, pos))) end = pos;
        }
    }
    return s.substr(begin, end - begin);
}

namespace {

// Alternating upper/lower pairs (upper at the even or odd offset) in Latin Extended-A and Cyrillic.
struct PairRange {
    uint32_t first, last;  // inclusive; `first` is an upper-case letter
};
constexpr PairRange kPairs[] = {
    {0x0100, 0x012F}, {0x0132, 0x0137}, {0x0139, 0x0148}, {0x014A, 0x0177},
    {0x0179, 0x017E}, {0x0460, 0x0481}, {0x048A, 0x04BF}, {0x04D0, 0x04FF},
};

}  // namespace

uint32_t to_upper(uint32_t cp) {
    if (cp < 0x80) return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) return cp - 32;
    if (cp == 0xFF) return 0x178;
    for (const auto& r : kPairs)
        if (cp > r.first && cp <= r.last && (cp - r.first) % 2 == 1) return cp - 1;
    if (cp >= 0x3B1 && cp <= 0x3C9) return cp == 0x3C2 ? 0x3A3 : cp - 32;
    if (cp == 0x3AC) return 0x386;
    if (cp >= 0x3AD && cp <= 0x3AF) return cp - 37;
    if (cp == 0x3CC) return 0x38C;
    if (cp == 0x3CD || cp == 0x3CE) return cp - 63;
    if (cp >= 0x430 && cp <= 0x44F) return cp - 32;
    if (cp >= 0x450 && cp <= 0x45F) return cp - 80;
    return cp;
}

uint32_t to_lower(uint32_t cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
    if (cp == 0x178) return 0xFF;
    for (const auto& r : kPairs)
        if (cp >= r.first && cp < r.last && (cp - r.first) % 2 == 0) return cp + 1;
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 32;
    if (cp == 0x386) return 0x3AC;
    if (cp >= 0x388 && cp <= 0x38A) return cp + 37;
    if (cp == 0x38C) return 0x3CC;
    if (cp == 0x38E || cp == 0x38F) return cp + 63;
    if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
    return cp;
}

bool is_letter(uint32_t cp) {
    return to_upper(cp) != cp || to_lower(cp) != cp || cp == 0xDF;
}

namespace {

template <typename Map>
std::string map_chars(std::string_view s, Map map) {
    std::string out;
    out.reserve(s.size());
    for (size_t pos = 0; pos < s.size();) {
        const size_t start = pos;
        const uint32_t cp = next_code_point(s, pos);
        const uint32_t mapped = map(cp);
        if (mapped == cp)
            out.append(s.substr(start, pos - start));  // keeps invalid bytes as they were
        else
            append_utf8(out, mapped);
    }
    return out;
}

}  // namespace

std::string upper(std::string_view s) {
    return map_chars(s, to_upper);
}
std::string lower(std::string_view s) {
    return map_chars(s, to_lower);
}

std::string title(std::string_view s) {
    bool in_word = false;
    return map_chars(s, [&](uint32_t cp) {
        const bool letter = is_letter(cp);
        const uint32_t mapped = letter ? (in_word ? to_lower(cp) : to_upper(cp)) : cp;
        in_word = letter;
        return mapped;
    });
}

std::string capitalize(std::string_view s) {
    bool first = true;
    return map_chars(s, [&](uint32_t cp) {
        const uint32_t mapped = first ? to_upper(cp) : to_lower(cp);
        first = false;
        return mapped;
    });
}

}  // namespace chord::chat::text

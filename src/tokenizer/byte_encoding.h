// Byte-level BPE's byte alphabet (GPT-2's bytes_to_unicode): every byte value is written as one
// printable code point, so vocabularies and merges are plain text. Bytes that are printable Latin-1
// map to themselves; the other 68 map, in byte order, to U+0100 onwards.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace chord::tokenizer {

namespace detail {

constexpr bool byte_is_printable(uint32_t b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct ByteAlphabet {
    std::array<uint16_t, 256> codepoint{};  // byte -> code point
    std::array<int16_t, 324> byte{};        // code point (< 256 + 68) -> byte, or -1

    constexpr ByteAlphabet() {
        for (auto& b : byte) b = -1;
        uint16_t next = 256;
        for (uint32_t b = 0; b < 256; ++b) {
            codepoint[b] = byte_is_printable(b) ? static_cast<uint16_t>(b) : next++;
            byte[codepoint[b]] = static_cast<int16_t>(b);
        }
    }
};

inline constexpr ByteAlphabet kByteAlphabet{};

}  // namespace detail

// The code point that stands for byte b.
constexpr uint32_t byte_to_codepoint(uint8_t b) {
    return detail::kByteAlphabet.codepoint[b];
}

// The byte a code point stands for, or -1 if it is not part of the alphabet.
constexpr int byte_from_codepoint(uint32_t cp) {
    return cp < detail::kByteAlphabet.byte.size() ? detail::kByteAlphabet.byte[cp] : -1;
}

// Appends the UTF-8 form (one or two bytes) of the code point that stands for byte b.
inline void append_byte_encoded(std::string& out, uint8_t b) {
    const uint32_t cp = byte_to_codepoint(b);
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

}  // namespace chord::tokenizer

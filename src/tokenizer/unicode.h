// Unicode facts the tokenizers need: the class of a code point (letter, number, mark, punctuation,
// symbol, separator, control, unassigned) plus White_Space, simple lowercasing, and UTF-8 decoding
// that treats malformed input exactly like llama.cpp (each bad byte becomes U+FFFD). The tables come
// from tools/gen_unicode_tables.py (unicode_tables.inc); this is not a general Unicode library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chord::tokenizer {

// Bits of unicode_flags(): exactly one class bit, plus kCpWhitespace for White_Space code points.
enum CodepointFlag : uint16_t {
    kCpUnassigned = 1u << 0,   // Cn, and anything above U+10FFFF
    kCpLetter = 1u << 1,       // \p{L}
    kCpNumber = 1u << 2,       // \p{N}
    kCpMark = 1u << 3,         // \p{M}
    kCpPunctuation = 1u << 4,  // \p{P}
    kCpSymbol = 1u << 5,       // \p{S}
    kCpSeparator = 1u << 6,    // \p{Z}
    kCpControl = 1u << 7,      // \p{C} except Cn: Cc, Cf, Co, Cs
    kCpWhitespace = 1u << 8,   // White_Space property (\s of the pre-tokenizer regexes)
};

constexpr uint32_t kReplacementChar = 0xFFFD;
constexpr uint32_t kMaxCodepoint = 0x10FFFF;

// Flags of a code point (see CodepointFlag).
uint16_t unicode_flags(uint32_t cp);

// Simple (one-to-one) lowercase mapping; the code point itself when it has none.
uint32_t unicode_tolower(uint32_t cp);

// The Unicode version the tables were generated from, e.g. "15.0.0".
const char* unicode_version();

// Length of the UTF-8 sequence a lead byte announces (1 for ASCII and for stray continuation bytes),
// looking only at the lead byte, as SentencePiece splitting does.
inline size_t utf8_sequence_length(uint8_t lead) {
    static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return kLengths[lead >> 4];
}

// Decodes one code point at `pos` and advances `pos`. A malformed or truncated sequence yields U+FFFD
// and advances by one byte; values above U+10FFFF also yield U+FFFD. Overlong forms and surrogates
// decode to their value (llama.cpp does not reject them either).
uint32_t utf8_decode(std::string_view s, size_t& pos);

// Appends the UTF-8 encoding of cp (which must be <= U+10FFFF).
void utf8_append(std::string& out, uint32_t cp);

// Length of the longest prefix of `s` that does not end inside an incomplete UTF-8 sequence: the
// bytes after it could still be completed by more input.
size_t utf8_complete_prefix(std::string_view s);

}  // namespace chord::tokenizer

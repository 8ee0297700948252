// Text helpers of the chat-template interpreter: UTF-8 decoding and encoding, whitespace as JavaScript
// and Python agree on it, and case mapping. Template strings are UTF-8 bytes; these helpers give the
// character-level behaviour that templates expect from Python's str (length, slicing, strip, upper)
// without a Unicode library: case mapping covers Latin, Greek and Cyrillic, which is what chat
// templates and the messages they format meet in practice. Invalid UTF-8 is passed through byte by byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chord::chat::text {

// Decodes the code point at `pos` and advances `pos`; an invalid byte decodes as itself (0x80..0xFF),
// so every byte sequence round-trips.
uint32_t next_code_point(std::string_view s, size_t& pos);
void append_utf8(std::string& out, uint32_t cp);

// Byte offsets of each character start, plus s.size() at the end.
std::vector<size_t> char_offsets(std::string_view s);
size_t char_count(std::string_view s);

// The whitespace set of JavaScript's String.prototype.trim (ASCII space, \t \n \v \f \r, NBSP, the
// Unicode space separators, line and paragraph separators, BOM): what the reference renderer strips.
bool is_space(uint32_t cp);

std::string_view trim(std::string_view s);
std::string_view trim_left(std::string_view s);
std::string_view trim_right(std::string_view s);
// Python's str.strip(chars): strips any of the characters in `chars` (a set of code points).
std::string_view trim_chars(std::string_view s, std::string_view chars, bool left, bool right);

uint32_t to_upper(uint32_t cp);
uint32_t to_lower(uint32_t cp);
std::string upper(std::string_view s);
std::string lower(std::string_view s);
// Python's str.title(): first letter of each run of letters upper-cased, the rest lower-cased.
std::string title(std::string_view s);
// Python's str.capitalize(): first character upper-cased, the rest lower-cased.
std::string capitalize(std::string_view s);
bool is_letter(uint32_t cp);  // the letters that to_upper/to_lower know, and ASCII letters

}  // namespace chord::chat::text

// Internal to the pre-tokenizer rules: a segment view whose reads past its end answer "nothing there",
// the character classes, and the pieces of regex matching that several rules share (contractions,
// trailing white space, the leftmost-match driver). Not for use outside src/tokenizer/pre_split_*.cpp.
#pragma once

#include <algorithm>
#include <cstdint>

#include "tokenizer/pre_split_rules.h"
#include "tokenizer/unicode.h"

namespace chord::tokenizer::detail {

// Whether a code point with these flags belongs to the class.
bool in_class(CharClass c, uint32_t cp, uint16_t flags);

// A segment with out-of-segment reads answering "nothing there" (flags 0), as the scanners expect.
struct Segment {
    const CodepointText& t;
    uint32_t begin, end;

    uint16_t flags(uint32_t i) const { return i < end ? t.flags[i] : 0; }
    uint32_t cp(uint32_t i) const { return t.cp[i]; }
    bool is(CharClass c, uint32_t i) const { return i < end && in_class(c, t.cp[i], t.flags[i]); }
    uint32_t run_end(uint32_t i, uint16_t any_of) const {
        while (i < end && (t.flags[i] & any_of)) ++i;
        return i;
    }
};

// How 's|'t|'re|'ve|'m|'ll|'d compare letters: exactly (GPT-2), through the Unicode lowercase mapping
// (llama.cpp's scanners for (?i:...)), or ASCII case only ('[sS] in llama.cpp's rewritten regexes).
enum class Fold : uint8_t { None, Unicode, Ascii };

// A contraction at pos: the end of the match, or 0.
inline uint32_t contraction_end(const Segment& s, uint32_t pos, Fold fold) {
    if (s.cp(pos) != '\'' || pos + 1 >= s.end) return 0;
    const auto letter = [&](uint32_t i) {
        const uint32_t c = s.cp(i);
        if (fold == Fold::Unicode) return unicode_tolower(c);
        if (fold == Fold::Ascii && c >= 'A' && c <= 'Z') return c + ('a' - 'A');
        return c;
    };
    const uint32_t a = letter(pos + 1);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return pos + 2;
    if (pos + 2 >= s.end) return 0;
    const uint32_t b = letter(pos + 2);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return pos + 3;
    return 0;
}

// \s*[\r\n]+ at pos: the end of the white space run's last line break, or 0 when it has none.
inline uint32_t line_break_end(const Segment& s, uint32_t pos) {
    uint32_t last = 0;
    for (uint32_t i = pos; i < s.end && (s.t.flags[i] & kCpWhitespace); ++i)
        if (s.t.cp[i] == '\r' || s.t.cp[i] == '\n') last = i + 1;
    return last;
}

// \s+(?!\S)|\s+ , or a single code point when there is no white space at pos.
inline uint32_t whitespace_end(const Segment& s, uint32_t pos) {
    const uint32_t n = s.run_end(pos, kCpWhitespace) - pos;
    if (n > 1 && pos + n < s.end) return pos + n - 1;  // leave the last one to lead the next piece
    return pos + std::max<uint32_t>(n, 1);
}

// Drives a rule that either matches at a position (returning the match end) or not (returning pos):
// matches and the runs between them become pieces, like a regex split that keeps the gaps.
template <typename MatchAt>
void split_by_matches(uint32_t begin, uint32_t end, PieceEnds& ends, MatchAt match_at) {
    uint32_t gap = begin;
    uint32_t pos = begin;
    while (pos < end) {
        const uint32_t stop = match_at(pos);
        if (stop == pos) {
            ++pos;
            continue;
        }
        if (pos > gap) ends.push_back(pos);
        ends.push_back(stop);
        gap = pos = stop;
    }
    if (gap < end) ends.push_back(end);
}

}  // namespace chord::tokenizer::detail

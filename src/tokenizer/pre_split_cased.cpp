// Pre-tokenizer rules that llama.cpp runs as ECMAScript regexes (no hand-written scanner there), so
// they follow the regex engine's leftmost, first-alternative, backtracking semantics exactly: the
// case-splitting words of GPT-4o / Tekken, deepseek-v3's main pattern, and exaone-moe's spaced words.
#include <algorithm>

#include "tokenizer/pre_split_rules.h"
#include "tokenizer/pre_split_scan.h"
#include "tokenizer/unicode.h"

namespace chord::tokenizer {

using detail::contraction_end;
using detail::Fold;
using detail::line_break_end;
using detail::Segment;
using detail::split_by_matches;
using detail::whitespace_end;

namespace {

// \s*[\r\n]+|\s+(?!\S)|\s+ at pos, or pos when there is no white space there.
uint32_t space_match(const Segment& s, uint32_t pos) {
    if (!(s.flags(pos) & kCpWhitespace)) return pos;
    const uint32_t line_break = line_break_end(s, pos);
    return line_break != 0 ? line_break : whitespace_end(s, pos);
}

// ?[^\s\p{L}\p{N}]+ followed by whatever `tail` accepts, at pos; pos when it does not match.
template <typename Tail>
uint32_t symbol_match(const Segment& s, uint32_t pos, Tail tail) {
    constexpr uint16_t kNot = kCpWhitespace | kCpLetter | kCpNumber;
    const auto symbol = [&](uint32_t i) { return s.flags(i) != 0 && !(s.flags(i) & kNot); };
    uint32_t i = pos;
    if (s.cp(i) == ' ' && symbol(i + 1)) ++i;
    if (!symbol(i)) return pos;
    while (symbol(i)) ++i;
    return tail(i);
}

uint32_t line_breaks_after(const Segment& s, uint32_t i, bool slash) {
    while (i < s.end && (s.cp(i) == '\r' || s.cp(i) == '\n' || (slash && s.cp(i) == '/'))) ++i;
    return i;
}

bool ascii_lower(uint32_t cp) {
    return cp >= 'a' && cp <= 'z';
}
bool ascii_upper(uint32_t cp) {
    return cp >= 'A' && cp <= 'Z';
}

}  // namespace

void split_cased_words(const CodepointText& t, uint32_t begin, uint32_t end, const CasedRule& rule,
                       PieceEnds& ends) {
    const Segment s{t, begin, end};
    const uint16_t letters = rule.marks_are_letters ? (kCpLetter | kCpMark) : kCpLetter;
    const auto upper = [&](uint32_t i) { return (s.flags(i) & letters) && !ascii_lower(s.cp(i)); };  // U
    const auto lower = [&](uint32_t i) { return (s.flags(i) & letters) && !ascii_upper(s.cp(i)); };  // W
    const auto run = [&](uint32_t i, auto in) {
        while (in(i)) ++i;
        return i;
    };
    const auto with_contraction = [&](uint32_t i) {
        const uint32_t c = rule.contractions && i < end ? contraction_end(s, i, Fold::Ascii) : 0;
        return c != 0 ? c : i;
    };
    // [^\r\n\p{L}\p{N}]? : tried taken first, then not taken.
    const auto prefix = [&](uint32_t pos) {
        const uint32_t cp = s.cp(pos);
        return cp != '\r' && cp != '\n' && !(s.flags(pos) & (kCpLetter | kCpNumber));
    };

    split_by_matches(begin, end, ends, [&](uint32_t pos) {
        const uint32_t starts[2] = {pos + 1, pos};
        const int first = prefix(pos) ? 0 : 1;
        // U*W+C? : U* gives characters back until W+ can start.
        for (int k = first; k < 2; ++k) {
            const uint32_t q = starts[k];
            const uint32_t u = run(q, upper);
            if (lower(u)) return with_contraction(run(u, lower));
            for (uint32_t j = u; j > q; --j)
                if (lower(j - 1)) return with_contraction(j);
        }
        // U+W*C?
        for (int k = first; k < 2; ++k) {
            const uint32_t q = starts[k];
            const uint32_t u = run(q, upper);
            if (u > q) return with_contraction(run(u, lower));
        }
        if (s.flags(pos) & kCpNumber) return std::min(s.run_end(pos, kCpNumber), pos + rule.max_digits);
        const uint32_t sym = symbol_match(s, pos, [&](uint32_t i) { return line_breaks_after(s, i, true); });
        if (sym != pos) return sym;
        return space_match(s, pos);
    });
}

void split_deepseek3(const CodepointText& t, uint32_t begin, uint32_t end, PieceEnds& ends) {
    const Segment s{t, begin, end};
    const auto ascii_alpha = [&](uint32_t i) {
        return i < end && (ascii_lower(s.cp(i)) || ascii_upper(s.cp(i)));
    };
    const auto ascii_punct = [&](uint32_t i) {
        const uint32_t c = s.cp(i);
        return c > ' ' && c < 0x7F && !ascii_alpha(i) && !(c >= '0' && c <= '9');
    };
    const auto letter_or_mark = [&](uint32_t i) { return (s.flags(i) & (kCpLetter | kCpMark)) != 0; };
    const auto punct_or_symbol = [&](uint32_t i) { return (s.flags(i) & (kCpPunctuation | kCpSymbol)) != 0; };

    split_by_matches(begin, end, ends, [&](uint32_t pos) {
        // [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+
        if (ascii_punct(pos) && ascii_alpha(pos + 1)) {
            uint32_t i = pos + 1;
            while (ascii_alpha(i)) ++i;
            return i;
        }
        // [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+
        const uint32_t cp = s.cp(pos);
        const bool prefix =
            cp != '\r' && cp != '\n' && !(s.flags(pos) & (kCpLetter | kCpPunctuation | kCpSymbol));
        if (prefix && letter_or_mark(pos + 1)) return s.run_end(pos + 1, kCpLetter | kCpMark);
        if (letter_or_mark(pos)) return s.run_end(pos, kCpLetter | kCpMark);
        // ?[\p{P}\p{S}]+[\r\n]*
        uint32_t i = pos;
        if (cp == ' ' && punct_or_symbol(pos + 1)) ++i;
        if (punct_or_symbol(i)) return line_breaks_after(s, s.run_end(i, kCpPunctuation | kCpSymbol), false);
        return space_match(s, pos);
    });
}

void split_exaone_moe(const CodepointText& t, uint32_t begin, uint32_t end, PieceEnds& ends) {
    const Segment s{t, begin, end};
    const auto letter = [&](uint32_t i) { return (s.flags(i) & kCpLetter) != 0; };
    // (?:\p{L}\p{M}*(?: \p{L}\p{M}*)*)+ from a letter at i.
    const auto words = [&](uint32_t i) {
        while (true) {
            if (letter(i)) {
                i = s.run_end(i + 1, kCpMark);
            } else if (s.cp(i) == ' ' && i + 1 < end && letter(i + 1)) {
                ++i;
            } else {
                return i;
            }
        }
    };

    split_by_matches(begin, end, ends, [&](uint32_t pos) {
        if (const uint32_t c = contraction_end(s, pos, Fold::Ascii); c != 0) return c;
        const uint32_t cp = s.cp(pos);
        const bool prefix = cp != '\r' && cp != '\n' && !(s.flags(pos) & (kCpLetter | kCpNumber));
        if (prefix && letter(pos + 1)) return words(pos + 1);
        if (letter(pos)) return words(pos);
        if (s.flags(pos) & kCpNumber) return pos + 1;
        // ?[^\s\p{L}\p{N}]+[\r\n/]?
        const uint32_t sym = symbol_match(s, pos, [&](uint32_t i) {
            return i < end && (s.cp(i) == '\r' || s.cp(i) == '\n' || s.cp(i) == '/') ? i + 1 : i;
        });
        if (sym != pos) return sym;
        return space_match(s, pos);
    });
}

}  // namespace chord::tokenizer

// The pre-tokenizer rules. The regex-like rules (split_runs and friends) follow the leftmost-first
// matching of the ECMAScript regexes llama.cpp runs; split_gpt2 and split_llama3 follow llama.cpp's
// hand-written scanners for those patterns, including where the scanners and the regexes differ (for
// example, the whitespace before a piece is judged inside the current segment only).
#include "tokenizer/pre_split_rules.h"

#include <algorithm>

#include "tokenizer/pre_split_scan.h"
#include "tokenizer/unicode.h"

namespace chord::tokenizer {

using detail::contraction_end;
using detail::Segment;
using detail::split_by_matches;
using detail::whitespace_end;

void split_gpt2(const CodepointText& t, uint32_t begin, uint32_t end, PieceEnds& ends) {
    const Segment s{t, begin, end};
    constexpr uint16_t kWordish = kCpWhitespace | kCpLetter | kCpNumber;
    uint32_t pos = begin;
    while (pos < end) {
        uint32_t stop = contraction_end(s, pos, detail::Fold::None);
        if (stop == 0) {
            // An optional leading space joins the run that follows it.
            const uint32_t lead = pos + (s.cp(pos) == ' ' ? 1 : 0);
            const uint16_t f = s.flags(lead);
            if (f & kCpLetter) {
                stop = s.run_end(lead, kCpLetter);
            } else if (f & kCpNumber) {
                stop = s.run_end(lead, kCpNumber);
            } else if (f != 0 && !(f & kWordish)) {
                stop = lead;
                while (stop < end && !(t.flags[stop] & kWordish)) ++stop;
            } else {
                stop = whitespace_end(s, pos);
            }
        }
        ends.push_back(stop);
        pos = stop;
    }
}

void split_llama3(const CodepointText& t, uint32_t begin, uint32_t end, const Llama3Rule& rule,
                  PieceEnds& ends) {
    const Segment s{t, begin, end};
    const uint16_t letters = rule.marks_are_letters ? (kCpLetter | kCpMark) : kCpLetter;
    const uint16_t not_symbols = kCpWhitespace | kCpNumber | letters;
    uint32_t pos = begin;
    while (pos < end) {
        const uint32_t cp = s.cp(pos);
        const uint16_t f = s.flags(pos);
        uint32_t stop = contraction_end(s, pos, detail::Fold::Unicode);
        if (stop != 0) {
            // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        } else if (cp != '\r' && cp != '\n' && !(f & kCpNumber) &&
                   ((f & letters) || (s.flags(pos + 1) & letters))) {
            // [^\r\n\p{L}\p{N}]?\p{L}+ : one leading code point of any other kind may join the letters.
            stop = s.run_end(pos + 1, letters);
        } else if (f & kCpNumber) {
            const uint32_t run = s.run_end(pos, kCpNumber);
            stop = rule.max_digits == 0 ? run : std::min(run, pos + rule.max_digits);
        } else if (const uint32_t lead = pos + (cp == ' ' ? 1 : 0); !(s.flags(lead) & not_symbols)) {
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'; a lone space at the segment end also lands here.
            stop = lead;
            while (stop < end && !(t.flags[stop] & not_symbols)) ++stop;
            if (rule.symbols_take_line_breaks)
                while (stop < end && (t.cp[stop] == '\r' || t.cp[stop] == '\n')) ++stop;
        } else {
            // \s*[\r\n]+ takes the white space up to its last line break; then \s+(?!\S)|\s+.
            const uint32_t line_break = detail::line_break_end(s, pos);
            stop = line_break != 0 ? line_break : whitespace_end(s, pos);
        }
        ends.push_back(stop);
        pos = stop;
    }
}

void split_runs(const CodepointText& t, uint32_t begin, uint32_t end, CharClass c, PieceEnds& ends) {
    const Segment s{t, begin, end};
    split_by_matches(begin, end, ends, [&](uint32_t pos) {
        while (s.is(c, pos)) ++pos;
        return pos;
    });
}

void split_singles(const CodepointText& t, uint32_t begin, uint32_t end, CharClass c, PieceEnds& ends) {
    const Segment s{t, begin, end};
    split_by_matches(begin, end, ends, [&](uint32_t pos) { return s.is(c, pos) ? pos + 1 : pos; });
}

void split_space_runs(const CodepointText& t, uint32_t begin, uint32_t end, CharClass c, PieceEnds& ends) {
    const Segment s{t, begin, end};
    split_by_matches(begin, end, ends, [&](uint32_t pos) {
        uint32_t i = pos;
        if ((s.flags(i) & kCpWhitespace) && s.is(c, i + 1)) ++i;
        while (s.is(c, i)) ++i;
        return i;
    });
}

void split_digit_triples(const CodepointText& t, uint32_t begin, uint32_t end, PieceEnds& ends) {
    const auto digit = [&](uint32_t i) { return i < end && t.cp[i] >= '0' && t.cp[i] <= '9'; };
    split_by_matches(begin, end, ends, [&](uint32_t pos) {
        return digit(pos) && digit(pos + 1) && digit(pos + 2) ? pos + 3 : pos;
    });
}

void split_number_groups(const CodepointText& t, uint32_t begin, uint32_t end, uint32_t max_digits,
                         PieceEnds& ends) {
    const Segment s{t, begin, end};
    split_by_matches(begin, end, ends,
                     [&](uint32_t pos) { return std::min(s.run_end(pos, kCpNumber), pos + max_digits); });
}

void split_spaced_runs(const CodepointText& t, uint32_t begin, uint32_t end, CharClass c, PieceEnds& ends) {
    const Segment s{t, begin, end};
    split_by_matches(begin, end, ends, [&](uint32_t pos) {
        uint32_t i = pos;
        if (s.cp(i) == ' ' && s.is(c, i + 1)) ++i;
        while (s.is(c, i)) ++i;
        return i;
    });
}

void split_trailing_space(const CodepointText& t, uint32_t begin, uint32_t end, PieceEnds& ends) {
    uint32_t start = end;
    while (start > begin && (t.flags[start - 1] & kCpWhitespace)) --start;
    if (start > begin && start < end) ends.push_back(start);
    if (end > begin) ends.push_back(end);
}

void split_newline_runs(const CodepointText& t, uint32_t begin, uint32_t end, PieceEnds& ends) {
    uint32_t pos = begin;
    while (pos < end) {
        const bool newline = t.cp[pos] == '\n';
        while (pos < end && (t.cp[pos] == '\n') == newline) ++pos;
        ends.push_back(pos);
    }
}

}  // namespace chord::tokenizer

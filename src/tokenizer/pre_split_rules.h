// The building blocks of the BPE pre-tokenizers: hand-written matchers, each equivalent to one of the
// regular expressions llama.cpp applies for a `tokenizer.ggml.pre` type (named above each function),
// including llama.cpp's reading of them (\s is White_Space, a class such as \p{L} is the Unicode
// class). A rule cuts one segment [begin, end) of code points into pieces and appends each piece's end
// to `ends`; pieces cover the segment exactly. Rules never look outside their segment.
#pragma once

#include <cstdint>
#include <vector>

namespace chord::tokenizer {

// The text the rules see: code points and their unicode_flags().
struct CodepointText {
    const uint32_t* cp;
    const uint16_t* flags;
};

using PieceEnds = std::vector<uint32_t>;

// Character classes used by the regex-like rules.
enum class CharClass : uint8_t {
    Letter,         // \p{L}
    Number,         // \p{N}
    Punctuation,    // \p{P}
    PunctDefault,   // [\p{P}\$\+<=>\^~\|]       (default pre-tokenizer)
    PunctFalcon,    // [\p{P}\$\+<=>\^~\|`]      (falcon)
    CrLf,           // [\r\n]
    DeepseekCjk,    // [一-龥ࠀ-一가-퟿]          (deepseek-llm, deepseek-coder)
    DeepseekLatin,  // cased letters of Latin, Greek, Cyrillic, ... (deepseek-llm)
    DeepseekPunct,  // [!-/:-~！-／：-～‘-‟　-。]  (deepseek-llm)
    DeepseekV3Cjk,  // [一-龥぀-ゟ゠-ヿ]          (deepseek-v3)
    PoroText,       // [^(\s|.,!?…。，、।۔،)]   (poro, bloom, viking)
};

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
void split_gpt2(const CodepointText& t, uint32_t begin, uint32_t end, PieceEnds& ends);

// The Llama 3 family: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max_digits}|
// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ ; with marks_are_letters (qwen35) \p{L} reads
// [\p{L}\p{M}] in the letter run and the punctuation run excludes \p{M} too.
struct Llama3Rule {
    uint32_t max_digits = 3;  // 0: any number of digits (\p{N}+)
    bool marks_are_letters = false;
    bool symbols_take_line_breaks = true;  // the [\r\n]* after a symbol run (seed-coder has none)
};
void split_llama3(const CodepointText& t, uint32_t begin, uint32_t end, const Llama3Rule& rule,
                  PieceEnds& ends);

// X+ : each maximal run of the class is a piece, and so is each run between them.
void split_runs(const CodepointText& t, uint32_t begin, uint32_t end, CharClass c, PieceEnds& ends);

// X : each code point of the class is a piece, and so is each run between them.
void split_singles(const CodepointText& t, uint32_t begin, uint32_t end, CharClass c, PieceEnds& ends);

// \s?X+ : a run of the class, with one white space code point before it when there is one.
void split_space_runs(const CodepointText& t, uint32_t begin, uint32_t end, CharClass c, PieceEnds& ends);

// ?X+ : a run of the class, with one space (U+0020 only) before it when there is one.
void split_spaced_runs(const CodepointText& t, uint32_t begin, uint32_t end, CharClass c, PieceEnds& ends);

// \p{N}{1,max_digits} : numbers in groups of up to max_digits, from the left.
void split_number_groups(const CodepointText& t, uint32_t begin, uint32_t end, uint32_t max_digits,
                         PieceEnds& ends);

// [0-9][0-9][0-9] : three ASCII digits, leftmost first, not overlapping.
void split_digit_triples(const CodepointText& t, uint32_t begin, uint32_t end, PieceEnds& ends);

// \s+$ : the white space at the end of the segment.
void split_trailing_space(const CodepointText& t, uint32_t begin, uint32_t end, PieceEnds& ends);

// [^\n]+|[\n]+ : runs of line feeds and runs of everything else.
void split_newline_runs(const CodepointText& t, uint32_t begin, uint32_t end, PieceEnds& ends);

// GPT-4o (Llama 4), Tekken (Mistral) and granite-embed-multi: words cut where case changes,
//   [^\r\n\p{L}\p{N}]?U*W+C?|[^\r\n\p{L}\p{N}]?U+W*C?|\p{N}{1,max_digits}| ?[^\s\p{L}\p{N}]+[\r\n/]*|
//   \s*[\r\n]+|\s+(?!\S)|\s+
// where U is a letter other than a-z, W a letter other than A-Z (llama.cpp's rewrite of \p{Lu} and
// \p{Ll}: case is only known for ASCII), C an optional 's|'t|'re|'ve|'m|'ll|'d contraction.
struct CasedRule {
    bool contractions = true;
    uint32_t max_digits = 3;
    bool marks_are_letters = false;  // granite-embed-multi: [\p{L}\p{M}] for letters
};
void split_cased_words(const CodepointText& t, uint32_t begin, uint32_t end, const CasedRule& rule,
                       PieceEnds& ends);

// deepseek-v3's main regex: [!-/:-@[-`{-~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|
//   ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
void split_deepseek3(const CodepointText& t, uint32_t begin, uint32_t end, PieceEnds& ends);

// exaone-moe: words of letters (with their marks) joined by single spaces,
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?(?:\p{L}\p{M}*(?: \p{L}\p{M}*)*)+|\p{N}|
//   ?[^\s\p{L}\p{N}]+[\r\n/]?|\s*[\r\n]|\s+(?!\S)|\s+
void split_exaone_moe(const CodepointText& t, uint32_t begin, uint32_t end, PieceEnds& ends);

}  // namespace chord::tokenizer

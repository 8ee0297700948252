// The tokenizer's building blocks: the generated Unicode tables, UTF-8 handling of malformed input,
// the byte-level BPE alphabet, clean_up_tokenization_spaces, and the pre-tokenizer split rules on
// hand-checked examples (what llama.cpp's regexes give).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tokenizer/byte_encoding.h"
#include "tokenizer/clean_spaces.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/unicode.h"

namespace chord::tokenizer {
namespace {

TEST(Unicode, Classes) {
    EXPECT_EQ(unicode_flags('a'), kCpLetter);
    EXPECT_EQ(unicode_flags('7'), kCpNumber);
    EXPECT_EQ(unicode_flags('!'), kCpPunctuation);
    EXPECT_EQ(unicode_flags('$'), kCpSymbol);
    EXPECT_EQ(unicode_flags(' '), kCpSeparator | kCpWhitespace);
    EXPECT_EQ(unicode_flags('\n'), kCpControl | kCpWhitespace);
    EXPECT_EQ(unicode_flags(0x1F), kCpControl);  // not White_Space
    EXPECT_EQ(unicode_flags(0x85), kCpControl | kCpWhitespace);
    EXPECT_EQ(unicode_flags(0x3000), kCpSeparator | kCpWhitespace);
    EXPECT_EQ(unicode_flags(0x200B), kCpControl);  // zero width space is Cf
    EXPECT_EQ(unicode_flags(0x0301), kCpMark);
    EXPECT_EQ(unicode_flags(0x4E2D), kCpLetter);   // CJK ideograph
    EXPECT_EQ(unicode_flags(0x20000), kCpLetter);  // CJK extension B, from a First/Last range
    EXPECT_EQ(unicode_flags(0x0663), kCpNumber);   // Arabic-Indic three
    EXPECT_EQ(unicode_flags(0x2167), kCpNumber);   // Roman numeral eight (Nl)
    EXPECT_EQ(unicode_flags(0x1F600), kCpSymbol);  // emoji
    EXPECT_EQ(unicode_flags(0xE000), kCpControl);  // private use
    EXPECT_EQ(unicode_flags(0xD800), kCpControl);  // surrogate
    EXPECT_EQ(unicode_flags(0x0378), kCpUnassigned);
    EXPECT_EQ(unicode_flags(0x10FFFF), kCpUnassigned);
    EXPECT_EQ(unicode_flags(0x110000), kCpUnassigned);
    EXPECT_STREQ(unicode_version(), "15.0.0");
}

TEST(Unicode, Lowercase) {
    EXPECT_EQ(unicode_tolower('S'), static_cast<uint32_t>('s'));
    EXPECT_EQ(unicode_tolower('s'), static_cast<uint32_t>('s'));
    EXPECT_EQ(unicode_tolower(0x00C4), 0x00E4u);  // Ä
    EXPECT_EQ(unicode_tolower(0x0130), 0x0069u);  // İ -> i (simple mapping)
    EXPECT_EQ(unicode_tolower(0x212A), 0x006Bu);  // Kelvin sign -> k
    EXPECT_EQ(unicode_tolower('1'), static_cast<uint32_t>('1'));
}

std::vector<uint32_t> decode_all(std::string_view s) {
    std::vector<uint32_t> out;
    for (size_t pos = 0; pos < s.size();) out.push_back(utf8_decode(s, pos));
    return out;
}

TEST(Unicode, Utf8DecodeLikeLlamaCpp) {
    EXPECT_EQ(decode_all("a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80"),
              (std::vector<uint32_t>{'a', 0xE9, 0x4E2D, 0x1F600}));
    // Each malformed byte is one U+FFFD; decoding resumes at the next byte.
    EXPECT_EQ(decode_all("\x80x"), (std::vector<uint32_t>{0xFFFD, 'x'}));
    EXPECT_EQ(decode_all("\xE4\xB8"), (std::vector<uint32_t>{0xFFFD, 0xFFFD}));
    EXPECT_EQ(decode_all("\xC3("), (std::vector<uint32_t>{0xFFFD, '('}));
    EXPECT_EQ(decode_all("\xFF"), (std::vector<uint32_t>{0xFFFD}));
    EXPECT_EQ(decode_all("\xC0\x80"), (std::vector<uint32_t>{0}));  // overlong, accepted as llama.cpp does
    EXPECT_EQ(decode_all("\xF4\x90\x80\x80"), (std::vector<uint32_t>{0xFFFD}));  // above U+10FFFF
}

TEST(Unicode, CompletePrefix) {
    EXPECT_EQ(utf8_complete_prefix(""), 0u);
    EXPECT_EQ(utf8_complete_prefix("ab"), 2u);
    EXPECT_EQ(utf8_complete_prefix("a\xC3"), 1u);
    EXPECT_EQ(utf8_complete_prefix("a\xC3\xA9"), 3u);
    EXPECT_EQ(utf8_complete_prefix("a\xF0\x9F\x98"), 1u);
    EXPECT_EQ(utf8_complete_prefix("a\xF0\x9F\x98\x80"), 5u);
    EXPECT_EQ(utf8_complete_prefix("a\x80\x80\x80"), 4u);  // stray continuation bytes never complete
    EXPECT_EQ(utf8_complete_prefix("a\xFF"), 2u);
}

TEST(ByteAlphabet, RoundTripsEveryByte) {
    EXPECT_EQ(byte_to_codepoint('A'), static_cast<uint32_t>('A'));
    EXPECT_EQ(byte_to_codepoint(' '), 0x120u);   // 'Ġ'
    EXPECT_EQ(byte_to_codepoint('\n'), 0x10Au);  // 'Ċ'
    EXPECT_EQ(byte_to_codepoint(0xAD), 0x143u);
    for (int b = 0; b < 256; ++b)
        EXPECT_EQ(byte_from_codepoint(byte_to_codepoint(static_cast<uint8_t>(b))), b);
    EXPECT_EQ(byte_from_codepoint(0x4E2D), -1);
    std::string s;
    append_byte_encoded(s, ' ');
    EXPECT_EQ(s, "\xC4\xA0");
}

TEST(CleanSpaces, LlamaCppRules) {
    EXPECT_EQ(clean_up_spaces("Hello , world !"), "Hello, world!");
    EXPECT_EQ(clean_up_spaces("a . b ? c"), "a. b? c");
    EXPECT_EQ(clean_up_spaces("I ' m"), "I'm");
    EXPECT_EQ(clean_up_spaces("it 's he 'm we 're you 've"), "it's he'm we're you've");
    EXPECT_EQ(clean_up_spaces("don 't I 'd we 'll"), "don 't I 'd we 'll");
    EXPECT_EQ(clean_up_spaces(" ."), ".");
    EXPECT_EQ(clean_up_spaces("a ' ' b"), "a'' b");
    EXPECT_EQ(clean_up_spaces(""), "");
    EXPECT_EQ(clean_up_spaces("no change here"), "no change here");
}

std::vector<std::string> words(std::string_view pre, std::string_view text) {
    PreTokenized p;
    pre_tokenize(find_pre_tokenizer(pre)->split, text, p);
    std::vector<std::string> out;
    uint32_t begin = 0;
    for (uint32_t end : p.word_ends) {
        out.push_back(p.text.substr(begin, end - begin));
        begin = end;
    }
    return out;
}

using Words = std::vector<std::string>;

TEST(PreTokenizer, Gpt2) {
    EXPECT_EQ(words("gpt-2", "Hello world's  test"), (Words{"Hello", " world", "'s", " ", " test"}));
    EXPECT_EQ(words("gpt-2", "x  \n\ty 123 !!"), (Words{"x", "  \n", "\t", "y", " 123", " !!"}));
    EXPECT_EQ(words("gpt-2", "I'M ok  "), (Words{"I", "'", "M", " ok", "  "}));
    EXPECT_EQ(words("gpt-2", ""), Words{});
}

TEST(PreTokenizer, Llama3) {
    EXPECT_EQ(words("llama-bpe", "12345 I'M\r\n\n  x"),
              (Words{"123", "45", " I", "'M", "\r\n\n", " ", " x"}));
    EXPECT_EQ(words("llama-bpe", "(hello) ...\n"), (Words{"(hello", ")", " ...\n"}));
    EXPECT_EQ(words("qwen2", "123abc"), (Words{"1", "2", "3", "abc"}));
}

TEST(PreTokenizer, Qwen35MarksJoinLetters) {
    EXPECT_EQ(words("qwen35", "e\xCC\x81t\xC3\xA9"), (Words{"e\xCC\x81t\xC3\xA9"}));
    EXPECT_EQ(words("qwen2", "e\xCC\x81t"), (Words{"e", "\xCC\x81t"}));
}

TEST(PreTokenizer, DefaultAndFalconAndStarcoder) {
    EXPECT_EQ(words("default", "a+b=1234!"), (Words{"a", "+", "b", "=", "123", "4", "!"}));
    EXPECT_EQ(words("falcon", "x``y 12345"), (Words{"x", "``", "y", " ", "123", "45"}));
    EXPECT_EQ(words("starcoder", "ab12 c"), (Words{"ab", "1", "2", " c"}));
}

TEST(PreTokenizer, Deepseek) {
    EXPECT_EQ(words("deepseek-llm", "Hi, 世界 42 \n  "),
              (Words{"Hi", ",", " ", "世界", " ", "42", " ", "\n", "  "}));
    EXPECT_EQ(words("deepseek-coder", "x1 中文\r\n"), (Words{"x", "1", " ", "中文", "\r", "\n"}));
}

TEST(PreTokenizer, CasedWordsBacktrackLikeTheRegex) {
    EXPECT_EQ(words("gpt-4o",
                    "HELLOworld \xC3\x84"
                    "Bc"),
              (Words{"HELLOworld",
                     " \xC3\x84"
                     "Bc"}));
    EXPECT_EQ(words("gpt-4o",
                    "\xC3\x84"
                    "B"),
              (Words{"\xC3\x84", "B"}));  // U* gives back the non-ASCII letter
    EXPECT_EQ(words("gpt-4o", "iPHONE's"), (Words{"i", "PHONE's"}));
    EXPECT_EQ(words("tekken", "ab12's"), (Words{"ab", "1", "2", "'s"}));
}

TEST(PreTokenizer, DeepseekV3ExaoneMoePoro) {
    EXPECT_EQ(words("deepseek-v3", "(Hello) 12345 日本語"),
              (Words{"(Hello", ")", " ", "123", "45", " ", "日本語"}));
    EXPECT_EQ(words("exaone-moe", "Hello big world, 42"), (Words{"Hello big world", ",", " ", "4", "2"}));
    EXPECT_EQ(words("poro-chat", "Hello, world! (x)"), (Words{"Hello", ",", " world", "! (", "x", ")"}));
}

TEST(PreTokenizer, MalformedBytesBecomeReplacementCharacters) {
    EXPECT_EQ(words("gpt-2", "a\xFF"), (Words{"a", "\xEF\xBF\xBD"}));
}

TEST(PreTokenizer, UnknownNamesAreNotFound) {
    EXPECT_FALSE(find_pre_tokenizer("no-such-pre").has_value());
    EXPECT_TRUE(find_pre_tokenizer("").has_value());
    EXPECT_NE(supported_pre_tokenizer_names().find("llama-bpe"), std::string::npos);
}

}  // namespace
}  // namespace chord::tokenizer

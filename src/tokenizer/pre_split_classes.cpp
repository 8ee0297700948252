// The character classes of the regex-like pre-tokenizer rules (CharClass), as llama.cpp's regexes
// read them: Unicode classes from the generated tables, literal ranges from the pre-tokenizers'
// tokenizer.json files, and non-ASCII white space outside every class (llama.cpp's regexes see it as
// a plain \v).
#include <algorithm>
#include <iterator>

#include "tokenizer/pre_split_scan.h"
#include "tokenizer/unicode.h"

namespace chord::tokenizer::detail {
namespace {

struct Range {
    uint32_t first, last;
};

bool in_ranges(const Range* begin, const Range* end, uint32_t cp) {
    const Range* it =
        std::upper_bound(begin, end, cp, [](uint32_t v, const Range& r) { return v < r.first; });
    return it != begin && cp <= (it - 1)->last;
}

// deepseek-llm's letter class (from its tokenizer.json), sorted and merged.
constexpr Range kDeepseekLatin[] = {
    {0x41, 0x5A},       {0x61, 0x7A},       {0xB5, 0xB5},       {0xC0, 0xD6},       {0xD8, 0xF6},
    {0xF8, 0x1BA},      {0x1BC, 0x1BF},     {0x1C4, 0x293},     {0x295, 0x2AF},     {0x370, 0x373},
    {0x376, 0x377},     {0x37B, 0x37D},     {0x37F, 0x37F},     {0x386, 0x386},     {0x388, 0x38A},
    {0x38C, 0x38C},     {0x38E, 0x3A1},     {0x3A3, 0x3F5},     {0x3F7, 0x481},     {0x48A, 0x52F},
    {0x531, 0x556},     {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},   {0x1C90, 0x1CBA},
    {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},   {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},
    {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},   {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},
    {0x1F5B, 0x1F5B},   {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},   {0x1FD6, 0x1FDB},
    {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},   {0x2102, 0x2102},   {0x2107, 0x2107},
    {0x210A, 0x2113},   {0x2115, 0x2115},   {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},
    {0x2128, 0x2128},   {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},   {0x2C7E, 0x2CE4},
    {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},   {0xA680, 0xA69B},   {0xA722, 0xA76F},
    {0xA771, 0xA787},   {0xA78B, 0xA78E},   {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},
    {0xFF21, 0xFF3A},   {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
constexpr Range kDeepseekPunct[] = {{0x21, 0x2F},     {0x3A, 0x7E},     {0x2018, 0x201F},
                                    {0x3000, 0x3002}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E}};
constexpr Range kDeepseekCjk[] = {{0x800, 0x9FA5}, {0xAC00, 0xD7FF}};
constexpr Range kDeepseekV3Cjk[] = {{0x3040, 0x30FF}, {0x4E00, 0x9FA5}};
// The characters poro's class leaves out, besides white space.
constexpr Range kPoroStops[] = {{'!', '!'},       {'(', ')'},       {',', ','},       {'.', '.'},
                                {'?', '?'},       {'|', '|'},       {0x060C, 0x060C}, {0x06D4, 0x06D4},
                                {0x0964, 0x0964}, {0x2026, 0x2026}, {0x3001, 0x3002}, {0xFF0C, 0xFF0C}};

bool ascii_symbol_of_default_class(uint32_t cp) {
    return cp == '$' || cp == '+' || cp == '<' || cp == '=' || cp == '>' || cp == '^' || cp == '~' ||
           cp == '|';
}

}  // namespace

bool in_class(CharClass c, uint32_t cp, uint16_t flags) {
    // Non-ASCII white space never belongs to these classes: llama.cpp's regexes see it as \v.
    if (cp >= 0x80 && (flags & kCpWhitespace)) return false;
    switch (c) {
        case CharClass::Letter:
            return flags & kCpLetter;
        case CharClass::Number:
            return flags & kCpNumber;
        case CharClass::Punctuation:
            return flags & kCpPunctuation;
        case CharClass::PunctDefault:
            return (flags & kCpPunctuation) || ascii_symbol_of_default_class(cp);
        case CharClass::PunctFalcon:
            return (flags & kCpPunctuation) || ascii_symbol_of_default_class(cp) || cp == '`';
        case CharClass::CrLf:
            return cp == '\r' || cp == '\n';
        case CharClass::DeepseekCjk:
            return in_ranges(std::begin(kDeepseekCjk), std::end(kDeepseekCjk), cp);
        case CharClass::DeepseekLatin:
            return in_ranges(std::begin(kDeepseekLatin), std::end(kDeepseekLatin), cp);
        case CharClass::DeepseekPunct:
            return in_ranges(std::begin(kDeepseekPunct), std::end(kDeepseekPunct), cp);
        case CharClass::DeepseekV3Cjk:
            return in_ranges(std::begin(kDeepseekV3Cjk), std::end(kDeepseekV3Cjk), cp);
        case CharClass::PoroText:
            return !(flags & kCpWhitespace) && !in_ranges(std::begin(kPoroStops), std::end(kPoroStops), cp);
    }
    return false;
}

}  // namespace chord::tokenizer::detail

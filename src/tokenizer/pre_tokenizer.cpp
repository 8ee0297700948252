// The pre-tokenizer names (and the llama.cpp flags each implies) and the driver that decodes a text
// once into code points and flags, runs the rules of a PreSplit one after another (each rule cuts the
// pieces the previous rules left), and maps the final pieces back to byte offsets.
#include "tokenizer/pre_tokenizer.h"

#include <span>

#include "tokenizer/unicode.h"

namespace chord::tokenizer {
namespace {

struct NamedSpec {
    std::string_view name;
    PreTokenizerSpec spec;
};

constexpr PreTokenizerSpec spec(PreSplit split, bool clean_spaces = true) {
    return {split, clean_spaces};
}
constexpr PreTokenizerSpec kLlama3{PreSplit::Llama3, true, /*ignore_merges=*/true, /*add_bos=*/true};
constexpr PreTokenizerSpec kGlm4{PreSplit::Llama3, true, false, false, /*no_bos=*/true};
constexpr PreTokenizerSpec kTekken{PreSplit::Tekken, false, /*ignore_merges=*/true, /*add_bos=*/true};
constexpr PreTokenizerSpec kGraniteMulti{PreSplit::GraniteMulti, false, /*ignore_merges=*/true};
constexpr PreTokenizerSpec kMiniCpm5{PreSplit::MiniCpm5, true, /*ignore_merges=*/true};

constexpr NamedSpec kNames[] = {
    {"default", spec(PreSplit::Default)},
    {"llama3", kLlama3},
    {"llama-v3", kLlama3},
    {"llama-bpe", kLlama3},
    {"falcon3", kLlama3},
    {"falcon-h1", kLlama3},
    {"pixtral", kLlama3},
    {"midm-2.0", kLlama3},
    {"lfm2", kLlama3},
    {"jina-v5-nano", kLlama3},
    {"dbrx", spec(PreSplit::Llama3)},
    {"smaug-bpe", spec(PreSplit::Llama3)},
    {"glm4", kGlm4},
    {"chatglm-bpe", kGlm4},
    {"deepseek-llm", spec(PreSplit::DeepseekLlm, false)},
    {"deepseek-coder", spec(PreSplit::DeepseekCoder, false)},
    {"falcon", spec(PreSplit::Falcon)},
    {"mpt", spec(PreSplit::Gpt2)},
    {"starcoder", spec(PreSplit::Starcoder)},
    {"gpt-2", spec(PreSplit::Gpt2)},
    {"phi-2", spec(PreSplit::Gpt2)},
    {"jina-es", spec(PreSplit::Gpt2)},
    {"jina-de", spec(PreSplit::Gpt2)},
    {"gigachat", spec(PreSplit::Gpt2)},
    {"jina-v2-es", spec(PreSplit::Gpt2)},
    {"jina-v2-de", spec(PreSplit::Gpt2)},
    {"a.x-4.0", spec(PreSplit::Gpt2)},
    {"mellum", spec(PreSplit::Gpt2)},
    {"modern-bert", spec(PreSplit::Gpt2)},
    {"jina-v1-en", spec(PreSplit::Gpt2)},
    {"jina-v2-code", spec(PreSplit::Gpt2)},
    {"roberta-bpe", spec(PreSplit::Gpt2)},
    {"refact", spec(PreSplit::Starcoder)},
    {"command-r", spec(PreSplit::Starcoder, false)},
    {"qwen2", spec(PreSplit::Qwen2, false)},
    {"deepseek-r1-qwen", spec(PreSplit::Qwen2, false)},
    {"kormo", spec(PreSplit::Qwen2, false)},
    {"f2llmv2", spec(PreSplit::Qwen2, false)},
    {"qwen35", spec(PreSplit::Qwen35, false)},
    {"stablelm2", spec(PreSplit::Qwen2)},
    {"olmo", spec(PreSplit::Gpt2)},
    {"jais", spec(PreSplit::Gpt2)},
    {"smollm", spec(PreSplit::Starcoder, false)},
    {"codeshell", spec(PreSplit::Starcoder)},
    {"exaone", spec(PreSplit::Starcoder)},
    {"exaone4", spec(PreSplit::Gpt2)},
    {"minerva-7b", spec(PreSplit::Starcoder)},
    {"megrez", spec(PreSplit::Qwen2)},
    {"trillion", spec(PreSplit::Gpt2, false)},
    {"granite-docling", spec(PreSplit::Gpt2, false)},
    {"hunyuan", spec(PreSplit::Qwen2, false)},
    {"grok-2", spec(PreSplit::Qwen2, false)},
    {"solar-open", spec(PreSplit::Qwen2, false)},
    {"laguna", spec(PreSplit::Laguna, false)},
    {"mellum2", spec(PreSplit::Starcoder)},
    {"gpt-4o", spec(PreSplit::Gpt4o, false)},
    {"llama4", spec(PreSplit::Gpt4o, false)},
    {"kanana2", spec(PreSplit::Gpt4o, false)},
    {"talkie", spec(PreSplit::Gpt4o, false)},
    {"minimax-m2", spec(PreSplit::Gpt4o, false)},
    {"tekken", kTekken},
    {"granite-embed-multi-97m", kGraniteMulti},
    {"deepseek-v3", spec(PreSplit::DeepseekV3, false)},
    {"hunyuan-dense", spec(PreSplit::DeepseekV3, false)},
    {"joyai-llm", spec(PreSplit::DeepseekV3, false)},
    {"seed-coder", spec(PreSplit::SeedCoder, false)},
    {"minicpm5", kMiniCpm5},
    {"bailingmoe", spec(PreSplit::Qwen2, false)},
    {"bailingmoe2", spec(PreSplit::Qwen2, false)},
    {"llada-moe", spec(PreSplit::Qwen2, false)},
    {"exaone-moe", spec(PreSplit::ExaoneMoe)},
    {"poro-chat", spec(PreSplit::Poro, false)},
    {"bloom", spec(PreSplit::Poro)},
    {"gpt3-finnish", spec(PreSplit::Poro)},
    {"viking", spec(PreSplit::Viking, false)},
};

enum class Rule : uint8_t {
    Gpt2,
    Llama3,
    Qwen2,
    Qwen35,
    SeedCoder,
    Llama3AnyDigits,
    Runs,
    Singles,
    SpaceRuns,
    SpacedRuns,
    DigitTriples,
    NumberTriples,
    TrailingSpace,
    NewlineRuns,
    Gpt4o,
    Tekken,
    GraniteMulti,
    DeepseekV3,
    ExaoneMoe,
};

struct Step {
    Rule rule;
    CharClass cls = CharClass::Letter;  // for the regex-like rules
};

constexpr Step kDefault[] = {{Rule::Runs, CharClass::PunctDefault},
                             {Rule::Gpt2},
                             {Rule::Runs, CharClass::Number},
                             {Rule::DigitTriples}};
constexpr Step kGpt2[] = {{Rule::Gpt2}};
constexpr Step kLlama3Steps[] = {{Rule::Llama3}};
constexpr Step kQwen2[] = {{Rule::Qwen2}};
constexpr Step kQwen35[] = {{Rule::Qwen35}};
constexpr Step kDeepseekLlm[] = {{Rule::Singles, CharClass::CrLf},
                                 {Rule::SpaceRuns, CharClass::DeepseekLatin},
                                 {Rule::SpaceRuns, CharClass::DeepseekPunct},
                                 {Rule::TrailingSpace},
                                 {Rule::Runs, CharClass::DeepseekCjk},
                                 {Rule::Runs, CharClass::Number}};
constexpr Step kDeepseekCoder[] = {{Rule::Singles, CharClass::CrLf},
                                   {Rule::SpaceRuns, CharClass::Letter},
                                   {Rule::SpaceRuns, CharClass::Punctuation},
                                   {Rule::Runs, CharClass::DeepseekCjk},
                                   {Rule::Singles, CharClass::Number}};
constexpr Step kFalcon[] = {{Rule::Runs, CharClass::PunctFalcon}, {Rule::Gpt2}, {Rule::DigitTriples}};
constexpr Step kStarcoder[] = {{Rule::Singles, CharClass::Number}, {Rule::Gpt2}};
constexpr Step kLaguna[] = {{Rule::NewlineRuns}, {Rule::Qwen2}};
constexpr Step kGpt4o[] = {{Rule::Gpt4o}};
constexpr Step kTekkenSteps[] = {{Rule::Tekken}};
constexpr Step kGraniteMultiSteps[] = {{Rule::GraniteMulti}};
constexpr Step kDeepseekV3[] = {
    {Rule::NumberTriples}, {Rule::Runs, CharClass::DeepseekV3Cjk}, {Rule::DeepseekV3}};
constexpr Step kSeedCoder[] = {{Rule::SeedCoder}};
constexpr Step kMiniCpm5Steps[] = {{Rule::NumberTriples}, {Rule::Llama3AnyDigits}};
constexpr Step kExaoneMoe[] = {{Rule::ExaoneMoe}};
constexpr Step kPoro[] = {{Rule::SpacedRuns, CharClass::PoroText}};
constexpr Step kViking[] = {{Rule::SpacedRuns, CharClass::PoroText}, {Rule::Singles, CharClass::Number}};

// clang-format off
std::span<const Step> steps_of(PreSplit split) {
    switch (split) {
        case PreSplit::Default: return kDefault;
        case PreSplit::Gpt2: return kGpt2;
        case PreSplit::Llama3: return kLlama3Steps;
        case PreSplit::Qwen2: return kQwen2;
        case PreSplit::Qwen35: return kQwen35;
        case PreSplit::DeepseekLlm: return kDeepseekLlm;
        case PreSplit::DeepseekCoder: return kDeepseekCoder;
        case PreSplit::Falcon: return kFalcon;
        case PreSplit::Starcoder: return kStarcoder;
        case PreSplit::Laguna: return kLaguna;
        case PreSplit::Gpt4o: return kGpt4o;
        case PreSplit::Tekken: return kTekkenSteps;
        case PreSplit::GraniteMulti: return kGraniteMultiSteps;
        case PreSplit::DeepseekV3: return kDeepseekV3;
        case PreSplit::SeedCoder: return kSeedCoder;
        case PreSplit::MiniCpm5: return kMiniCpm5Steps;
        case PreSplit::ExaoneMoe: return kExaoneMoe;
        case PreSplit::Poro: return kPoro;
        case PreSplit::Viking: return kViking;
    }
    return kDefault;
}

void apply(const Step& step, const CodepointText& t, uint32_t begin, uint32_t end, PieceEnds& ends) {
    switch (step.rule) {
        case Rule::Gpt2: return split_gpt2(t, begin, end, ends);
        case Rule::Llama3: return split_llama3(t, begin, end, Llama3Rule{3, false}, ends);
        case Rule::Qwen2: return split_llama3(t, begin, end, Llama3Rule{1, false}, ends);
        case Rule::Qwen35: return split_llama3(t, begin, end, Llama3Rule{1, true}, ends);
        case Rule::SeedCoder: return split_llama3(t, begin, end, Llama3Rule{1, false, false}, ends);
        case Rule::Llama3AnyDigits: return split_llama3(t, begin, end, Llama3Rule{0, false}, ends);
        case Rule::Runs: return split_runs(t, begin, end, step.cls, ends);
        case Rule::Singles: return split_singles(t, begin, end, step.cls, ends);
        case Rule::SpaceRuns: return split_space_runs(t, begin, end, step.cls, ends);
        case Rule::SpacedRuns: return split_spaced_runs(t, begin, end, step.cls, ends);
        case Rule::DigitTriples: return split_digit_triples(t, begin, end, ends);
        case Rule::NumberTriples: return split_number_groups(t, begin, end, 3, ends);
        case Rule::TrailingSpace: return split_trailing_space(t, begin, end, ends);
        case Rule::NewlineRuns: return split_newline_runs(t, begin, end, ends);
        case Rule::Gpt4o: return split_cased_words(t, begin, end, CasedRule{true, 3, false}, ends);
        case Rule::Tekken: return split_cased_words(t, begin, end, CasedRule{false, 1, false}, ends);
        case Rule::GraniteMulti: return split_cased_words(t, begin, end, CasedRule{true, 3, true}, ends);
        case Rule::DeepseekV3: return split_deepseek3(t, begin, end, ends);
        case Rule::ExaoneMoe: return split_exaone_moe(t, begin, end, ends);
    }
}
// clang-format on

}  // namespace

std::optional<PreTokenizerSpec> find_pre_tokenizer(std::string_view name) {
    if (name.empty()) return spec(PreSplit::Default);
    for (const NamedSpec& n : kNames)
        if (n.name == name) return n.spec;
    return std::nullopt;
}

std::string supported_pre_tokenizer_names() {
    std::string out;
    for (const NamedSpec& n : kNames) {
        if (!out.empty()) out += ", ";
        out += n.name;
    }
    return out;
}

void pre_tokenize(PreSplit split, std::string_view input, PreTokenized& out) {
    out.text.clear();
    out.word_ends.clear();
    out.cps.clear();
    out.flags.clear();
    out.byte_offset.clear();
    if (input.empty()) return;

    // Decode once; text is re-encoded so malformed bytes read as U+FFFD downstream, as in llama.cpp.
    for (size_t pos = 0; pos < input.size();) {
        const uint32_t cp = utf8_decode(input, pos);
        out.byte_offset.push_back(static_cast<uint32_t>(out.text.size()));
        out.cps.push_back(cp);
        out.flags.push_back(unicode_flags(cp));
        utf8_append(out.text, cp);
    }
    out.byte_offset.push_back(static_cast<uint32_t>(out.text.size()));
    const CodepointText t{out.cps.data(), out.flags.data()};
    const auto n = static_cast<uint32_t>(out.cps.size());

    out.pieces.assign(1, n);
    for (const Step& step : steps_of(split)) {
        out.next_pieces.clear();
        uint32_t begin = 0;
        for (const uint32_t end : out.pieces) {
            apply(step, t, begin, end, out.next_pieces);
            begin = end;
        }
        out.pieces.swap(out.next_pieces);
    }
    for (const uint32_t end : out.pieces) out.word_ends.push_back(out.byte_offset[end]);
}

}  // namespace chord::tokenizer

// BPE pre-tokenization: the `tokenizer.ggml.pre` names wasm-chord knows, what each one implies
// (the split rules and the flags llama.cpp ties to the name), and pre_tokenize(), which cuts a text
// into the words that BPE merges run inside. Byte-level encoding of the words is left to the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/pre_split_rules.h"

namespace chord::tokenizer {

// The split rule sequences; several pre-tokenizer names share one.
enum class PreSplit : uint8_t {
    Default,        // punctuation runs, GPT-2, number runs, digit triples
    Gpt2,           // GPT-2's regex
    Llama3,         // Llama 3's regex (numbers in groups of up to three)
    Qwen2,          // Llama 3's regex with single digits
    Qwen35,         // Qwen2's with combining marks counted as letters
    DeepseekLlm,    // deepseek-llm's six regexes
    DeepseekCoder,  // deepseek-coder's five regexes
    Falcon,         // punctuation runs, GPT-2, digit triples
    Starcoder,      // single digits, then GPT-2
    Laguna,         // line-feed runs, then Qwen2
    Gpt4o,          // words cut where case changes (GPT-4o, Llama 4)
    Tekken,         // the same with single digits and no contractions (Mistral)
    GraniteMulti,   // Gpt4o with combining marks counted as letters
    DeepseekV3,     // number triples, CJK runs, deepseek-v3's main regex
    SeedCoder,      // Qwen2 without line breaks after symbol runs
    MiniCpm5,       // number triples, then Llama 3's regex with any number of digits
    ExaoneMoe,      // words joined by single spaces
    Poro,           // runs of anything but white space and sentence punctuation
    Viking,         // Poro, then single digits
};

// What a tokenizer.ggml.pre name means.
struct PreTokenizerSpec {
    PreSplit split = PreSplit::Default;
    bool clean_spaces = true;    // decoding tidies " ," " 's" and the like (clean_up_tokenization_spaces)
    bool ignore_merges = false;  // a word that is itself a token is taken whole
    bool add_bos = false;        // default of tokenizer.ggml.add_bos_token
    bool no_bos = false;         // the default BOS id does not apply (glm4)
};

// The spec of a pre-tokenizer name; nullopt for names wasm-chord does not implement. An absent or
// empty name means "default".
std::optional<PreTokenizerSpec> find_pre_tokenizer(std::string_view name);

// The names find_pre_tokenizer() accepts, comma-separated, for error messages.
std::string supported_pre_tokenizer_names();

// pre_tokenize()'s result, with scratch space: reuse one object across calls to avoid allocations.
struct PreTokenized {
    std::string text;                 // the input as UTF-8, malformed bytes replaced by U+FFFD
    std::vector<uint32_t> word_ends;  // where each word ends in `text` (byte offset); words are contiguous

    std::vector<uint32_t> cps;          // (n) code points of the input
    std::vector<uint16_t> flags;        // (n) their unicode_flags()
    std::vector<uint32_t> byte_offset;  // (n + 1) where each code point starts in `text`
    PieceEnds pieces, next_pieces;      // code point piece ends between rules
};

// Splits `input` (at most 2^31 bytes) into words.
void pre_tokenize(PreSplit split, std::string_view input, PreTokenized& out);

}  // namespace chord::tokenizer

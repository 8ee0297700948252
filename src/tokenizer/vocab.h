// tokenizer::Vocab: everything a tokenizer reads from a GGUF's `tokenizer.*` metadata (tokens, scores,
// token types, merges, special token ids and flags), with llama.cpp's defaults and fix-ups applied
// (end-of-generation tokens found by their text, Phi-3's right-stripping, ...), plus the lookup tables
// built from it. Immutable once loaded and shared by every Tokenizer copy. Encoding and decoding live
// elsewhere (spm.h, bpe.h, tokenizer.h).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/hash_maps.h"
#include "tokenizer/pre_tokenizer.h"

namespace chord::gguf {
class File;
}

namespace chord::tokenizer {

using TokenId = int32_t;
constexpr TokenId kNoToken = -1;

enum class VocabType : uint8_t {
    Spm,  // tokenizer.ggml.model = "llama": SentencePiece with scores and byte fallback
    Bpe,  // tokenizer.ggml.model = "gpt2": byte-level BPE with ranked merges
};

// Token attributes (llama.cpp's llama_token_attr bits).
enum TokenAttr : uint32_t {
    kAttrUndefined = 0,
    kAttrUnknown = 1u << 0,
    kAttrUnused = 1u << 1,
    kAttrNormal = 1u << 2,
    kAttrControl = 1u << 3,
    kAttrUserDefined = 1u << 4,
    kAttrByte = 1u << 5,
    kAttrNormalized = 1u << 6,
    kAttrLstrip = 1u << 7,  // special-token matching eats white space to the left
    kAttrRstrip = 1u << 8,  // ... and to the right
    kAttrSingleWord = 1u << 9,
};

struct SpecialTokenIds {
    TokenId bos = kNoToken, eos = kNoToken, eot = kNoToken, eom = kNoToken, unk = kNoToken, sep = kNoToken,
            pad = kNoToken, mask = kNoToken, newline = kNoToken;
    TokenId fim_pre = kNoToken, fim_suf = kNoToken, fim_mid = kNoToken, fim_pad = kNoToken,
            fim_rep = kNoToken, fim_sep = kNoToken;
};

struct Vocab {
    VocabType type = VocabType::Spm;
    std::string model;  // tokenizer.ggml.model
    std::string pre;    // tokenizer.ggml.pre, "default" when absent (BPE only)
    PreTokenizerSpec pre_spec;

    std::vector<std::string> text;  // (n_vocab) token texts
    std::vector<float> score;       // (n_vocab) SentencePiece scores (0 when absent)
    std::vector<uint32_t> attr;     // (n_vocab) TokenAttr bits

    SpecialTokenIds ids;
    bool add_bos = false;
    bool add_eos = false;
    bool add_space_prefix = false;    // SPM: a space before the text (and after each special token)
    bool clean_spaces = false;        // decode: clean_up_tokenization_spaces
    bool ignore_merges = false;       // BPE: a word that is a token is taken whole
    std::vector<TokenId> eog;         // end-of-generation tokens, sorted
    std::vector<TokenId> specials;    // control, user-defined and unknown tokens, longest text first
    std::vector<std::string> pieces;  // (n_vocab) each token's bytes when decoded with special tokens shown

    // Symbols: texts with an id. Ids below n_vocab are the tokens (the last one for a repeated text);
    // BPE merge results that are not tokens get ids from n_vocab up (their texts in extra_symbols).
    StringIdMap symbol_id;
    std::vector<std::string> extra_symbols;
    // BPE: (left symbol, right symbol) -> (rank << 32) | merged symbol.
    PairMap merges;
    // SPM: pairs of adjacent characters (see spm_char_code) that occur together inside some token. Text
    // is never merged across a pair that is not here, so SPM can work on the pieces between such pairs.
    PairMap spm_joinable;
    // BPE: the symbol of each byte's one-character encoding (-1 if none). SPM: the token for each byte
    // in byte fallback (<0xNN>, else the one-byte text; -1 if neither exists).
    std::array<int32_t, 256> byte_symbol{};
    // BPE: the token whose text is exactly this one byte, -1 if none (llama.cpp's last resort).
    std::array<int32_t, 256> single_byte_token{};

    size_t n_vocab() const { return text.size(); }
    bool has(TokenId id) const { return id >= 0 && static_cast<size_t>(id) < text.size(); }
    TokenId token_of(std::string_view s) const {
        const int32_t id = symbol_id.find(s);
        return id >= 0 && static_cast<size_t>(id) < text.size() ? id : kNoToken;
    }

    // Reads and checks the metadata; chord::Error (naming the key or the unsupported tokenizer) on
    // anything missing, malformed or not implemented.
    static std::shared_ptr<const Vocab> load(const gguf::File& file);

    Vocab() = default;
    Vocab(const Vocab&) = delete;  // symbol_id holds views into text and extra_symbols
    Vocab& operator=(const Vocab&) = delete;
};

}  // namespace chord::tokenizer

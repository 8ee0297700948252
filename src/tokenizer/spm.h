// SentencePiece (BPE by score) encoding of one piece of text, as llama.cpp's SPM tokenizer does it:
// start from UTF-8 characters, repeatedly join the adjacent pair whose joined text is the token with
// the highest score (leftmost on ties), then emit each remaining symbol's token, or its bytes through
// byte fallback (<0xNN>) when the symbol is not a token.
#pragma once

#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace chord::tokenizer {

// Work space for spm_encode; reuse one across calls.
struct SpmScratch {
    struct Symbol {
        int32_t prev, next;    // neighbours in the current segmentation, -1 at the ends
        uint32_t start, size;  // bytes of the text; size 0 once joined into its left neighbour
    };
    struct Pair {
        float score;
        int32_t left, right;
        uint32_t size;  // joined size when queued: a pair whose symbols changed since is stale
    };
    std::vector<Symbol> symbols;
    std::vector<Pair> heap;
};

// The code of one SentencePiece character (the bytes of a UTF-8 sequence, split by its lead byte only):
// its bytes packed little-endian, or kSpmNoCode for a sequence cut short by the end of the text.
constexpr uint32_t kSpmNoCode = 0xFFFFFFFFu;
uint32_t spm_char_code(std::string_view text, size_t pos, size_t len);

// Fills v.spm_joinable from the token texts.
void spm_index_joinable_pairs(Vocab& v);

// Appends the tokens of `text`, whose spaces the caller has already replaced by U+2581.
void spm_encode(const Vocab& v, std::string_view text, std::vector<TokenId>& out, SpmScratch& scratch);

}  // namespace chord::tokenizer

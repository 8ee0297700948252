// Byte-level BPE encoding of one piece of text, as llama.cpp's BPE tokenizer does it: pre-tokenize
// into words, write each word's bytes in the byte alphabet, repeatedly apply the lowest-ranked merge
// (leftmost on ties) inside the word, then emit each symbol's token. Merges are looked up by symbol id
// pairs, so nothing is allocated per pair.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/vocab.h"

namespace chord::tokenizer {

// Work space for bpe_encode; reuse one across calls.
struct BpeScratch {
    struct Symbol {
        int32_t prev, next;    // neighbours in the current segmentation, -1 at the ends
        uint32_t start, size;  // bytes of the word; size 0 once merged into its left neighbour
        int32_t id;            // symbol id (see Vocab::symbol_id), -1 for a byte no merge can use
    };
    struct Pair {
        uint32_t rank;
        int32_t left, right;
        uint32_t size;   // merged size when queued: a pair whose symbols changed since is stale
        int32_t merged;  // symbol id of the result
    };
    PreTokenized words;
    std::vector<Symbol> symbols;
    std::vector<Pair> heap;
    std::string encoded;

    // Long texts repeat words: their tokens are kept (word bytes in `cache_text`, whose capacity is
    // fixed so the map's views stay valid; the map's value indexes `cache_spans`).
    StringIdMap cache;
    std::string cache_text;
    std::vector<std::pair<uint32_t, uint32_t>> cache_spans;  // (first, count) in cache_ids
    std::vector<TokenId> cache_ids;
};

// Appends the tokens of `text`.
void bpe_encode(const Vocab& v, std::string_view text, std::vector<TokenId>& out, BpeScratch& scratch);

}  // namespace chord::tokenizer

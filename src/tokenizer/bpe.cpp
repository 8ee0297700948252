// bpe_encode: one word at a time, a binary heap of candidate merges over a linked list of symbols.
// A symbol that ends up not being a token falls back, like llama.cpp, to the tokens of the single
// bytes of its byte-alphabet spelling (usually nothing for non-ASCII bytes).
#include "tokenizer/bpe.h"

#include <algorithm>

#include "tokenizer/byte_encoding.h"

namespace chord::tokenizer {
namespace {

constexpr size_t kCacheMinText = 4096;   // shorter texts are encoded without the word cache
constexpr size_t kCacheBytes = 1 << 20;  // word bytes kept at most
constexpr size_t kCacheMaxWord = 64;     // longer words are not kept

// Heap order: lowest rank first, then leftmost.
bool lower_priority(const BpeScratch::Pair& a, const BpeScratch::Pair& b) {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
}

void queue_pair(const Vocab& v, BpeScratch& s, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const auto& l = s.symbols[left];
    const auto& r = s.symbols[right];
    if (l.id < 0 || r.id < 0) return;
    const uint64_t* merge = v.merges.find(l.id, r.id);
    if (merge == nullptr) return;
    s.heap.push_back({static_cast<uint32_t>(*merge >> 32), left, right, l.size + r.size,
                      static_cast<int32_t>(*merge & 0xFFFFFFFFu)});
    std::push_heap(s.heap.begin(), s.heap.end(), lower_priority);
}

void emit_symbol(const Vocab& v, std::string_view word, const BpeScratch::Symbol& sym,
                 std::vector<TokenId>& out, std::string& encoded) {
    if (sym.id >= 0 && static_cast<size_t>(sym.id) < v.n_vocab()) {
        out.push_back(sym.id);
        return;
    }
    encoded.clear();
    for (uint32_t i = 0; i < sym.size; ++i)
        append_byte_encoded(encoded, static_cast<uint8_t>(word[sym.start + i]));
    for (const char c : encoded)
        if (const TokenId id = v.single_byte_token[static_cast<uint8_t>(c)]; id != kNoToken)
            out.push_back(id);
}

void encode_word(const Vocab& v, std::string_view word, std::vector<TokenId>& out, BpeScratch& s) {
    if (v.ignore_merges) {
        s.encoded.clear();
        for (const char c : word) append_byte_encoded(s.encoded, static_cast<uint8_t>(c));
        if (const TokenId id = v.token_of(s.encoded); id != kNoToken) {
            out.push_back(id);
            return;
        }
    }
    s.symbols.clear();
    s.heap.clear();
    const auto n = static_cast<int32_t>(word.size());
    for (int32_t i = 0; i < n; ++i)
        s.symbols.push_back({i - 1, i + 1 < n ? i + 1 : -1, static_cast<uint32_t>(i), 1,
                             v.byte_symbol[static_cast<uint8_t>(word[i])]});
    for (int32_t i = 1; i < n; ++i) queue_pair(v, s, i - 1, i);

    while (!s.heap.empty()) {
        std::pop_heap(s.heap.begin(), s.heap.end(), lower_priority);
        const BpeScratch::Pair pair = s.heap.back();
        s.heap.pop_back();
        auto& left = s.symbols[pair.left];
        auto& right = s.symbols[pair.right];
        if (left.size == 0 || right.size == 0 || left.size + right.size != pair.size) continue;
        left.size += right.size;
        left.id = pair.merged;
        right.size = 0;
        left.next = right.next;
        if (right.next >= 0) s.symbols[right.next].prev = pair.left;
        queue_pair(v, s, left.prev, pair.left);
        queue_pair(v, s, pair.left, left.next);
    }
    for (int32_t i = 0; i != -1; i = s.symbols[i].next) emit_symbol(v, word, s.symbols[i], out, s.encoded);
}

}  // namespace

void bpe_encode(const Vocab& v, std::string_view text, std::vector<TokenId>& out, BpeScratch& s) {
    pre_tokenize(v.pre_spec.split, text, s.words);
    const std::string_view clean = s.words.text;
    const bool use_cache = clean.size() >= kCacheMinText;
    if (use_cache && s.cache_text.capacity() < kCacheBytes) s.cache_text.reserve(kCacheBytes);
    uint32_t begin = 0;
    for (const uint32_t end : s.words.word_ends) {
        const std::string_view word = clean.substr(begin, end - begin);
        begin = end;
        if (!use_cache || word.size() > kCacheMaxWord) {
            encode_word(v, word, out, s);
            continue;
        }
        if (const int32_t hit = s.cache.find(word); hit >= 0) {
            const auto [first, count] = s.cache_spans[hit];
            out.insert(out.end(), s.cache_ids.begin() + first, s.cache_ids.begin() + first + count);
            continue;
        }
        const size_t before = out.size();
        encode_word(v, word, out, s);
        if (s.cache_text.size() + word.size() > s.cache_text.capacity()) continue;  // full: stop caching
        const size_t at = s.cache_text.size();
        s.cache_text.append(word);
        s.cache.assign(std::string_view(s.cache_text).substr(at, word.size()),
                       static_cast<int32_t>(s.cache_spans.size()));
        s.cache_spans.emplace_back(static_cast<uint32_t>(s.cache_ids.size()),
                                   static_cast<uint32_t>(out.size() - before));
        s.cache_ids.insert(s.cache_ids.end(), out.begin() + static_cast<std::ptrdiff_t>(before), out.end());
    }
}

}  // namespace chord::tokenizer

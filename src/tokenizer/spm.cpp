// spm_encode: the pair queue is a binary heap in a reused vector; stale pairs are skipped when popped.
// Every joined symbol is a token by construction, so only unjoined characters can need byte fallback.
// The text is first cut between characters that no token holds side by side: the pieces cannot
// interact, and the queue order restricted to a piece is the same, so encoding them one by one gives
// the same tokens as encoding the whole text, with small heaps.
#include "tokenizer/spm.h"

#include <algorithm>

#include "tokenizer/unicode.h"

namespace chord::tokenizer {
namespace {

// Heap order: highest score first, then leftmost.
bool lower_priority(const SpmScratch::Pair& a, const SpmScratch::Pair& b) {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
}

void queue_pair(const Vocab& v, std::string_view text, SpmScratch& s, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const auto& l = s.symbols[left];
    const auto& r = s.symbols[right];
    const TokenId id = v.token_of(text.substr(l.start, l.size + r.size));
    if (id == kNoToken) return;
    s.heap.push_back({v.score[id], left, right, l.size + r.size});
    std::push_heap(s.heap.begin(), s.heap.end(), lower_priority);
}

}  // namespace

uint32_t spm_char_code(std::string_view text, size_t pos, size_t len) {
    if (len < utf8_sequence_length(static_cast<uint8_t>(text[pos]))) return kSpmNoCode;
    uint32_t code = 0;
    for (size_t i = 0; i < len; ++i)
        code |= static_cast<uint32_t>(static_cast<uint8_t>(text[pos + i])) << (8 * i);
    return code;
}

namespace {

// Calls f(pos, len) for each SentencePiece character of text.
template <typename F>
void for_each_char(std::string_view text, F f) {
    for (size_t pos = 0; pos < text.size();) {
        const size_t len = std::min(utf8_sequence_length(static_cast<uint8_t>(text[pos])), text.size() - pos);
        f(pos, len);
        pos += len;
    }
}

void encode_piece(const Vocab& v, std::string_view text, std::vector<TokenId>& out, SpmScratch& s) {
    s.symbols.clear();
    s.heap.clear();
    for_each_char(text, [&](size_t pos, size_t len) {
        const auto index = static_cast<int32_t>(s.symbols.size());
        s.symbols.push_back({index - 1, pos + len == text.size() ? -1 : index + 1, static_cast<uint32_t>(pos),
                             static_cast<uint32_t>(len)});
    });
    if (s.symbols.empty()) return;
    for (int32_t i = 1; i < static_cast<int32_t>(s.symbols.size()); ++i) queue_pair(v, text, s, i - 1, i);

    while (!s.heap.empty()) {
        std::pop_heap(s.heap.begin(), s.heap.end(), lower_priority);
        const SpmScratch::Pair pair = s.heap.back();
        s.heap.pop_back();
        auto& left = s.symbols[pair.left];
        auto& right = s.symbols[pair.right];
        if (left.size == 0 || right.size == 0 || left.size + right.size != pair.size) continue;
        left.size += right.size;
        right.size = 0;
        left.next = right.next;
        if (right.next >= 0) s.symbols[right.next].prev = pair.left;
        queue_pair(v, text, s, left.prev, pair.left);
        queue_pair(v, text, s, pair.left, left.next);
    }

    for (int32_t i = 0; i != -1; i = s.symbols[i].next) {
        const auto& sym = s.symbols[i];
        const TokenId id = v.token_of(text.substr(sym.start, sym.size));
        if (id != kNoToken) {
            out.push_back(id);
            continue;
        }
        for (uint32_t j = 0; j < sym.size; ++j) {
            const TokenId byte_token = v.byte_symbol[static_cast<uint8_t>(text[sym.start + j])];
            // llama.cpp fails here on a vocabulary without byte tokens; the unknown token is kinder.
            const TokenId fallback = byte_token != kNoToken ? byte_token : v.ids.unk;
            if (fallback != kNoToken) out.push_back(fallback);
        }
    }
}

bool joinable(const Vocab& v, uint32_t left, uint32_t right) {
    if (left == kSpmNoCode || right == kSpmNoCode) return true;
    return v.spm_joinable.find(static_cast<int32_t>(left), static_cast<int32_t>(right)) != nullptr;
}

}  // namespace

void spm_index_joinable_pairs(Vocab& v) {
    for (const std::string& text : v.text) {
        uint32_t previous = kSpmNoCode;
        for_each_char(text, [&](size_t pos, size_t len) {
            const uint32_t code = spm_char_code(text, pos, len);
            if (previous != kSpmNoCode && code != kSpmNoCode)
                v.spm_joinable.insert(static_cast<int32_t>(previous), static_cast<int32_t>(code), 0);
            previous = code;
        });
    }
}

void spm_encode(const Vocab& v, std::string_view text, std::vector<TokenId>& out, SpmScratch& s) {
    size_t piece_start = 0;
    uint32_t previous = kSpmNoCode;
    for_each_char(text, [&](size_t pos, size_t len) {
        const uint32_t code = spm_char_code(text, pos, len);
        if (pos > piece_start && !joinable(v, previous, code)) {
            encode_piece(v, text.substr(piece_start, pos - piece_start), out, s);
            piece_start = pos;
        }
        previous = code;
    });
    if (piece_start < text.size()) encode_piece(v, text.substr(piece_start), out, s);
}

}  // namespace chord::tokenizer

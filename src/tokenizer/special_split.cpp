// split_special: one pass over the fragment list per special token, in the order of Vocab::specials.
// Within a raw fragment the search restarts after each match (after the stripped white space for an
// rstrip token), so matches never overlap and white space eaten by one match is not searched again.
// A table of the byte pairs present in the text rules most special tokens out before any search.
#include "tokenizer/special_split.h"

#include <array>

namespace chord::tokenizer {
namespace {

bool is_c_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Cuts one raw fragment at every occurrence of `special` (whose text is `needle`).
void cut(std::string_view text, const Fragment& f, TokenId special, std::string_view needle, uint32_t attr,
         std::vector<Fragment>& out) {
    uint32_t offset = f.offset;
    uint32_t length = f.length;
    while (true) {
        const size_t match = text.substr(0, offset + length).find(needle, offset);
        if (match == std::string_view::npos) {
            if (length > 0) out.push_back({kNoToken, offset, length});
            return;
        }
        const auto at = static_cast<uint32_t>(match);
        uint32_t left = at - offset;
        if (attr & kAttrLstrip)
            while (left > 0 && is_c_space(text[offset + left - 1])) --left;
        if (left > 0) out.push_back({kNoToken, offset, left});
        out.push_back({special, 0, 0});

        const auto after = static_cast<uint32_t>(at + needle.size());
        if (after >= offset + length) return;
        length = offset + length - after;
        offset = after;
        if (attr & kAttrRstrip) {
            while (length > 0 && is_c_space(text[offset])) {
                ++offset;
                --length;
            }
        }
    }
}

// Which bytes and adjacent byte pairs occur in a text: a special token can only occur if all of its do.
class BytePairs {
  public:
    explicit BytePairs(std::string_view text) {
        for (size_t i = 0; i < text.size(); ++i) {
            set(singles_, byte(text, i));
            if (i + 1 < text.size()) set(pairs_, byte(text, i) << 8 | byte(text, i + 1));
        }
    }
    bool may_occur(std::string_view needle) const {
        if (needle.size() == 1) return get(singles_, byte(needle, 0));
        for (size_t i = 0; i + 1 < needle.size(); ++i)
            if (!get(pairs_, byte(needle, i) << 8 | byte(needle, i + 1))) return false;
        return true;
    }

  private:
    static uint32_t byte(std::string_view s, size_t i) { return static_cast<uint8_t>(s[i]); }
    template <size_t N>
    static void set(std::array<uint64_t, N>& bits, uint32_t i) {
        bits[i >> 6] |= 1ull << (i & 63);
    }
    template <size_t N>
    static bool get(const std::array<uint64_t, N>& bits, uint32_t i) {
        return (bits[i >> 6] >> (i & 63)) & 1;
    }

    std::array<uint64_t, 4> singles_{};
    std::array<uint64_t, 1024> pairs_{};
};

}  // namespace

void split_special(const Vocab& v, std::string_view text, bool parse_special, std::vector<Fragment>& out,
                   std::vector<Fragment>& spare) {
    out.clear();
    if (text.empty()) return;
    out.push_back({kNoToken, 0, static_cast<uint32_t>(text.size())});
    const BytePairs present(text);
    for (const TokenId special : v.specials) {
        const uint32_t attr = v.attr[special];
        if (!parse_special && (attr & (kAttrControl | kAttrUnknown))) continue;
        const std::string_view needle = v.text[special];
        if (!present.may_occur(needle)) continue;
        // Most special texts do not occur at all: look before rebuilding the list.
        bool found = false;
        for (const Fragment& f : out) {
            if (f.token == kNoToken &&
                text.substr(f.offset, f.length).find(needle) != std::string_view::npos) {
                found = true;
                break;
            }
        }
        if (!found) continue;
        spare.clear();
        for (const Fragment& f : out) {
            if (f.token != kNoToken)
                spare.push_back(f);
            else
                cut(text, f, special, needle, attr, spare);
        }
        out.swap(spare);
    }
}

}  // namespace chord::tokenizer

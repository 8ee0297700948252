// Code point classification from the generated range tables, expanded once into a two-level lookup
// (256-code-point blocks, identical blocks shared) so the pre-tokenizers pay one or two array reads per
// code point; plus UTF-8 decoding and encoding with llama.cpp's handling of malformed bytes.
#include "tokenizer/unicode.h"

#include <algorithm>
#include <array>
#include <map>
#include <vector>

namespace chord::tokenizer {
namespace {

#include "tokenizer/unicode_tables.inc"

constexpr uint32_t kBlockBits = 8;
constexpr uint32_t kBlockSize = 1u << kBlockBits;
constexpr uint32_t kBlockCount = (kMaxCodepoint + 1) >> kBlockBits;

// The class numbers the generator writes, in order, as flags.
constexpr uint16_t kClassFlag[8] = {kCpUnassigned,  kCpLetter, kCpNumber,    kCpMark,
                                    kCpPunctuation, kCpSymbol, kCpSeparator, kCpControl};

struct FlagTable {
    std::vector<uint16_t> block_of;  // (kBlockCount) block number of each 256-code-point block
    std::vector<uint16_t> flags;     // (n_blocks * kBlockSize) flags of each code point of each block

    FlagTable() {
        std::vector<uint16_t> all(kMaxCodepoint + 1, kCpUnassigned);
        const size_t n_ranges = std::size(kClassRanges);
        for (size_t i = 0; i < n_ranges; ++i) {
            const uint32_t first = kClassRanges[i] >> 8;
            const uint32_t end = i + 1 < n_ranges ? kClassRanges[i + 1] >> 8 : kMaxCodepoint + 1;
            std::fill(all.begin() + first, all.begin() + end, kClassFlag[kClassRanges[i] & 7]);
        }
        for (uint32_t cp : kWhiteSpace) all[cp] |= kCpWhitespace;

        std::map<std::vector<uint16_t>, uint16_t> seen;
        block_of.resize(kBlockCount);
        for (uint32_t b = 0; b < kBlockCount; ++b) {
            std::vector<uint16_t> block(all.begin() + b * kBlockSize, all.begin() + (b + 1) * kBlockSize);
            auto [it, inserted] = seen.emplace(std::move(block), static_cast<uint16_t>(seen.size()));
            if (inserted) flags.insert(flags.end(), it->first.begin(), it->first.end());
            block_of[b] = it->second;
        }
    }
};

const FlagTable& flag_table() {
    static const FlagTable table;
    return table;
}

}  // namespace

uint16_t unicode_flags(uint32_t cp) {
    if (cp > kMaxCodepoint) return kCpUnassigned;
    const FlagTable& t = flag_table();
    return t
        .flags[(static_cast<size_t>(t.block_of[cp >> kBlockBits]) << kBlockBits) | (cp & (kBlockSize - 1))];
}

uint32_t unicode_tolower(uint32_t cp) {
    const auto* end = std::end(kLowercase);
    const auto* it =
        std::lower_bound(std::begin(kLowercase), end, cp,
                         [](const uint32_t(&pair)[2], uint32_t value) { return pair[0] < value; });
    return it != end && (*it)[0] == cp ? (*it)[1] : cp;
}

const char* unicode_version() {
    return kUnicodeVersion;
}

uint32_t utf8_decode(std::string_view s, size_t& pos) {
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
    const auto continuation = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
    const uint8_t b0 = byte(pos);
    if (b0 < 0x80) {
        pos += 1;
        return b0;
    }
    if (b0 >= 0xC0 && b0 < 0xE0 && continuation(pos + 1)) {
        const uint32_t cp = ((b0 & 0x1Fu) << 6) | (byte(pos + 1) & 0x3Fu);
        pos += 2;
        return cp;
    }
    if (b0 >= 0xE0 && b0 < 0xF0 && continuation(pos + 1) && continuation(pos + 2)) {
        const uint32_t cp = ((b0 & 0x0Fu) << 12) | ((byte(pos + 1) & 0x3Fu) << 6) | (byte(pos + 2) & 0x3Fu);
        pos += 3;
        return cp;
    }
    if (b0 >= 0xF0 && b0 < 0xF8 && continuation(pos + 1) && continuation(pos + 2) && continuation(pos + 3)) {
        const uint32_t cp = ((b0 & 0x07u) << 18) | ((byte(pos + 1) & 0x3Fu) << 12) |
                            ((byte(pos + 2) & 0x3Fu) << 6) | (byte(pos + 3) & 0x3Fu);
        pos += 4;
        return cp <= kMaxCodepoint ? cp : kReplacementChar;
    }
    pos += 1;
    return kReplacementChar;
}

void utf8_append(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

size_t utf8_complete_prefix(std::string_view s) {
    // Only the last three bytes can belong to a sequence that is still missing bytes.
    const size_t n = s.size();
    for (size_t back = 1; back <= 3 && back <= n; ++back) {
        const uint8_t b = static_cast<uint8_t>(s[n - back]);
        if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for its lead
        const size_t need = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF8 ? 4 : 1;
        return need > back ? n - back : n;
    }
    return n;
}

}  // namespace chord::tokenizer

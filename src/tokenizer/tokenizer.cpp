// Tokenizer: special-token splitting, then SentencePiece or BPE on each raw fragment, with
// llama.cpp's rules for BOS/EOS and for SentencePiece's leading space (added before the text and after
// every special token when add_space_prefix is set); decoding joins cached pieces.
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <limits>

#include "core/error.h"
#include "tokenizer/bpe.h"
#include "tokenizer/clean_spaces.h"
#include "tokenizer/special_split.h"
#include "tokenizer/spm.h"

namespace chord::tokenizer {
namespace {

void escape_spaces(std::string_view text, bool space_first, std::string& out) {
    out.clear();
    if (space_first) out += "\xE2\x96\x81";
    for (const char c : text) {
        if (c == ' ')
            out += "\xE2\x96\x81";  // U+2581
        else
            out.push_back(c);
    }
}

}  // namespace

Tokenizer Tokenizer::from_gguf(const gguf::File& file) {
    return Tokenizer(Vocab::load(file));
}

Tokenizer::Tokenizer(std::shared_ptr<const Vocab> vocab) : vocab_(std::move(vocab)) {
    if (!vocab_) throw Error(ErrorCode::InvalidArgument, "Tokenizer needs a vocabulary");
}

std::vector<TokenId> Tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
    std::vector<TokenId> out;
    encode(text, add_special, parse_special, out);
    return out;
}

void Tokenizer::encode(std::string_view text, bool add_special, bool parse_special,
                       std::vector<TokenId>& out) const {
    if (text.size() >= static_cast<size_t>(std::numeric_limits<int32_t>::max()))
        throw Error(
            ErrorCode::InvalidArgument,
            "text to tokenize is too long (" + std::to_string(text.size()) + " bytes; the limit is 2 GiB)");
    const Vocab& v = *vocab_;
    std::vector<Fragment> fragments, spare;
    split_special(v, text, parse_special, fragments, spare);

    if (add_special && v.add_bos && v.ids.bos != kNoToken) out.push_back(v.ids.bos);
    if (v.type == VocabType::Spm) {
        SpmScratch scratch;
        std::string escaped;
        bool after_special = true;  // the text start counts as following a special token
        for (const Fragment& f : fragments) {
            if (f.token != kNoToken) {
                out.push_back(f.token);
                after_special = true;
                continue;
            }
            escape_spaces(text.substr(f.offset, f.length), v.add_space_prefix && after_special, escaped);
            spm_encode(v, escaped, out, scratch);
            after_special = false;
        }
    } else {
        BpeScratch scratch;
        for (const Fragment& f : fragments) {
            if (f.token != kNoToken)
                out.push_back(f.token);
            else
                bpe_encode(v, text.substr(f.offset, f.length), out, scratch);
        }
    }
    if (add_special && v.add_eos && v.ids.eos != kNoToken) out.push_back(v.ids.eos);
}

void Tokenizer::check_id(TokenId id) const {
    if (!vocab_->has(id))
        throw Error(ErrorCode::InvalidArgument, "token id " + std::to_string(id) +
                                                    " is outside the vocabulary [0, " +
                                                    std::to_string(vocab_->n_vocab()) + ")");
}

const std::string& Tokenizer::token_to_piece(TokenId id, bool special) const {
    static const std::string kEmpty;
    check_id(id);
    if (!special && (vocab_->attr[id] & (kAttrUnknown | kAttrControl))) return kEmpty;
    return vocab_->pieces[id];
}

std::string Tokenizer::decode(std::span<const TokenId> ids, bool remove_special, bool unparse_special) const {
    const Vocab& v = *vocab_;
    bool strip_space = v.add_space_prefix;
    if (remove_special && v.add_bos && !ids.empty() && ids.front() == v.ids.bos) {
        strip_space = false;
        ids = ids.subspan(1);
    }
    if (remove_special && v.add_eos && !ids.empty() && ids.back() == v.ids.eos)
        ids = ids.first(ids.size() - 1);

    std::string text;
    for (const TokenId id : ids) {
        std::string_view piece = token_to_piece(id, unparse_special);
        if (strip_space && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
        strip_space = false;
        text += piece;
    }
    return v.clean_spaces ? clean_up_spaces(text) : text;
}

const std::string& Tokenizer::token_text(TokenId id) const {
    check_id(id);
    return vocab_->text[id];
}

uint32_t Tokenizer::token_attr(TokenId id) const {
    check_id(id);
    return vocab_->attr[id];
}

bool Tokenizer::is_eog(TokenId id) const {
    return std::binary_search(vocab_->eog.begin(), vocab_->eog.end(), id);
}

}  // namespace chord::tokenizer

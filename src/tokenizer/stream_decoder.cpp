// StreamDecoder: without clean-up, text is final up to the last complete UTF-8 character. With
// clean-up, the output is also cut only after three bytes that are "settled" (see clean_spaces.h):
// cleaning the text before such a cut gives the same bytes whatever follows, and the three bytes are
// kept as context for cleaning what comes after.
#include "tokenizer/stream_decoder.h"

#include "tokenizer/clean_spaces.h"
#include "tokenizer/unicode.h"

namespace chord::tokenizer {
namespace {

constexpr size_t kContext = 3;

bool is_continuation(char c) {
    return (static_cast<uint8_t>(c) & 0xC0) == 0x80;
}

}  // namespace

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, Options options)
    : tokenizer_(&tokenizer),
      options_(options),
      clean_(options.text_start && tokenizer.vocab().clean_spaces) {}

size_t StreamDecoder::emit_cut() const {
    const size_t complete = utf8_complete_prefix(pending_);
    if (!clean_) return complete;
    // The byte `back` places before position `cut`, looking into the context before pending_.
    const auto byte_before = [&](size_t cut, size_t back) {
        return back <= cut ? pending_[cut - back] : context_[context_.size() - (back - cut)];
    };
    for (size_t cut = complete; cut > 0; --cut) {
        if (cut < complete && is_continuation(pending_[cut])) continue;
        // Not after a lead byte either, even one whose sequence is already broken.
        if (utf8_complete_prefix(std::string_view(pending_).substr(0, cut)) != cut) continue;
        if (cut + context_.size() < kContext) break;
        if (settled_for_cleaning(byte_before(cut, 1)) && settled_for_cleaning(byte_before(cut, 2)) &&
            settled_for_cleaning(byte_before(cut, 3)))
            return cut;
    }
    return 0;
}

void StreamDecoder::push(TokenId id, std::string& out) {
    std::string_view piece = tokenizer_->token_to_piece(id, options_.unparse_special);
    if (first_ && options_.text_start && tokenizer_->add_space_prefix() && !piece.empty() &&
        piece.front() == ' ')
        piece.remove_prefix(1);
    first_ = false;
    pending_ += piece;

    const size_t cut = emit_cut();
    if (cut == 0) return;
    if (clean_) {
        const std::string cleaned = clean_up_spaces(context_ + pending_.substr(0, cut));
        out.append(cleaned, context_.size());
        const std::string tail = context_ + pending_.substr(0, cut);
        context_ = tail.substr(tail.size() - kContext);
    } else {
        out.append(pending_, 0, cut);
    }
    pending_.erase(0, cut);
}

void StreamDecoder::finish(std::string& out) {
    std::string rest = clean_ ? clean_up_spaces(context_ + pending_).substr(context_.size()) : pending_;
    const size_t complete = utf8_complete_prefix(rest);
    if (complete < rest.size()) {
        rest.resize(complete);
        utf8_append(rest, kReplacementChar);
    }
    out += rest;
    pending_.clear();
    context_.clear();
    first_ = true;
}

}  // namespace chord::tokenizer

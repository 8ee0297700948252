// chord::tokenizer::Tokenizer: text to token ids and back for a GGUF model, identical to llama.cpp
// (llama_tokenize, llama_token_to_piece, llama_detokenize) for SentencePiece ("llama") and byte-level
// BPE ("gpt2") vocabularies. Built once from the file's metadata; copies share the vocabulary and
// every method is const and thread-safe. Streaming decoding is in stream_decoder.h.
//
//   auto tok = chord::tokenizer::Tokenizer::from_gguf(chord::gguf::File::open("model.gguf"));
//   std::vector<TokenId> ids = tok.encode("Hello world");            // BOS added if the model wants it
//   std::string text = tok.decode(ids);                              // " Hello world" -> "Hello world"
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace chord::gguf {
class File;
}

namespace chord::tokenizer {

class Tokenizer {
  public:
    // Reads tokenizer.ggml.* from the file; chord::Error (Unsupported naming the tokenizer model or
    // pre-tokenizer, or Format / Missing naming the key) when it cannot.
    static Tokenizer from_gguf(const gguf::File& file);
    explicit Tokenizer(std::shared_ptr<const Vocab> vocab);

    // Token ids of `text` (any bytes; malformed UTF-8 is tokenized as llama.cpp does).
    // add_special: add BOS / EOS where the model asks for them (tokenizer.ggml.add_bos_token, ...).
    // parse_special: text of control tokens such as "<|im_start|>" becomes those tokens; otherwise it
    // is tokenized as plain text. User-defined tokens are always matched, as in llama.cpp.
    // Throws chord::Error (InvalidArgument) only for texts of 2 GiB or more.
    std::vector<TokenId> encode(std::string_view text, bool add_special = true,
                                bool parse_special = false) const;
    // The same, appending to `out`.
    void encode(std::string_view text, bool add_special, bool parse_special, std::vector<TokenId>& out) const;

    // The bytes of one token (llama_token_to_piece): SentencePiece's U+2581 reads as a space, byte
    // tokens give their byte; control and unknown tokens give "" unless `special`. A piece may be part
    // of a UTF-8 character. Throws chord::Error (InvalidArgument) for an id outside the vocabulary.
    const std::string& token_to_piece(TokenId id, bool special = false) const;

    // Text of a token sequence (llama_detokenize): the pieces joined, minus the space SentencePiece
    // put in front of the text, tidied with clean_up_tokenization_spaces where the model asks for it.
    // remove_special drops a leading BOS and trailing EOS that encode() would add; unparse_special
    // shows control tokens as their text. Throws chord::Error (InvalidArgument) for a bad id.
    std::string decode(std::span<const TokenId> ids, bool remove_special = false,
                       bool unparse_special = false) const;

    const Vocab& vocab() const { return *vocab_; }
    VocabType type() const { return vocab_->type; }
    size_t n_vocab() const { return vocab_->n_vocab(); }
    const std::string& model_name() const { return vocab_->model; }  // tokenizer.ggml.model
    const std::string& pre_name() const { return vocab_->pre; }      // tokenizer.ggml.pre (BPE)

    const std::string& token_text(TokenId id) const;  // as stored in the vocabulary
    uint32_t token_attr(TokenId id) const;            // TokenAttr bits
    bool is_control(TokenId id) const { return (token_attr(id) & kAttrControl) != 0; }
    bool is_eog(TokenId id) const;  // ends generation (EOS, EOT, <|im_end|>, ...)

    const SpecialTokenIds& special() const { return vocab_->ids; }
    TokenId bos() const { return vocab_->ids.bos; }
    TokenId eos() const { return vocab_->ids.eos; }
    TokenId eot() const { return vocab_->ids.eot; }
    TokenId pad() const { return vocab_->ids.pad; }
    bool add_bos() const { return vocab_->add_bos; }
    bool add_eos() const { return vocab_->add_eos; }
    bool add_space_prefix() const { return vocab_->add_space_prefix; }

  private:
    void check_id(TokenId id) const;

    std::shared_ptr<const Vocab> vocab_;
};

}  // namespace chord::tokenizer

// StreamDecoder: turns tokens into text one token at a time, as they are generated, and never hands
// out part of a UTF-8 character (a token can end in the middle of one: byte tokens, BPE bytes).
// Two modes, both as llama.cpp does it:
//  - text_start = true: the tokens are a whole text; the concatenated output equals
//    Tokenizer::decode(ids) (SentencePiece's leading space removed, BPE spaces cleaned up).
//  - text_start = false: the tokens continue a prompt; the output is the token pieces as they are
//    (what llama.cpp's CLI and server stream), only held back at incomplete characters.
#pragma once

#include <string>

#include "tokenizer/tokenizer.h"

namespace chord::tokenizer {

class StreamDecoder {
  public:
    struct Options {
        bool unparse_special = false;  // show control tokens as their text
        bool text_start = true;        // see above
    };

    explicit StreamDecoder(const Tokenizer& tokenizer) : StreamDecoder(tokenizer, Options{}) {}
    StreamDecoder(const Tokenizer& tokenizer, Options options);

    // Adds one token and appends to `out` the text that became final (possibly nothing). Throws
    // chord::Error (InvalidArgument) for an id outside the vocabulary.
    void push(TokenId id, std::string& out);
    std::string push(TokenId id) {
        std::string out;
        push(id, out);
        return out;
    }

    // Appends what is still held back and starts over. An incomplete character at the very end comes
    // out as U+FFFD.
    void finish(std::string& out);
    std::string finish() {
        std::string out;
        finish(out);
        return out;
    }

  private:
    size_t emit_cut() const;  // how many bytes of pending_ are final now

    const Tokenizer* tokenizer_;
    Options options_;
    bool clean_;           // clean_up_tokenization_spaces applies
    bool first_ = true;    // the next token is the first one
    std::string pending_;  // bytes not handed out yet
    std::string context_;  // with clean_: up to three bytes handed out just before pending_
};

}  // namespace chord::tokenizer

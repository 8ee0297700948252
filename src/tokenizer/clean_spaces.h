// clean_up_tokenization_spaces, the detokenizer's tidy-up for BPE vocabularies that ask for it, done
// exactly as llama.cpp's llama_detokenize does it: three passes that drop the space in " ?", " !",
// " .", " ,", the spaces around a lone quote (" ' "), and the space before "'s", "'m", "'re", "'ve".
#pragma once

#include <string>
#include <string_view>

namespace chord::tokenizer {

// Returns `text` cleaned.
std::string clean_up_spaces(std::string_view text);

// Whether cleaning a text can never change, nor depend on what follows, a byte in the position of c
// when c and the two bytes before it are all "settled": that holds for any byte but a space, a quote
// and NUL. The streaming decoder cuts its output only after three settled bytes.
inline bool settled_for_cleaning(char c) {
    return c != ' ' && c != '\'' && c != '\0';
}

}  // namespace chord::tokenizer

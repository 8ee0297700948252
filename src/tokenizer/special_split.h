// Cutting a text at special tokens before it is tokenized, as llama.cpp's tokenizer_st_partition
// does: longer special texts are matched first; user-defined tokens are always matched, control and
// unknown tokens only when parse_special is set; a token with the lstrip/rstrip attribute also takes
// the white space beside it.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace chord::tokenizer {

struct Fragment {
    TokenId token = kNoToken;  // a special token, or kNoToken for raw text
    uint32_t offset = 0;       // raw text: bytes [offset, offset + length) of the input
    uint32_t length = 0;
};

// Replaces `out` with the fragments of `text` (none for an empty text). `spare` is work space.
void split_special(const Vocab& v, std::string_view text, bool parse_special, std::vector<Fragment>& out,
                   std::vector<Fragment>& spare);

}  // namespace chord::tokenizer

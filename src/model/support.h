// Can wasm-chord run this GGUF? One place that answers it, used by `chord info` and by model loading:
// the architecture must be one the engine implements, every tensor type one it has kernels for, the
// tokenizer one it implements, and the file must hold weights (not be a vocabulary-only file).
#pragma once

#include <string>
#include <vector>

#include "gguf/file.h"

namespace chord::model {

// Architectures the forward pass implements (general.architecture values).
const std::vector<std::string>& supported_architectures();
// Tokenizer models implemented (tokenizer.ggml.model values).
const std::vector<std::string>& supported_tokenizers();

struct SupportReport {
    std::vector<std::string> problems;  // empty when the model can run
    bool ok() const { return problems.empty(); }
};

SupportReport check_support(const gguf::File& file);

}  // namespace chord::model

// Synthetic test models: a Llama-family GGUF with seeded random weights and a real tokenizer taken
// from another GGUF (a vocabulary-only file from llama.cpp, say). Tensor names and metadata keys are
// llama.cpp's, so llama.cpp loads what this writes. Weights are scaled so that the next-token
// distribution has a clear top token (flat distributions make logit comparisons meaningless) and every
// layer changes the residual stream noticeably (so a bug in any layer shows in the logits).
#pragma once

#include <cstdint>
#include <string>

#include "gguf/file.h"
#include "gguf/writer.h"
#include "quant/type_table.h"

namespace chord::model {

struct SynthOptions {
    std::string arch = "llama";  // "llama" or "qwen2" (adds q/k/v biases)
    std::string name = "wasm-chord synthetic";
    uint32_t dim = 256;  // embedding length
    uint32_t n_layers = 4;
    uint32_t n_heads = 8;
    uint32_t n_kv_heads = 4;
    uint32_t ffn = 768;     // feed-forward length
    uint32_t n_ctx = 2048;  // context length the model claims
    float rope_base = 10000.0f;
    float rms_eps = 1e-5f;
    bool tied_output = false;       // no output.weight: the token embedding doubles as the output projection
    GgmlType type = GgmlType::F32;  // type of the 2-D weights; norms and biases stay F32
    uint64_t seed = 42;
};

// Architectures `synthesize` can write.
bool synth_supports_arch(const std::string& arch);

// Builds the writer for the model (tensor data generated lazily while writing). `vocab` must outlive it.
gguf::Writer synthesize(const gguf::File& vocab, const SynthOptions& options);

}  // namespace chord::model

// Hyper-parameters of a Llama-family model, read from GGUF metadata under the architecture's prefix
// ("llama.embedding_length", ...), with llama.cpp's defaults where a key is optional. Every value is
// checked (positive, divisible where heads split the embedding) so the forward pass can trust them.
#pragma once

#include <cstdint>
#include <string>

#include "gguf/file.h"

namespace chord::model {

// How RoPE pairs dimensions: NORM rotates (x[2i], x[2i+1]) (llama), NEOX rotates (x[i], x[i + d/2])
// (qwen2, phi3, gemma, ...).
enum class RopeStyle { Norm, Neox };

struct HParams {
    std::string arch;
    uint32_t n_vocab = 0;
    uint32_t dim = 0;  // embedding length
    uint32_t n_layers = 0;
    uint32_t n_heads = 0;
    uint32_t n_kv_heads = 0;
    uint32_t head_dim = 0;     // dim / n_heads unless the file says otherwise (key_length)
    uint32_t ffn = 0;          // feed-forward length
    uint32_t n_ctx_train = 0;  // context length the model was trained with
    uint32_t n_rot = 0;        // dimensions of a head that RoPE rotates
    float rope_base = 10000.0f;
    float rope_freq_scale = 1.0f;  // 1 / linear scaling factor
    float rms_eps = 1e-5f;
    RopeStyle rope_style = RopeStyle::Norm;

    uint32_t q_dim() const { return n_heads * head_dim; }
    uint32_t kv_dim() const { return n_kv_heads * head_dim; }
};

// Reads and validates the hyper-parameters; throws chord::Error naming the key on any problem, and
// an Unsupported error for architectures wasm-chord does not implement.
HParams read_hparams(const gguf::File& file);

}  // namespace chord::model

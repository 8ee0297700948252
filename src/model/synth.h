// Synthetic test models: a Llama-family GGUF with seeded random weights and a real tokenizer taken
// from another GGUF (a vocabulary-only file from llama.cpp, say). Tensor names and metadata keys are
// llama.cpp's, so llama.cpp loads what this writes. Weights are scaled so that the next-token
// distribution has a clear top token (flat distributions make logit comparisons meaningless) and every
// layer changes the residual stream noticeably (so a bug in any layer shows in the logits). RoPE
// scaling (linear, or Llama 3's frequency divisors) is written the way llama.cpp's converter writes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gguf/file.h"
#include "gguf/writer.h"
#include "quant/type_table.h"

namespace chord::model {

// Llama 3's RoPE scaling (the rope_scaling block of a Llama 3.1 config.json, rope_type "llama3").
struct Llama3RopeScaling {
    float factor = 8.0f;
    float low_freq_factor = 1.0f;
    float high_freq_factor = 4.0f;
    uint32_t original_ctx = 8192;  // original_max_position_embeddings
};

// The (n_rot / 2) frequency divisors Llama 3's scaling gives, as GGUF files carry them in
// rope_freqs.weight: pair i turns at base^(-2i/n_rot) radians per position, i.e. one turn every
// wavelength = 2π / frequency positions. Pairs whose wavelength is below original_ctx /
// high_freq_factor keep their frequency (divisor 1), those above original_ctx / low_freq_factor are
// slowed by `factor`, and those in between get an interpolated frequency,
// (1 - s) · frequency / factor + s · frequency with s = (original_ctx / wavelength - low) / (high - low),
// i.e. the divisor 1 / ((1 - s) / factor + s).
std::vector<float> llama3_rope_factors(uint32_t n_rot, float rope_base, const Llama3RopeScaling& scaling);

struct SynthOptions {
    std::string arch = "llama";  // "llama", "qwen2" (adds q/k/v biases) or "qwen3" (adds q/k norms)
    std::string name = "wasm-chord synthetic";
    uint32_t dim = 256;  // embedding length
    uint32_t n_layers = 4;
    uint32_t n_heads = 8;
    uint32_t n_kv_heads = 4;
    uint32_t head_dim = 0;  // 0: dim / n_heads; otherwise written as attention.key_length/value_length
    uint32_t ffn = 768;     // feed-forward length
    uint32_t n_ctx = 2048;  // context length the model claims
    float rope_base = 10000.0f;
    float rope_scaling_linear = 0.0f;              // > 0: rope.scaling.type "linear" with this factor
    std::optional<Llama3RopeScaling> rope_llama3;  // llama only: rope_freqs.weight from these parameters
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

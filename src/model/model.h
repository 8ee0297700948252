// model::Model: a loaded Llama-family model — the GGUF file (mapped, never copied), its
// hyper-parameters, and every weight bound by llama.cpp's tensor names with its shape checked.
// Matrices stay views into the file in their stored block format; the small 1-D tensors (norms,
// biases, RoPE factors) are converted to F32 copies once at load.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gguf/file.h"
#include "model/hparams.h"
#include "quant/type_table.h"

namespace chord::model {

// A weight matrix of `rows` rows of `cols` elements in `type` (ggml: ne[0] = cols, ne[1] = rows).
struct Matrix {
    std::string name;
    GgmlType type = GgmlType::F32;
    int64_t rows = 0;
    int64_t cols = 0;
    size_t row_bytes = 0;
    const uint8_t* data = nullptr;  // rows * row_bytes bytes inside the mapped file
    // The same rows in the CPU kernels' own layout (kernels::MatmulKernel::repack), or null; when set,
    // the original bytes may have been released from memory (they still read back from the file).
    const uint8_t* packed = nullptr;

    const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
};

struct LayerWeights {
    std::vector<float> attn_norm;  // (dim)
    Matrix wq;                     // (q_dim, dim)
    Matrix wk;                     // (kv_dim, dim)
    Matrix wv;                     // (kv_dim, dim)
    std::vector<float> bq;         // (q_dim), empty when the model has no q/k/v biases
    std::vector<float> bk;         // (kv_dim)
    std::vector<float> bv;         // (kv_dim)
    std::vector<float> q_norm;     // (head_dim) RMSNorm weight of each q head before RoPE (qwen3), or empty
    std::vector<float> k_norm;     // (head_dim) the same for each k head
    Matrix wo;                     // (dim, q_dim)
    std::vector<float> ffn_norm;   // (dim)
    Matrix w_gate;                 // (ffn, dim)
    Matrix w_up;                   // (ffn, dim)
    Matrix w_down;                 // (dim, ffn)
};

struct Weights {
    Matrix token_embd;               // (vocab, dim)
    std::vector<float> output_norm;  // (dim)
    Matrix output;                   // (vocab, dim); the token embedding itself when tied
    std::vector<float> rope_freqs;   // (n_rot / 2) frequency divisors (Llama 3 scaling), or empty
    std::vector<LayerWeights> layers;
};

class Model {
  public:
    // Opens, validates and binds a GGUF model; chord::Error names the file, tensor or key at fault.
    static std::shared_ptr<const Model> load(const std::string& path);
    static std::shared_ptr<const Model> from_file(gguf::File file);

    const gguf::File& file() const { return file_; }
    const HParams& hparams() const { return hparams_; }
    const Weights& weights() const { return weights_; }
    // Bytes of weights held in repacked copies (0 when nothing was repacked).
    size_t packed_bytes() const { return packed_bytes_; }
    // Bytes of weights repacked in the file's own memory by pack_in_place().
    size_t packed_in_place_bytes() const { return packed_in_place_bytes_; }

    // Repacks, in the memory that holds them, the matrices whose CPU kernel makes its layout in place
    // (kernels::MatmulKernel::repack_in_place: SIMD128 Q4_0 and Q8_0), where the source owns that memory
    // (ByteSource::writable: owned bytes, malloc'ed chunks; a mapped file or borrowed bytes stay as
    // they are). No memory is added, but those bytes stop being the file's: call it only when nothing
    // else reads them (web/'s WebGPU backend uploads from them, so the Worker calls it only when the
    // CPU runs the model), before any context evaluates. A tied token embedding is never repacked.
    // Repeated calls do nothing more.
    void pack_in_place();

  private:
    explicit Model(gguf::File file) : file_(std::move(file)) {}
    // Repacks every matrix whose CPU kernel has a layout of its own (kernels::MatmulKernel::repack,
    // except the in-place ones: pack_in_place) and releases the mapped original, so memory stays the
    // file's size. CHORD_REPACK=0 turns it off.
    void pack_for_cpu();

    gguf::File file_;
    HParams hparams_;
    Weights weights_;
    std::vector<std::vector<uint8_t>> packed_;
    size_t packed_bytes_ = 0;
    size_t packed_in_place_bytes_ = 0;
};

}  // namespace chord::model

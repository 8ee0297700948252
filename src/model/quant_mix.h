// llama.cpp's quantization mixes (its `llama_ftype`, stored as general.file_type) and the rules by which
// llama-quantize picks each tensor's type for a mix: which tensors stay as they are (1-D tensors,
// norms, ...), which get more bits (output.weight, some attn_v / ffn_down layers), and what a type
// falls back to when a row length is not a multiple of its block size. The rules are llama.cpp's
// (src/llama-quant.cpp, the version the oracle package ships), restated for the mixes whose every type
// wasm-chord can quantize; the test against libllama's own quantizer holds them to it. This file only
// decides types; model/quantize.h writes the file.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quant/type_table.h"

namespace chord::model {

struct QuantMix {
    std::string_view name;  // llama-quantize's spelling: "Q4_K_M"
    uint32_t file_type;     // llama_ftype, written as general.file_type
    GgmlType default_type;  // the type of most matrices (all of them with --pure)
};

// The mixes chord quantize writes, in llama-quantize's order.
const std::vector<QuantMix>& quant_mixes();
// By name, case-insensitive, with llama-quantize's aliases (Q3_K = Q3_K_M, Q4_K = Q4_K_M,
// Q5_K = Q5_K_M). Throws Error(InvalidArgument) for an unknown name and Error(Unsupported) for a
// llama.cpp mix wasm-chord cannot write (IQ2_XXS, Q2_K_S, TQ1_0, ...), saying why in one line.
const QuantMix& find_quant_mix(std::string_view name);

// What the rules need to know about the model (from its metadata).
struct MixModelFacts {
    std::string arch;         // general.architecture
    uint32_t n_layer = 0;     // {arch}.block_count
    uint32_t n_head = 0;      // {arch}.attention.head_count (layer 0)
    uint32_t n_head_kv = 0;   // {arch}.attention.head_count_kv (layer 0; n_head when absent)
    uint32_t n_expert = 0;    // {arch}.expert_count (0: dense)
    bool has_output = false;  // an output.weight tensor exists (else the embedding is tied)
};

// One tensor as the rules see it: name, shape (ggml order) and current type.
struct MixTensor {
    std::string_view name;
    std::array<uint64_t, 4> ne{1, 1, 1, 1};
    GgmlType type = GgmlType::F32;
};

// Chooses tensor types for one mix. Stateful like llama-quantize: the attn_v and ffn_down rules count
// the tensors seen so far, so call choose() once per tensor in the order of the output file
// (quantize_tensor_order()).
class MixPlanner {
  public:
    MixPlanner(const QuantMix& mix, bool pure, const MixModelFacts& facts);

    // Counts the attn_v-like tensors: call once per tensor of the model before any choose() (llama-quantize
    // counts them first).
    void count(std::string_view name);

    struct Choice {
        GgmlType type;
        bool fell_back = false;  // the mix's type did not fit the row length
    };
    // Throws Error(Unsupported) naming the tensor when a MoE tensor's layer cannot be read from its name.
    Choice choose(const MixTensor& t);

  private:
    enum class Category;
    static Category category_of(std::string_view name);
    GgmlType mix_rules(const MixTensor& t, Category c, GgmlType type);
    std::pair<uint32_t, uint32_t> layer_of(const MixTensor& t, uint32_t counter) const;
    bool is_70b() const;

    const QuantMix& mix_;
    bool pure_;
    MixModelFacts facts_;
    uint32_t n_attn_v_ = 0;  // attn_v-like tensors in the model
    uint32_t i_attn_v_ = 0;  // ... seen so far
    uint32_t i_ffn_down_ = 0;
};

// Whether llama-quantize ever changes this tensor's type: matrices whose names end in "weight",
// except norms, positional and token-type embeddings, MoE routers and a list of small special tensors.
bool tensor_is_quantizable(const MixTensor& t);

// The order llama-quantize writes tensors in: those outside any block first, then block by block
// (blk.N. by number), by name within each group.
bool quantize_tensor_order(std::string_view a, std::string_view b);

}  // namespace chord::model

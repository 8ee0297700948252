// Reading Llama-family hyper-parameters from GGUF metadata (see hparams.h).
#include "model/hparams.h"

#include <cmath>

#include "core/error.h"
#include "model/support.h"

namespace chord::model {
namespace {

RopeStyle rope_style_of(const std::string& arch) {
    // llama.cpp's llama_model_rope_type(): NORM for llama-like models, NEOX for the rest it knows.
    if (arch == "llama") return RopeStyle::Norm;
    return RopeStyle::Neox;
}

}  // namespace

HParams read_hparams(const gguf::File& f) {
    HParams h;
    h.arch = f.get_string("general.architecture");
    bool known = false;
    for (const auto& a : supported_architectures()) known = known || a == h.arch;
    if (!known) throw Error(ErrorCode::Unsupported, "architecture '" + h.arch + "' is not supported");
    const std::string& a = h.arch;

    h.dim = f.get_u32(a + ".embedding_length");
    h.n_layers = f.get_u32(a + ".block_count");
    h.n_heads = f.get_u32(a + ".attention.head_count");
    h.n_kv_heads = f.get_u32_or(a + ".attention.head_count_kv", h.n_heads);
    h.ffn = f.get_u32(a + ".feed_forward_length");
    h.n_ctx_train = f.get_u32(a + ".context_length");
    h.rms_eps = f.get_f32(a + ".attention.layer_norm_rms_epsilon");
    h.rope_base = f.get_f32_or(a + ".rope.freq_base", 10000.0f);
    if (h.n_heads == 0 || h.dim == 0 || h.n_layers == 0 || h.ffn == 0 || h.n_kv_heads == 0 ||
        h.n_ctx_train == 0)
        throw Error(ErrorCode::Format, f.origin() + ": a dimension of the model is 0");
    h.head_dim = f.get_u32_or(a + ".attention.key_length", h.dim / h.n_heads);
    if (f.get_u32_or(a + ".attention.value_length", h.head_dim) != h.head_dim)
        throw Error(ErrorCode::Unsupported, "key and value head sizes differ");
    h.n_rot = f.get_u32_or(a + ".rope.dimension_count", h.head_dim);
    if (h.n_heads % h.n_kv_heads != 0)
        throw Error(ErrorCode::Format, "head count " + std::to_string(h.n_heads) +
                                           " is not a multiple of kv head count " +
                                           std::to_string(h.n_kv_heads));
    if (h.head_dim == 0 || h.head_dim % 2 != 0 || h.n_rot > h.head_dim || h.n_rot % 2 != 0)
        throw Error(ErrorCode::Format, "head size " + std::to_string(h.head_dim) + " / rope dimensions " +
                                           std::to_string(h.n_rot) + " are not usable");
    h.rope_style = rope_style_of(a);

    // llama.cpp reads a missing scaling type as "linear" and a missing or zero factor as 1 (no scaling),
    // so a factor alone scales; "none" ignores the factor. Llama 3's scaling needs no key: its frequency
    // divisors come as the tensor rope_freqs.weight (see model.cpp).
    const std::string scaling = f.get_string_or(a + ".rope.scaling.type", "linear");
    if (scaling == "linear") {
        const std::string key = f.find(a + ".rope.scaling.factor") != nullptr ? a + ".rope.scaling.factor"
                                                                              : a + ".rope.scale_linear";
        const float factor = f.get_f32_or(key, 0.0f);
        if (!(factor >= 0.0f) || std::isinf(factor))
            throw Error(ErrorCode::Format, key + " must be positive");
        h.rope_freq_scale = factor == 0.0f ? 1.0f : 1.0f / factor;
    } else if (scaling != "none") {
        throw Error(ErrorCode::Unsupported, "RoPE scaling '" + scaling + "' is not supported (none, linear)");
    }

    const gguf::Value* tokens = f.find("tokenizer.ggml.tokens");
    h.n_vocab =
        f.get_u32_or(a + ".vocab_size", tokens != nullptr ? static_cast<uint32_t>(tokens->size()) : 0);
    if (h.n_vocab == 0) throw Error(ErrorCode::Format, f.origin() + ": the vocabulary size is unknown");
    return h;
}

}  // namespace chord::model

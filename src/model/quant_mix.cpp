// llama.cpp's quantization mixes and its per-tensor type rules (see quant_mix.h). The rules are
// restated from llama.cpp's behaviour for the mixes listed here; branches that only matter for mixes
// wasm-chord cannot write (the IQ1/IQ2/IQ3 and ternary mixes, MXFP4) are left out.
#include "model/quant_mix.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/error.h"

namespace chord::model {
namespace {

// llama_ftype values (llama.h).
enum FileType : uint32_t {
    kAllF32 = 0,
    kF16 = 1,
    kQ4_0 = 2,
    kQ4_1 = 3,
    kQ8_0 = 7,
    kQ5_0 = 8,
    kQ5_1 = 9,
    kQ2_K = 10,
    kQ3_K_S = 11,
    kQ3_K_M = 12,
    kQ3_K_L = 13,
    kQ4_K_S = 14,
    kQ4_K_M = 15,
    kQ5_K_S = 16,
    kQ5_K_M = 17,
    kQ6_K = 18,
    kIQ4_NL = 25,
    kIQ4_XS = 30,
    kBF16 = 32,
};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) ==
                      std::toupper(static_cast<unsigned char>(y));
           });
}

bool contains(std::string_view s, std::string_view part) {
    return s.find(part) != std::string_view::npos;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "blk.N." -> N; -1 for tensors outside the blocks (or an unreadable number).
int block_of(std::string_view name) {
    constexpr std::string_view prefix = "blk.";
    if (name.substr(0, prefix.size()) != prefix) return -1;
    size_t i = prefix.size();
    long n = 0;
    bool digits = false;
    while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])) && n < 1000000) {
        n = n * 10 + (name[i] - '0');
        ++i;
        digits = true;
    }
    return digits ? static_cast<int>(n) : -1;
}

uint32_t block_size(GgmlType t) {
    return type_traits(t).block_size;
}

// The "more bits" layers of the _M mixes: the first and last eighth, and every third layer between.
bool use_more_bits(int64_t i_layer, int64_t n_layer) {
    return i_layer < n_layer / 8 || i_layer >= 7 * n_layer / 8 || (i_layer - n_layer / 8) % 3 == 2;
}

// Substrings of tensors llama-quantize never quantizes (small or special matrices of other
// architectures: router tables, AltUp / Laurel, RWKV's time-mix, conv1d, T5's relative bias, vision
// and audio encoders' position and patch embeddings).
constexpr std::array kNeverQuantized = {
    std::string_view("_norm.weight"),
    std::string_view("ffn_gate_inp.weight"),
    std::string_view("ffn_gate_tid2eid.weight"),
    std::string_view("altup"),
    std::string_view("laurel"),
    std::string_view("per_layer_model_proj"),
    std::string_view("ssm_conv1d"),
    std::string_view("shortconv.conv.weight"),
    std::string_view("indexer.k_proj.weight"),
    std::string_view("indexer.q_proj.weight"),
    std::string_view("time_mix_first.weight"),
    std::string_view("time_mix_w0.weight"),
    std::string_view("time_mix_w1.weight"),
    std::string_view("time_mix_w2.weight"),
    std::string_view("time_mix_v0.weight"),
    std::string_view("time_mix_v1.weight"),
    std::string_view("time_mix_v2.weight"),
    std::string_view("time_mix_a0.weight"),
    std::string_view("time_mix_a1.weight"),
    std::string_view("time_mix_a2.weight"),
    std::string_view("time_mix_g1.weight"),
    std::string_view("time_mix_g2.weight"),
    std::string_view("time_mix_decay_w1.weight"),
    std::string_view("time_mix_decay_w2.weight"),
    std::string_view("time_mix_lerp_fused.weight"),
    std::string_view("attn_rel_b.weight"),
    std::string_view(".position_embd"),
    std::string_view("sam.pos_embd"),
    std::string_view("sam.neck."),
    std::string_view("sam.net_"),
    std::string_view(".rel_pos"),
    std::string_view(".patch_embd"),
    std::string_view(".patch_merger"),
    std::string_view("a.rvq.codebook"),
    std::string_view("mm.a.code_embd"),
};

// llama-quantize's names that are not mixes wasm-chord writes, with the reason.
struct Unsupported {
    std::string_view name;
    std::string_view why;
};
constexpr std::array kUnsupportedMixes = {
    Unsupported{"Q2_K_S", "its Q2_K tensors need an importance matrix"},
    Unsupported{"IQ1_S", "no IQ1_S quantizer"},
    Unsupported{"IQ1_M", "no IQ1_M quantizer"},
    Unsupported{"IQ2_XXS", "no IQ2_XXS quantizer"},
    Unsupported{"IQ2_XS", "no IQ2_XS quantizer"},
    Unsupported{"IQ2_S", "no IQ2_S quantizer"},
    Unsupported{"IQ2_M", "no IQ2_S quantizer"},
    Unsupported{"IQ3_XXS", "no IQ3_XXS quantizer"},
    Unsupported{"IQ3_XS", "no IQ3_S quantizer"},
    Unsupported{"IQ3_S", "no IQ3_S quantizer"},
    Unsupported{"IQ3_M", "no IQ3_S quantizer"},
    Unsupported{"TQ1_0", "no TQ1_0 quantizer"},
    Unsupported{"TQ2_0", "no TQ2_0 quantizer"},
    Unsupported{"MXFP4_MOE", "no MXFP4 quantizer"},
    Unsupported{"Q1_0", "no Q1_0 quantizer"},
    Unsupported{"Q2_0", "no Q2_0 quantizer"},
    Unsupported{"COPY", "chord quantize always converts (copy a file with cp)"},
};

}  // namespace

const std::vector<QuantMix>& quant_mixes() {
    static const std::vector<QuantMix> mixes = {
        {"Q4_0", kQ4_0, GgmlType::Q4_0},       {"Q4_1", kQ4_1, GgmlType::Q4_1},
        {"Q5_0", kQ5_0, GgmlType::Q5_0},       {"Q5_1", kQ5_1, GgmlType::Q5_1},
        {"Q2_K", kQ2_K, GgmlType::Q2_K},       {"Q3_K_S", kQ3_K_S, GgmlType::Q3_K},
        {"Q3_K_M", kQ3_K_M, GgmlType::Q3_K},   {"Q3_K_L", kQ3_K_L, GgmlType::Q3_K},
        {"IQ4_NL", kIQ4_NL, GgmlType::IQ4_NL}, {"IQ4_XS", kIQ4_XS, GgmlType::IQ4_XS},
        {"Q4_K_S", kQ4_K_S, GgmlType::Q4_K},   {"Q4_K_M", kQ4_K_M, GgmlType::Q4_K},
        {"Q5_K_S", kQ5_K_S, GgmlType::Q5_K},   {"Q5_K_M", kQ5_K_M, GgmlType::Q5_K},
        {"Q6_K", kQ6_K, GgmlType::Q6_K},       {"Q8_0", kQ8_0, GgmlType::Q8_0},
        {"F16", kF16, GgmlType::F16},          {"BF16", kBF16, GgmlType::BF16},
        {"F32", kAllF32, GgmlType::F32},
    };
    return mixes;
}

const QuantMix& find_quant_mix(std::string_view name) {
    // llama-quantize's aliases: the plain K type names mean the _M mix.
    if (iequals(name, "Q3_K")) name = "Q3_K_M";
    if (iequals(name, "Q4_K")) name = "Q4_K_M";
    if (iequals(name, "Q5_K")) name = "Q5_K_M";
    for (const auto& m : quant_mixes())
        if (iequals(m.name, name)) return m;
    for (const auto& u : kUnsupportedMixes)
        if (iequals(u.name, name))
            throw Error(ErrorCode::Unsupported, "chord quantize cannot write llama.cpp's " +
                                                    std::string(u.name) + " (" + std::string(u.why) + ")");
    std::string known;
    for (const auto& m : quant_mixes()) known += (known.empty() ? "" : ", ") + std::string(m.name);
    throw Error(ErrorCode::InvalidArgument,
                "unknown quantization type '" + std::string(name) + "' (one of: " + known + ")");
}

bool tensor_is_quantizable(const MixTensor& t) {
    // ggml_n_dims: trailing dimensions of 1 do not count, so a [n, 1] matrix is 1-D.
    int n_dims = 1;
    for (int i = 1; i < 4; ++i)
        if (t.ne[static_cast<size_t>(i)] > 1) n_dims = i + 1;
    if (n_dims < 2 || !ends_with(t.name, "weight")) return false;
    for (std::string_view part : kNeverQuantized)
        if (contains(t.name, part)) return false;
    return t.name != "position_embd.weight" && t.name != "token_types.weight";
}

bool quantize_tensor_order(std::string_view a, std::string_view b) {
    const int la = block_of(a);
    const int lb = block_of(b);
    if (la != lb) return la < lb;
    return a < b;
}

enum class MixPlanner::Category {
    TokenEmbd,
    AttnQ,
    AttnV,  // attn_v, and the fused attn_qkv / attn_kv_b, which llama.cpp treats as attn_v
    AttnK,
    AttnOutput,
    FfnUp,
    FfnGate,
    FfnDown,
    Output,
    Other,
};

MixPlanner::MixPlanner(const QuantMix& mix, bool pure, const MixModelFacts& facts)
    : mix_(mix), pure_(pure), facts_(facts) {}

MixPlanner::Category MixPlanner::category_of(std::string_view name) {
    if (name == "output.weight") return Category::Output;
    if (name == "token_embd.weight" || name == "per_layer_token_embd.weight") return Category::TokenEmbd;
    if (contains(name, "attn_qkv.weight") || contains(name, "attn_kv_b.weight") ||
        contains(name, "attn_v.weight"))
        return Category::AttnV;
    if (contains(name, "attn_k.weight")) return Category::AttnK;
    if (contains(name, "attn_q.weight")) return Category::AttnQ;
    if (contains(name, "attn_output.weight")) return Category::AttnOutput;
    if (contains(name, "ffn_up")) return Category::FfnUp;
    if (contains(name, "ffn_gate")) return Category::FfnGate;
    if (contains(name, "ffn_down")) return Category::FfnDown;
    return Category::Other;
}

void MixPlanner::count(std::string_view name) {
    if (category_of(name) == Category::AttnV) ++n_attn_v_;
}

bool MixPlanner::is_70b() const {
    // llama.cpp's model-size guess that the attn_v rule keys on.
    const std::string& a = facts_.arch;
    if (a == "llama")
        return facts_.n_layer == 80 && facts_.n_head != facts_.n_head_kv && facts_.n_expert != 8;
    if (a == "qwen2" || a == "deci" || a == "olmo") return facts_.n_layer == 80;
    if (a == "jais2") return facts_.n_layer == 68;
    return false;
}

// (layer, layer count) for the ffn rules: the running count of such tensors in dense models; in MoE
// models, whose expert tensors do not come one per layer, the block number in the name.
std::pair<uint32_t, uint32_t> MixPlanner::layer_of(const MixTensor& t, uint32_t counter) const {
    if (facts_.n_expert <= 1) return {counter, facts_.n_layer};
    const int layer = block_of(t.name);
    if (layer < 0 || static_cast<uint32_t>(layer) >= facts_.n_layer)
        throw Error(ErrorCode::Unsupported, "cannot tell which of the " + std::to_string(facts_.n_layer) +
                                                " layers tensor '" + std::string(t.name) + "' belongs to");
    return {static_cast<uint32_t>(layer), facts_.n_layer};
}

GgmlType MixPlanner::mix_rules(const MixTensor& t, Category c, GgmlType type) {
    const uint32_t ft = mix_.file_type;
    const bool falcon = facts_.arch == "falcon";
    const uint32_t n_gqa = facts_.n_head_kv == 0 ? 0 : facts_.n_head / facts_.n_head_kv;

    // The output projection (and a tied embedding, which is the same matrix) keeps 6 bits, or Q8_0
    // where the mix's blocks do not fit its rows.
    if (c == Category::Output || (!facts_.has_output && c == Category::TokenEmbd)) {
        if (falcon || t.ne[0] % block_size(type) != 0) return GgmlType::Q8_0;
        return type == GgmlType::Q8_0 ? type : GgmlType::Q6_K;
    }
    switch (c) {
        case Category::AttnV: {
            const uint32_t i = i_attn_v_++;
            if (ft == kQ2_K)
                type = n_gqa >= 4 ? GgmlType::Q4_K : GgmlType::Q3_K;
            else if (ft == kQ3_K_M)
                type = i < 2 ? GgmlType::Q5_K : GgmlType::Q4_K;
            else if (ft == kQ3_K_L)
                type = GgmlType::Q5_K;
            else if ((ft == kIQ4_NL || ft == kIQ4_XS) && n_gqa >= 4)
                type = GgmlType::Q5_K;
            else if ((ft == kQ4_K_M || ft == kQ5_K_M) && use_more_bits(i, n_attn_v_))
                type = GgmlType::Q6_K;
            else if (ft == kQ4_K_S && i < 4)
                type = GgmlType::Q5_K;
            // With 8 kv-sharing heads attn_v is 8x smaller than attn_q: more bits cost almost nothing.
            if (is_70b() && (type == GgmlType::Q3_K || type == GgmlType::Q4_K)) type = GgmlType::Q5_K;
            if (facts_.n_expert == 8) type = GgmlType::Q8_0;
            return type;
        }
        case Category::AttnK:
            return facts_.n_expert == 8 ? GgmlType::Q8_0 : type;
        case Category::FfnDown: {
            const auto [i, n] = layer_of(t, i_ffn_down_++);
            switch (ft) {
                case kQ2_K:
                    return GgmlType::Q3_K;
                case kQ3_K_M:
                    if (i < n / 16) return GgmlType::Q5_K;
                    return !falcon || use_more_bits(i, n) ? GgmlType::Q4_K : GgmlType::Q3_K;
                case kQ3_K_L:
                    return falcon ? GgmlType::Q4_K : GgmlType::Q5_K;
                case kQ4_K_M:
                    if (falcon)
                        return i < n / 16            ? GgmlType::Q6_K
                               : use_more_bits(i, n) ? GgmlType::Q5_K
                                                     : GgmlType::Q4_K;
                    return use_more_bits(i, n) ? GgmlType::Q6_K : type;
                case kIQ4_NL:
                case kIQ4_XS:
                    return i < n / 8 ? GgmlType::Q5_K : type;  // without an importance matrix
                case kQ5_K_M:
                    return use_more_bits(i, n) ? GgmlType::Q6_K : type;
                case kQ4_K_S:
                    return !falcon && i < n / 8 ? GgmlType::Q5_K : type;
                default:
                    return type;
            }
        }
        case Category::AttnOutput:
            if (falcon) return ft == kQ3_K_L ? GgmlType::Q4_K : type;
            if (facts_.n_expert == 8) {
                const bool bump = ft == kQ2_K || ft == kQ3_K_S || ft == kQ3_K_M || ft == kIQ4_NL ||
                                  ft == kQ4_K_S || ft == kQ4_K_M || ft == kIQ4_XS;
                return bump ? GgmlType::Q5_K : type;
            }
            if (ft == kQ2_K) return GgmlType::Q3_K;
            if (ft == kQ3_K_M) return GgmlType::Q4_K;
            if (ft == kQ3_K_L) return GgmlType::Q5_K;
            return type;
        case Category::FfnGate:
        case Category::FfnUp:
            layer_of(t, 0);  // only to reject MoE tensors without a layer, as llama-quantize does
            return type;
        default:
            return type;  // the embedding (untied), attn_q and the rest keep the mix's type
    }
}

MixPlanner::Choice MixPlanner::choose(const MixTensor& t) {
    if (!tensor_is_quantizable(t)) return {t.type, false};
    GgmlType type = mix_.default_type;
    // F32 / F16 / BF16 mixes convert every matrix and have no rules.
    if (block_size(type) == 1) return {type, false};
    if (!pure_) type = mix_rules(t, category_of(t.name), type);

    // Row length not a multiple of the block: the nearest type with 32-element blocks, else F16.
    const uint64_t ncols = t.ne[0];
    if (ncols % block_size(type) == 0) return {type, false};
    GgmlType fallback = type;
    switch (type) {
        case GgmlType::IQ4_XS:
            fallback = GgmlType::IQ4_NL;
            break;
        case GgmlType::Q2_K:
        case GgmlType::Q3_K:
            fallback = GgmlType::Q4_0;
            break;
        case GgmlType::Q4_K:
            fallback = GgmlType::Q5_0;
            break;
        case GgmlType::Q5_K:
            fallback = GgmlType::Q5_1;
            break;
        case GgmlType::Q6_K:
            fallback = GgmlType::Q8_0;
            break;
        default:
            break;  // already a 32-element type
    }
    if (ncols % block_size(fallback) != 0) fallback = GgmlType::F16;
    return {fallback, true};
}

}  // namespace chord::model

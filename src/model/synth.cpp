// Random-weight Llama-family models for tests and demos (see synth.h).
#include "model/synth.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "quant/quant_table.h"

namespace chord::model {
namespace {

// SplitMix64: tiny, fast, and the same on every platform (std::normal_distribution is not).
class Rng {
  public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // Approximately standard normal: a scaled sum of four uniforms (exact arithmetic in double, so
    // the same bits everywhere, unlike std::log/std::cos-based methods).
    float gaussian() {
        double sum = 0;
        for (int i = 0; i < 4; ++i) sum += static_cast<double>(next() >> 40) * 0x1p-24;
        return static_cast<float>((sum - 2.0) * 1.7320508075688772);
    }

  private:
    uint64_t state_;
};

uint64_t hash_name(uint64_t seed, const std::string& name) {
    uint64_t h = 1469598103934665603ull ^ seed;  // FNV-1a
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
    return h;
}

// llama.cpp's general.file_type for a model whose matrices are all `type` (the "pure" mixes; for the
// K-quants the closest named mix).
uint32_t file_type_of(GgmlType type) {
    switch (type) {
        case GgmlType::F32:
            return 0;
        case GgmlType::F16:
            return 1;
        case GgmlType::Q4_0:
            return 2;
        case GgmlType::Q4_1:
            return 3;
        case GgmlType::Q8_0:
            return 7;
        case GgmlType::Q5_0:
            return 8;
        case GgmlType::Q5_1:
            return 9;
        case GgmlType::Q2_K:
            return 10;
        case GgmlType::Q3_K:
            return 12;
        case GgmlType::Q4_K:
            return 15;
        case GgmlType::Q5_K:
            return 17;
        case GgmlType::Q6_K:
            return 18;
        case GgmlType::IQ4_NL:
            return 25;
        case GgmlType::IQ4_XS:
            return 30;
        case GgmlType::BF16:
            return 32;
        default:
            break;
    }
    throw Error(ErrorCode::Unsupported,
                "chord synth cannot write tensor type " + std::string(type_traits(type).name));
}

// Values of one tensor: mean + std * N(0, 1), seeded by the tensor's name.
std::vector<float> random_values(uint64_t seed, const std::string& name, uint64_t n, float mean, float std) {
    Rng rng(hash_name(seed, name));
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = mean + std * rng.gaussian();
    return v;
}

// Rows are whole blocks, so the tensor quantizes as one long row: blocks never straddle rows.
void encode(const std::vector<float>& values, GgmlType type, std::span<uint8_t> out) {
    quant::quant_format(type).quantize_row(values.data(), out.data(), values.size());
}

uint32_t head_dim_of(const SynthOptions& o) {
    return o.head_dim != 0 ? o.head_dim : o.dim / o.n_heads;
}

void check_options(const SynthOptions& o, uint64_t n_vocab) {
    auto bad = [](const std::string& what) { throw Error(ErrorCode::InvalidArgument, "synth: " + what); };
    if (!synth_supports_arch(o.arch)) bad("unknown architecture '" + o.arch + "' (llama, qwen2, qwen3)");
    if (o.dim == 0 || o.n_layers == 0 || o.n_heads == 0 || o.n_kv_heads == 0 || o.ffn == 0 || o.n_ctx == 0)
        bad("every dimension must be positive");
    if (o.head_dim == 0 && o.dim % o.n_heads != 0)
        bad("dim must be a multiple of the head count (or give the head size)");
    if (head_dim_of(o) % 2 != 0) bad("the head size must be even (RoPE rotates pairs)");
    if (o.n_heads % o.n_kv_heads != 0) bad("the head count must be a multiple of the kv head count");
    if (n_vocab == 0) bad("the vocabulary file has no tokens");
    const uint32_t block = type_traits(o.type).block_size;
    if (o.dim % block != 0 || o.ffn % block != 0 || (o.n_heads * head_dim_of(o)) % block != 0)
        bad("dim, ffn and heads x head size must be multiples of " + std::to_string(block) + " for " +
            std::string(type_traits(o.type).name));
    if (!(o.rope_scaling_linear >= 0.0f) || std::isinf(o.rope_scaling_linear))
        bad("the linear RoPE scaling factor must be positive");
    if (o.rope_llama3) {
        const Llama3RopeScaling& r = *o.rope_llama3;
        // llama.cpp reads rope_freqs.weight for llama only; other architectures would refuse the file.
        if (o.arch != "llama") bad("Llama 3 RoPE scaling (rope_freqs.weight) is for the llama architecture");
        if (!(r.factor > 0.0f) || !(r.low_freq_factor > 0.0f) || !(r.high_freq_factor > r.low_freq_factor) ||
            r.original_ctx == 0)
            bad("Llama 3 RoPE scaling needs factor > 0, 0 < low_freq_factor < high_freq_factor and an "
                "original context > 0");
    }
}

}  // namespace

bool synth_supports_arch(const std::string& arch) {
    return arch == "llama" || arch == "qwen2" || arch == "qwen3";
}

std::vector<float> llama3_rope_factors(uint32_t n_rot, float rope_base, const Llama3RopeScaling& r) {
    constexpr double kPi = 3.14159265358979323846;
    const double ctx = r.original_ctx, low = r.low_freq_factor, high = r.high_freq_factor;
    const double shortest_slowed = ctx / low;  // wavelengths above this are slowed by the whole factor
    const double longest_kept = ctx / high;    // wavelengths below this keep their frequency
    std::vector<float> divisors(n_rot / 2);
    for (uint32_t i = 0; i < divisors.size(); ++i) {
        const double frequency = std::pow(static_cast<double>(rope_base), -2.0 * i / n_rot);
        const double wavelength = 2.0 * kPi / frequency;
        double divisor = r.factor;
        if (wavelength < longest_kept) {
            divisor = 1.0;
        } else if (wavelength <= shortest_slowed) {
            const double s = (ctx / wavelength - low) / (high - low);
            divisor = 1.0 / ((1.0 - s) / r.factor + s);
        }
        divisors[i] = static_cast<float>(divisor);
    }
    return divisors;
}

gguf::Writer synthesize(const gguf::File& vocab, const SynthOptions& o) {
    const gguf::Value& tokens = vocab.get("tokenizer.ggml.tokens");
    if (!tokens.is_array() || tokens.elem_type() != gguf::ValueType::String)
        throw Error(ErrorCode::Format, vocab.origin() + ": tokenizer.ggml.tokens is not an array of strings");
    const uint64_t n_vocab = tokens.size();
    check_options(o, n_vocab);
    const uint32_t head_dim = head_dim_of(o);
    const uint32_t q_dim = o.n_heads * head_dim;
    const uint32_t kv_dim = o.n_kv_heads * head_dim;
    const std::string& a = o.arch;

    gguf::Writer w;
    w.set("general.architecture", gguf::Value::string(a));
    w.set("general.name", gguf::Value::string(o.name));
    w.set("general.file_type", gguf::Value::scalar<uint32_t>(file_type_of(o.type)));
    w.set(a + ".vocab_size", gguf::Value::scalar<uint32_t>(static_cast<uint32_t>(n_vocab)));
    w.set(a + ".context_length", gguf::Value::scalar<uint32_t>(o.n_ctx));
    w.set(a + ".embedding_length", gguf::Value::scalar<uint32_t>(o.dim));
    w.set(a + ".block_count", gguf::Value::scalar<uint32_t>(o.n_layers));
    w.set(a + ".feed_forward_length", gguf::Value::scalar<uint32_t>(o.ffn));
    w.set(a + ".attention.head_count", gguf::Value::scalar<uint32_t>(o.n_heads));
    w.set(a + ".attention.head_count_kv", gguf::Value::scalar<uint32_t>(o.n_kv_heads));
    if (o.head_dim != 0) {
        w.set(a + ".attention.key_length", gguf::Value::scalar<uint32_t>(head_dim));
        w.set(a + ".attention.value_length", gguf::Value::scalar<uint32_t>(head_dim));
    }
    w.set(a + ".rope.dimension_count", gguf::Value::scalar<uint32_t>(head_dim));
    w.set(a + ".rope.freq_base", gguf::Value::scalar<float>(o.rope_base));
    if (o.rope_scaling_linear > 0.0f) {
        w.set(a + ".rope.scaling.type", gguf::Value::string("linear"));
        w.set(a + ".rope.scaling.factor", gguf::Value::scalar<float>(o.rope_scaling_linear));
    }
    w.set(a + ".attention.layer_norm_rms_epsilon", gguf::Value::scalar<float>(o.rms_eps));
    for (const auto& kv : vocab.metadata())
        if (kv.key.rfind("tokenizer.", 0) == 0) w.set(kv.key, kv.value);

    // Weight scales (see synth.h): unit-variance embeddings; fan-in scaled projections so each layer
    // matters; q/k (1.5x) and the output projection (6x, median top-2 log-prob gap ~0.6-1.4 in llama.cpp)
    // scaled up so attention and the next-token choice are peaked.
    const float sd_in = 1.0f / std::sqrt(static_cast<float>(o.dim));
    const float sd_ffn = 1.0f / std::sqrt(static_cast<float>(o.ffn));
    const uint64_t seed = o.seed;
    auto add = [&](const std::string& name, std::vector<uint64_t> dims, GgmlType type, float mean, float sd) {
        uint64_t n = 1;
        for (uint64_t d : dims) n *= d;
        w.add_tensor(name, dims, type, [=](std::span<uint8_t> out) {
            encode(random_values(seed, name, n, mean, sd), type, out);
        });
    };
    const GgmlType wt = o.type;
    constexpr GgmlType f32 = GgmlType::F32;

    add("token_embd.weight", {o.dim, n_vocab}, wt, 0.0f, 1.0f);  // (vocab, dim)
    if (o.rope_llama3) {
        // As llama.cpp's converter writes Llama 3.1: the divisors as one F32 tensor, no scaling keys.
        const std::vector<float> divisors = llama3_rope_factors(head_dim, o.rope_base, *o.rope_llama3);
        w.add_tensor("rope_freqs.weight", {divisors.size()}, f32, [divisors](std::span<uint8_t> out) {
            std::memcpy(out.data(), divisors.data(), divisors.size() * sizeof(float));
        });  // (head_dim / 2)
    }
    for (uint32_t l = 0; l < o.n_layers; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        add(p + "attn_norm.weight", {o.dim}, f32, 1.0f, 0.1f);              // (dim)
        add(p + "attn_q.weight", {o.dim, q_dim}, wt, 0.0f, 1.5f * sd_in);   // (q_dim, dim)
        add(p + "attn_k.weight", {o.dim, kv_dim}, wt, 0.0f, 1.5f * sd_in);  // (kv_dim, dim)
        add(p + "attn_v.weight", {o.dim, kv_dim}, wt, 0.0f, sd_in);         // (kv_dim, dim)
        if (a == "qwen2") {
            add(p + "attn_q.bias", {q_dim}, f32, 0.0f, 0.1f);
            add(p + "attn_k.bias", {kv_dim}, f32, 0.0f, 0.1f);
            add(p + "attn_v.bias", {kv_dim}, f32, 0.0f, 0.1f);
        }
        if (a == "qwen3") {
            add(p + "attn_q_norm.weight", {head_dim}, f32, 1.0f, 0.1f);  // (head_dim)
            add(p + "attn_k_norm.weight", {head_dim}, f32, 1.0f, 0.1f);  // (head_dim)
        }
        add(p + "attn_output.weight", {q_dim, o.dim}, wt, 0.0f,
            1.0f / std::sqrt(static_cast<float>(q_dim)));              // (dim, q_dim)
        add(p + "ffn_norm.weight", {o.dim}, f32, 1.0f, 0.1f);          // (dim)
        add(p + "ffn_gate.weight", {o.dim, o.ffn}, wt, 0.0f, sd_in);   // (ffn, dim)
        add(p + "ffn_up.weight", {o.dim, o.ffn}, wt, 0.0f, sd_in);     // (ffn, dim)
        add(p + "ffn_down.weight", {o.ffn, o.dim}, wt, 0.0f, sd_ffn);  // (dim, ffn)
    }
    add("output_norm.weight", {o.dim}, f32, 1.0f, 0.1f);                                 // (dim)
    if (!o.tied_output) add("output.weight", {o.dim, n_vocab}, wt, 0.0f, 6.0f * sd_in);  // (vocab, dim)
    return w;
}

}  // namespace chord::model

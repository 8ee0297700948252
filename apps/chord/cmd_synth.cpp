// `chord synth`: write a Llama-family test model with seeded random weights and a real tokenizer
// taken from another GGUF (see src/model/synth.h).
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>
#include <vector>

#include "commands.h"
#include "core/error.h"
#include "model/synth.h"

namespace chord::cli {
namespace {

struct SynthCliOptions {
    std::string out;
    std::string vocab;
    std::string shape;
    std::string type = "f32";
    std::string rope_llama3;
    model::SynthOptions synth;
};

// FACTOR,LOW_FREQ_FACTOR,HIGH_FREQ_FACTOR,ORIGINAL_CTX, e.g. Llama 3.1's 8,1,4,8192.
model::Llama3RopeScaling parse_llama3(const std::string& text) {
    std::vector<double> v;
    std::stringstream in(text);
    bool numbers = true;
    for (std::string item; std::getline(in, item, ',');) {
        char* end = nullptr;
        v.push_back(std::strtod(item.c_str(), &end));
        numbers = numbers && !item.empty() && *end == '\0' && std::isfinite(v.back());
    }
    if (!numbers || v.size() != 4 || v[3] < 1 || v[3] != std::floor(v[3]) || v[3] > 1e9)
        throw Error(ErrorCode::InvalidArgument,
                    "--rope-llama3 wants FACTOR,LOW_FREQ_FACTOR,HIGH_FREQ_FACTOR,"
                    "ORIGINAL_CTX (e.g. 8,1,4,8192), not '" +
                        text + "'");
    model::Llama3RopeScaling r;
    r.factor = static_cast<float>(v[0]);
    r.low_freq_factor = static_cast<float>(v[1]);
    r.high_freq_factor = static_cast<float>(v[2]);
    r.original_ctx = static_cast<uint32_t>(v[3]);
    return r;
}

void apply_shape(const std::string& shape, model::SynthOptions& s) {
    if (shape.empty()) return;
    if (shape == "tinyllama") {  // TinyLlama 1.1B's shape
        s.dim = 2048, s.n_layers = 22, s.n_heads = 32, s.n_kv_heads = 4, s.ffn = 5632, s.n_ctx = 2048;
    } else if (shape == "tiny") {
        s.dim = 256, s.n_layers = 4, s.n_heads = 8, s.n_kv_heads = 4, s.ffn = 768, s.n_ctx = 2048;
    } else {
        throw Error(ErrorCode::InvalidArgument, "unknown --shape '" + shape + "' (tiny, tinyllama)");
    }
}

}  // namespace

void register_synth(CLI::App& app) {
    auto o = std::make_shared<SynthCliOptions>();
    CLI::App* cmd = app.add_subcommand("synth", "Write a random-weight test model with a real tokenizer");
    cmd->add_option("-o,--output", o->out, "Output GGUF file")->required();
    cmd->add_option("--vocab", o->vocab,
                    "GGUF file to take the tokenizer from (e.g. ggml-vocab-llama-spm.gguf)")
        ->required();
    cmd->add_option("--arch", o->synth.arch, "Architecture: llama, qwen2, qwen3")->capture_default_str();
    cmd->add_option("--shape", o->shape, "Preset shape: tiny, tinyllama (flags after it still apply)");
    cmd->add_option("--dim", o->synth.dim, "Embedding length")->capture_default_str();
    cmd->add_option("--layers", o->synth.n_layers, "Number of layers")->capture_default_str();
    cmd->add_option("--heads", o->synth.n_heads, "Attention heads")->capture_default_str();
    cmd->add_option("--kv-heads", o->synth.n_kv_heads, "Key/value heads (GQA)")->capture_default_str();
    cmd->add_option("--head-dim", o->synth.head_dim, "Head size, if not dim / heads (writes key_length)");
    cmd->add_option("--ffn", o->synth.ffn, "Feed-forward length")->capture_default_str();
    cmd->add_option("--ctx", o->synth.n_ctx, "Context length the model claims")->capture_default_str();
    cmd->add_option("--rope-base", o->synth.rope_base, "RoPE frequency base")->capture_default_str();
    cmd->add_option("--rope-scaling-linear", o->synth.rope_scaling_linear,
                    "Linear RoPE scaling: positions divided by FACTOR (rope.scaling.type = linear)");
    cmd->add_option(
        "--rope-llama3", o->rope_llama3,
        "Llama 3 RoPE scaling FACTOR,LOW_FREQ_FACTOR,HIGH_FREQ_FACTOR,ORIGINAL_CTX (e.g. 8,1,4,8192), "
        "written as rope_freqs.weight (llama only)");
    cmd->add_option("--rms-eps", o->synth.rms_eps, "RMSNorm epsilon")->capture_default_str();
    cmd->add_flag("--tied", o->synth.tied_output, "No output.weight: reuse the token embedding");
    cmd->add_option("--type", o->type, "Type of the 2-D weights: f32, f16, bf16")->capture_default_str();
    cmd->add_option("--seed", o->synth.seed, "Random seed (same seed, same file)")->capture_default_str();
    cmd->add_option("--name", o->synth.name, "general.name")->capture_default_str();
    cmd->callback([o, cmd] {
        // A preset shape first, then any explicit dimension flags on top of it.
        model::SynthOptions s = o->synth;
        apply_shape(o->shape, s);
        auto explicit_u32 = [&](const char* flag, uint32_t model::SynthOptions::*field) {
            if (cmd->count(flag) != 0) s.*field = o->synth.*field;
        };
        explicit_u32("--dim", &model::SynthOptions::dim);
        explicit_u32("--layers", &model::SynthOptions::n_layers);
        explicit_u32("--heads", &model::SynthOptions::n_heads);
        explicit_u32("--kv-heads", &model::SynthOptions::n_kv_heads);
        explicit_u32("--ffn", &model::SynthOptions::ffn);
        explicit_u32("--head-dim", &model::SynthOptions::head_dim);
        if (!o->rope_llama3.empty()) s.rope_llama3 = parse_llama3(o->rope_llama3);
        explicit_u32("--ctx", &model::SynthOptions::n_ctx);
        const auto type = type_from_name(o->type);
        if (!type) throw Error(ErrorCode::InvalidArgument, "unknown --type '" + o->type + "'");
        s.type = *type;
        const gguf::File vocab = gguf::File::open(o->vocab);
        model::synthesize(vocab, s).write_file(o->out);
        std::cerr << "chord synth: wrote " << o->out << " (" << s.arch << ", dim " << s.dim << ", "
                  << s.n_layers << " layers, " << o->type << ")\n";
    });
}

}  // namespace chord::cli

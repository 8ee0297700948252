// `chord quantize IN.gguf OUT.gguf TYPE [--pure] [-t N]`: llama-quantize's job, with its type names
// and per-tensor mixes, writing the same bytes (see src/model/quantize.h).
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>

#include "commands.h"
#include "core/error.h"
#include "model/quantize.h"

namespace chord::cli {
namespace {

struct QuantizeCliOptions {
    std::string input;
    std::string output;
    model::QuantizeOptions quantize;
    bool verbose = false;
};

uint64_t tensor_bytes(const gguf::TensorInfo& t, GgmlType type) {
    return row_bytes(type_traits(type), t.n_elements);
}

void run_quantize(const QuantizeCliOptions& o) {
    const auto start = std::chrono::steady_clock::now();
    const gguf::File in = gguf::File::open(o.input);
    const model::QuantizePlan plan = model::quantize(in, o.output, o.quantize);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    uint64_t bytes_in = 0, bytes_out = 0;
    std::map<std::string, int> converted;  // output type -> tensors converted to it
    int kept = 0;
    int requantized = 0;
    for (const model::TensorPlan& p : plan.tensors) {
        const gguf::TensorInfo& t = in.get_tensor(p.name);
        bytes_in += tensor_bytes(t, p.from);
        bytes_out += tensor_bytes(t, p.to);
        if (p.from == p.to)
            ++kept;
        else
            ++converted[std::string(type_traits(p.to).name)];
        requantized += p.from != p.to && type_traits(p.from).block_size > 1;
        if (p.fell_back)
            std::cerr << "chord quantize: " << p.name << ": row length " << t.ne[0]
                      << " does not fit the mix's block size, used " << type_traits(p.to).name << '\n';
        if (o.verbose)
            std::cerr << "  " << p.name << " " << t.shape_string() << " " << type_traits(p.from).name
                      << " -> " << type_traits(p.to).name << '\n';
    }
    // llama-quantize refuses this without --allow-requantize: each quantization adds its own error.
    if (requantized > 0)
        std::cerr << "chord quantize: note: " << requantized
                  << " tensors were already quantized; quantizing from F32, F16 or BF16 loses less\n";
    std::string types;
    for (const auto& [name, n] : converted)
        types += (types.empty() ? "" : ", ") + std::to_string(n) + " " + name;
    char sizes[96];
    std::snprintf(sizes, sizeof sizes, "%.2f MiB -> %.2f MiB, %.1f s",
                  static_cast<double>(bytes_in) / 1048576.0, static_cast<double>(bytes_out) / 1048576.0,
                  seconds);
    std::cerr << "chord quantize: wrote " << o.output << " (" << plan.mix->name
              << (o.quantize.pure ? ", pure" : "") << "; converted " << (types.empty() ? "none" : types)
              << "; kept " << kept << "; " << sizes << ")\n";
}

}  // namespace

void register_quantize(CLI::App& app) {
    auto o = std::make_shared<QuantizeCliOptions>();
    CLI::App* cmd = app.add_subcommand(
        "quantize",
        "Convert a model to a llama.cpp quantization type or mix (the bytes llama-quantize writes)");
    cmd->add_option("input", o->input, "Input GGUF model (any tensor types wasm-chord can compute on)")
        ->required();
    cmd->add_option("output", o->output, "Output GGUF file")->required();
    cmd->add_option(
           "type", o->quantize.mix,
           "llama-quantize's type name: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K_S, "
           "Q3_K_M (Q3_K), Q3_K_L, Q4_K_S, Q4_K_M (Q4_K), Q5_K_S, Q5_K_M (Q5_K), Q6_K, IQ4_NL, IQ4_XS")
        ->required();
    cmd->add_flag(
        "--pure", o->quantize.pure,
        "Every quantizable matrix in the type's base type: no per-tensor mix (llama-quantize --pure)");
    cmd->add_option("-t,--threads", o->quantize.threads, "Threads (0: the physical cores)")
        ->capture_default_str();
    cmd->add_flag("-v,--verbose", o->verbose, "List every tensor's type change");
    cmd->callback([o] { run_quantize(*o); });
}

}  // namespace chord::cli

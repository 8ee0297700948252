// `chord info [MODEL] [--all]`: what a GGUF file holds (metadata, tensors, parameter count, file type)
// and whether wasm-chord can run it.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <map>
#include <memory>

#include "commands.h"
#include "gguf/file.h"
#include "model/file_type.h"
#include "model/support.h"

namespace chord::cli {
namespace {

struct InfoOptions {
    std::string model;
    bool all = false;
};

std::string human_bytes(uint64_t n) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
    return buf;
}

std::string human_count(uint64_t n) {
    char buf[32];
    if (n >= 1000000000ull)
        std::snprintf(buf, sizeof buf, "%.2f B", static_cast<double>(n) / 1e9);
    else if (n >= 1000000ull)
        std::snprintf(buf, sizeof buf, "%.2f M", static_cast<double>(n) / 1e6);
    else if (n >= 1000ull)
        std::snprintf(buf, sizeof buf, "%.2f K", static_cast<double>(n) / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(n));
    return buf;
}

void run_info(const InfoOptions& o) {
    const gguf::File f = gguf::File::open(o.model);
    std::cout << "file:          " << o.model << " (" << human_bytes(f.bytes().size()) << ", GGUF v"
              << f.version() << ", alignment " << f.alignment() << ")\n";
    std::cout << "architecture:  " << f.get_string_or("general.architecture", "(none)") << '\n';
    if (const auto* name = f.find("general.name"); name != nullptr && name->is_string())
        std::cout << "name:          " << name->str() << '\n';
    if (f.find("general.file_type") != nullptr)
        std::cout << "file type:     " << model::file_type_name(f.get_u32("general.file_type")) << '\n';

    uint64_t params = 0;
    uint64_t tensor_bytes = 0;
    std::map<std::string, int> type_counts;
    for (const auto& t : f.tensors()) {
        params += t.n_elements;
        tensor_bytes += t.n_bytes;
        ++type_counts[std::string(t.traits().name)];
    }
    std::string types;
    for (const auto& [name, count] : type_counts)
        types += (types.empty() ? "" : ", ") + name + ": " + std::to_string(count);
    std::cout << "parameters:    " << human_count(params) << " (" << human_bytes(tensor_bytes)
              << " of tensor data)\n";
    std::cout << "tensors:       " << f.tensors().size() << (types.empty() ? "" : " (" + types + ")") << '\n';

    std::cout << "\nmetadata (" << f.metadata().size() << " keys):\n";
    size_t key_width = 0;
    for (const auto& kv : f.metadata()) key_width = std::max(key_width, kv.key.size());
    for (const auto& kv : f.metadata()) {
        std::string type = gguf::value_type_name(kv.value.type());
        if (kv.value.is_array())
            type = std::string("arr[") + gguf::value_type_name(kv.value.elem_type()) + "," +
                   std::to_string(kv.value.size()) + "]";
        std::printf("  %-*s %-16s %s\n", static_cast<int>(key_width), kv.key.c_str(), type.c_str(),
                    kv.value.to_display(o.all).c_str());
    }

    if (!f.tensors().empty()) {
        std::cout << "\ntensors:\n";
        size_t name_width = 0;
        for (const auto& t : f.tensors()) name_width = std::max(name_width, t.name.size());
        const size_t limit = o.all ? f.tensors().size() : 24;
        size_t shown = 0;
        for (const auto& t : f.tensors()) {
            if (shown++ == limit) {
                std::cout << "  ... " << f.tensors().size() - limit << " more (--all shows every tensor)\n";
                break;
            }
            std::printf("  %-*s %-7s %-22s %s\n", static_cast<int>(name_width), t.name.c_str(),
                        std::string(t.traits().name).c_str(), t.shape_string().c_str(),
                        human_bytes(t.n_bytes).c_str());
        }
    }

    const model::SupportReport report = model::check_support(f);
    std::cout << "\nwasm-chord can run it: " << (report.ok() ? "yes" : "no") << '\n';
    for (const auto& p : report.problems) std::cout << "  - " << p << '\n';
    std::cout.flush();
}

}  // namespace

void register_info(CLI::App& app) {
    auto opts = std::make_shared<InfoOptions>();
    CLI::App* cmd =
        app.add_subcommand("info", "Show a GGUF model's metadata, tensors and whether wasm-chord runs it");
    cmd->add_option("model", opts->model, "GGUF file (default: the built-in demo model)");
    cmd->add_option("-m,--model", opts->model, "GGUF file (same as the positional argument)");
    cmd->add_flag("--all", opts->all, "Print every array element and every tensor");
    cmd->callback([opts] {
        if (opts->model.empty()) opts->model = demo_model_path();
        run_info(*opts);
    });
}

}  // namespace chord::cli

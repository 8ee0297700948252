// Flags and helpers shared by the chord subcommands that load a model: -m, -c, -t, and the parsing of
// token-id lists.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/model.h"
#include "runtime/context.h"

namespace CLI {
class App;
}

namespace chord::cli {

struct ModelOptions {
    std::string path;                  // -m; empty: the built-in demo model
    uint32_t n_ctx = 0;                // -c; 0: the model's, at most 4096
    int threads = 0;                   // -t; 0: physical cores
    uint32_t n_batch = 512;            // -b
    std::string cache_type_k = "f16";  // -ctk
    std::string cache_type_v = "f16";  // -ctv
};

void add_model_options(CLI::App& cmd, ModelOptions& o);
std::shared_ptr<const model::Model> load_model(const ModelOptions& o);
runtime::ContextOptions context_options(const ModelOptions& o);

// "1,2,3" or "[1, 2, 3]" -> {1, 2, 3}; throws chord::Error naming the bad element.
std::vector<int32_t> parse_id_list(const std::string& text);

}  // namespace chord::cli

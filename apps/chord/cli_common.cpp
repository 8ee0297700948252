// Shared model flags and id-list parsing (see cli_common.h).
#include "cli_common.h"

#include <CLI/CLI.hpp>

#include <cctype>
#include <climits>
#include <cstdlib>

#include "commands.h"
#include "core/error.h"

namespace chord::cli {

void add_model_options(CLI::App& cmd, ModelOptions& o) {
    cmd.add_option("-m,--model", o.path, "GGUF model file (default: the built-in demo model)");
    cmd.add_option("-c,--ctx-size", o.n_ctx, "Context size in tokens (0: the model's, at most 4096)")
        ->capture_default_str();
    cmd.add_option("-t,--threads", o.threads, "Threads (0: the physical cores)")->capture_default_str();
    cmd.add_option("-b,--batch-size", o.n_batch, "Prompt tokens per forward pass")->capture_default_str();
    // -ctk / -ctv (llama.cpp's spellings) are rewritten to these by main.cpp: CLI11 has no multi-letter
    // single-dash flags.
    cmd.add_option("--cache-type-k", o.cache_type_k, "KV cache type for K: f16 or f32 (also -ctk)")
        ->capture_default_str();
    cmd.add_option("--cache-type-v", o.cache_type_v, "KV cache type for V: f16 or f32, same as K (also -ctv)")
        ->capture_default_str();
}

std::shared_ptr<const model::Model> load_model(const ModelOptions& o) {
    return model::Model::load(o.path.empty() ? demo_model_path() : o.path);
}

runtime::ContextOptions context_options(const ModelOptions& o) {
    runtime::ContextOptions c;
    c.n_ctx = o.n_ctx;
    c.threads = o.threads;
    c.n_batch = o.n_batch;
    if (o.cache_type_k != o.cache_type_v)
        throw Error(ErrorCode::InvalidArgument, "wasm-chord keeps K and V in one type: -ctk " +
                                                    o.cache_type_k + " and -ctv " + o.cache_type_v +
                                                    " differ");
    if (o.cache_type_k != "f16" && o.cache_type_k != "f32")
        throw Error(ErrorCode::InvalidArgument,
                    "KV cache type '" + o.cache_type_k + "' is not supported (f16, f32)");
    c.kv_type = o.cache_type_k == "f16" ? GgmlType::F16 : GgmlType::F32;
    return c;
}

std::vector<int32_t> parse_id_list(const std::string& text) {
    std::vector<int32_t> ids;
    size_t i = 0;
    const auto skip = [&] {
        while (i < text.size() &&
               (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == '[' || text[i] == ']'))
            ++i;
    };
    skip();
    while (i < text.size()) {
        const size_t start = i;
        while (i < text.size() && text[i] != ',' && text[i] != ']' &&
               !std::isspace(static_cast<unsigned char>(text[i])))
            ++i;
        const std::string item = text.substr(start, i - start);
        char* end = nullptr;
        const long long v = std::strtoll(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || v < 0 || v > INT32_MAX)
            throw Error(ErrorCode::InvalidArgument, "'" + item + "' is not a token id");
        ids.push_back(static_cast<int32_t>(v));
        skip();
        if (i < text.size() && text[i] == ',') ++i;
        skip();
    }
    return ids;
}

}  // namespace chord::cli

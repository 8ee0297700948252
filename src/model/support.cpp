// The support verdict (see support.h).
#include "model/support.h"

#include <algorithm>
#include <map>

namespace chord::model {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& s) {
    return std::find(list.begin(), list.end(), s) != list.end();
}

std::string join(const std::vector<std::string>& list) {
    std::string out;
    for (const auto& s : list) out += (out.empty() ? "" : ", ") + s;
    return out;
}

}  // namespace

const std::vector<std::string>& supported_architectures() {
    static const std::vector<std::string> archs = {"llama", "qwen2", "qwen3"};
    return archs;
}

const std::vector<std::string>& supported_tokenizers() {
    static const std::vector<std::string> models = {"llama", "gpt2"};
    return models;
}

SupportReport check_support(const gguf::File& file) {
    SupportReport r;
    const gguf::Value* arch = file.find("general.architecture");
    if (arch == nullptr || !arch->is_string()) {
        r.problems.push_back("general.architecture is missing");
    } else if (!contains(supported_architectures(), arch->str())) {
        r.problems.push_back("architecture '" + arch->str() +
                             "' is not supported (supported: " + join(supported_architectures()) + ")");
    }
    if (arch != nullptr && arch->is_string()) {
        const gguf::Value* scaling = file.find(arch->str() + ".rope.scaling.type");
        if (scaling != nullptr && scaling->is_string() && scaling->str() != "none" &&
            scaling->str() != "linear")
            r.problems.push_back("RoPE scaling '" + scaling->str() + "' is not supported (none, linear)");
    }
    const gguf::Value* tok = file.find("tokenizer.ggml.model");
    if (tok == nullptr || !tok->is_string()) {
        r.problems.push_back("tokenizer.ggml.model is missing (no tokenizer in the file)");
    } else if (!contains(supported_tokenizers(), tok->str())) {
        r.problems.push_back("tokenizer '" + tok->str() +
                             "' is not supported (supported: " + join(supported_tokenizers()) + ")");
    }
    if (file.tensors().empty()) r.problems.push_back("the file has no tensors (a vocabulary-only file)");
    std::map<std::string, int> unsupported;  // type name -> tensor count
    for (const auto& t : file.tensors())
        if (!t.traits().computable) ++unsupported[std::string(t.traits().name)];
    for (const auto& [name, count] : unsupported)
        r.problems.push_back("tensor type " + name + " is not supported yet (" + std::to_string(count) +
                             " tensors)");
    return r;
}

}  // namespace chord::model

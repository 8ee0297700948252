// Shared by the tokenizer tests: the llama.cpp vocabularies extracted under testdata/vocab
// (tools/fetch-testdata.sh), which of them wasm-chord claims, and their golden .inp/.out files
// (llama.cpp's tokenizer test strings and the ids llama.cpp gives them with add_special = false).
#pragma once

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/file.h"
#include "tokenizer/tokenizer.h"

namespace chord::tokenizer::testdata {

// Vocabularies of the types wasm-chord implements (SentencePiece and byte-level BPE).
inline const std::vector<std::string>& claimed_vocabs() {
    static const std::vector<std::string> names = {
        "llama-spm",      "phi-3",  "baichuan", "llama-bpe", "qwen2",  "qwen35",    "gpt-2",  "deepseek-llm",
        "deepseek-coder", "falcon", "mpt",      "starcoder", "refact", "command-r", "aquila", "gpt-neox"};
    return names;
}

// Vocabularies of other tokenizer types, with the tokenizer.ggml.model value they carry.
inline const std::vector<std::pair<std::string, std::string>>& unclaimed_vocabs() {
    static const std::vector<std::pair<std::string, std::string>> names = {
        {"bert-bge", "bert"}, {"nomic-bert-moe", "t5"}, {"gemma-4", "gemma4"}};
    return names;
}

inline std::string vocab_path(const std::string& name) {
    return std::string(CHORD_TESTDATA_DIR) + "/vocab/ggml-vocab-" + name + ".gguf";
}

inline bool file_exists(const std::string& path) {
    return std::ifstream(path).good();
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct GoldenCase {
    std::string text;
    std::vector<TokenId> ids;
};

// The golden cases of a vocabulary; empty when it has no golden files. The .inp file holds the
// strings separated by "\n__ggml_vocab_test__\n" (a piece after the last separator counts too),
// the .out file one line of ids per string.
inline std::vector<GoldenCase> read_golden(const std::string& name) {
    const std::string base = vocab_path(name);
    if (!file_exists(base + ".inp") || !file_exists(base + ".out")) return {};
    const std::string raw = read_file(base + ".inp");
    const std::string sep = "\n__ggml_vocab_test__\n";
    std::vector<std::string> texts;
    for (size_t pos = 0; pos < raw.size();) {
        const size_t next = raw.find(sep, pos);
        if (next == std::string::npos) {
            texts.push_back(raw.substr(pos));
            break;
        }
        texts.push_back(raw.substr(pos, next - pos));
        pos = next + sep.size();
    }
    std::vector<GoldenCase> cases;
    std::istringstream out(read_file(base + ".out"));
    std::string line;
    for (size_t i = 0; std::getline(out, line); ++i) {
        GoldenCase c;
        c.text = i < texts.size() ? texts[i] : std::string();
        std::istringstream ids(line);
        for (long id; ids >> id;) c.ids.push_back(static_cast<TokenId>(id));
        cases.push_back(std::move(c));
    }
    if (cases.size() != texts.size()) cases.clear();  // malformed pair of files: treated as absent
    return cases;
}

inline Tokenizer load_tokenizer(const std::string& name) {
    return Tokenizer::from_gguf(gguf::File::open(vocab_path(name)));
}

}  // namespace chord::tokenizer::testdata

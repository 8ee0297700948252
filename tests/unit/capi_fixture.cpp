// Test data for test_capi (which itself sees only the C header): a small synthesized model with
// llama.cpp's Llama 2 vocabulary, written once to a temporary file.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "gguf/file.h"
#include "model/synth.h"

std::string capi_fixture_vocab_path() {
    const std::string path = std::string(CHORD_TESTDATA_DIR) + "/vocab/ggml-vocab-llama-spm.gguf";
    return std::ifstream(path).good() ? path : "";
}

std::string capi_fixture_model_path() {
    static const std::string path = [] {
        const std::string vocab = capi_fixture_vocab_path();
        if (vocab.empty()) return std::string();
        chord::model::SynthOptions o;
        o.dim = 64, o.n_layers = 2, o.n_heads = 4, o.n_kv_heads = 2, o.ffn = 128, o.n_ctx = 512;
        // ctest runs every test case as its own process, several at once: each writes its own
        // file (a random name, so wasm builds, where every pid is the same, do not collide either).
        static std::string out = ::testing::TempDir() + "chord_capi_test_model_" +
                                 std::to_string(std::random_device{}()) + ".gguf";
        chord::model::synthesize(chord::gguf::File::open(vocab), o).write_file(out);
        std::atexit([] { std::remove(out.c_str()); });
        return out;
    }();
    return path;
}

// `chord quantize` against llama.cpp's own quantizer: `chord synth` writes small F32 and F16 models,
// then each is quantized twice, by `chord quantize` ($CHORD_BIN) and by llama_model_quantize from the
// oracle package's prebuilt libllama (loaded at run time): every type with --pure (IQ4_XS through its
// mix), and the Q2_K, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, IQ4_XS and Q4_0 mixes. The
// two files must agree tensor by tensor (names, order, shapes, types, data bytes) and in their metadata
// (keys, order, values), and then byte for byte. The models have 16 layers, so the rules that depend
// on the layer index take both branches; one has 1 kv head for 4 heads (the rules' n_gqa >= 4), one a
// feed-forward length that is not a multiple of 256 (the K types fall back) and a tied embedding.
// Native x86-64 Linux only; skipped without the oracle (fails instead when CHORD_REQUIRE_TESTDATA is set).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "gguf/file.h"

#if !defined(__linux__) || !defined(__x86_64__)

TEST(QuantizeVsLlama, NeedsNativeLinux) {
    GTEST_SKIP() << "the llama.cpp oracle libraries are x86-64 Linux only";
}

#else

#include <dlfcn.h>
#include <unistd.h>

namespace chord {
namespace {

// llama_model_quantize_params as llama.h of the oracle's llama.cpp version declares it.
struct LlamaQuantizeParams {
    int32_t nthread;
    int32_t ftype;                 // enum llama_ftype
    int32_t output_tensor_type;    // enum ggml_type
    int32_t token_embedding_type;  // enum ggml_type
    bool allow_requantize;
    bool quantize_output_tensor;
    bool only_copy;
    bool pure;
    bool keep_split;
    bool dry_run;
    const void* imatrix;
    const void* kv_overrides;
    const void* tt_overrides;
    const int32_t* prune_layers;
    size_t max_buf_size;
};
static_assert(sizeof(LlamaQuantizeParams) == 64);

struct Llama {
    using DefaultParams = LlamaQuantizeParams (*)();
    using Quantize = uint32_t (*)(const char* in, const char* out, const LlamaQuantizeParams* params);
    using LogCallback = void (*)(int level, const char* text, void* user_data);
    using LogSet = void (*)(LogCallback callback, void* user_data);
    DefaultParams default_params = nullptr;
    Quantize quantize = nullptr;
};

const Llama* llama(std::string& why) {
    static std::string error;
    static const Llama* loaded = []() -> const Llama* {
        static Llama l;
        void* lib = dlopen(CHORD_LLAMA_ORACLE_DIR "/libllama.v0.4.0.so", RTLD_NOW | RTLD_LOCAL);
        if (lib == nullptr) {
            error = dlerror();
            return nullptr;
        }
        l.default_params =
            reinterpret_cast<Llama::DefaultParams>(dlsym(lib, "llama_model_quantize_default_params"));
        l.quantize = reinterpret_cast<Llama::Quantize>(dlsym(lib, "llama_model_quantize"));
        auto log_set = reinterpret_cast<Llama::LogSet>(dlsym(lib, "llama_log_set"));
        if (!l.default_params || !l.quantize || !log_set) {
            error = "a libllama symbol is missing";
            return nullptr;
        }
        log_set([](int, const char*, void*) {}, nullptr);  // its per-tensor log is not ours to print
        return &l;
    }();
    why = error;
    return loaded;
}

std::string tmp_dir() {
    static const std::string dir = [] {
        std::string d = (std::filesystem::temp_directory_path() / "chord-quantize-XXXXXX").string();
        if (mkdtemp(d.data()) == nullptr) throw std::runtime_error("cannot create a temporary folder");
        return d;
    }();
    return dir;
}

std::string chord_bin() {
    const char* bin = std::getenv("CHORD_BIN");
    return bin ? bin : "build/release/apps/chord/chord";
}

void run(const std::string& command) {
    ASSERT_EQ(std::system((command + " 2>" + tmp_dir() + "/stderr.txt").c_str()), 0)
        << command << "\n"
        << std::string(std::istreambuf_iterator<char>(std::ifstream(tmp_dir() + "/stderr.txt").rdbuf()), {});
}

// Synthesized models, written once: 16 layers, 4 heads sharing 1 kv head (llama.cpp's n_gqa 4).
std::string model(const std::string& name) {
    const std::string path = tmp_dir() + "/" + name + ".gguf";
    if (std::ifstream(path).good()) return path;
    std::string shape = "--dim 256 --layers 16 --heads 4 --kv-heads 1 --ffn 512 --type f32";
    if (name == "odd-ffn") shape = "--dim 256 --layers 16 --heads 4 --kv-heads 2 --ffn 320 --type f32 --tied";
    if (name == "f16") shape = "--dim 256 --layers 16 --heads 4 --kv-heads 1 --ffn 512 --type f16";
    run(chord_bin() + " synth --vocab " CHORD_TESTDATA_DIR "/vocab/ggml-vocab-llama-spm.gguf -o " + path +
        " --seed 5 " + shape);
    return path;
}

std::vector<uint8_t> read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
}

struct Case {
    const char* type;   // llama-quantize's name
    int32_t file_type;  // llama_ftype
    bool pure;
    const char* input;  // model(): "dense", "odd-ffn", "f16"
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << c.type << (c.pure ? " --pure" : "") << " from " << c.input;
}

std::string case_name(const testing::TestParamInfo<Case>& info) {
    std::string name = std::string(info.param.type) + (info.param.pure ? "_pure_" : "_") + info.param.input;
    for (char& ch : name)
        if (ch == '-') ch = '_';
    return name;
}

// Removes the models and outputs when the run ends.
class TmpCleanup : public testing::Environment {
  public:
    void TearDown() override { std::filesystem::remove_all(tmp_dir()); }
};
const auto* const kCleanup = testing::AddGlobalTestEnvironment(new TmpCleanup);

class QuantizeVsLlama : public testing::TestWithParam<Case> {};

TEST_P(QuantizeVsLlama, SameFileAsLlamaQuantize) {
    std::string why;
    const Llama* l = llama(why);
    if (l == nullptr || !std::ifstream(CHORD_TESTDATA_DIR "/vocab/ggml-vocab-llama-spm.gguf").good()) {
        if (std::getenv("CHORD_REQUIRE_TESTDATA") != nullptr) FAIL() << "no llama.cpp oracle: " << why;
        GTEST_SKIP() << "no llama.cpp oracle or test data (" << why << "); run tools/fetch-testdata.sh";
    }
    const Case& c = GetParam();
    const std::string in = model(c.input);
    const std::string stem = tmp_dir() + "/" + c.input + "-" + c.type + (c.pure ? "-pure" : "");
    const std::string ours = stem + "-chord.gguf", theirs = stem + "-llama.gguf";

    run(chord_bin() + " quantize " + in + " " + ours + " " + c.type + (c.pure ? " --pure" : "") + " -t 2");
    LlamaQuantizeParams p = l->default_params();
    p.nthread = 2;
    p.ftype = c.file_type;
    p.pure = c.pure;
    ASSERT_EQ(l->quantize(in.c_str(), theirs.c_str(), &p), 0u) << "llama_model_quantize failed";

    const gguf::File a = gguf::File::open(ours);
    const gguf::File b = gguf::File::open(theirs);
    ASSERT_EQ(a.tensors().size(), b.tensors().size());
    const gguf::File input = gguf::File::open(in);
    int converted = 0;
    for (size_t i = 0; i < a.tensors().size(); ++i) {
        const gguf::TensorInfo& x = a.tensors()[i];
        const gguf::TensorInfo& y = b.tensors()[i];
        SCOPED_TRACE(y.name);
        ASSERT_EQ(x.name, y.name) << "tensor order";
        EXPECT_EQ(x.shape_string(), y.shape_string());
        EXPECT_EQ(x.traits().name, y.traits().name) << "tensor type";
        EXPECT_TRUE(x.n_bytes == y.n_bytes && std::equal(x.data.begin(), x.data.end(), y.data.begin()))
            << "tensor data differs";
        converted += x.type != input.get_tensor(x.name).type;
    }
    EXPECT_GT(converted, 0);
    ASSERT_EQ(a.metadata().size(), b.metadata().size());
    for (size_t i = 0; i < a.metadata().size(); ++i) {
        EXPECT_EQ(a.metadata()[i].key, b.metadata()[i].key) << "metadata key order at " << i;
        EXPECT_TRUE(a.metadata()[i].value == b.metadata()[i].value) << a.metadata()[i].key;
    }
    EXPECT_EQ(b.get_u32("general.file_type"), static_cast<uint32_t>(c.file_type));
    EXPECT_TRUE(read_all(ours) == read_all(theirs)) << "the files are not byte-identical";
}

// llama_ftype values from llama.h.
INSTANTIATE_TEST_SUITE_P(Pure, QuantizeVsLlama,
                         testing::Values(Case{"F16", 1, true, "dense"}, Case{"BF16", 32, true, "dense"},
                                         Case{"Q4_0", 2, true, "dense"}, Case{"Q4_1", 3, true, "dense"},
                                         Case{"Q5_0", 8, true, "dense"}, Case{"Q5_1", 9, true, "dense"},
                                         Case{"Q8_0", 7, true, "dense"}, Case{"Q2_K", 10, true, "dense"},
                                         Case{"Q3_K_M", 12, true, "dense"}, Case{"Q4_K_M", 15, true, "dense"},
                                         Case{"Q5_K_M", 17, true, "dense"}, Case{"Q6_K", 18, true, "dense"},
                                         Case{"IQ4_NL", 25, true, "dense"}),
                         case_name);

INSTANTIATE_TEST_SUITE_P(Mix, QuantizeVsLlama,
                         testing::Values(Case{"Q4_K_M", 15, false, "dense"},
                                         Case{"Q5_K_M", 17, false, "dense"},
                                         Case{"Q3_K_M", 12, false, "dense"}, Case{"Q2_K", 10, false, "dense"},
                                         Case{"Q4_K_S", 14, false, "dense"}, Case{"Q6_K", 18, false, "dense"},
                                         Case{"IQ4_XS", 30, false, "dense"},
                                         Case{"Q4_K_M", 15, false, "odd-ffn"},
                                         Case{"Q3_K_L", 13, false, "odd-ffn"},
                                         Case{"Q5_K_S", 16, false, "f16"}, Case{"Q4_0", 2, false, "f16"}),
                         case_name);

}  // namespace
}  // namespace chord

#endif

// chord synth: the written model has llama.cpp's tensor names, shapes and keys, is deterministic in
// its seed, and carries the vocabulary file's tokenizer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "gguf/file.h"
#include "gguf/writer.h"
#include "model/support.h"
#include "model/synth.h"

namespace chord::model {
namespace {

std::vector<uint8_t> tiny_vocab() {
    gguf::Writer w;
    w.set("general.architecture", gguf::Value::string("llama"));
    w.set("tokenizer.ggml.model", gguf::Value::string("llama"));
    w.set("tokenizer.ggml.tokens", gguf::Value::string_array({"<unk>", "<s>", "</s>", "a", "b"}));
    w.set("tokenizer.ggml.scores", gguf::Value::array(std::vector<float>{0, 0, 0, -1, -2}));
    w.set("tokenizer.ggml.bos_token_id", gguf::Value::scalar<uint32_t>(1));
    return w.write_buffer();
}

SynthOptions small(GgmlType type = GgmlType::F32) {
    SynthOptions o;
    o.dim = 64, o.n_layers = 2, o.n_heads = 4, o.n_kv_heads = 2, o.ffn = 96, o.n_ctx = 128, o.type = type;
    return o;
}

TEST(Synth, WritesLlamaCppNamesShapesAndKeys) {
    const auto vocab_bytes = tiny_vocab();
    const gguf::File vocab = gguf::File::parse(borrow_bytes(vocab_bytes));
    const auto bytes = synthesize(vocab, small()).write_buffer();
    const gguf::File f = gguf::File::parse(borrow_bytes(bytes));
    EXPECT_EQ(f.get_string("general.architecture"), "llama");
    EXPECT_EQ(f.get_u32("llama.embedding_length"), 64u);
    EXPECT_EQ(f.get_u32("llama.block_count"), 2u);
    EXPECT_EQ(f.get_u32("llama.attention.head_count_kv"), 2u);
    EXPECT_EQ(f.get_u32("llama.rope.dimension_count"), 16u);
    EXPECT_EQ(f.get_u32("general.file_type"), 0u);
    EXPECT_EQ(f.get("tokenizer.ggml.tokens"), vocab.get("tokenizer.ggml.tokens"));
    EXPECT_EQ(f.get_u32("tokenizer.ggml.bos_token_id"), 1u);
    EXPECT_EQ(f.get_tensor("token_embd.weight").shape_string(), "[64, 5]");
    EXPECT_EQ(f.get_tensor("output.weight").shape_string(), "[64, 5]");
    EXPECT_EQ(f.get_tensor("blk.1.attn_k.weight").shape_string(), "[64, 32]");
    EXPECT_EQ(f.get_tensor("blk.1.attn_output.weight").shape_string(), "[64, 64]");
    EXPECT_EQ(f.get_tensor("blk.0.ffn_down.weight").shape_string(), "[96, 64]");
    EXPECT_EQ(f.get_tensor("blk.0.ffn_norm.weight").type, GgmlType::F32);
    EXPECT_EQ(f.tensors().size(), 3u + 2 * 9u);
    EXPECT_TRUE(check_support(f).ok()) << check_support(f).problems.front();
}

TEST(Synth, SeedDecidesTheBytes) {
    const auto vocab_bytes = tiny_vocab();
    const gguf::File vocab = gguf::File::parse(borrow_bytes(vocab_bytes));
    SynthOptions a = small(GgmlType::F16);
    EXPECT_EQ(synthesize(vocab, a).write_buffer(), synthesize(vocab, a).write_buffer());
    SynthOptions b = a;
    b.seed = 43;
    EXPECT_NE(synthesize(vocab, a).write_buffer(), synthesize(vocab, b).write_buffer());
}

TEST(Synth, Qwen2TiedAndBf16) {
    const auto vocab_bytes = tiny_vocab();
    const gguf::File vocab = gguf::File::parse(borrow_bytes(vocab_bytes));
    SynthOptions o = small(GgmlType::BF16);
    o.arch = "qwen2";
    o.tied_output = true;
    const auto bytes = synthesize(vocab, o).write_buffer();
    const gguf::File f = gguf::File::parse(borrow_bytes(bytes));
    EXPECT_EQ(f.get_u32("qwen2.block_count"), 2u);
    EXPECT_EQ(f.find_tensor("output.weight"), nullptr);
    EXPECT_EQ(f.get_tensor("blk.0.attn_q.bias").shape_string(), "[64]");
    EXPECT_EQ(f.get_tensor("blk.0.attn_q.weight").type, GgmlType::BF16);
    EXPECT_EQ(f.get_u32("general.file_type"), 32u);
}

TEST(Synth, WeightsHaveTheIntendedScale) {
    const auto vocab_bytes = tiny_vocab();
    const gguf::File vocab = gguf::File::parse(borrow_bytes(vocab_bytes));
    SynthOptions o = small();
    o.dim = 256, o.ffn = 256;
    const auto bytes = synthesize(vocab, o).write_buffer();
    const gguf::File f = gguf::File::parse(borrow_bytes(bytes));
    auto stddev = [&](const char* name) {
        const auto& t = f.get_tensor(name);
        std::vector<float> v(t.data.size() / sizeof(float));
        std::memcpy(v.data(), t.data.data(), t.data.size());
        double s = 0, s2 = 0;
        for (float x : v) s += x, s2 += static_cast<double>(x) * x;
        const double mean = s / static_cast<double>(v.size());
        return std::sqrt(s2 / static_cast<double>(v.size()) - mean * mean);
    };
    EXPECT_NEAR(stddev("blk.0.attn_v.weight"), 1.0 / 16, 0.003);  // 1/sqrt(dim)
    EXPECT_NEAR(stddev("blk.0.attn_q.weight"), 1.5 / 16, 0.004);  // 1.5/sqrt(dim)
    EXPECT_NEAR(stddev("output.weight"), 6.0 / 16, 0.04);         // 6/sqrt(dim), few values
}

TEST(Synth, Llama3RopeFactors) {
    // One pair turning once every 2π positions, original context 16: between 16 / 4 and 16 / 1, so
    // interpolated with s = (16 / 2π - 1) / 3 and divisor 1 / ((1 - s) / 8 + s).
    const double s = (16.0 / (2.0 * 3.14159265358979323846) - 1.0) / 3.0;
    const auto one = llama3_rope_factors(2, 10000.0f, {8.0f, 1.0f, 4.0f, 16});
    ASSERT_EQ(one.size(), 1u);
    EXPECT_NEAR(one[0], 1.0 / ((1.0 - s) / 8.0 + s), 1e-5);
    // Llama 3.1 8B's parameters: the fastest pairs keep their frequency, the slowest are slowed 8x,
    // and the divisors never decrease from one pair to the next.
    const auto f = llama3_rope_factors(128, 500000.0f, {8.0f, 1.0f, 4.0f, 8192});
    ASSERT_EQ(f.size(), 64u);
    EXPECT_EQ(f.front(), 1.0f);
    EXPECT_EQ(f.back(), 8.0f);
    for (size_t i = 1; i < f.size(); ++i) EXPECT_GE(f[i], f[i - 1]);
    EXPECT_GT(std::count_if(f.begin(), f.end(), [](float x) { return x > 1.0f && x < 8.0f; }), 0);
}

TEST(Synth, RopeScalingAsLlamaCppWritesIt) {
    const auto vocab_bytes = tiny_vocab();
    const gguf::File vocab = gguf::File::parse(borrow_bytes(vocab_bytes));
    SynthOptions o = small();
    o.rope_scaling_linear = 4.0f;
    auto bytes = synthesize(vocab, o).write_buffer();
    gguf::File f = gguf::File::parse(borrow_bytes(bytes));
    EXPECT_EQ(f.get_string("llama.rope.scaling.type"), "linear");
    EXPECT_EQ(f.get_f32("llama.rope.scaling.factor"), 4.0f);
    EXPECT_EQ(f.find_tensor("rope_freqs.weight"), nullptr);

    o = small();
    o.rope_llama3 = Llama3RopeScaling{8.0f, 1.0f, 4.0f, 32};
    bytes = synthesize(vocab, o).write_buffer();
    f = gguf::File::parse(borrow_bytes(bytes));
    EXPECT_EQ(f.find("llama.rope.scaling.type"), nullptr);  // llama.cpp's converter writes no key for it
    const auto& t = f.get_tensor("rope_freqs.weight");
    EXPECT_EQ(t.type, GgmlType::F32);
    EXPECT_EQ(t.shape_string(), "[8]");  // head size 16 / 2
    std::vector<float> v(8);
    std::memcpy(v.data(), t.data.data(), 32);
    EXPECT_EQ(v, llama3_rope_factors(16, 10000.0f, *o.rope_llama3));

    o.arch = "qwen2";  // llama.cpp reads rope_freqs.weight for llama only
    EXPECT_THROW(synthesize(vocab, o), Error);
}

TEST(Synth, Qwen3HeadNormsAndHeadSize) {
    const auto vocab_bytes = tiny_vocab();
    const gguf::File vocab = gguf::File::parse(borrow_bytes(vocab_bytes));
    SynthOptions o = small();
    o.arch = "qwen3";
    o.head_dim = 24;  // q is 4 x 24 = 96 wide, not dim (64), as in Qwen3 0.6B
    const auto bytes = synthesize(vocab, o).write_buffer();
    const gguf::File f = gguf::File::parse(borrow_bytes(bytes));
    EXPECT_EQ(f.get_u32("qwen3.attention.key_length"), 24u);
    EXPECT_EQ(f.get_u32("qwen3.rope.dimension_count"), 24u);
    EXPECT_EQ(f.get_tensor("blk.1.attn_q_norm.weight").shape_string(), "[24]");
    EXPECT_EQ(f.get_tensor("blk.1.attn_k_norm.weight").shape_string(), "[24]");
    EXPECT_EQ(f.get_tensor("blk.0.attn_q.weight").shape_string(), "[64, 96]");
    EXPECT_EQ(f.get_tensor("blk.0.attn_output.weight").shape_string(), "[96, 64]");
    EXPECT_EQ(f.find_tensor("blk.0.attn_q.bias"), nullptr);
    EXPECT_EQ(f.tensors().size(), 3u + 2 * 11u);
    EXPECT_TRUE(check_support(f).ok()) << check_support(f).problems.front();
}

TEST(Synth, RejectsBadShapes) {
    const auto vocab_bytes = tiny_vocab();
    const gguf::File vocab = gguf::File::parse(borrow_bytes(vocab_bytes));
    SynthOptions o = small();
    o.n_heads = 5;
    EXPECT_THROW(synthesize(vocab, o), Error);
    o = small();
    o.arch = "gpt-j";
    EXPECT_THROW(synthesize(vocab, o), Error);
    o = small();
    o.n_kv_heads = 3;
    EXPECT_THROW(synthesize(vocab, o), Error);
}

}  // namespace
}  // namespace chord::model

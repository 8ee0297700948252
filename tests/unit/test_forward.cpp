// The forward pass and Context on small synthesized models (in memory, so this also runs under
// ASan/UBSan and in WebAssembly): a prompt evaluated as one batch, in several batches, or token by token
// gives the same logits; threads do not change them; quantized models run; weights repacked in place
// give the same logits; bad input is refused.
// Parity with llama.cpp itself is tests/oracle/engine_parity.test.mjs.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "gguf/writer.h"
#include "kernels/dispatch.h"
#include "model/model.h"
#include "model/synth.h"
#include "runtime/context.h"

namespace chord {
namespace {

std::vector<uint8_t> vocab_bytes() {
    std::vector<std::string> tokens;
    for (int i = 0; i < 300; ++i) tokens.push_back(std::to_string(i));
    gguf::Writer w;
    w.set("general.architecture", gguf::Value::string("llama"));
    w.set("tokenizer.ggml.model", gguf::Value::string("llama"));
    w.set("tokenizer.ggml.tokens", gguf::Value::string_array(tokens));
    return w.write_buffer();
}

std::vector<uint8_t> model_bytes(const std::string& arch, GgmlType type, bool tied = false) {
    const auto vocab = vocab_bytes();
    const gguf::File vf = gguf::File::parse(borrow_bytes(vocab));
    model::SynthOptions o;
    o.arch = arch;
    o.dim = 256, o.n_layers = 2, o.n_heads = 4, o.n_kv_heads = 2, o.ffn = 512, o.n_ctx = 64;
    o.type = type;
    o.tied_output = tied;
    return model::synthesize(vf, o).write_buffer();
}

std::shared_ptr<const model::Model> make_model(const std::string& arch, GgmlType type, bool tied = false) {
    return model::Model::from_file(gguf::File::parse(own_bytes(model_bytes(arch, type, tied))));
}

const std::vector<int32_t> kPrompt = {1, 17, 250, 3, 99, 42, 42, 7, 123, 5};

std::vector<float> last_logits(runtime::Context& ctx, std::span<const int32_t> ids) {
    const auto l = ctx.eval(ids);
    return {l.begin(), l.end()};
}

void expect_close(const std::vector<float>& a, const std::vector<float>& b, float tol) {
    ASSERT_EQ(a.size(), b.size());
    float worst = 0;
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
    EXPECT_LE(worst, tol);
}

TEST(Forward, BatchedAndTokenByTokenAgree) {
    for (const char* arch : {"llama", "qwen2", "qwen3"}) {
        SCOPED_TRACE(arch);
        auto m = make_model(arch, GgmlType::F32);
        runtime::ContextOptions opts;
        opts.threads = 2;
        runtime::Context whole(m, opts);
        const auto a = last_logits(whole, kPrompt);
        ASSERT_EQ(a.size(), 300u);

        opts.n_batch = 3;  // the prompt in batches of 3, 3, 3, 1
        runtime::Context batched(m, opts);
        expect_close(a, last_logits(batched, kPrompt), 1e-4f);

        runtime::Context one(m, opts);
        std::vector<float> b;
        for (int32_t id : kPrompt) b = last_logits(one, std::span<const int32_t>(&id, 1));
        expect_close(a, b, 1e-4f);
        EXPECT_EQ(one.n_past(), kPrompt.size());
    }
}

TEST(Forward, AllPositionsMatchPrefixes) {
    auto m = make_model("llama", GgmlType::F16);
    runtime::Context ctx(m);
    const auto all = ctx.eval(kPrompt, /*all_logits=*/true);
    ASSERT_EQ(all.size(), kPrompt.size() * 300);
    runtime::Context prefix(m);
    const auto l3 = last_logits(prefix, std::span<const int32_t>(kPrompt.data(), 4));
    expect_close(std::vector<float>(all.begin() + 3 * 300, all.begin() + 4 * 300), l3, 1e-4f);
}

TEST(Forward, ThreadsDoNotChangeResults) {
    auto m = make_model("llama", GgmlType::Q4_0);
    runtime::ContextOptions opts;
    opts.threads = 1;
    runtime::Context a(m, opts);
    opts.threads = 3;
    runtime::Context b(m, opts);
    expect_close(last_logits(a, kPrompt), last_logits(b, kPrompt), 0.0f);
}

TEST(Forward, EveryComputableTypeRuns) {
    for (GgmlType t : {GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1,
                       GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K,
                       GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS}) {
        SCOPED_TRACE(type_traits(t).name);
        auto m = make_model("llama", t, /*tied=*/t == GgmlType::Q8_0);
        runtime::Context ctx(m);
        const auto l = last_logits(ctx, kPrompt);
        for (float x : l) ASSERT_TRUE(std::isfinite(x));
    }
}

// Weights repacked in the model's own memory (Model::pack_in_place: SIMD128 Q4_0, Q8_0) give the same
// logits, bit for bit, as the file's layout (borrowed bytes are never repacked), for a prompt and for
// decoding, with the output matrix separate or tied to the embedding (which stays as it is).
TEST(Forward, PackingInPlaceKeepsTheLogits) {
    for (GgmlType type : {GgmlType::Q8_0, GgmlType::Q4_0})
        for (bool tied : {false, true}) {
            SCOPED_TRACE(std::string(type_traits(type).name) + (tied ? " tied" : " separate output"));
            const std::vector<uint8_t> bytes = model_bytes("llama", type, tied);
            const auto plain = model::Model::from_file(gguf::File::parse(borrow_bytes(bytes)));
            auto owned = std::const_pointer_cast<model::Model>(
                model::Model::from_file(gguf::File::parse(own_bytes(bytes))));
            owned->pack_in_place();
            const std::shared_ptr<const model::Model> packed = owned;
            const kernels::MatmulKernel& k = kernels::matmul_kernel(type);
            if (k.repack_in_place) {
                EXPECT_GT(packed->packed_in_place_bytes(), 0u);
                EXPECT_EQ(packed->weights().layers[0].w_up.packed, packed->weights().layers[0].w_up.data);
                EXPECT_EQ(packed->weights().output.packed == packed->weights().output.data, !tied);
            } else {
                EXPECT_EQ(packed->packed_in_place_bytes(), 0u);
            }
            owned->pack_in_place();  // a second call changes nothing
            EXPECT_EQ(plain->packed_in_place_bytes(), 0u);
            runtime::ContextOptions opts;
            opts.threads = 2;
            runtime::Context a(plain, opts), b(packed, opts);
            expect_close(last_logits(a, kPrompt), last_logits(b, kPrompt), 0.0f);
            for (int32_t id : {5, 77, 250}) {
                const std::span<const int32_t> one(&id, 1);
                expect_close(last_logits(a, one), last_logits(b, one), 0.0f);
            }
        }
}

TEST(Forward, TruncateAndClearReuseTheCache) {
    auto m = make_model("llama", GgmlType::F32);
    runtime::Context ctx(m);
    const auto full = last_logits(ctx, kPrompt);
    ctx.truncate(5);
    EXPECT_EQ(ctx.n_past(), 5u);
    const auto again = last_logits(ctx, std::span<const int32_t>(kPrompt.data() + 5, kPrompt.size() - 5));
    expect_close(full, again, 1e-5f);
    ctx.clear();
    expect_close(full, last_logits(ctx, kPrompt), 1e-5f);
}

TEST(Forward, RefusesBadInput) {
    auto m = make_model("llama", GgmlType::F32);
    runtime::ContextOptions opts;
    opts.n_ctx = 8;
    runtime::Context ctx(m, opts);
    EXPECT_THROW(ctx.eval(kPrompt), Error);  // 10 tokens, context of 8
    EXPECT_EQ(ctx.n_past(), 0u);             // nothing changed
    const std::vector<int32_t> bad = {1, 300};
    EXPECT_THROW(ctx.eval(bad), Error);  // id outside the vocabulary
    const std::vector<int32_t> negative = {-1};
    EXPECT_THROW(ctx.eval(negative), Error);
    EXPECT_THROW(ctx.eval({}), Error);
    EXPECT_EQ(ctx.n_past(), 0u);
}

// llama.cpp's reading of the scaling keys: a factor without a type is linear, "none" ignores the factor.
TEST(Forward, RopeScalingKeys) {
    const auto vocab = vocab_bytes();
    const gguf::File vf = gguf::File::parse(borrow_bytes(vocab));
    model::SynthOptions o;
    o.dim = 64, o.n_layers = 1, o.n_heads = 2, o.n_kv_heads = 2, o.ffn = 64;
    const auto freq_scale = [&](const char* type, float factor) {
        gguf::Writer w = model::synthesize(vf, o);
        if (type != nullptr) w.set("llama.rope.scaling.type", gguf::Value::string(type));
        if (factor != 0.0f) w.set("llama.rope.scaling.factor", gguf::Value::scalar<float>(factor));
        auto bytes = w.write_buffer();
        return model::Model::from_file(gguf::File::parse(own_bytes(std::move(bytes))))
            ->hparams()
            .rope_freq_scale;
    };
    EXPECT_EQ(freq_scale(nullptr, 0.0f), 1.0f);
    EXPECT_EQ(freq_scale(nullptr, 4.0f), 0.25f);
    EXPECT_EQ(freq_scale("linear", 2.0f), 0.5f);
    EXPECT_EQ(freq_scale("linear", 0.0f), 1.0f);
    EXPECT_EQ(freq_scale("none", 4.0f), 1.0f);
    EXPECT_THROW(freq_scale("yarn", 4.0f), Error);
    EXPECT_THROW(freq_scale("linear", -2.0f), Error);
}

TEST(Forward, MissingTensorIsNamed) {
    const auto vocab = vocab_bytes();
    const gguf::File vf = gguf::File::parse(borrow_bytes(vocab));
    model::SynthOptions o;
    o.dim = 64, o.n_layers = 1, o.n_heads = 2, o.n_kv_heads = 2, o.ffn = 64;
    gguf::Writer w = model::synthesize(vf, o);
    gguf::Writer pruned;
    for (const auto& kv : w.metadata()) pruned.set(kv.key, kv.value);
    pruned.add_tensor("token_embd.weight", {64, 300}, GgmlType::F32, std::vector<uint8_t>(64 * 300 * 4));
    auto bytes = pruned.write_buffer();
    try {
        (void)model::Model::from_file(gguf::File::parse(own_bytes(std::move(bytes))));
        FAIL() << "loaded a model without its layers";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::Missing);
        EXPECT_NE(std::string(e.what()).find("output_norm.weight"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace chord

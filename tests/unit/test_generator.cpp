// runtime::Generator on a small synthesized model with llama.cpp's real Llama 2 vocabulary (built in
// memory, so this runs under ASan/UBSan and in WebAssembly too): greedy generation equals the argmax of
// Context's logits, max tokens, stop strings split across tokens (held back, then dropped), a callback
// that stops, abort() from another thread, a full context, prompt reuse between runs, seeded
// determinism, and the errors for prompts that cannot run. StopStrings and chat prompts on their own.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "chat/template.h"
#include "core/error.h"
#include "gguf/file.h"
#include "model/synth.h"
#include "runtime/chat_prompt.h"
#include "runtime/generator.h"

namespace chord::runtime {
namespace {

using tokenizer::TokenId;

std::string vocab_path() {
    return std::string(CHORD_TESTDATA_DIR) + "/vocab/ggml-vocab-llama-spm.gguf";
}

struct Fixture {
    std::shared_ptr<const model::Model> model;
    std::unique_ptr<tokenizer::Tokenizer> tokenizer;
};

// One model for the whole binary: synthesizing costs more than the tests.
const Fixture* fixture() {
    static const Fixture* f = []() -> const Fixture* {
        if (!std::ifstream(vocab_path()).good()) return nullptr;
        const gguf::File vocab = gguf::File::open(vocab_path());
        model::SynthOptions o;
        o.dim = 64, o.n_layers = 2, o.n_heads = 4, o.n_kv_heads = 2, o.ffn = 128, o.n_ctx = 512;
        o.seed = 11;
        auto bytes = model::synthesize(vocab, o).write_buffer();
        auto* fx = new Fixture;
        fx->model = model::Model::from_file(gguf::File::parse(own_bytes(std::move(bytes))));
        fx->tokenizer =
            std::make_unique<tokenizer::Tokenizer>(tokenizer::Tokenizer::from_gguf(fx->model->file()));
        return fx;
    }();
    return f;
}

#define REQUIRE_MODEL()                                                                             \
    if (fixture() == nullptr) {                                                                     \
        if (std::getenv("CHORD_REQUIRE_TESTDATA") != nullptr) FAIL() << "missing " << vocab_path(); \
        GTEST_SKIP() << "no " << vocab_path() << " (run tools/fetch-testdata.sh)";                  \
    }                                                                                               \
    const Fixture& fx = *fixture()

ContextOptions small_context(uint32_t n_ctx = 256) {
    ContextOptions o;
    o.n_ctx = n_ctx;
    o.threads = 2;
    return o;
}

sample::Params greedy() {
    sample::Params p;
    p.temperature = 0.0f;
    return p;
}

// Sampler settings under which the model never ends on its own.
sample::Params without_eog(const tokenizer::Tokenizer& tok, sample::Params p) {
    for (TokenId id : tok.vocab().eog) p.logit_bias.push_back({id, -INFINITY});
    return p;
}

struct Collected {
    std::string text;
    std::vector<std::string> pieces;
    Generator::Callback callback() {
        return [this](std::string_view piece) {
            text += piece;
            pieces.emplace_back(piece);
            return true;
        };
    }
};

const char* kPrompt = "Once upon a time, in a land far away";

TEST(Generator, GreedyIsTheArgmaxOfContextLogits) {
    REQUIRE_MODEL();
    Context ctx(fx.model, small_context());
    Generator gen(ctx, *fx.tokenizer, greedy());
    GenerateOptions o;
    o.max_tokens = 24;
    Collected out;
    gen.run(kPrompt, o, out.callback());
    const std::vector<TokenId> got = gen.generated();
    ASSERT_FALSE(got.empty());

    Context ref(fx.model, small_context());
    const std::vector<TokenId> prompt = fx.tokenizer->encode(kPrompt, true, true);
    std::span<const float> logits = ref.eval(prompt);
    for (size_t i = 0; i < got.size(); ++i) {
        const TokenId best = static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) -
                                                  logits.begin());  // first max
        ASSERT_EQ(got[i], best) << "token " << i;
        if (i + 1 < got.size()) logits = ref.eval(std::span<const TokenId>(&best, 1));
    }
}

TEST(Generator, StopsAtMaxTokensWithStatistics) {
    REQUIRE_MODEL();
    Context ctx(fx.model, small_context());
    Generator gen(ctx, *fx.tokenizer, without_eog(*fx.tokenizer, greedy()));
    GenerateOptions o;
    o.max_tokens = 7;
    Collected out;
    const GenerateStats s = gen.run(kPrompt, o, out.callback());
    EXPECT_EQ(s.stop_reason, StopReason::MaxTokens);
    EXPECT_EQ(s.generated_tokens, 7u);
    EXPECT_EQ(s.prompt_tokens, fx.tokenizer->encode(kPrompt, true, true).size());
    EXPECT_EQ(s.prompt_tokens_cached, 0u);
    EXPECT_GT(s.time_to_first_token, 0.0);
    EXPECT_GT(s.generation_tokens_per_second(), 0.0);
    EXPECT_GT(s.prompt_tokens_per_second(), 0.0);
    EXPECT_EQ(ctx.n_past(), s.prompt_tokens + 6);  // the last token is sampled, not evaluated
    std::string pieces;  // streamed text continues the prompt: every piece as it is, spaces included
    for (TokenId id : gen.generated()) pieces += fx.tokenizer->token_to_piece(id);
    EXPECT_EQ(out.text, pieces);
}

TEST(Generator, ZeroMaxTokensOnlyEvaluatesThePrompt) {
    REQUIRE_MODEL();
    Context ctx(fx.model, small_context());
    Generator gen(ctx, *fx.tokenizer, greedy());
    GenerateOptions o;
    o.max_tokens = 0;
    int pieces = 0;
    const GenerateStats s = gen.run(kPrompt, o, [&](std::string_view) { return ++pieces > 0; });
    EXPECT_EQ(s.stop_reason, StopReason::MaxTokens);
    EXPECT_EQ(s.generated_tokens, 0u);
    EXPECT_EQ(pieces, 0);
    EXPECT_EQ(ctx.n_past(), s.prompt_tokens);
}

TEST(Generator, StopStringSplitAcrossTokensIsDroppedAndNeverLeaks) {
    REQUIRE_MODEL();
    Context ctx(fx.model, small_context());
    Generator gen(ctx, *fx.tokenizer, without_eog(*fx.tokenizer, greedy()));
    GenerateOptions o;
    o.max_tokens = 40;
    Collected free_run;
    gen.run(kPrompt, o, free_run.callback());

    // A stop string made of the end of one piece and the start of the next.
    std::string stop;
    for (size_t i = 4; i + 1 < free_run.pieces.size() && stop.empty(); ++i) {
        const std::string& a = free_run.pieces[i];
        const std::string& b = free_run.pieces[i + 1];
        if (a.size() >= 2 && !b.empty() && static_cast<unsigned char>(a.back()) < 0x80 &&
            static_cast<unsigned char>(b.front()) < 0x80)
            stop = a.substr(a.size() - 2) + b.substr(0, 1);
    }
    ASSERT_FALSE(stop.empty()) << "no two ASCII pieces in a row: " << free_run.text;
    const size_t at = free_run.text.find(stop);

    o.stop = {"never appears \x01", stop};
    Collected stopped;
    const GenerateStats s = gen.run(kPrompt, o, stopped.callback());
    EXPECT_EQ(s.stop_reason, StopReason::StopString);
    EXPECT_EQ(stopped.text, free_run.text.substr(0, at));
    for (const std::string& piece : stopped.pieces) EXPECT_EQ(piece.find(stop), std::string::npos);
}

TEST(Generator, CallbackCanStopTheRun) {
    REQUIRE_MODEL();
    Context ctx(fx.model, small_context());
    Generator gen(ctx, *fx.tokenizer, without_eog(*fx.tokenizer, greedy()));
    int calls = 0;
    const GenerateStats s = gen.run(kPrompt, {}, [&](std::string_view) { return ++calls < 3; });
    EXPECT_EQ(s.stop_reason, StopReason::Callback);
    EXPECT_EQ(calls, 3);
}

TEST(Generator, AbortFromAnotherThread) {
    REQUIRE_MODEL();
    Context ctx(fx.model, small_context(512));
    Generator gen(ctx, *fx.tokenizer, without_eog(*fx.tokenizer, greedy()));
    EXPECT_FALSE(gen.abort());  // nothing running

    std::atomic<bool> started{false}, aborted{false};
    std::thread other([&] {
        while (!started.load()) std::this_thread::yield();
        while (!gen.abort()) std::this_thread::yield();
        aborted.store(true);
    });
    int pieces_after_abort = 0;
    const GenerateStats s = gen.run(kPrompt, {}, [&](std::string_view) {
        started.store(true);
        if (aborted.load()) ++pieces_after_abort;
        return true;
    });
    other.join();
    EXPECT_EQ(s.stop_reason, StopReason::Aborted);
    EXPECT_LE(pieces_after_abort, 2);  // the token in flight (and held-back text) at most
    EXPECT_LT(ctx.n_past(), ctx.n_ctx());
    EXPECT_FALSE(gen.abort());  // the run is over: nothing to stop, and the next run is unaffected

    GenerateOptions o;
    o.max_tokens = 3;
    EXPECT_EQ(gen.run(kPrompt, o, [](std::string_view) { return true; }).stop_reason, StopReason::MaxTokens);
}

TEST(Generator, StopsWhenTheContextIsFull) {
    REQUIRE_MODEL();
    Context ctx(fx.model, small_context(32));
    Generator gen(ctx, *fx.tokenizer, without_eog(*fx.tokenizer, greedy()));
    const std::vector<TokenId> prompt = fx.tokenizer->encode(kPrompt, true, true);
    const GenerateStats s = gen.run(prompt, {}, [](std::string_view) { return true; });
    EXPECT_EQ(s.stop_reason, StopReason::ContextFull);
    EXPECT_EQ(ctx.n_past(), 32u);
    EXPECT_EQ(s.generated_tokens, 32 - prompt.size() + 1);
}

TEST(Generator, PromptLongerThanTheContextIsAnError) {
    REQUIRE_MODEL();
    Context ctx(fx.model, small_context(8));
    Generator gen(ctx, *fx.tokenizer);
    try {
        gen.run(kPrompt, {}, [](std::string_view) { return true; });
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
        EXPECT_NE(std::string(e.what()).find("more than the context of 8"), std::string::npos) << e.what();
    }
    EXPECT_EQ(ctx.n_past(), 0u);
    EXPECT_THROW(gen.run(std::vector<TokenId>{}, {}, [](std::string_view) { return true; }), Error);
    EXPECT_THROW(gen.run(std::vector<TokenId>{1, 99999}, {}, [](std::string_view) { return true; }), Error);
    EXPECT_FALSE(gen.abort());  // a refused run leaves the generator idle
}

TEST(Generator, ReusesTheContextsPrefixAndGivesTheSameTokens) {
    REQUIRE_MODEL();
    GenerateOptions o;
    o.max_tokens = 8;
    const auto ignore = [](std::string_view) { return true; };
    Context ctx(fx.model, small_context());
    Generator gen(ctx, *fx.tokenizer, without_eog(*fx.tokenizer, greedy()));
    gen.run(kPrompt, o, ignore);

    // Second turn: the first prompt, what came out, and more.
    std::vector<TokenId> prompt = fx.tokenizer->encode(kPrompt, true, true);
    const size_t first = prompt.size();
    prompt.insert(prompt.end(), gen.generated().begin(), gen.generated().end());
    const std::vector<TokenId> more = fx.tokenizer->encode(" and then", false, false);
    prompt.insert(prompt.end(), more.begin(), more.end());
    const GenerateStats s = gen.run(prompt, o, ignore);
    EXPECT_EQ(s.prompt_tokens_cached, first + 7);  // all but the last generated token were evaluated
    const std::vector<TokenId> reused = gen.generated();

    Context fresh_ctx(fx.model, small_context());
    Generator fresh(fresh_ctx, *fx.tokenizer, without_eog(*fx.tokenizer, greedy()));
    fresh.run(prompt, o, ignore);
    EXPECT_EQ(reused, fresh.generated());
}

TEST(Generator, SameSeedSameText) {
    REQUIRE_MODEL();
    const auto text = [&](uint32_t seed) {
        sample::Params p;
        p.seed = seed;
        p.temperature = 1.0f;
        Context ctx(fx.model, small_context());
        Generator gen(ctx, *fx.tokenizer, without_eog(*fx.tokenizer, p));
        GenerateOptions o;
        o.max_tokens = 32;
        Collected out;
        gen.run(kPrompt, o, out.callback());
        return out.text;
    };
    EXPECT_EQ(text(1234), text(1234));
    EXPECT_NE(text(1234), text(4321));
}

TEST(StopStrings, HoldsBackPossibleStartsAndReleasesThemWhenTheyFail) {
    StopStrings s({"</answer>", "STOP"});
    std::string out;
    EXPECT_FALSE(s.feed("Hello </ans", out));
    EXPECT_EQ(out, "Hello ");
    EXPECT_FALSE(s.feed("wer is no", out));  // "</answer is" is not the stop string: released
    EXPECT_EQ(out, "Hello </answer is no");
    EXPECT_FALSE(s.feed("t ST", out));
    EXPECT_EQ(out, "Hello </answer is not ");
    EXPECT_TRUE(s.feed("OP and more", out));
    EXPECT_EQ(out, "Hello </answer is not ");
}

TEST(StopStrings, EarliestMatchWinsAndFlushReleasesTheRest) {
    StopStrings s({"bc", "abcd"});
    std::string out;
    EXPECT_TRUE(s.feed("xabcd", out));
    EXPECT_EQ(out, "x");  // "abcd" begins before "bc"
    StopStrings t({"zz"});
    out.clear();
    EXPECT_FALSE(t.feed("abz", out));
    EXPECT_EQ(out, "ab");
    t.flush(out);
    EXPECT_EQ(out, "abz");
    StopStrings none;
    out.clear();
    EXPECT_FALSE(none.feed("anything", out));
    EXPECT_EQ(out, "anything");
}

TEST(ChatPrompt, OneBosWhetherOrNotTheTemplateWritesIt) {
    REQUIRE_MODEL();
    const auto tmpl = chat::Template::from_gguf(fx.model->file(), "llama2");  // writes bos_token itself
    const std::vector<chat::Message> messages = {{"user", "Hi there"}};
    const std::string text = tmpl.apply(messages);
    ASSERT_EQ(text.rfind("<s>", 0), 0u) << text;
    const std::vector<TokenId> ids = chat_prompt(*fx.tokenizer, tmpl, messages);
    ASSERT_GE(ids.size(), 2u);
    EXPECT_EQ(ids[0], fx.tokenizer->bos());
    EXPECT_NE(ids[1], fx.tokenizer->bos());
    const auto chatml = chat::Template::builtin("chatml");  // does not
    const std::vector<TokenId> ids2 = chat_prompt(*fx.tokenizer, chatml, messages);
    EXPECT_EQ(ids2[0], fx.tokenizer->bos());
    EXPECT_NE(ids2[1], fx.tokenizer->bos());
}

}  // namespace
}  // namespace chord::runtime

// The C ABI through chord.h alone (no C++ type of the library is visible here): status codes and
// thread-local messages for missing files, bad GGUFs, NULLs and small buffers; loading from a path and
// from memory; tokenize / detokenize; eval + sample; generate with a callback (stop strings, max
// tokens, a callback that stops, abort from another thread, a busy context); chat through templates.
#include <gtest/gtest.h>

#include <chord/chord.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

// From capi_fixture.cpp ("" when the test vocabulary is absent).
std::string capi_fixture_model_path();
std::string capi_fixture_vocab_path();

namespace {

#define REQUIRE_MODEL()                                                                                \
    const std::string model_path = capi_fixture_model_path();                                          \
    if (model_path.empty()) {                                                                          \
        if (std::getenv("CHORD_REQUIRE_TESTDATA") != nullptr) FAIL() << "missing the test vocabulary"; \
        GTEST_SKIP() << "no test vocabulary (run tools/fetch-testdata.sh)";                            \
    }

std::string last_error() {
    return chord_last_error();
}

std::vector<char> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Handles {
    chord_model* model = nullptr;
    chord_context* ctx = nullptr;
    ~Handles() {
        chord_context_free(ctx);
        chord_model_free(model);
    }
};

void open(Handles& h, const std::string& path, uint32_t n_ctx = 256) {
    ASSERT_EQ(chord_model_load(path.c_str(), &h.model), CHORD_OK) << last_error();
    chord_context_params p;
    ASSERT_EQ(chord_context_default_params(&p), CHORD_OK);
    p.n_ctx = n_ctx;
    p.n_threads = 2;
    ASSERT_EQ(chord_context_create(h.model, &p, &h.ctx), CHORD_OK) << last_error();
}

struct Text {
    std::string all;
    int pieces = 0;
    int stop_after = -1;  // return 0 after this many pieces
};

int32_t collect(const char* piece, size_t length, void* user) {
    auto* t = static_cast<Text*>(user);
    EXPECT_EQ(piece[length], '\0');
    t->all.append(piece, length);
    ++t->pieces;
    return t->stop_after < 0 || t->pieces < t->stop_after ? 1 : 0;
}

chord_generate_params greedy(int32_t max_tokens) {
    chord_generate_params g;
    chord_generate_default_params(&g);
    g.sampler.temperature = 0.0f;
    g.max_tokens = max_tokens;
    return g;
}

TEST(CApi, VersionAndStatusNames) {
    EXPECT_EQ(chord_abi_version(), static_cast<uint32_t>(CHORD_ABI_VERSION));
    EXPECT_STREQ(chord_status_name(CHORD_ERROR_IO), "CHORD_ERROR_IO");
    EXPECT_STREQ(chord_status_name(12345), "CHORD_ERROR_UNKNOWN");
}

TEST(CApi, MissingFileGivesIoAndAMessage) {
    chord_model* m = nullptr;
    EXPECT_EQ(chord_model_load("/nonexistent/dir/model.gguf", &m), CHORD_ERROR_IO);
    EXPECT_EQ(m, nullptr);
    EXPECT_NE(last_error().find("chord_model_load"), std::string::npos) << last_error();
    EXPECT_NE(last_error().find("/nonexistent/dir/model.gguf"), std::string::npos) << last_error();
    EXPECT_EQ(last_error().find('\n'), std::string::npos);  // one line
}

TEST(CApi, BadGgufGivesFormatFromFileAndFromMemory) {
    const std::string path = ::testing::TempDir() + "chord_capi_not_a_model.gguf";
    {
        std::ofstream out(path, std::ios::binary);
        out << "this is not a GGUF file at all, just some text long enough to be read";
    }
    chord_model* m = nullptr;
    EXPECT_EQ(chord_model_load(path.c_str(), &m), CHORD_ERROR_FORMAT);
    EXPECT_FALSE(last_error().empty());
    std::remove(path.c_str());

    const char junk[] = "GGUF\x03\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff";
    EXPECT_EQ(chord_model_load_from_memory(junk, sizeof junk, CHORD_MEMORY_COPY, &m), CHORD_ERROR_FORMAT);
    EXPECT_FALSE(last_error().empty());
    void* taken = std::malloc(sizeof junk);  // freed by the library even though loading fails (ASan checks)
    std::memcpy(taken, junk, sizeof junk);
    EXPECT_EQ(chord_model_load_from_memory(taken, sizeof junk, CHORD_MEMORY_TAKE, &m), CHORD_ERROR_FORMAT);
    EXPECT_EQ(m, nullptr);
}

TEST(CApi, VocabularyOnlyFileIsRefusedWithAMessage) {
    const std::string vocab = capi_fixture_vocab_path();
    if (vocab.empty()) GTEST_SKIP() << "no test vocabulary";
    chord_model* m = nullptr;
    const chord_status s = chord_model_load(vocab.c_str(), &m);
    EXPECT_NE(s, CHORD_OK);
    EXPECT_NE(last_error().find("chord_model_load: "), std::string::npos) << last_error();
}

TEST(CApi, NullsAreInvalidArguments) {
    chord_model* m = nullptr;
    EXPECT_EQ(chord_model_load(nullptr, &m), CHORD_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("path is NULL"), std::string::npos) << last_error();
    EXPECT_EQ(chord_model_load("x", nullptr), CHORD_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(chord_tokenize(nullptr, "a", 1, 1, 0, nullptr, 0, nullptr), CHORD_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(chord_generate(nullptr, "a", 1, nullptr, nullptr, nullptr, nullptr),
              CHORD_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(chord_abort(nullptr), CHORD_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(chord_model_pack_in_place(nullptr), CHORD_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(chord_model_free(nullptr), CHORD_OK);
    EXPECT_EQ(chord_context_free(nullptr), CHORD_OK);
    EXPECT_EQ(chord_sampler_free(nullptr), CHORD_OK);
}

TEST(CApi, LastErrorIsPerThreadAndResetBySuccess) {
    chord_model* m = nullptr;
    ASSERT_NE(chord_model_load("/nonexistent.gguf", &m), CHORD_OK);
    std::string other;
    std::thread([&] { other = chord_last_error(); }).join();
    EXPECT_EQ(other, "");
    EXPECT_FALSE(last_error().empty());
    chord_context_params p;
    EXPECT_EQ(chord_context_default_params(&p), CHORD_OK);
    EXPECT_EQ(last_error(), "");
}

TEST(CApi, LoadsFromPathAndMemoryAndTokenizes) {
    REQUIRE_MODEL();
    Handles h;
    open(h, model_path);
    chord_model_info info;
    ASSERT_EQ(chord_model_get_info(h.model, &info), CHORD_OK);
    EXPECT_EQ(info.n_vocab, 32000u);
    EXPECT_STREQ(info.architecture, "llama");
    EXPECT_EQ(info.bos, 1);
    EXPECT_EQ(info.add_bos, 1);
    int32_t eog = 0;
    ASSERT_EQ(chord_model_is_eog(h.model, info.eos, &eog), CHORD_OK);
    EXPECT_EQ(eog, 1);

    const char* text = "Hello world";
    size_t n = 0;
    EXPECT_EQ(chord_tokenize(h.model, text, std::strlen(text), 1, 0, nullptr, 0, &n),
              CHORD_ERROR_BUFFER_TOO_SMALL);
    EXPECT_EQ(n, 3u);  // BOS, " Hello", " world"
    std::vector<int32_t> ids(n);
    ASSERT_EQ(chord_tokenize(h.model, text, std::strlen(text), 1, 0, ids.data(), ids.size(), &n), CHORD_OK);
    EXPECT_EQ(ids, (std::vector<int32_t>{1, 15043, 3186}));
    char buf[64];
    size_t len = 0;
    EXPECT_EQ(chord_detokenize(h.model, ids.data() + 1, 2, 0, 0, buf, 4, &len), CHORD_ERROR_BUFFER_TOO_SMALL);
    EXPECT_EQ(len, 11u);
    ASSERT_EQ(chord_detokenize(h.model, ids.data() + 1, 2, 0, 0, buf, sizeof buf, &len), CHORD_OK);
    EXPECT_STREQ(buf, "Hello world");  // the leading space goes at the start of a text
    ASSERT_EQ(chord_detokenize(h.model, ids.data(), 3, 0, 1, buf, sizeof buf, &len), CHORD_OK);
    EXPECT_STREQ(buf, "<s> Hello world");  // and stays after a BOS, as in llama.cpp
    ASSERT_EQ(chord_token_to_piece(h.model, 15043, 0, buf, sizeof buf, &len), CHORD_OK);
    EXPECT_STREQ(buf, " Hello");
    EXPECT_EQ(chord_token_to_piece(h.model, 99999, 0, buf, sizeof buf, &len), CHORD_ERROR_INVALID_ARGUMENT);

    const std::vector<char> bytes = read_bytes(model_path);
    for (int32_t mode : {CHORD_MEMORY_COPY, CHORD_MEMORY_BORROW, CHORD_MEMORY_TAKE}) {
        void* data = const_cast<char*>(bytes.data());
        if (mode == CHORD_MEMORY_TAKE) {
            data = std::malloc(bytes.size());
            std::memcpy(data, bytes.data(), bytes.size());
        }
        chord_model* m = nullptr;
        ASSERT_EQ(chord_model_load_from_memory(data, bytes.size(), mode, &m), CHORD_OK) << last_error();
        chord_model_info mi;
        ASSERT_EQ(chord_model_get_info(m, &mi), CHORD_OK);
        EXPECT_EQ(mi.n_vocab, 32000u);
        EXPECT_EQ(chord_model_pack_in_place(m), CHORD_OK);  // F32 weights: nothing to do, in any mode
        chord_model_free(m);
    }
    chord_model* m = nullptr;
    EXPECT_EQ(chord_model_load_from_memory(bytes.data(), bytes.size(), 7, &m), CHORD_ERROR_INVALID_ARGUMENT);
}

TEST(CApi, EvalAndGreedySampleAgreeWithGenerate) {
    REQUIRE_MODEL();
    Handles h;
    open(h, model_path);
    int32_t prompt[] = {1, 15043, 3186};
    const float* logits = nullptr;
    size_t n_logits = 0;
    ASSERT_EQ(chord_context_eval(h.ctx, prompt, 3, &logits, &n_logits), CHORD_OK) << last_error();
    ASSERT_EQ(n_logits, 32000u);
    chord_sampler_params sp;
    chord_sampler_default_params(&sp);
    sp.temperature = 0.0f;
    chord_sampler* s = nullptr;
    ASSERT_EQ(chord_sampler_create(h.model, &sp, &s), CHORD_OK);
    int32_t token = -1;
    ASSERT_EQ(chord_sampler_sample(s, logits, n_logits, &token), CHORD_OK);
    EXPECT_EQ(chord_sampler_accept(s, token), CHORD_OK);
    EXPECT_EQ(chord_sampler_sample(s, logits, 10, &token), CHORD_ERROR_INVALID_ARGUMENT);
    chord_sampler_free(s);
    uint32_t n_past = 0, n_ctx = 0;
    ASSERT_EQ(chord_context_n_past(h.ctx, &n_past, &n_ctx), CHORD_OK);
    EXPECT_EQ(n_past, 3u);
    EXPECT_EQ(n_ctx, 256u);

    chord_generate_params g = greedy(1);
    Text out;
    chord_stats st;
    ASSERT_EQ(chord_generate_tokens(h.ctx, prompt, 3, &g, collect, &out, &st), CHORD_OK) << last_error();
    EXPECT_EQ(st.prompt_tokens_cached, 2u);  // the context held the prompt already
    char piece[64];
    size_t len = 0;
    ASSERT_EQ(chord_token_to_piece(h.model, token, 0, piece, sizeof piece, &len), CHORD_OK);
    EXPECT_EQ(out.all, std::string(piece, len));
}

TEST(CApi, GenerateStreamsStopsAndRepeatsWithASeed) {
    REQUIRE_MODEL();
    Handles h;
    open(h, model_path);
    chord_generate_params g;
    chord_generate_default_params(&g);
    g.sampler.seed = 99;
    g.max_tokens = 16;
    Text a, b;
    chord_stats st;
    ASSERT_EQ(chord_generate(h.ctx, "Once upon a time", 16, &g, collect, &a, &st), CHORD_OK) << last_error();
    ASSERT_EQ(chord_generate(h.ctx, "Once upon a time", 16, &g, collect, &b, nullptr), CHORD_OK);
    EXPECT_EQ(a.all, b.all);
    EXPECT_GT(st.generated_tokens, 0u);
    EXPECT_TRUE(st.stop_reason == CHORD_STOP_MAX_TOKENS || st.stop_reason == CHORD_STOP_EOG);
    chord_stats again;
    ASSERT_EQ(chord_context_stats(h.ctx, &again), CHORD_OK);
    EXPECT_EQ(again.generated_tokens, b.pieces > 0 ? again.generated_tokens : 0u);

    if (a.all.size() > 4) {  // a stop string from the middle of the text
        const std::string stop = a.all.substr(a.all.size() / 2, 2);
        const char* stops[] = {stop.c_str()};
        g.stop = stops;
        g.n_stop = 1;
        Text c;
        ASSERT_EQ(chord_generate(h.ctx, "Once upon a time", 16, &g, collect, &c, &st), CHORD_OK);
        EXPECT_EQ(st.stop_reason, CHORD_STOP_STRING);
        EXPECT_EQ(c.all, a.all.substr(0, a.all.find(stop)));
        g.stop = nullptr;
        g.n_stop = 0;
    }

    Text d;
    d.stop_after = 1;
    ASSERT_EQ(chord_generate(h.ctx, "Once upon a time", 16, &g, collect, &d, &st), CHORD_OK);
    EXPECT_EQ(st.stop_reason, CHORD_STOP_CALLBACK);
    EXPECT_EQ(d.pieces, 1);
}

TEST(CApi, PromptLongerThanTheContextIsAnInvalidArgument) {
    REQUIRE_MODEL();
    Handles h;
    open(h, model_path, 4);
    chord_generate_params g = greedy(4);
    EXPECT_EQ(chord_generate(h.ctx, "a prompt that is far too long", 29, &g, collect, nullptr, nullptr),
              CHORD_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("more than the context of 4"), std::string::npos) << last_error();
}

TEST(CApi, BadSamplerParametersAreRefused) {
    REQUIRE_MODEL();
    Handles h;
    open(h, model_path);
    chord_generate_params g = greedy(4);
    g.sampler.repeat_penalty = 0.0f;
    EXPECT_EQ(chord_generate(h.ctx, "Hi", 2, &g, nullptr, nullptr, nullptr), CHORD_ERROR_INVALID_ARGUMENT);
    g = greedy(4);
    chord_logit_bias bias = {40000, 1.0f};
    g.sampler.logit_bias = &bias;
    g.sampler.n_logit_bias = 1;
    EXPECT_EQ(chord_generate(h.ctx, "Hi", 2, &g, nullptr, nullptr, nullptr), CHORD_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("40000"), std::string::npos) << last_error();
}

struct Reentrant {
    chord_context* ctx;
    chord_status inner = CHORD_OK;
};

int32_t call_again(const char*, size_t, void* user) {
    auto* r = static_cast<Reentrant*>(user);
    r->inner = chord_generate(r->ctx, "x", 1, nullptr, nullptr, nullptr, nullptr);
    return 0;
}

TEST(CApi, AContextInUseIsBusy) {
    REQUIRE_MODEL();
    Handles h;
    open(h, model_path);
    chord_generate_params g = greedy(4);
    Reentrant r{h.ctx};
    ASSERT_EQ(chord_generate(h.ctx, "Hello", 5, &g, call_again, &r, nullptr), CHORD_OK) << last_error();
    EXPECT_EQ(r.inner, CHORD_ERROR_BUSY);
}

struct Aborter {
    chord_context* ctx;
    std::atomic<int> pieces{0};
};

int32_t count_piece(const char*, size_t, void* user) {
    static_cast<Aborter*>(user)->pieces.fetch_add(1);
    return 1;
}

TEST(CApi, AbortFromAnotherThread) {
    REQUIRE_MODEL();
    Handles h;
    open(h, model_path, 512);
    chord_generate_params g = greedy(-1);
    chord_model_info info;
    chord_model_get_info(h.model, &info);
    chord_logit_bias no_eos = {info.eos, -INFINITY};  // run until stopped
    g.sampler.logit_bias = &no_eos;
    g.sampler.n_logit_bias = 1;
    Aborter a{h.ctx};
    std::thread other([&] {
        while (a.pieces.load() < 2) std::this_thread::yield();
        chord_abort(a.ctx);
    });
    chord_stats st;
    ASSERT_EQ(chord_generate(h.ctx, "Once upon a time", 16, &g, count_piece, &a, &st), CHORD_OK);
    other.join();
    EXPECT_EQ(st.stop_reason, CHORD_STOP_ABORTED);
    EXPECT_LT(st.generated_tokens, 400u);
}

TEST(CApi, ChatThroughTemplates) {
    REQUIRE_MODEL();
    Handles h;
    open(h, model_path);
    const chord_message messages[] = {{"system", "Be brief."}, {"user", "Hi!"}};
    char text[512];
    size_t len = 0;
    ASSERT_EQ(chord_chat_apply_template(h.model, "chatml", messages, 2, 1, text, sizeof text, &len), CHORD_OK)
        << last_error();
    EXPECT_STREQ(text,
                 "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                 "<|im_start|>assistant\n");
    const char* custom = "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}";
    ASSERT_EQ(chord_chat_apply_template(h.model, custom, messages, 2, 0, text, sizeof text, &len), CHORD_OK);
    EXPECT_STREQ(text, "[system] Be brief.\n[user] Hi!\n");
    EXPECT_NE(chord_chat_apply_template(h.model, "{% for %}", messages, 2, 1, text, sizeof text, &len),
              CHORD_OK);
    EXPECT_NE(last_error().find("chat template:1:"), std::string::npos) << last_error();  // names the line

    chord_generate_params g = greedy(8);
    Text out;
    chord_stats st;
    ASSERT_EQ(chord_chat(h.ctx, nullptr, messages, 2, &g, collect, &out, &st), CHORD_OK) << last_error();
    EXPECT_GT(st.prompt_tokens, 5u);
    EXPECT_GT(st.generated_tokens, 0u);
    // The next turn re-sends the conversation: only the new part is evaluated.
    const std::string answer = out.all;
    const chord_message turn2[] = {
        messages[0], messages[1], {"assistant", answer.c_str()}, {"user", "More?"}};
    ASSERT_EQ(chord_chat(h.ctx, nullptr, turn2, 4, &g, collect, &out, &st), CHORD_OK) << last_error();
    EXPECT_GT(st.prompt_tokens_cached, 5u);
    const chord_message bad[] = {{"user", nullptr}};
    EXPECT_EQ(chord_chat(h.ctx, nullptr, bad, 1, &g, collect, &out, &st), CHORD_ERROR_INVALID_ARGUMENT);
}

}  // namespace

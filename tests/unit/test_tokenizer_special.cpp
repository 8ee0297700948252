// Special tokens and metadata: ids and add_bos/add_eos flags as llama.cpp reads them, special-token
// text parsed only when asked (with Phi-3's right-stripping and SentencePiece's space after a special
// token), end-of-generation tokens, and clear errors for what wasm-chord does not implement. Expected
// ids are llama.cpp's answers (tests/oracle). Small hand-made vocabularies check SentencePiece's merge
// order and byte fallback.
#include <gtest/gtest.h>

#include "core/error.h"
#include "gguf/writer.h"
#include "tokenizer_testdata.h"

namespace chord::tokenizer {
namespace {

using Ids = std::vector<TokenId>;

#define REQUIRE_VOCAB(name)                                                                 \
    if (!testdata::file_exists(testdata::vocab_path(name))) GTEST_SKIP() << "no test data"; \
    const Tokenizer tok = testdata::load_tokenizer(name)

TEST(Special, ParsedOnlyWhenAsked) {
    REQUIRE_VOCAB("qwen2");
    const std::string chat = "<|im_start|>user\nHi<|im_end|>";
    EXPECT_EQ(tok.encode(chat, false, true), (Ids{151644, 872, 198, 13048, 151645}));
    const Ids plain = tok.encode(chat, false, false);
    EXPECT_EQ(plain.front(), 27);  // "<"
    EXPECT_EQ(std::count(plain.begin(), plain.end(), 151644), 0);
}

TEST(Special, Phi3StripsWhiteSpaceAfterSpecialTokens) {
    REQUIRE_VOCAB("phi-3");
    EXPECT_EQ(tok.encode("<|user|>\nHello<|end|>\n<|assistant|>", false, true),
              (Ids{32010, 15043, 32007, 32001}));
    EXPECT_EQ(tok.encode("<s>Hello</s> world", true, true), (Ids{1, 1, 15043, 2, 3186}));
}

TEST(Special, SentencePieceSpaceAfterSpecialTokens) {
    REQUIRE_VOCAB("llama-spm");
    EXPECT_EQ(tok.encode("<s>Hello</s> world", true, true), (Ids{1, 1, 15043, 2, 29871, 3186}));
    EXPECT_EQ(tok.encode("Hello world"), (Ids{1, 15043, 3186}));
    EXPECT_EQ(tok.encode(""), (Ids{1}));
    EXPECT_EQ(tok.encode("", false), Ids{});
}

TEST(Special, Llama3) {
    REQUIRE_VOCAB("llama-bpe");
    EXPECT_EQ(tok.encode("<|begin_of_text|>Hi", true, true), (Ids{128000, 128000, 13347}));
    EXPECT_EQ(tok.bos(), 128000);
    EXPECT_EQ(tok.eos(), 128001);
    EXPECT_EQ(tok.eot(), 128009);
    EXPECT_TRUE(tok.add_bos());
    EXPECT_FALSE(tok.add_eos());
    EXPECT_TRUE(tok.is_eog(128009));
    EXPECT_TRUE(tok.is_eog(128001));
    EXPECT_FALSE(tok.is_eog(13347));
    EXPECT_EQ(tok.special().newline, 198);
}

TEST(Special, IdsAndFlagsFromMetadata) {
    {
        REQUIRE_VOCAB("llama-spm");
        EXPECT_EQ(tok.type(), VocabType::Spm);
        EXPECT_EQ(tok.bos(), 1);
        EXPECT_EQ(tok.eos(), 2);
        EXPECT_EQ(tok.eot(), kNoToken);
        EXPECT_EQ(tok.special().unk, 0);
        EXPECT_EQ(tok.special().newline, 13);
        EXPECT_TRUE(tok.add_bos());
        EXPECT_TRUE(tok.add_space_prefix());
        EXPECT_TRUE(tok.is_control(1));
    }
    {
        REQUIRE_VOCAB("qwen2");
        EXPECT_EQ(tok.type(), VocabType::Bpe);
        EXPECT_EQ(tok.pre_name(), "qwen2");
        EXPECT_EQ(tok.bos(), 151643);
        EXPECT_EQ(tok.eot(), 151645);  // <|im_end|>, found by its text
        EXPECT_FALSE(tok.add_bos());
        EXPECT_TRUE(tok.is_eog(151643));
        EXPECT_TRUE(tok.is_eog(151645));
    }
    {
        REQUIRE_VOCAB("phi-3");
        EXPECT_EQ(tok.eos(), 32000);
        EXPECT_EQ(tok.eot(), 32007);  // <|end|>
        EXPECT_TRUE(tok.is_eog(32007));
    }
}

// A small SentencePiece vocabulary: merges follow scores; characters without a token fall back to
// byte tokens, or to <unk> when there is no byte token either.
std::vector<uint8_t> tiny_spm() {
    gguf::Writer w;
    w.set("tokenizer.ggml.model", gguf::Value::string("llama"));
    w.set("tokenizer.ggml.tokens",
          gguf::Value::string_array({"<unk>", "<s>", "</s>", "\xE2\x96\x81", "a", "b", "ab",
                                     "\xE2\x96\x81"
                                     "ab",
                                     "ba", "<0x63>", "<0x0A>"}));
    w.set("tokenizer.ggml.scores",
          gguf::Value::array(std::vector<float>{0, 0, 0, -5, -1, -1, -2, -3, -1.5f, 0, 0}));
    w.set("tokenizer.ggml.token_type",
          gguf::Value::array(std::vector<int32_t>{2, 3, 3, 1, 1, 1, 1, 1, 1, 6, 6}));
    return w.write_buffer();
}

TEST(Spm, MergesByScoreAndFallsBackToBytes) {
    const auto bytes = tiny_spm();
    const Tokenizer tok = Tokenizer::from_gguf(gguf::File::parse(borrow_bytes(bytes)));
    // "▁aba": "ba" (-1.5) beats "ab" (-2), so a + ba; "▁a" is no token.
    EXPECT_EQ(tok.encode("aba", false), (Ids{3, 4, 8}));
    EXPECT_EQ(tok.encode("ab c\nd", false), (Ids{7, 3, 9, 10, 0}));  // ▁ab ▁ <0x63> <0x0A> <unk>
    EXPECT_EQ(tok.decode(tok.encode("ab c\n", true)), " ab c\n");
    EXPECT_EQ(tok.decode(tok.encode("ab c\n", false)), "ab c\n");
}

std::vector<uint8_t> bpe_vocab(const std::string& pre, bool with_merges) {
    gguf::Writer w;
    w.set("tokenizer.ggml.model", gguf::Value::string("gpt2"));
    w.set("tokenizer.ggml.pre", gguf::Value::string(pre));
    w.set("tokenizer.ggml.tokens", gguf::Value::string_array({"a", "b", "ab"}));
    if (with_merges) w.set("tokenizer.ggml.merges", gguf::Value::string_array({"a b"}));
    return w.write_buffer();
}

Error load_error(const std::vector<uint8_t>& bytes) {
    try {
        Tokenizer::from_gguf(gguf::File::parse(borrow_bytes(bytes)));
    } catch (const Error& e) {
        return e;
    }
    return Error(ErrorCode::Io, "loaded");
}

TEST(Errors, NameWhatIsMissingOrUnsupported) {
    const Error pre = load_error(bpe_vocab("my-new-pre", true));
    EXPECT_EQ(pre.code(), ErrorCode::Unsupported);
    EXPECT_NE(std::string(pre.what()).find("'my-new-pre'"), std::string::npos) << pre.what();

    const Error merges = load_error(bpe_vocab("gpt-2", false));
    EXPECT_NE(std::string(merges.what()).find("tokenizer.ggml.merges"), std::string::npos) << merges.what();

    gguf::Writer w;
    w.set("tokenizer.ggml.model", gguf::Value::string("rwkv"));
    const Error model = load_error(w.write_buffer());
    EXPECT_EQ(model.code(), ErrorCode::Unsupported);
    EXPECT_NE(std::string(model.what()).find("'rwkv'"), std::string::npos) << model.what();

    gguf::Writer none;
    const Error missing = load_error(none.write_buffer());
    EXPECT_NE(std::string(missing.what()).find("tokenizer.ggml.model"), std::string::npos) << missing.what();

    gguf::Writer short_scores;
    short_scores.set("tokenizer.ggml.model", gguf::Value::string("llama"));
    short_scores.set("tokenizer.ggml.tokens", gguf::Value::string_array({"a", "b"}));
    short_scores.set("tokenizer.ggml.scores", gguf::Value::array(std::vector<float>{0}));
    const Error scores = load_error(short_scores.write_buffer());
    EXPECT_EQ(scores.code(), ErrorCode::Format);
}

TEST(Bpe, TinyVocabularyMerges) {
    const auto bytes = bpe_vocab("gpt-2", true);
    const Tokenizer tok = Tokenizer::from_gguf(gguf::File::parse(borrow_bytes(bytes)));
    EXPECT_EQ(tok.encode("abab", false), (Ids{2, 2}));
    EXPECT_EQ(tok.encode("ba", false), (Ids{1, 0}));
    EXPECT_EQ(tok.encode("a c", false), (Ids{0}));  // no tokens for " " and "c": dropped, as in llama.cpp
    EXPECT_EQ(tok.decode(Ids{2, 0}), "aba");
}

}  // namespace
}  // namespace chord::tokenizer

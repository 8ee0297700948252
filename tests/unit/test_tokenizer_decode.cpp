// Decoding: pieces and llama_detokenize's rules (checked against llama.cpp's answers), decode(encode(s))
// round trips on llama.cpp's test strings for every claimed vocabulary, and the streaming decoder:
// it never hands out an incomplete UTF-8 character and, for a whole text, adds up to decode().
#include <gtest/gtest.h>

#include <random>

#include "core/error.h"
#include "tokenizer/clean_spaces.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/unicode.h"
#include "tokenizer_testdata.h"

namespace chord::tokenizer {
namespace {

#define REQUIRE_VOCAB(name)                                                                 \
    if (!testdata::file_exists(testdata::vocab_path(name))) GTEST_SKIP() << "no test data"; \
    const Tokenizer tok = testdata::load_tokenizer(name)

// Streams ids through a decoder; returns the whole output, checking that no chunk boundary falls
// inside a well-formed UTF-8 character of it.
std::string stream(const Tokenizer& tok, const std::vector<TokenId>& ids, StreamDecoder::Options options) {
    StreamDecoder decoder(tok, options);
    std::string all;
    std::vector<size_t> cuts;
    for (const TokenId id : ids) {
        all += decoder.push(id);
        cuts.push_back(all.size());
    }
    all += decoder.finish();
    for (size_t pos = 0; pos < all.size();) {
        const size_t start = pos;
        utf8_decode(all, pos);
        for (const size_t cut : cuts)
            EXPECT_FALSE(cut > start && cut < pos) << "a chunk ends inside a character";
    }
    return all;
}

// What a stream of a whole text must add up to: decode(), with an unfinished last character as U+FFFD.
std::string expected_stream(const Tokenizer& tok, const std::vector<TokenId>& ids, bool special) {
    std::string text = tok.decode(ids, false, special);
    const size_t complete = utf8_complete_prefix(text);
    if (complete < text.size()) {
        text.resize(complete);
        text += "\xEF\xBF\xBD";
    }
    return text;
}

TEST(Decode, PiecesAndLeadingSpaceLikeLlamaCpp) {
    REQUIRE_VOCAB("llama-spm");
    EXPECT_EQ(tok.token_to_piece(1), "");
    EXPECT_EQ(tok.token_to_piece(1, true), "<s>");
    EXPECT_EQ(tok.token_to_piece(13), "\n");  // <0x0A>
    EXPECT_EQ(tok.token_to_piece(15043), " Hello");
    // llama.cpp keeps the leading space after a BOS, and drops it at the very start.
    EXPECT_EQ(tok.decode(std::vector<TokenId>{1, 15043, 3186}), " Hello world");
    EXPECT_EQ(tok.decode(std::vector<TokenId>{15043, 3186}), "Hello world");
    EXPECT_EQ(tok.decode(std::vector<TokenId>{1, 15043, 3186}, false, true), "<s> Hello world");
    EXPECT_THROW(tok.token_to_piece(32000), Error);
    EXPECT_THROW(tok.decode(std::vector<TokenId>{-1}), Error);
}

TEST(Decode, ByteLevelPieces) {
    REQUIRE_VOCAB("gpt-2");
    const auto ids = tok.encode(" world", false);
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_EQ(tok.token_to_piece(ids[0]), " world");
    EXPECT_EQ(tok.decode(tok.encode("Hello , world !", false)),
              "Hello, world!");  // clean_up_tokenization_spaces
}

class PerVocab : public testing::TestWithParam<std::string> {};

TEST_P(PerVocab, RoundTripsGoldenStrings) {
    REQUIRE_VOCAB(GetParam());
    auto cases = testdata::read_golden(GetParam());
    cases.push_back({"Grüße 世界 🦙 ﬁne\n\n\tend", {}});
    for (const auto& c : cases) {
        // llama.cpp's decode(encode(s)) is s, or s cleaned where the vocabulary cleans spaces.
        const std::string want = tok.vocab().clean_spaces ? clean_up_spaces(c.text) : c.text;
        EXPECT_EQ(tok.decode(tok.encode(c.text, false)), want);
    }
}

TEST_P(PerVocab, StreamingAddsUpToDecode) {
    REQUIRE_VOCAB(GetParam());
    for (const auto& c : testdata::read_golden(GetParam())) {
        const auto ids = tok.encode(c.text, true);
        EXPECT_EQ(stream(tok, ids, {false, true}), expected_stream(tok, ids, false)) << c.text;
        EXPECT_EQ(stream(tok, ids, {true, true}), expected_stream(tok, ids, true)) << c.text;
        std::string pieces;
        for (const TokenId id : ids) pieces += tok.token_to_piece(id);
        EXPECT_EQ(stream(tok, ids, {false, false}), pieces) << c.text;
    }
}

TEST_P(PerVocab, StreamingRandomTokens) {
    REQUIRE_VOCAB(GetParam());
    // Tokens that the space clean-up and UTF-8 assembly care about, mixed with arbitrary ones.
    std::vector<TokenId> pool = tok.encode(" ' s , . ? ! 're 've 'm 'll 't 'd a  é 世 🦙", false);
    for (int b = 0; b < 256; b += 7) {
        const std::string byte(1, static_cast<char>(b));
        for (const TokenId id : tok.encode(byte, false)) pool.push_back(id);
    }
    std::mt19937 rng(7);
    std::uniform_int_distribution<TokenId> any(0, static_cast<TokenId>(tok.n_vocab()) - 1);
    for (int round = 0; round < 300; ++round) {
        std::vector<TokenId> ids(rng() % 24 + 1);
        for (auto& id : ids) id = rng() % 3 == 0 ? any(rng) : pool[rng() % pool.size()];
        EXPECT_EQ(stream(tok, ids, {false, true}), expected_stream(tok, ids, false));
    }
}

INSTANTIATE_TEST_SUITE_P(Vocab, PerVocab, testing::ValuesIn(testdata::claimed_vocabs()),
                         [](const testing::TestParamInfo<std::string>& p) {
                             std::string n = p.param;
                             for (char& c : n)
                                 if (c == '-') c = '_';
                             return n;
                         });

TEST(Stream, HoldsBackSplitCharacters) {
    REQUIRE_VOCAB("llama-spm");
    const auto ids = tok.encode("\xF0\x9D\x84\x9E", false);  // U+1D11E: byte fallback, one token per byte
    ASSERT_EQ(ids, (std::vector<TokenId>{29871, 243, 160, 135, 161}));
    StreamDecoder decoder(tok);
    EXPECT_EQ(decoder.push(ids[0]), "");  // the leading space of the text is dropped
    EXPECT_EQ(decoder.push(ids[1]), "");
    EXPECT_EQ(decoder.push(ids[2]), "");
    EXPECT_EQ(decoder.push(ids[3]), "");
    EXPECT_EQ(decoder.push(ids[4]), "\xF0\x9D\x84\x9E");
    EXPECT_EQ(decoder.push(243), "");
    EXPECT_EQ(decoder.finish(), "\xEF\xBF\xBD");  // an unfinished character at the end
    EXPECT_EQ(decoder.push(ids[1]), "");          // finish() started a new text
    EXPECT_EQ(decoder.finish(), "\xEF\xBF\xBD");
}

TEST(Stream, ContinuingAPromptKeepsPiecesAsTheyAre) {
    REQUIRE_VOCAB("llama-spm");
    StreamDecoder decoder(tok, {false, /*text_start=*/false});
    EXPECT_EQ(decoder.push(15043), " Hello");
    EXPECT_EQ(decoder.push(1), "");
}

}  // namespace
}  // namespace chord::tokenizer

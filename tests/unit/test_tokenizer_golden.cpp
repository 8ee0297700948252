// The tokenizers against llama.cpp's own tokenizer test files: every claimed vocabulary with golden
// files must give exactly llama.cpp's ids for every string (add_special = false, parse_special = false),
// and the vocabularies of other types must be refused with an error that names the type.
#include <gtest/gtest.h>

#include "core/error.h"
#include "tokenizer_testdata.h"

namespace chord::tokenizer {
namespace {

std::string show(const std::vector<TokenId>& ids) {
    std::string s;
    for (TokenId id : ids) {
        if (!s.empty()) s += ' ';
        s += std::to_string(id);
    }
    return s;
}

class Golden : public testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesLlamaCpp) {
    const std::string& name = GetParam();
    if (!testdata::file_exists(testdata::vocab_path(name)))
        GTEST_SKIP() << "no " << testdata::vocab_path(name);
    const auto cases = testdata::read_golden(name);
    if (cases.empty()) GTEST_SKIP() << name << " has no golden files";
    const Tokenizer tok = testdata::load_tokenizer(name);
    size_t passed = 0;
    for (const auto& c : cases) {
        const auto ids = tok.encode(c.text, /*add_special=*/false, /*parse_special=*/false);
        if (ids == c.ids)
            ++passed;
        else
            ADD_FAILURE() << name << ": text '" << c.text << "'\n  want " << show(c.ids) << "\n  got  "
                          << show(ids);
    }
    RecordProperty("passed", std::to_string(passed) + "/" + std::to_string(cases.size()));
}

INSTANTIATE_TEST_SUITE_P(Vocab, Golden, testing::ValuesIn(testdata::claimed_vocabs()),
                         [](const testing::TestParamInfo<std::string>& p) {
                             std::string n = p.param;
                             for (char& c : n)
                                 if (c == '-') c = '_';
                             return n;
                         });

TEST(Golden, OtherTokenizerTypesAreRefusedByName) {
    for (const auto& [name, model] : testdata::unclaimed_vocabs()) {
        if (!testdata::file_exists(testdata::vocab_path(name))) continue;
        try {
            testdata::load_tokenizer(name);
            ADD_FAILURE() << name << " loaded";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ErrorCode::Unsupported) << name;
            EXPECT_NE(std::string(e.what()).find("'" + model + "'"), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace chord::tokenizer

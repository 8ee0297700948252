// The chat-template interpreter against @huggingface/jinja, the reference renderer: every template in
// testdata/templates (llama.cpp's collection of real chat templates) is rendered for each conversation
// of tests/chat/conversations.json, with the generation prompt off and on, and must give exactly the
// reference's text (testdata/chat/reference.json, written by tests/chat/render_reference.mjs through
// tools/fetch-testdata.sh). Where the reference's own template code raises (raise_exception), ours
// must raise the same message; where the reference is known to depart from Python's jinja2, ours must
// give jinja2's text (kKnownDeviations). Cases the reference cannot render at all (templates that need
// tools) are counted, not compared. Skips when the test data is absent, unless CHORD_REQUIRE_TESTDATA is set.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "chat/data.h"
#include "chat/template.h"
#include "core/error.h"

namespace chord::chat {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool file_exists(const std::string& path) {
    return std::ifstream(path).good();
}

std::string reference_path() {
    return std::string(CHORD_TESTDATA_DIR) + "/chat/reference.json";
}
std::string template_path(const std::string& name) {
    return std::string(CHORD_TESTDATA_DIR) + "/templates/" + name;
}

struct Reference {
    Data conversations;  // the conversations.json document
    Data templates;      // name -> {cases: {key: {output | error}}} or {parse_error}
    bool loaded = false;
};

const Reference& reference() {
    static const Reference ref = [] {
        Reference r;
        if (!file_exists(reference_path())) return r;
        r.conversations = parse_json(read_file(CHORD_CHAT_CONVERSATIONS));
        const Data doc = parse_json(read_file(reference_path()));
        if (const Data* t = doc.find("templates")) r.templates = *t;
        r.loaded = true;
        return r;
    }();
    return ref;
}

std::vector<std::string> template_names() {
    std::vector<std::string> names;
    for (const auto& [name, _] : reference().templates.fields()) names.push_back(name);
    return names;
}

std::string escaped(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else
            out.push_back(c);
    }
    return out;
}

// Where two renders part, with some context of each.
std::string difference(const std::string& want, const std::string& got) {
    size_t at = 0;
    while (at < want.size() && at < got.size() && want[at] == got[at]) ++at;
    const size_t from = at > 60 ? at - 60 : 0;
    return "first difference at byte " + std::to_string(at) + "\n  reference: ..." +
           escaped(want.substr(from, 160)) + "\n  ours:      ..." + escaped(got.substr(from, 160));
}

// Cases where the reference departs from Python's jinja2 (what transformers renders chat templates
// with, so what models were trained on) and we follow jinja2; checked against a Python jinja2 3.1
// render of the same case: the reference's text with `reference_text` replaced by `jinja2_text`.
struct KnownDeviation {
    const char* template_name;
    const char* conversation;
    const char* reference_text;
    const char* jinja2_text;
};
// str.lstrip(chars): the reference ignores `chars` and strips all whitespace; Python strips only chars
// (here '\n', so the assistant message keeps its leading spaces).
constexpr KnownDeviation kKnownDeviations[] = {
    {"Qwen-QwQ-32B.jinja", "whitespace", "assistant\nAnswer with spaces.",
     "assistant\n  Answer with spaces."},
    {"HuggingFaceTB-SmolLM3-3B.jinja", "whitespace", "assistant\nAnswer with spaces.",
     "assistant\n  Answer with spaces."},
};

// The text Python's jinja2 gives where it is known to differ from the reference's `text`.
std::string jinja2_expectation(const std::string& name, const std::string& conversation, std::string text,
                               bool* deviates) {
    *deviates = false;
    for (const KnownDeviation& d : kKnownDeviations) {
        if (name != d.template_name || conversation != d.conversation) continue;
        const size_t at = text.find(d.reference_text);
        if (at == std::string::npos) continue;
        text.replace(at, std::string(d.reference_text).size(), d.jinja2_text);
        *deviates = true;
    }
    return text;
}

// Outcome of one template over all cases.
struct Outcome {
    size_t matched = 0;           // same text, or the same raise_exception message
    size_t deviations = 0;        // Python jinja2's text where the reference departs from it
    size_t mismatched = 0;        // different text or a different error
    size_t reference_failed = 0;  // the reference cannot render the case (not compared)
    std::vector<std::string> problems;
};

Outcome check_template(const std::string& name) {
    Outcome o;
    const Reference& ref = reference();
    const Data* entry = ref.templates.find(name);
    const Data* cases = entry ? entry->find("cases") : nullptr;
    if (cases == nullptr) {
        o.reference_failed = 1;
        return o;
    }
    Template tmpl;
    try {
        tmpl = Template::parse(read_file(template_path(name)), name);
    } catch (const Error& e) {
        o.mismatched = cases->fields().size();
        o.problems.push_back(std::string("parse: ") + e.what());
        return o;
    }
    const Data& date = *ref.conversations.find("date");
    for (const auto& [key, expected] : cases->fields()) {
        const std::string conversation = key.substr(0, key.find('/'));
        ApplyOptions options;
        options.add_generation_prompt = key.substr(key.find('/') + 1) == "gen";
        options.bos_token = ref.conversations.find("bos_token")->as_string();
        options.eos_token = ref.conversations.find("eos_token")->as_string();
        options.now = DateTime{
            static_cast<int>(date.find("year")->as_int()),   static_cast<int>(date.find("month")->as_int()),
            static_cast<int>(date.find("day")->as_int()),    static_cast<int>(date.find("hour")->as_int()),
            static_cast<int>(date.find("minute")->as_int()), 0};
        const Data& messages = *ref.conversations.find("conversations")->find(conversation);
        std::string ours, error;
        try {
            ours = tmpl.apply_data(messages, options);
        } catch (const Error& e) {
            error = e.what();
        }
        if (const Data* want = expected.find("output")) {
            bool deviates = false;
            const std::string jinja2 = jinja2_expectation(name, conversation, want->as_string(), &deviates);
            if (error.empty() && ours == jinja2) {
                ++(deviates ? o.deviations : o.matched);
            } else {
                ++o.mismatched;
                o.problems.push_back(
                    key + ": " + (error.empty() ? difference(want->as_string(), ours) : "error " + error));
            }
            continue;
        }
        const std::string& ref_error = expected.find("error")->as_string();
        if (!error.empty() && error.find("raise_exception: " + ref_error) != std::string::npos) {
            ++o.matched;  // both refuse the conversation with the template's own message
        } else {
            ++o.reference_failed;
        }
    }
    return o;
}

class ChatGolden : public testing::TestWithParam<std::string> {};

TEST_P(ChatGolden, MatchesReference) {
    const Outcome o = check_template(GetParam());
    for (const std::string& p : o.problems) ADD_FAILURE() << GetParam() << ": " << p;
    RecordProperty("matched", static_cast<int>(o.matched));
    RecordProperty("known_deviations", static_cast<int>(o.deviations));
    RecordProperty("reference_failed", static_cast<int>(o.reference_failed));
}

INSTANTIATE_TEST_SUITE_P(Templates, ChatGolden, testing::ValuesIn(template_names()),
                         [](const testing::TestParamInfo<std::string>& p) {
                             std::string n = p.param.substr(0, p.param.rfind(".jinja"));
                             for (char& c : n)
                                 if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                       (c >= '0' && c <= '9')))
                                     c = '_';
                             return n;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ChatGolden);

// One line per template that is not fully comparable, and the totals, for the record.
TEST(ChatGoldenSummary, Totals) {
    if (!reference().loaded) {
        if (std::getenv("CHORD_REQUIRE_TESTDATA") != nullptr) FAIL() << "missing " << reference_path();
        GTEST_SKIP() << "no " << reference_path() << " (run tools/fetch-testdata.sh)";
    }
    size_t all_match = 0, partly = 0, failing = 0, cases = 0, matched = 0, deviations = 0, not_compared = 0;
    const std::vector<std::string> names = template_names();
    for (const std::string& name : names) {
        const Outcome o = check_template(name);
        cases += o.matched + o.deviations + o.mismatched + o.reference_failed;
        matched += o.matched;
        deviations += o.deviations;
        not_compared += o.reference_failed;
        if (o.mismatched > 0)
            ++failing;
        else if (o.reference_failed > 0 || o.deviations > 0)
            ++partly;
        else
            ++all_match;
        if (o.mismatched > 0 || o.reference_failed > 0 || o.deviations > 0)
            std::printf(
                "  %-52s %2zu matched, %zu as jinja2 where the reference departs from it, %zu differ, %2zu "
                "not "
                "rendered by the reference\n",
                name.c_str(), o.matched, o.deviations, o.mismatched, o.reference_failed);
    }
    std::printf(
        "chat templates: %zu of %zu match the reference in every case, %zu wherever the reference renders "
        "(or follow jinja2 where it departs), %zu differ; cases: %zu matched, %zu as jinja2, %zu not "
        "rendered "
        "by the reference, of %zu\n",
        all_match, names.size(), partly, failing, matched, deviations, not_compared, cases);
    EXPECT_EQ(failing, 0u);
}

}  // namespace
}  // namespace chord::chat

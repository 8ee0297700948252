// libFuzzer target for the tokenizers: any bytes, encoded by a real vocabulary of each pre-tokenizer
// family, must give in-range ids without crashing; decoding them, and decoding arbitrary id
// sequences, must not crash either, and the streaming decoder must add up to decode(). The first input
// byte picks the vocabulary and the add_special / parse_special flags. Vocabularies are read from
// $CHORD_FUZZ_VOCAB_DIR, else from testdata/vocab beside this source file (tools/fetch-testdata.sh);
// pre-tokenizers without a test vocabulary run on GPT-2's vocabulary with tokenizer.ggml.pre changed.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "gguf/file.h"
#include "gguf/writer.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace {

using chord::tokenizer::StreamDecoder;
using chord::tokenizer::TokenId;
using chord::tokenizer::Tokenizer;

std::vector<Tokenizer>& tokenizers() {
    static std::vector<Tokenizer> all;
    return all;
}

std::string vocab_dir() {
    if (const char* dir = std::getenv("CHORD_FUZZ_VOCAB_DIR")) return dir;
    std::string here = __FILE__;
    return here.substr(0, here.rfind('/')) + "/../../testdata/vocab";
}

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_tokenizer: %s\n", what);
    std::abort();
}

// decode(), with an unfinished last character as U+FFFD: what a stream must add up to.
std::string expected_stream(const Tokenizer& tok, const std::vector<TokenId>& ids) {
    std::string text = tok.decode(ids);
    const size_t complete = chord::tokenizer::utf8_complete_prefix(text);
    if (complete < text.size()) {
        text.resize(complete);
        chord::tokenizer::utf8_append(text, chord::tokenizer::kReplacementChar);
    }
    return text;
}

void check_stream(const Tokenizer& tok, const std::vector<TokenId>& ids) {
    StreamDecoder decoder(tok);
    std::string all;
    for (const TokenId id : ids) decoder.push(id, all);
    decoder.finish(all);
    if (all != expected_stream(tok, ids)) fail("streamed text differs from decode()");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* names[] = {"llama-spm", "phi-3",  "llama-bpe",    "qwen2",          "qwen35",   "gpt-2",
                           "gpt-neox",  "falcon", "deepseek-llm", "deepseek-coder", "starcoder"};
    for (const char* name : names) {
        const std::string path = vocab_dir() + "/ggml-vocab-" + name + ".gguf";
        try {
            tokenizers().push_back(Tokenizer::from_gguf(chord::gguf::File::open(path)));
        } catch (const chord::Error& e) {
            std::fprintf(stderr, "fuzz_tokenizer: skipping %s: %s\n", name, e.what());
        }
    }
    if (tokenizers().empty())
        fail("no vocabulary found: run tools/fetch-testdata.sh or set CHORD_FUZZ_VOCAB_DIR");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t control = data[0];
    const Tokenizer& tok = tokenizers()[(control >> 2) % tokenizers().size()];
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

    const std::vector<TokenId> ids = tok.encode(text, control & 1, control & 2);
    for (const TokenId id : ids)
        if (id < 0 || static_cast<size_t>(id) >= tok.n_vocab())
            fail("encode gave an id outside the vocabulary");
    check_stream(tok, ids);
    (void)tok.decode(ids, true, true);

    // The same bytes read as token ids (two bytes each).
    std::vector<TokenId> arbitrary;
    for (size_t i = 1; i + 1 < size; i += 2)
        arbitrary.push_back(static_cast<TokenId>((data[i] | (data[i + 1] << 8)) % tok.n_vocab()));
    check_stream(tok, arbitrary);
    return 0;
}

// Vocab::load, part one: which tokenizer the file asks for, the token list with scores and types,
// and the lookup tables (text -> id, BPE merges by symbol pair, byte fallback). Special tokens and
// llama.cpp's per-model fix-ups are applied by vocab_special.cpp.
#include "tokenizer/vocab.h"

#include <algorithm>
#include <limits>

#include "core/error.h"
#include "gguf/file.h"
#include "tokenizer/byte_encoding.h"
#include "tokenizer/spm.h"

namespace chord::tokenizer {

void apply_special_tokens(const gguf::File& file, Vocab& v);  // vocab_special.cpp

namespace {

// llama.cpp's token types (tokenizer.ggml.token_type) and what they become.
uint32_t attr_of_token_type(int64_t type) {
    switch (type) {
        case 1:
            return kAttrNormal;
        case 2:
            return kAttrUnknown;
        case 3:
            return kAttrControl;
        case 4:
            return kAttrUserDefined;
        case 5:
            return kAttrUnused;
        case 6:
            return kAttrByte;
        default:
            return kAttrUndefined;
    }
}

[[noreturn]] void unsupported_model(const std::string& model) {
    std::string what = "tokenizer model '" + model + "' (tokenizer.ggml.model) is not supported";
    if (model == "bert")
        what += " (WordPiece, used by BERT embedding models)";
    else if (model == "t5")
        what += " (Unigram, used by T5)";
    else if (model == "gemma4")
        what += " (Gemma 4's BPE without byte-level encoding)";
    else if (model == "rwkv" || model == "plamo2")
        what += " (" + model + " has its own tokenizer)";
    else if (model == "none" || model == "no_vocab")
        what += " (the file has no vocabulary)";
    throw Error(ErrorCode::Unsupported,
                what + "; wasm-chord implements 'llama' (SentencePiece) and 'gpt2' (byte-level BPE)");
}

const gguf::Value& string_array(const gguf::File& file, const char* key) {
    const gguf::Value& v = file.get(key);
    if (!v.is_array() || v.elem_type() != gguf::ValueType::String)
        throw Error(ErrorCode::Format, std::string("metadata key '") + key + "' must be an array of strings");
    return v;
}

void read_tokens(const gguf::File& file, Vocab& v) {
    const auto& tokens = string_array(file, "tokenizer.ggml.tokens").strings();
    const size_t n = tokens.size();
    if (n == 0) throw Error(ErrorCode::Format, "metadata key 'tokenizer.ggml.tokens' is an empty array");
    if (n > static_cast<size_t>(std::numeric_limits<int32_t>::max() / 2))
        throw Error(ErrorCode::Format, "tokenizer.ggml.tokens has too many tokens: " + std::to_string(n));

    v.text.resize(n);
    for (size_t i = 0; i < n; ++i)
        v.text[i] = tokens[i].empty() ? "[EMPTY_" + std::to_string(i) + "]" : tokens[i];

    v.score.assign(n, 0.0f);
    if (const gguf::Value* scores = file.find("tokenizer.ggml.scores")) {
        const bool ok_type = scores->is_array() && (scores->elem_type() == gguf::ValueType::Float32 ||
                                                    scores->elem_type() == gguf::ValueType::Int32);
        if (!ok_type) throw Error(ErrorCode::Format, "tokenizer.ggml.scores must be an array of f32 or i32");
        if (scores->size() < n)
            throw Error(ErrorCode::Format, "tokenizer.ggml.scores has " + std::to_string(scores->size()) +
                                               " entries for " + std::to_string(n) + " tokens");
        auto values = scores->to_f32_vector();
        std::copy_n(values->begin(), n, v.score.begin());
    }

    v.attr.assign(n, kAttrNormal);
    if (const gguf::Value* types = file.find("tokenizer.ggml.token_type")) {
        if (!types->is_array() || types->elem_type() != gguf::ValueType::Int32)
            throw Error(ErrorCode::Format, "tokenizer.ggml.token_type must be an array of i32");
        if (types->size() < n)
            throw Error(ErrorCode::Format, "tokenizer.ggml.token_type has " + std::to_string(types->size()) +
                                               " entries for " + std::to_string(n) + " tokens");
        const auto values = types->to_i64_vector();
        for (size_t i = 0; i < n; ++i) v.attr[i] = attr_of_token_type((*values)[i]);
    }

    v.symbol_id.reserve(n);
    for (size_t i = 0; i < n; ++i) v.symbol_id.assign(v.text[i], static_cast<int32_t>(i));
}

// "left right" split at the first space after the first byte, as llama.cpp reads merges.
bool split_merge(const std::string& line, std::string_view& left, std::string_view& right) {
    const size_t space = line.find(' ', 1);
    if (space == std::string::npos) return false;
    left = std::string_view(line).substr(0, space);
    right = std::string_view(line).substr(space + 1);
    return true;
}

void read_merges(const gguf::File& file, Vocab& v) {
    const auto& merges = string_array(file, "tokenizer.ggml.merges").strings();
    const auto n_vocab = static_cast<int32_t>(v.n_vocab());

    // Every text a BPE symbol can have gets an id: the tokens, each byte's one-character form, and
    // every merge result. The extra texts are collected first so the map's views stay valid.
    std::vector<std::string> extra;
    std::string encoded;
    for (int b = 0; b < 256; ++b) {
        encoded.clear();
        append_byte_encoded(encoded, static_cast<uint8_t>(b));
        if (v.symbol_id.find(encoded) < 0) extra.push_back(encoded);
    }
    std::string_view left, right;
    std::string joined;
    for (const std::string& line : merges) {
        if (!split_merge(line, left, right)) continue;
        joined.assign(left).append(right);
        if (v.symbol_id.find(joined) < 0) extra.push_back(joined);
    }
    std::sort(extra.begin(), extra.end());
    extra.erase(std::unique(extra.begin(), extra.end()), extra.end());
    v.extra_symbols = std::move(extra);
    v.symbol_id.reserve(v.n_vocab() + v.extra_symbols.size());
    for (size_t i = 0; i < v.extra_symbols.size(); ++i)
        v.symbol_id.assign(v.extra_symbols[i], n_vocab + static_cast<int32_t>(i));

    v.merges.reserve(merges.size());
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        if (!split_merge(merges[rank], left, right)) continue;
        const int32_t a = v.symbol_id.find(left);
        const int32_t b = v.symbol_id.find(right);
        if (a < 0 || b < 0) continue;  // a part no symbol can ever be: the merge never applies
        joined.assign(left).append(right);
        const int32_t merged = v.symbol_id.find(joined);
        v.merges.insert(a, b, (static_cast<uint64_t>(rank) << 32) | static_cast<uint32_t>(merged));
    }

    for (int b = 0; b < 256; ++b) {
        encoded.clear();
        append_byte_encoded(encoded, static_cast<uint8_t>(b));
        v.byte_symbol[b] = v.symbol_id.find(encoded);
        v.single_byte_token[b] = v.token_of(std::string(1, static_cast<char>(b)));
    }
}

void spm_byte_fallback(Vocab& v) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
        const char name[] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
        TokenId id = v.token_of(std::string_view(name, sizeof name));
        if (id == kNoToken) id = v.token_of(std::string(1, static_cast<char>(b)));
        v.byte_symbol[b] = id;
        v.single_byte_token[b] = kNoToken;
    }
}

}  // namespace

std::shared_ptr<const Vocab> Vocab::load(const gguf::File& file) {
    auto v = std::make_shared<Vocab>();
    v->model = file.get_string("tokenizer.ggml.model");
    if (v->model == "llama") {
        v->type = VocabType::Spm;
        v->ids.bos = 1;
        v->ids.eos = 2;
        v->ids.unk = 0;
        v->add_bos = true;
        v->add_space_prefix = true;
    } else if (v->model == "gpt2") {
        v->type = VocabType::Bpe;
        v->pre = file.get_string_or("tokenizer.ggml.pre", "default");
        const auto spec = find_pre_tokenizer(v->pre);
        if (!spec)
            throw Error(ErrorCode::Unsupported,
                        "pre-tokenizer '" + v->pre +
                            "' (tokenizer.ggml.pre) is not supported; wasm-chord implements: " +
                            supported_pre_tokenizer_names());
        v->pre_spec = *spec;
        v->ids.bos = spec->no_bos ? kNoToken : 11;
        v->ids.eos = 11;
        v->add_bos = spec->add_bos;
        v->clean_spaces = spec->clean_spaces;
        v->ignore_merges = spec->ignore_merges;
    } else {
        unsupported_model(v->model);
    }
    v->add_space_prefix = file.get_bool_or("tokenizer.ggml.add_space_prefix", v->add_space_prefix);

    read_tokens(file, *v);
    if (v->type == VocabType::Bpe) {
        read_merges(file, *v);
    } else {
        spm_byte_fallback(*v);
        spm_index_joinable_pairs(*v);
    }
    apply_special_tokens(file, *v);
    return v;
}

}  // namespace chord::tokenizer

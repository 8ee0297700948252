// Vocab::load, part two: special token ids and flags from the metadata, then the fix-ups llama.cpp
// applies by token text and model name (end-of-turn and fill-in-the-middle tokens found by their text
// and made control tokens, the end-of-generation set, gpt-oss and Gemma 4 exceptions, Phi-3's
// right-stripping), the special-token list used for matching, and each token's decoded bytes.
#include <algorithm>
#include <cctype>
#include <span>
#include <string_view>

#include "core/error.h"
#include "gguf/file.h"
#include "tokenizer/byte_encoding.h"
#include "tokenizer/unicode.h"
#include "tokenizer/vocab.h"

namespace chord::tokenizer {
namespace {

using Names = std::span<const std::string_view>;

// Candidate texts, in the order they are preferred when a vocabulary has several.
constexpr std::string_view kEotTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",         "<|endoftext|>",     "<|end_of_text|>",
    "<EOT>",      "_<EOT>",     "[EOT]",   "<｜end▁of▁sentence｜>", "<end_of_utterance>"};
constexpr std::string_view kEomTexts[] = {"<|eom_id|>"};
constexpr std::string_view kFimPreTexts[] = {"<|fim_prefix|>",  "<fim-prefix>", "<fim_prefix>",
                                             "<｜fim▁begin｜>", "<PRE>",        "▁<PRE>",
                                             "<|code_prefix|>", "<|prefix|>"};
constexpr std::string_view kFimSufTexts[] = {"<|fim_suffix|>",  "<fim-suffix>", "<fim_suffix>",
                                             "<｜fim▁hole｜>",  "<SUF>",        "▁<SUF>",
                                             "<|code_suffix|>", "<|suffix|>"};
constexpr std::string_view kFimMidTexts[] = {"<|fim_middle|>",  "<fim-middle>", "<fim_middle>",
                                             "<｜fim▁end｜>",   "<MID>",        "▁<MID>",
                                             "<|code_middle|>", "<|middle|>"};
constexpr std::string_view kFimPadTexts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
constexpr std::string_view kFimRepTexts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
                                             "<reponame>"};
constexpr std::string_view kFimSepTexts[] = {"<|file_sep|>"};
constexpr std::string_view kEogTexts[] = {"<|eot_id|>",
                                          "<|im_end|>",
                                          "<|end|>",
                                          "<|return|>",
                                          "<|call|>",
                                          "<|flush|>",
                                          "<|calls|>",
                                          "<end_of_turn>",
                                          "<|endoftext|>",
                                          "</s>",
                                          "<|eom_id|>",
                                          "<EOT>",
                                          "_<EOT>",
                                          "[EOT]",
                                          "[EOS]",
                                          "<|end_of_text|>",
                                          "<end_of_utterance>",
                                          "<eos>",
                                          "<turn|>",
                                          "<|tool_response>",
                                          "<｜end▁of▁sentence｜>",
                                          "[e~["};

bool contains_any(std::string_view s, Names parts) {
    return std::any_of(parts.begin(), parts.end(), [&](std::string_view p) { return s.find(p) != s.npos; });
}

void read_id(const gguf::File& file, const Vocab& v, const char* key, TokenId& id) {
    const gguf::Value* value = file.find(key);
    if (value == nullptr) return;
    const auto x = value->to_u64();
    if (x && *x < v.n_vocab()) id = static_cast<TokenId>(*x);  // out of range: llama.cpp keeps the default
}

// When the metadata names no such token, the first candidate text the vocabulary has; it becomes a
// control token.
void detect_by_text(Vocab& v, TokenId& id, Names texts) {
    if (id != kNoToken) return;
    for (std::string_view t : texts) {
        const TokenId found = v.token_of(t);
        if (found == kNoToken) continue;
        id = found;
        v.attr[found] |= kAttrControl;
        return;
    }
}

void set_attr(Vocab& v, std::string_view text, uint32_t bits, bool on) {
    const TokenId id = v.token_of(text);
    if (id == kNoToken) return;
    v.attr[id] = on ? (v.attr[id] | bits) : (v.attr[id] & ~bits);
}

void find_end_of_generation(Vocab& v) {
    std::vector<TokenId> eog;
    for (TokenId id : {v.ids.fim_pad, v.ids.fim_rep, v.ids.fim_sep})
        if (id != kNoToken) eog.push_back(id);
    for (std::string_view t : kEogTexts) {
        const TokenId id = v.token_of(t);
        if (id == kNoToken) continue;
        eog.push_back(id);
        v.attr[id] |= kAttrControl;
    }
    // gpt-oss: these are always rendered, so they are user-defined rather than control tokens.
    constexpr std::string_view kRendered[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"};
    for (std::string_view t : kRendered) {
        if (const TokenId id = v.token_of(t); id != kNoToken) v.attr[id] = kAttrUserDefined;
    }
    for (TokenId id : {v.ids.eos, v.ids.eot, v.ids.eom})
        if (id != kNoToken) eog.push_back(id);
    std::sort(eog.begin(), eog.end());
    eog.erase(std::unique(eog.begin(), eog.end()), eog.end());

    const auto has = [&](std::string_view t) {
        return std::any_of(eog.begin(), eog.end(), [&](TokenId id) { return v.text[id] == t; });
    };
    const auto drop = [&](std::string_view t, uint32_t new_attr) {
        for (auto it = eog.begin(); it != eog.end(); ++it) {
            if (v.text[*it] != t) continue;
            v.attr[*it] = new_attr;
            eog.erase(it);
            return;
        }
    };
    // o200k_harmony and solar-open end turns with <|end|> without ending generation.
    if (has("<|end|>") && ((has("<|return|>") && has("<|call|>")) || (has("<|calls|>") && has("<|flush|>"))))
        drop("<|end|>", kAttrUserDefined);
    // Gemma 4 and PaddleOCR: </s> is an ordinary token there.
    if (has("<|tool_response>") && has("</s>")) drop("</s>", kAttrNormal);
    v.eog = std::move(eog);
}

uint8_t byte_of_byte_token(const std::string& text) {
    // "<0xNN>": the hex digits after "<0x", read like strtol(text.substr(3, 2), 16).
    unsigned value = 0;
    for (size_t i = 3; i < std::min<size_t>(text.size(), 5); ++i) {
        const int c = std::tolower(static_cast<unsigned char>(text[i]));
        if (!std::isxdigit(c)) break;
        value = value * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return static_cast<uint8_t>(value);
}

// Byte-level BPE token text back to bytes; characters outside the byte alphabet are spelled out the
// way llama.cpp does it.
std::string byte_decode(const std::string& text) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (size_t pos = 0; pos < text.size();) {
        const uint32_t cp = utf8_decode(text, pos);
        if (const int b = byte_from_codepoint(cp); b >= 0) {
            out.push_back(static_cast<char>(b));
            continue;
        }
        std::string utf8;
        utf8_append(utf8, cp);
        out += "[UNK_BYTE_0x";
        for (const char c : utf8) {
            out.push_back(kHex[static_cast<uint8_t>(c) >> 4]);
            out.push_back(kHex[static_cast<uint8_t>(c) & 15]);
        }
        out += text + "]";
    }
    return out;
}

std::string piece_of(const Vocab& v, TokenId id) {
    const uint32_t a = v.attr[id];
    const std::string& text = v.text[id];
    if (a & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return text;
    if (a & kAttrNormal) {
        if (v.type == VocabType::Bpe) return byte_decode(text);
        std::string out;
        for (size_t i = 0; i < text.size(); ++i) {
            if (text.compare(i, 3, "\xE2\x96\x81") == 0) {  // U+2581, SentencePiece's space
                out.push_back(' ');
                i += 2;
            } else {
                out.push_back(text[i]);
            }
        }
        return out;
    }
    if (a & kAttrByte) return std::string(1, static_cast<char>(byte_of_byte_token(text)));
    return {};
}

TokenId newline_token(const Vocab& v) {
    const int32_t sym = v.byte_symbol['\n'];
    if (sym >= 0 && static_cast<size_t>(sym) < v.n_vocab()) return sym;
    if (v.type == VocabType::Bpe) {
        std::string encoded;
        append_byte_encoded(encoded, '\n');
        for (const char c : encoded)
            if (const TokenId id = v.single_byte_token[static_cast<uint8_t>(c)]; id != kNoToken) return id;
    }
    return v.ids.pad;
}

}  // namespace

void apply_special_tokens(const gguf::File& file, Vocab& v) {
    SpecialTokenIds& ids = v.ids;
    for (TokenId* id : {&ids.bos, &ids.eos, &ids.unk})
        if (!v.has(*id)) *id = kNoToken;
    read_id(file, v, "tokenizer.ggml.bos_token_id", ids.bos);
    read_id(file, v, "tokenizer.ggml.eos_token_id", ids.eos);
    read_id(file, v, "tokenizer.ggml.eot_token_id", ids.eot);
    read_id(file, v, "tokenizer.ggml.eom_token_id", ids.eom);
    read_id(file, v, "tokenizer.ggml.unknown_token_id", ids.unk);
    read_id(file, v, "tokenizer.ggml.seperator_token_id", ids.sep);
    read_id(file, v, "tokenizer.ggml.padding_token_id", ids.pad);
    read_id(file, v, "tokenizer.ggml.mask_token_id", ids.mask);
    read_id(file, v, "tokenizer.ggml.fim_pre_token_id", ids.fim_pre);
    read_id(file, v, "tokenizer.ggml.fim_suf_token_id", ids.fim_suf);
    read_id(file, v, "tokenizer.ggml.fim_mid_token_id", ids.fim_mid);
    read_id(file, v, "tokenizer.ggml.fim_pad_token_id", ids.fim_pad);
    read_id(file, v, "tokenizer.ggml.fim_rep_token_id", ids.fim_rep);
    read_id(file, v, "tokenizer.ggml.fim_sep_token_id", ids.fim_sep);
    read_id(file, v, "tokenizer.ggml.prefix_token_id", ids.fim_pre);  // deprecated names
    read_id(file, v, "tokenizer.ggml.suffix_token_id", ids.fim_suf);
    read_id(file, v, "tokenizer.ggml.middle_token_id", ids.fim_mid);
    v.add_bos = file.get_bool_or("tokenizer.ggml.add_bos_token", v.add_bos);
    v.add_eos = file.get_bool_or("tokenizer.ggml.add_eos_token", v.add_eos);

    detect_by_text(v, ids.eot, kEotTexts);
    detect_by_text(v, ids.eom, kEomTexts);
    detect_by_text(v, ids.fim_pre, kFimPreTexts);
    detect_by_text(v, ids.fim_suf, kFimSufTexts);
    detect_by_text(v, ids.fim_mid, kFimMidTexts);
    detect_by_text(v, ids.fim_pad, kFimPadTexts);
    detect_by_text(v, ids.fim_rep, kFimRepTexts);
    detect_by_text(v, ids.fim_sep, kFimSepTexts);
    for (size_t i = 0; i < v.n_vocab(); ++i)
        if ((v.attr[i] & kAttrControl) && v.text[i].find("unused") != std::string::npos)
            v.attr[i] |= kAttrUnused;
    find_end_of_generation(v);
    ids.newline = newline_token(v);

    for (size_t i = 0; i < v.n_vocab(); ++i)
        if (v.attr[i] & (kAttrControl | kAttrUserDefined | kAttrUnknown))
            v.specials.push_back(static_cast<TokenId>(i));
    std::stable_sort(v.specials.begin(), v.specials.end(),
                     [&](TokenId a, TokenId b) { return v.text[a].size() > v.text[b].size(); });

    v.pieces.resize(v.n_vocab());
    for (size_t i = 0; i < v.n_vocab(); ++i) v.pieces[i] = piece_of(v, static_cast<TokenId>(i));

    // Per-model attributes, chosen by name as llama.cpp does.
    std::string name = file.get_string_or("general.name", "");
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    const std::string raw_pre = file.get_string_or("tokenizer.ggml.pre", "");
    const std::string arch = file.get_string_or("general.architecture", "");
    constexpr std::string_view kJinaPre[] = {"jina-v2-de", "jina-v2-es", "jina-v2-code"};
    constexpr std::string_view kJinaArch[] = {"nomic-bert-moe", "jina-bert-v3"};
    constexpr std::string_view kPhi3[] = {"phi-3", "phi3"};
    constexpr std::string_view kModernBert[] = {"modern-bert"};
    if (contains_any(raw_pre, kJinaPre) || contains_any(arch, kJinaArch)) {
        set_attr(v, "<mask>", kAttrLstrip, true);
    } else if (contains_any(name, kPhi3)) {
        for (TokenId id : v.specials) v.attr[id] |= kAttrRstrip;
        set_attr(v, "</s>", kAttrRstrip, true);
        for (std::string_view t : {"<unk>", "<s>", "<|endoftext|>"}) set_attr(v, t, kAttrRstrip, false);
    } else if (contains_any(name, kModernBert)) {
        set_attr(v, "[MASK]", kAttrLstrip, true);
    }
}

}  // namespace chord::tokenizer

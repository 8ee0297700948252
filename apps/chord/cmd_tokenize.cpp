// `chord tokenize -m MODEL [--ids] [--no-bos] [--parse-special] TEXT | -f FILE | --jsonl`: the token ids
// of a text, as llama.cpp's llama-tokenize prints them (id -> 'piece' lines, or with --ids a JSON array).
// --jsonl answers one request per input line (for tests and benchmarks, one process for many texts):
//   "text"                                              -> [ids]   (flags from the command line)
//   {"text": "...", "add_special": b, "parse_special": b} -> [ids]
//   {"ids": [...], "special": b}                          -> "decoded text"
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "core/error.h"
#include "gguf/file.h"
#include "tokenizer/tokenizer.h"

namespace chord::cli {
namespace {

using tokenizer::TokenId;
using tokenizer::Tokenizer;

struct TokenizeOptions {
    std::string model;
    std::string text;
    std::string file;
    bool ids = false;
    bool no_bos = false;
    bool parse_special = false;
    bool jsonl = false;
    bool timing = false;
};

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::Io, "cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string id_list(const std::vector<TokenId>& ids) {
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i > 0) s += ", ";
        s += std::to_string(ids[i]);
    }
    return s + "]";
}

std::string answer(const Tokenizer& tok, const TokenizeOptions& o, const std::string& line) {
    const nlohmann::json request = nlohmann::json::parse(line);
    if (request.is_string())
        return id_list(tok.encode(request.get<std::string>(), !o.no_bos, o.parse_special));
    if (!request.is_object())
        throw Error(ErrorCode::InvalidArgument, "--jsonl: a line must be a string or an object");
    if (request.contains("ids")) {
        const auto ids = request.at("ids").get<std::vector<TokenId>>();
        const std::string text = tok.decode(ids, false, request.value("special", false));
        return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    const auto text = request.at("text").get<std::string>();
    return id_list(tok.encode(text, request.value("add_special", !o.no_bos),
                              request.value("parse_special", o.parse_special)));
}

void run_jsonl(const Tokenizer& tok, const TokenizeOptions& o) {
    std::ifstream file;
    if (!o.file.empty()) {
        file.open(o.file, std::ios::binary);
        if (!file) throw Error(ErrorCode::Io, "cannot read " + o.file);
    }
    std::istream& in = o.file.empty() ? std::cin : file;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        std::string out;
        try {
            out = answer(tok, o, line);
        } catch (const nlohmann::json::exception& e) {
            out = nlohmann::json{{"error", e.what()}}.dump();
        } catch (const Error& e) {
            out = nlohmann::json{{"error", e.what()}}.dump(-1, ' ', false,
                                                           nlohmann::json::error_handler_t::replace);
        }
        std::cout << out << '\n' << std::flush;
    }
}

void run_tokenize(const TokenizeOptions& o) {
    const Tokenizer tok = Tokenizer::from_gguf(gguf::File::open(o.model));
    if (o.jsonl) return run_jsonl(tok, o);
    if (o.text.empty() == o.file.empty())
        throw Error(ErrorCode::InvalidArgument, "give either a TEXT argument or -f FILE (or --jsonl)");
    const std::string text = o.file.empty() ? o.text : read_all(o.file);

    const auto start = std::chrono::steady_clock::now();
    const std::vector<TokenId> ids = tok.encode(text, !o.no_bos, o.parse_special);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (o.ids) {
        std::cout << id_list(ids) << '\n';
    } else {
        for (const TokenId id : ids) {
            std::printf("%6d -> '", id);
            const std::string& piece = tok.token_to_piece(id, true);
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::printf("'\n");
        }
    }
    std::fflush(stdout);
    if (o.timing)
        std::fprintf(stderr, "tokenized %zu bytes into %zu tokens in %.3f ms (%.1f MB/s)\n", text.size(),
                     ids.size(), seconds * 1e3, static_cast<double>(text.size()) / 1e6 / seconds);
}

}  // namespace

void register_tokenize(CLI::App& app) {
    auto opts = std::make_shared<TokenizeOptions>();
    CLI::App* cmd =
        app.add_subcommand("tokenize", "Print the token ids of a text (like llama.cpp's llama-tokenize)");
    cmd->add_option("-m,--model", opts->model,
                    "GGUF file whose tokenizer to use (default: the built-in demo model)");
    cmd->add_option("text", opts->text, "Text to tokenize");
    cmd->add_option("-f,--file", opts->file, "Read the text from this file (with --jsonl: the requests)");
    cmd->add_flag("--ids", opts->ids, "Print only a JSON array of ids, like [1, 15043, 3186]");
    cmd->add_flag("--no-bos", opts->no_bos, "Add no BOS/EOS tokens (llama.cpp's add_special = false)");
    cmd->add_flag("--parse-special", opts->parse_special,
                  "Turn special-token text such as <|im_start|> into tokens");
    cmd->add_flag("--jsonl", opts->jsonl,
                  "Answer one JSON request per line of stdin (or -f FILE), see the source");
    cmd->add_flag("--timing", opts->timing, "Print the time encoding took to stderr");
    cmd->callback([opts] {
        if (opts->model.empty()) opts->model = demo_model_path();
        run_tokenize(*opts);
    });
}

}  // namespace chord::cli

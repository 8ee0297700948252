// chord: the wasm-chord command-line tool (llama.cpp-style flags). Subcommands live in cmd_*.cpp.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "core/error.h"

namespace chord::cli {

std::string demo_model_path() {
    if (const char* env = std::getenv("CHORD_DEMO_MODEL"); env != nullptr && *env != '\0') return env;
    return CHORD_DEFAULT_DEMO_MODEL;
}

}  // namespace chord::cli

namespace {

// llama.cpp spells some flags with one dash and several letters, which CLI11 cannot declare: accept
// them by rewriting to our long names before parsing.
std::vector<std::string> llama_cpp_spellings(int argc, char** argv) {
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-ctk")
            args.emplace_back("--cache-type-k");
        else if (a == "-ctv")
            args.emplace_back("--cache-type-v");
        else if (a == "-sys")
            args.emplace_back("--system-prompt");
        else if (a == "-np")
            args.emplace_back("--parallel");
        else
            args.push_back(a);
    }
    std::reverse(args.begin(), args.end());  // CLI11 takes a vector in reverse order
    return args;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"chord: run GGUF language models, natively and in the browser (wasm-chord)"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "chord 0.1.0");
    // Bad flags get one line, like every other error (CLI11 adds a "Run with --help" line otherwise).
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return std::string("chord: error: ") + e.what() + " (see --help)\n";
    });
    chord::cli::register_bench(app);
    chord::cli::register_chat(app);
    chord::cli::register_info(app);
    chord::cli::register_logits(app);
    chord::cli::register_perplexity(app);
    chord::cli::register_quantize(app);
    chord::cli::register_run(app);
    chord::cli::register_serve(app);
    chord::cli::register_synth(app);
    chord::cli::register_tokenize(app);
    try {
        app.parse(llama_cpp_spellings(argc, argv));
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const chord::Error& e) {
        std::cerr << "chord: error: " << e.what() << '\n';
        return 1;
    } catch (const std::bad_alloc&) {
        std::cerr << "chord: error: out of memory\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "chord: error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}

// chord: the wasm-chord command-line tool (llama.cpp-style flags). Subcommands live in cmd_*.cpp.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "core/error.h"

namespace chord::cli {

std::string demo_model_path() {
    if (const char* env = std::getenv("CHORD_DEMO_MODEL"); env != nullptr && *env != '\0') return env;
    return CHORD_DEFAULT_DEMO_MODEL;
}

}  // namespace chord::cli

int main(int argc, char** argv) {
    CLI::App app{"chord: run GGUF language models, natively and in the browser (wasm-chord)"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "chord 0.1.0");
    chord::cli::register_info(app);
    chord::cli::register_logits(app);
    chord::cli::register_synth(app);
    try {
        app.parse(argc, argv);
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

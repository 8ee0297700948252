// The chord CLI's subcommands. Each registers itself on the CLI11 app with its own flags; its callback
// runs the command and throws chord::Error on bad input (main prints it as one line and exits 1).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace chord::cli {

void register_bench(CLI::App& app);
void register_chat(CLI::App& app);
void register_info(CLI::App& app);
void register_logits(CLI::App& app);
void register_perplexity(CLI::App& app);
void register_quantize(CLI::App& app);
void register_run(CLI::App& app);
void register_serve(CLI::App& app);
void register_synth(CLI::App& app);
void register_tokenize(CLI::App& app);

// The built-in demo model: $CHORD_DEMO_MODEL, else the one the setup script writes in the source tree.
std::string demo_model_path();

}  // namespace chord::cli

// `chord run -m MODEL -p PROMPT`: one-shot completion, streamed to stdout as it is generated, with
// llama.cpp's flag names; statistics (tokens/s) go to stderr at the end. Ctrl-C stops the generation,
// prints the statistics and exits with status 130. Without -m the built-in demo model is used.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "generation_options.h"
#include "interrupt.h"
#include "runtime/generator.h"

namespace chord::cli {
namespace {

struct RunOptions {
    ModelOptions model;
    GenerationOptions generation;
    std::string prompt;
    std::string file;
    bool escape = true;
    bool no_display_prompt = false;
};

std::string read_prompt_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::Io, "cannot read the prompt file " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int run_run(const RunOptions& o) {
    if (!o.prompt.empty() && !o.file.empty())
        throw Error(ErrorCode::InvalidArgument, "give the prompt with -p or -f, not both");
    std::string prompt = o.file.empty() ? o.prompt : read_prompt_file(o.file);
    if (o.escape && o.file.empty()) prompt = process_escapes(prompt);

    auto model = load_model(o.model);
    const auto tok = tokenizer::Tokenizer::from_gguf(model->file());
    const sample::Params params = sampler_params(o.generation, tok);
    runtime::Context ctx(model, context_options(o.model));
    runtime::Generator gen(ctx, tok, params);

    // Tokenized here (as llama.cpp's CLI: BOS, control-token text parsed) so an empty prompt still
    // starts from BOS and a prompt longer than the context fails before anything is printed.
    const std::vector<tokenizer::TokenId> ids = tok.encode(prompt, true, true);
    gen.check_prompt(ids);
    if (!o.no_display_prompt) {
        std::fwrite(prompt.data(), 1, prompt.size(), stdout);
        std::fflush(stdout);
    }
    install_interrupt_handler();
    set_interruptible(&gen);
    const runtime::GenerateStats stats =
        gen.run(ids, generate_options(o.generation), [](std::string_view piece) {
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
            return true;
        });
    set_interruptible(nullptr);
    if (!o.generation.no_perf) {
        std::fputc('\n', stderr);
        print_stats(stats, gen.sampler().seed());
    }
    return stats.stop_reason == runtime::StopReason::Aborted ? 130 : 0;
}

}  // namespace

void register_run(CLI::App& app) {
    auto o = std::make_shared<RunOptions>();
    CLI::App* cmd =
        app.add_subcommand("run", "Complete a prompt, streaming the text to stdout (llama.cpp's flags)");
    add_model_options(*cmd, o->model);
    cmd->add_option("-p,--prompt", o->prompt, "The prompt (default: empty, the model starts from BOS)");
    cmd->add_option("-f,--file", o->file, "Read the prompt from this file (taken as is, no escapes)");
    cmd->add_flag("-e,--escape", o->escape, "Turn \\n, \\t, \\xHH, ... in -p into characters (the default)");
    cmd->add_flag_callback(
        "--no-escape", [o] { o->escape = false; }, "Take -p as written");
    cmd->add_flag("--no-display-prompt", o->no_display_prompt,
                  "Print only the generated text, not the prompt");
    add_generation_options(*cmd, o->generation);
    cmd->callback([o] {
        const int status = run_run(*o);
        if (status != 0) std::exit(status);
    });
}

}  // namespace chord::cli

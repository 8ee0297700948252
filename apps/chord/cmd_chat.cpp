// `chord chat -m MODEL`: an interactive conversation. Each turn renders the whole history with the
// model's chat template (or --chat-template NAME|FILE) and generates the answer; the context keeps what
// it already evaluated, so only the new turn costs time. Commands: /reset, /save FILE, /help, /exit.
// Ctrl-C stops the answer being written and returns to the prompt; Ctrl-C twice at the prompt, /exit or
// Ctrl-D leaves. A conversation that no longer fits the context is refused with a hint to /reset
// (no turns are dropped silently). Errors of a turn are printed and the chat goes on; errors at start
// (model, flags, a template the interpreter cannot run) end it with one line and status 1.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

#include "chat/template.h"
#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "generation_options.h"
#include "interrupt.h"
#include "runtime/chat_prompt.h"
#include "runtime/generator.h"

namespace chord::cli {
namespace {

struct ChatOptions {
    ModelOptions model;
    GenerationOptions generation;
    std::string system;
    std::string chat_template;
};

constexpr const char* kHelp =
    "  /reset       forget the conversation (the system prompt stays)\n"
    "  /save FILE   write the conversation to FILE as JSON ([{\"role\": ..., \"content\": ...}, ...])\n"
    "  /exit        leave (also Ctrl-D, or Ctrl-C twice)\n"
    "  a line ending in \\ continues on the next line; Ctrl-C stops an answer\n";

class ChatSession {
  public:
    explicit ChatSession(const ChatOptions& o)
        : options_(o),
          model_(load_model(o.model)),
          tok_(tokenizer::Tokenizer::from_gguf(model_->file())),
          tmpl_(chat::Template::from_gguf(model_->file(), o.chat_template)),
          ctx_(model_, context_options(o.model)),
          gen_(ctx_, tok_, sampler_params(o.generation, tok_)) {
        reset();
        check_template();
    }

    void loop() {
        std::fprintf(stderr,
                     "chord chat: %s, chat template: %s, context %u tokens\n"
                     "Type a message; /help lists the commands. Ctrl-C stops an answer, Ctrl-C twice or "
                     "Ctrl-D leaves.\n",
                     model_->file().get_string_or("general.name", "model").c_str(), tmpl_.origin().c_str(),
                     ctx_.n_ctx());
        install_interrupt_handler();
        int interrupts = 0;  // in a row, at the prompt
        std::string input;
        for (;;) {
            std::fputs("> ", stdout);
            std::fflush(stdout);
            const ReadResult r = read_input(input);
            if (r == ReadResult::Eof) {
                std::fputc('\n', stdout);
                break;
            }
            if (r == ReadResult::Interrupted) {
                if (++interrupts >= 2) {
                    std::fputc('\n', stdout);
                    break;
                }
                std::fputs("\n(Ctrl-C again, /exit or Ctrl-D leaves)\n", stderr);
                continue;
            }
            interrupts = 0;
            const std::string text = trim(input);
            if (text.empty()) continue;
            try {  // an error in one turn or command is reported; the conversation goes on
                if (text[0] == '/') {
                    if (!command(text)) break;
                    continue;
                }
                answer(text);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "chord: error: %s\n", e.what());
            }
        }
        print_totals();
    }

  private:
    static std::string trim(const std::string& s) {
        const size_t a = s.find_first_not_of(" \t\r\n");
        if (a == std::string::npos) return "";
        return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
    }

    // One message, continued over lines that end in a backslash.
    ReadResult read_input(std::string& input) {
        input.clear();
        std::string line;
        for (;;) {
            const ReadResult r = read_line(line);
            if (r != ReadResult::Line)
                return input.empty() || r == ReadResult::Interrupted ? r : ReadResult::Line;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty() || line.back() != '\\') {
                input += line;
                return ReadResult::Line;
            }
            line.pop_back();
            input += line + "\n";
            std::fputs(". ", stdout);
            std::fflush(stdout);
        }
    }

    void reset() {
        history_.clear();
        if (!options_.system.empty()) history_.push_back({"system", options_.system});
        ctx_.clear();
    }

    // Renders a sample conversation so that a template the interpreter cannot run fails at start.
    void check_template() const {
        std::vector<chat::Message> sample = history_;
        sample.push_back({"user", "Hello"});
        try {
            tmpl_.apply(sample);
        } catch (const Error& e) {
            throw Error(e.code(), "the chat template (" + tmpl_.origin() + ") cannot be used: " + e.what());
        }
    }

    // Returns false to leave.
    bool command(const std::string& text) {
        const size_t space = text.find(' ');
        const std::string name = text.substr(0, space);
        const std::string arg = space == std::string::npos ? "" : trim(text.substr(space + 1));
        if (name == "/exit" || name == "/quit") return false;
        if (name == "/help") {
            std::fputs(kHelp, stderr);
        } else if (name == "/reset") {
            reset();
            std::fputs("(conversation cleared)\n", stderr);
        } else if (name == "/save") {
            save(arg);
        } else {
            std::fprintf(stderr, "unknown command %s; /help lists them\n", name.c_str());
        }
        return true;
    }

    void save(const std::string& path) {
        if (path.empty()) {
            std::fputs("usage: /save FILE\n", stderr);
            return;
        }
        nlohmann::json messages = nlohmann::json::array();
        for (const chat::Message& m : history_)
            messages.push_back({{"role", m.role}, {"content", m.content}});
        std::ofstream out(path, std::ios::binary);
        // Generated text may hold bytes that are not UTF-8 (byte tokens): written as U+FFFD.
        out << messages.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
        if (!out)
            std::fprintf(stderr, "chord: error: cannot write %s\n", path.c_str());
        else
            std::fprintf(stderr, "(%zu messages saved to %s)\n", history_.size(), path.c_str());
    }

    void answer(const std::string& text) {
        history_.push_back({"user", text});
        std::vector<tokenizer::TokenId> prompt;
        try {
            prompt = runtime::chat_prompt(tok_, tmpl_, history_);
            if (prompt.size() >= ctx_.n_ctx())
                throw Error(ErrorCode::InvalidArgument,
                            "the conversation is " + std::to_string(prompt.size()) +
                                " tokens, the context holds " + std::to_string(ctx_.n_ctx()) +
                                ": /reset to start over (or raise -c)");
        } catch (const Error& e) {
            std::fprintf(stderr, "chord: error: %s\n", e.what());
            history_.pop_back();
            return;
        }
        std::string reply;
        const auto print = [&](std::string_view piece) {
            // The answer's first token usually carries the space that separates words: not at the start.
            if (reply.empty()) piece.remove_prefix(std::min(piece.find_first_not_of(" \t\n"), piece.size()));
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
            reply += piece;
            return true;
        };
        set_interruptible(&gen_);
        runtime::GenerateStats s;
        try {
            s = gen_.run(prompt, generate_options(options_.generation), print);
        } catch (...) {  // the turn did not happen
            set_interruptible(nullptr);
            history_.pop_back();
            throw;
        }
        set_interruptible(nullptr);
        drop_pending_interrupts();  // a Ctrl-C that came just after the answer was meant for it
        std::fputc('\n', stdout);
        std::fflush(stdout);
        if (s.stop_reason == runtime::StopReason::Aborted) std::fputs("[stopped]\n", stderr);
        if (s.stop_reason == runtime::StopReason::ContextFull)
            std::fputs("[the context is full: /reset to start over, or raise -c]\n", stderr);
        history_.push_back({"assistant", reply});
        ++turns_;
        totals_.prompt_tokens += s.prompt_tokens;
        totals_.prompt_tokens_cached += s.prompt_tokens_cached;
        totals_.prompt_seconds += s.prompt_seconds;
        totals_.generated_tokens += s.generated_tokens;
        totals_.generation_seconds += s.generation_seconds;
        totals_.time_to_first_token += s.time_to_first_token;
    }

    void print_totals() const {
        if (turns_ == 0 || options_.generation.no_perf) return;
        runtime::GenerateStats t = totals_;
        t.time_to_first_token /= turns_;
        std::fprintf(stderr, "chord: %d answer%s, first token after %.3f s on average\n", turns_,
                     turns_ == 1 ? "" : "s", t.time_to_first_token);
        print_stats(t, gen_.sampler().seed());
    }

    const ChatOptions& options_;
    std::shared_ptr<const model::Model> model_;
    tokenizer::Tokenizer tok_;
    chat::Template tmpl_;
    runtime::Context ctx_;
    runtime::Generator gen_;
    std::vector<chat::Message> history_;
    runtime::GenerateStats totals_;
    int turns_ = 0;
};

}  // namespace

void register_chat(CLI::App& app) {
    auto o = std::make_shared<ChatOptions>();
    CLI::App* cmd = app.add_subcommand("chat", "Chat with a model interactively, through its chat template");
    add_model_options(*cmd, o->model);
    cmd->add_option("--system,--system-prompt", o->system,
                    "A system message at the start of the conversation (also -sys)");
    cmd->add_option(
        "--chat-template", o->chat_template,
        "A built-in template (chatml, llama2, llama3, mistral, zephyr, phi3, gemma) or a Jinja file "
        "(default: the model's own)");
    add_generation_options(*cmd, o->generation);
    cmd->callback([o] {
        ChatSession session(*o);
        session.loop();
    });
}

}  // namespace chord::cli

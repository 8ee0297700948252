// `chord serve -m MODEL`: an OpenAI-compatible HTTP server (cpp-httplib, nlohmann-json). POST
// /v1/chat/completions (through the model's chat template) and /v1/completions, streamed as server-sent
// events or whole; GET /v1/models and /health; errors as OpenAI error objects. Requests are generated in
// --parallel slots with their own KV cache; the rest wait, up to --max-queue, then get 503. A client
// that goes away stops its generation: a streamed answer notices at its next write; a whole answer is
// sent chunked and writes a space (insignificant before JSON) every 100 ms while it is generated, which
// fails once the peer has closed. The same server can serve the web demo (--static, default web/dist)
// at / with the COOP/COEP headers that SharedArrayBuffer (wasm threads) needs. Ctrl-C or SIGTERM stops
// it. POSIX only (the CLI is native).
#include <CLI/CLI.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "chat/template.h"
#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "runtime/chat_prompt.h"
#include "serve_request.h"
#include "serve_response.h"
#include "serve_slots.h"

namespace chord::cli {
namespace {

using nlohmann::json;
using serve::ApiError;
using serve::Endpoint;

struct ServeOptions {
    ModelOptions model;
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string api_key;
    int parallel = 1;
    size_t max_queue = 64;
    std::string static_dir;  // empty: web/dist when present
    bool no_static = false;
    std::string chat_template;
    std::string alias;  // the model id; empty: the file name
    bool verbose = false;
};

constexpr auto kHeartbeat = std::chrono::milliseconds(100);

std::string default_static_dir() {
    for (const char* dir : {"web/dist", CHORD_SOURCE_DIR "/web/dist"})
        if (std::filesystem::is_regular_file(std::string(dir) + "/index.html")) return dir;
    return "";
}

void send_error(httplib::Response& res, const ApiError& e) {
    res.status = e.status;
    res.set_content(serve::error_body(e), "application/json");
}

class Server {
  public:
    explicit Server(const ServeOptions& o)
        : options_(o),
          model_(load_model(o.model)),
          tok_(tokenizer::Tokenizer::from_gguf(model_->file())),
          tmpl_(chat::Template::from_gguf(model_->file(), o.chat_template)),
          pool_(model_, tok_, slot_context_options(o), o.parallel, o.max_queue) {
        model_id_ = !o.alias.empty() ? o.alias
                    : o.model.path.empty()
                        ? std::string("demo")
                        : std::filesystem::path(o.model.path).filename().string();
        static_dir_ = o.no_static ? "" : o.static_dir.empty() ? default_static_dir() : o.static_dir;
        if (!static_dir_.empty() && !std::filesystem::is_directory(static_dir_))
            throw Error(ErrorCode::InvalidArgument, "--static " + static_dir_ + " is not a directory");
        setup();
    }

    // Binds, prints the address and serves until stop().
    void run() {
        int port = options_.port;
        if (port == 0) {
            port = http_.bind_to_any_port(options_.host);
            if (port < 0) throw Error(ErrorCode::Io, "cannot listen on " + options_.host);
        } else if (!http_.bind_to_port(options_.host, port)) {
            throw Error(ErrorCode::Io, "cannot listen on " + options_.host + ":" + std::to_string(port) +
                                           " (in use, or not an address of this machine)");
        }
        std::fprintf(stderr, "chord serve: %s, %zu slot(s) of %u tokens, listening on http://%s:%d%s%s\n",
                     model_id_.c_str(), pool_.status().slots, pool_.n_ctx(), options_.host.c_str(), port,
                     static_dir_.empty() ? "" : ", web demo from ", static_dir_.c_str());
        std::fflush(stderr);
        http_.listen_after_bind();
    }

    void stop() {
        pool_.shutdown();
        http_.stop();
    }

  private:
    static runtime::ContextOptions slot_context_options(const ServeOptions& o) {
        runtime::ContextOptions c = context_options(o.model);
        if (c.threads == 0) {  // share the cores between the slots
            const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
            c.threads = static_cast<int>(std::max(1u, cores / static_cast<unsigned>(std::max(1, o.parallel))));
        }
        return c;
    }

    void setup() {
        // Every connection holds a worker for its keep-alive life: enough for the slots, the queue and
        // a few idle clients, so that a request over the queue limit is read and answered 503.
        const size_t workers = static_cast<size_t>(std::max(1, options_.parallel)) + options_.max_queue + 16;
        http_.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
        http_.set_payload_max_length(size_t{32} << 20);
        http_.set_default_headers({{"Access-Control-Allow-Origin", "*"}});
        if (!static_dir_.empty()) {
            http_.set_file_extension_and_mimetype_mapping("wasm", "application/wasm");
            http_.set_file_extension_and_mimetype_mapping("js", "text/javascript");
            http_.set_file_extension_and_mimetype_mapping("mjs", "text/javascript");
            http_.set_file_extension_and_mimetype_mapping("gguf", "application/octet-stream");
            http_.set_mount_point("/", static_dir_,
                                  {{"Cross-Origin-Opener-Policy", "same-origin"},
                                   {"Cross-Origin-Embedder-Policy", "require-corp"},
                                   {"Cross-Origin-Resource-Policy", "same-origin"}});
        }
        http_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
            if (options_.api_key.empty() || req.method == "OPTIONS" || !is_api_path(req.path))
                return httplib::Server::HandlerResponse::Unhandled;
            const std::string auth = req.get_header_value("Authorization");
            if (auth == "Bearer " + options_.api_key) return httplib::Server::HandlerResponse::Unhandled;
            send_error(res, ApiError(401,
                                     auth.empty() ? "no API key given (Authorization: Bearer KEY)"
                                                  : "incorrect API key provided",
                                     "", "invalid_api_key", "authentication_error"));
            return httplib::Server::HandlerResponse::Handled;
        });
        http_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
            if (!res.body.empty()) return;
            if (res.status == 404)
                send_error(res, ApiError(404, "no such route: " + req.method + " " + req.path, "", "not_found"));
            else if (res.status == 413)
                send_error(res, ApiError(413, "the request body is too large", "", "payload_too_large"));
            else
                send_error(res, ApiError(res.status, "the request could not be handled (HTTP " +
                                                         std::to_string(res.status) + ")"));
        });
        http_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
            std::string what = "internal error";
            try {
                std::rethrow_exception(ep);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            send_error(res, ApiError(500, what));
        });
        if (options_.verbose)
            http_.set_logger([](const httplib::Request& req, const httplib::Response& res) {
                std::fprintf(stderr, "chord serve: %s %s -> %d\n", req.method.c_str(), req.path.c_str(), res.status);
            });

        http_.Options(".*", [](const httplib::Request&, httplib::Response& res) {
            res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
            res.status = 204;
        });
        http_.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
            const auto s = pool_.status();
            res.set_content(json{{"status", "ok"},
                                 {"slots_idle", s.slots - s.busy},
                                 {"slots_processing", s.busy},
                                 {"queued", s.queued}}
                                .dump(),
                            "application/json");
        });
        const auto models = [this](const httplib::Request&, httplib::Response& res) {
            const json model = {{"id", model_id_},
                                {"object", "model"},
                                {"created", static_cast<int64_t>(std::time(nullptr))},
                                {"owned_by", "wasm-chord"}};
            res.set_content(json{{"object", "list"}, {"data", json::array({model})}}.dump(), "application/json");
        };
        http_.Get("/v1/models", models);
        http_.Get("/models", models);
        for (const char* path : {"/v1/chat/completions", "/chat/completions"})
            http_.Post(path, [this](const httplib::Request& req, httplib::Response& res) {
                complete(req, res, Endpoint::Chat);
            });
        for (const char* path : {"/v1/completions", "/completions"})
            http_.Post(path, [this](const httplib::Request& req, httplib::Response& res) {
                complete(req, res, Endpoint::Completion);
            });
    }

    static bool is_api_path(const std::string& path) {
        return path.rfind("/v1/", 0) == 0 || path == "/models" || path == "/chat/completions" ||
               path == "/completions";
    }

    // Everything a generation needs once its response has started.
    struct Job {
        serve::CompletionRequest request;
        std::vector<tokenizer::TokenId> prompt;
        std::unique_ptr<serve::SlotPool::Lease> lease;
        serve::AnswerHeader header;
    };

    void complete(const httplib::Request& req, httplib::Response& res, Endpoint endpoint) {
        auto job = std::make_shared<Job>();
        try {
            job->request = serve::parse_request(req.body, endpoint, tok_.n_vocab());
            job->prompt = tokenize(job->request);
            pool_.any_generator().check_prompt(job->prompt);
        } catch (const ApiError& e) {
            return send_error(res, e);
        } catch (const Error& e) {
            const bool too_long = std::string_view(e.what()).find("longer than") != std::string_view::npos ||
                                  job->prompt.size() >= pool_.n_ctx();
            return send_error(res, ApiError(400, e.what(), endpoint == Endpoint::Chat ? "messages" : "prompt",
                                            too_long ? "context_length_exceeded" : "invalid_value"));
        }
        job->lease = pool_.acquire(job->prompt);
        if (!job->lease)
            return send_error(res, ApiError(503, "the server is busy (every slot is generating and the queue is "
                                                 "full); retry later",
                                            "", "overloaded"));
        job->header = serve::new_answer(endpoint, model_id_);
        if (job->request.echo && job->request.prompt_is_ids) job->request.prompt = tok_.decode(job->prompt, true);
        if (job->request.stream) {
            res.set_header("Cache-Control", "no-cache");
            res.set_header("X-Accel-Buffering", "no");  // proxies such as nginx: pass each event on at once
            res.set_chunked_content_provider("text/event-stream", [this, job](size_t, httplib::DataSink& sink) {
                stream(*job, sink);
                return true;
            });
        } else {
            res.set_chunked_content_provider("application/json", [this, job](size_t, httplib::DataSink& sink) {
                whole(*job, sink);
                return true;
            });
        }
    }

    std::vector<tokenizer::TokenId> tokenize(const serve::CompletionRequest& r) const {
        if (r.endpoint == Endpoint::Chat) {
            try {
                return runtime::chat_prompt(tok_, tmpl_, r.messages);
            } catch (const Error& e) {
                throw ApiError(400, std::string("the chat template cannot render these messages: ") + e.what(),
                               "messages");
            }
        }
        if (r.prompt_is_ids) return r.prompt_ids;
        return tok_.encode(r.prompt, true, true);  // as `chord run`: BOS, control-token text parsed
    }

    // Runs the generation, handing each piece to `on_piece` (false: the client is gone). Returns the
    // usage and the finish reason (nullptr when the client went away).
    const char* generate(Job& job, serve::Usage& usage, const runtime::Generator::Callback& on_piece) {
        runtime::Generator& gen = job.lease->slot().gen;
        gen.set_sampler(job.request.sampler);
        const runtime::GenerateStats stats = gen.run(job.prompt, job.request.generate, on_piece);
        usage.prompt_tokens = stats.prompt_tokens;
        usage.completion_tokens = stats.generated_tokens;
        if (stats.stop_reason == runtime::StopReason::EndOfGeneration && usage.completion_tokens > 0)
            --usage.completion_tokens;  // the end-of-generation token is not part of the answer
        if (options_.verbose)
            std::fprintf(stderr, "chord serve: %s: prompt %u tokens (%u cached), generated %u at %.1f tok/s, stop: %s\n",
                         job.header.id.c_str(), stats.prompt_tokens, stats.prompt_tokens_cached,
                         stats.generated_tokens, stats.generation_tokens_per_second(),
                         stats.stop_reason == runtime::StopReason::Callback ? "client gone"
                                                                             : runtime::stop_reason_name(stats.stop_reason));
        if (stats.stop_reason == runtime::StopReason::Callback || stats.stop_reason == runtime::StopReason::Aborted)
            return nullptr;
        return serve::finish_reason(stats.stop_reason);
    }

    void stream(Job& job, httplib::DataSink& sink) {
        const auto write = [&](const std::string& s) { return sink.write(s.data(), s.size()); };
        serve::Usage usage;
        try {
            bool alive = true;
            if (job.request.endpoint == Endpoint::Chat)  // the role comes first, with empty content
                alive = write(serve::sse_text(job.header, "", true));
            if (alive && job.request.echo) alive = write(serve::sse_text(job.header, job.request.prompt));
            const char* finish = !alive ? nullptr : generate(job, usage, [&](std::string_view piece) {
                return piece.empty() || write(serve::sse_text(job.header, piece));
            });
            job.lease.reset();
            if (finish == nullptr) return;  // the client is gone
            write(serve::sse_finish(job.header, finish));
            if (job.request.include_usage) write(serve::sse_usage(job.header, usage));
            write(std::string(serve::kSseDone));
        } catch (const std::exception& e) {
            job.lease.reset();
            write(serve::sse_error(ApiError(500, e.what())));
        }
        sink.done();
    }

    void whole(Job& job, httplib::DataSink& sink) {
        serve::Usage usage;
        std::string text = job.request.echo ? job.request.prompt : "";
        auto last_write = std::chrono::steady_clock::now();
        bool alive = true;
        try {
            const char* finish = generate(job, usage, [&](std::string_view piece) {
                text += piece;
                const auto now = std::chrono::steady_clock::now();
                if (now - last_write >= kHeartbeat) {
                    last_write = now;
                    alive = sink.write(" ", 1);
                }
                return alive;
            });
            job.lease.reset();
            if (finish == nullptr) return;
            const std::string body = serve::answer_body(job.header, text, finish, usage);
            sink.write(body.data(), body.size());
        } catch (const std::exception& e) {
            job.lease.reset();
            const std::string body = serve::error_body(ApiError(500, e.what()));
            sink.write(body.data(), body.size());
        }
        sink.done();
    }

    ServeOptions options_;
    std::shared_ptr<const model::Model> model_;
    tokenizer::Tokenizer tok_;
    chat::Template tmpl_;
    serve::SlotPool pool_;
    std::string model_id_;
    std::string static_dir_;
    httplib::Server http_;
};

// SIGINT and SIGTERM are blocked in every thread (call before any thread starts: the slots' thread
// pools inherit the mask) and taken by one that stops the server.
sigset_t block_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    return signals;
}

void serve_until_signal(Server& server, const sigset_t& signals) {
    std::atomic<bool> done{false};
    std::thread watcher([&] {
        const timespec tick = {0, 200'000'000};
        while (!done.load()) {
            if (sigtimedwait(&signals, nullptr, &tick) > 0) {
                std::fputs("chord serve: stopping\n", stderr);
                server.stop();
                // Generations are aborted and no connection is accepted any more, but httplib's workers
                // wait out the keep-alive timeout of idle connections: give them a moment, then leave.
                for (int i = 0; i < 10 && !done.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
                if (!done.load()) std::_Exit(0);
                return;
            }
        }
    });
    try {
        server.run();
    } catch (...) {
        done = true;
        watcher.join();
        throw;
    }
    done = true;
    watcher.join();
}

}  // namespace

void register_serve(CLI::App& app) {
    auto o = std::make_shared<ServeOptions>();
    CLI::App* cmd = app.add_subcommand("serve", "Serve the model over HTTP with OpenAI's API (and the web demo)");
    add_model_options(*cmd, o->model);
    cmd->add_option("--host", o->host, "Address to listen on")->capture_default_str();
    cmd->add_option("--port", o->port, "Port to listen on (0: any free one, printed at start)")
        ->capture_default_str()
        ->check(CLI::Range(0, 65535));
    cmd->add_option("--api-key", o->api_key, "Require 'Authorization: Bearer KEY' on the API routes");
    cmd->add_option("--parallel", o->parallel, "Slots: requests generated at once, each with its own KV cache")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    cmd->add_option("--max-queue", o->max_queue, "Requests that may wait for a slot; more get 503")
        ->capture_default_str()
        ->check(CLI::Range(0, 4096));
    cmd->add_option("--static", o->static_dir, "Serve this folder at / (default: web/dist when present)");
    cmd->add_flag("--no-static", o->no_static, "Serve only the API");
    cmd->add_option("--chat-template", o->chat_template, "A built-in template's name or a Jinja file");
    cmd->add_option("-a,--alias", o->alias, "The model's id in the API (default: the file name)");
    cmd->add_flag("-v,--verbose", o->verbose, "Log every request to stderr");
    cmd->callback([o] {
        const sigset_t signals = block_stop_signals();
        Server server(*o);
        serve_until_signal(server, signals);
    });
}

}  // namespace chord::cli

// `chord perplexity -m MODEL -f TEXT [-c CTX] [--chunks N] [-t N] [--json]`: the perplexity of a model
// on a text, computed as llama.cpp's llama-perplexity computes it: the text is tokenized with BOS, cut
// into non-overlapping chunks of n_ctx tokens (the rest dropped), each chunk evaluated from an empty
// cache with its first token replaced by BOS, and only the second half of each chunk scored (each
// scored token then has at least n_ctx/2 tokens before it). PPL = exp(mean negative log-likelihood);
// the ± is llama.cpp's: PPL times the standard error of the mean negative log-likelihood.
// A progress bar goes to stderr; the running perplexity after each chunk ("[1]12.34,[2]...") and the
// final estimate go to stdout.
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "runtime/context.h"
#include "tokenizer/tokenizer.h"

namespace chord::cli {
namespace {

struct PerplexityOptions {
    ModelOptions model;
    std::string file;
    int chunks = -1;
    bool json = false;
};

// -log p(tok) from a row of logits, with llama.cpp's arithmetic: float max, double sum of float exps.
double nll_of(std::span<const float> logits, int32_t tok) {
    float max = logits[0];
    for (float l : logits) max = std::max(max, l);
    double sum = 0.0;
    for (float l : logits) sum += std::exp(l - max);
    return -(static_cast<double>(logits[tok] - max) - std::log(sum));
}

void progress(size_t done, size_t total, double ppl, double seconds, bool tty) {
    constexpr int width = 30;
    const int filled = static_cast<int>(width * done / std::max<size_t>(total, 1));
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    const double eta = done ? seconds / static_cast<double>(done) * static_cast<double>(total - done) : 0.0;
    std::fprintf(stderr, "%sperplexity [%s] %zu/%zu chunks, PPL %.4f, %.1f s, ETA %.1f s%s", tty ? "\r" : "",
                 bar.c_str(), done, total, ppl, seconds, eta, tty ? (done == total ? "\n" : "") : "\n");
    std::fflush(stderr);
}

void run_perplexity(const PerplexityOptions& o) {
    std::ifstream in(o.file, std::ios::binary);
    if (!in) throw Error(ErrorCode::Io, "cannot read the text file " + o.file);
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();

    auto model = load_model(o.model);
    ModelOptions mo = o.model;
    if (mo.n_ctx == 0) mo.n_ctx = 512;  // llama-perplexity's default
    mo.n_batch = std::min(mo.n_batch, mo.n_ctx);
    runtime::Context ctx(model, context_options(mo));
    const auto tok = tokenizer::Tokenizer::from_gguf(model->file());
    const int n_ctx = static_cast<int>(ctx.n_ctx());
    const size_t n_vocab = model->hparams().n_vocab;

    // As llama-perplexity: BOS added where the model wants it, control-token text not parsed.
    std::vector<int32_t> tokens = tok.encode(text, true, false);
    if (tokens.size() < 2 * static_cast<size_t>(n_ctx))
        throw Error(ErrorCode::InvalidArgument, o.file + " tokenizes to " + std::to_string(tokens.size()) +
                                                    " tokens; perplexity with a context of " +
                                                    std::to_string(n_ctx) + " needs at least " +
                                                    std::to_string(2 * n_ctx) + " (lower -c)");
    const int n_chunk_max = static_cast<int>(tokens.size() / static_cast<size_t>(n_ctx));
    const int n_chunk = o.chunks < 0 ? n_chunk_max : std::min(o.chunks, n_chunk_max);
    const int first = n_ctx / 2;
    if (!o.json)
        std::fprintf(stderr, "perplexity: %zu tokens, %d chunks of %d (second half scored), %d threads\n",
                     tokens.size(), n_chunk, n_ctx, ctx.threads());

    const bool tty = isatty(fileno(stderr)) != 0;
    const auto t0 = std::chrono::steady_clock::now();
    double nll = 0.0, nll2 = 0.0;
    size_t count = 0;
    std::vector<int32_t> chunk(static_cast<size_t>(n_ctx));
    std::string running;
    for (int i = 0; i < n_chunk; ++i) {
        const auto start = tokens.begin() + static_cast<std::ptrdiff_t>(i) * n_ctx;
        std::copy(start, start + n_ctx, chunk.begin());
        if (tok.add_bos()) chunk[0] = tok.bos();
        ctx.clear();
        const auto logits = ctx.eval(chunk, true);
        for (int j = first; j < n_ctx - 1; ++j) {
            const double v = nll_of(logits.subspan(static_cast<size_t>(j) * n_vocab, n_vocab), start[j + 1]);
            nll += v;
            nll2 += v * v;
        }
        count += static_cast<size_t>(n_ctx - 1 - first);
        const double ppl = std::exp(nll / static_cast<double>(count));
        char buf[64];
        std::snprintf(buf, sizeof buf, "[%d]%.4f,", i + 1, ppl);
        running += buf;
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!o.json) progress(static_cast<size_t>(i + 1), static_cast<size_t>(n_chunk), ppl, secs, tty);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double mean = nll / static_cast<double>(count);
    const double ppl = std::exp(mean);
    const double var = nll2 / static_cast<double>(count) - mean * mean;
    const double err = var > 0 && count > 1 ? std::sqrt(var / static_cast<double>(count - 1)) * ppl : 0.0;
    if (o.json) {
        const nlohmann::json out = {{"ppl", ppl},
                                    {"error", err},
                                    {"nll", mean},
                                    {"n_ctx", n_ctx},
                                    {"chunks", n_chunk},
                                    {"scored", count},
                                    {"tokens", tokens.size()},
                                    {"seconds", seconds}};
        std::printf("%s\n", out.dump().c_str());
    } else {
        std::printf("%s\nFinal estimate: PPL = %.4f +/- %.5f\n", running.c_str(), ppl, err);
        std::fprintf(stderr, "perplexity: %zu tokens scored in %.2f s (%.1f tokens/s evaluated)\n", count,
                     seconds, static_cast<double>(n_chunk) * n_ctx / std::max(seconds, 1e-9));
    }
}

}  // namespace

void register_perplexity(CLI::App& app) {
    auto o = std::make_shared<PerplexityOptions>();
    CLI::App* cmd = app.add_subcommand(
        "perplexity", "Perplexity of a model on a text file, computed as llama.cpp's llama-perplexity does");
    add_model_options(*cmd, o->model);
    cmd->add_option("-f,--file", o->file, "The text to score")->required();
    cmd->add_option("--chunks", o->chunks, "Score at most this many chunks (-1: all)")->capture_default_str();
    cmd->add_flag("--json", o->json, "Print only a JSON line with the result (no progress)");
    cmd->callback([o] { run_perplexity(*o); });
}

}  // namespace chord::cli

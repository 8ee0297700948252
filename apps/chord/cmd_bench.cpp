// `chord bench -m MODEL [-t N] [-p 128] [-n 32] [-r 5] [--json]`: prompt processing and generation
// speed like llama-bench: ppN evaluates N prompt tokens in one batch on an empty context, tgN
// generates N tokens one at a time; each test runs once to warm up, then `-r` times, and reports the
// mean and standard deviation of tokens per second.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "kernels/dispatch.h"
#include "model/file_type.h"

namespace chord::cli {
namespace {

struct BenchOptions {
    ModelOptions model;
    int n_prompt = 128;
    int n_gen = 32;
    int reps = 5;
    bool json = false;
};

struct Result {
    std::string test;
    double avg_ts = 0;
    double stddev_ts = 0;
};

// Token ids for the benchmark: spread over the vocabulary, deterministic.
std::vector<int32_t> bench_tokens(int n, uint32_t n_vocab) {
    std::vector<int32_t> ids(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
        ids[static_cast<size_t>(i)] = static_cast<int32_t>((7919u * (i + 1)) % n_vocab);
    return ids;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Result run_test(runtime::Context& ctx, const std::string& name, int n_tokens, bool batch, int reps) {
    const auto ids = bench_tokens(n_tokens, ctx.model().hparams().n_vocab);
    std::vector<double> rates;
    for (int rep = -1; rep < reps; ++rep) {  // rep -1 warms up
        ctx.clear();
        const auto start = std::chrono::steady_clock::now();
        if (batch) {
            ctx.eval(ids);
        } else {
            for (int32_t id : ids) ctx.eval(std::span<const int32_t>(&id, 1));
        }
        const double s = seconds_since(start);
        if (rep >= 0) rates.push_back(n_tokens / s);
    }
    double mean = 0;
    for (double r : rates) mean += r;
    mean /= static_cast<double>(rates.size());
    double var = 0;
    for (double r : rates) var += (r - mean) * (r - mean);
    const double sd = rates.size() > 1 ? std::sqrt(var / static_cast<double>(rates.size() - 1)) : 0.0;
    return {name, mean, sd};
}

void run_bench(const BenchOptions& o) {
    if (o.reps < 1) throw Error(ErrorCode::InvalidArgument, "-r must be at least 1");
    if (o.n_prompt < 0 || o.n_gen < 0 || o.n_prompt + o.n_gen == 0)
        throw Error(ErrorCode::InvalidArgument, "-p and -n must be non-negative, and not both 0");
    auto model = load_model(o.model);
    ModelOptions mo = o.model;
    if (mo.n_ctx == 0) mo.n_ctx = static_cast<uint32_t>(std::max(o.n_prompt, o.n_gen));
    if (mo.n_batch < static_cast<uint32_t>(o.n_prompt)) mo.n_batch = static_cast<uint32_t>(o.n_prompt);
    runtime::Context ctx(model, context_options(mo));

    std::vector<Result> results;
    if (o.n_prompt > 0)
        results.push_back(run_test(ctx, "pp" + std::to_string(o.n_prompt), o.n_prompt, true, o.reps));
    if (o.n_gen > 0) results.push_back(run_test(ctx, "tg" + std::to_string(o.n_gen), o.n_gen, false, o.reps));

    if (o.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& r : results)
            out.push_back({{"test", r.test},
                           {"avg_ts", r.avg_ts},
                           {"stddev_ts", r.stddev_ts},
                           {"threads", ctx.threads()},
                           {"kernels", kernels::kernel_isa()}});
        std::cout << out.dump(2) << '\n';
        return;
    }
    const auto& f = model->file();
    const std::string type =
        f.find("general.file_type") != nullptr ? model::file_type_name(f.get_u32("general.file_type")) : "?";
    uint64_t params = 0;
    for (const auto& t : f.tensors()) params += t.n_elements;
    std::printf("| model | size | params | backend | threads | test | t/s |\n");
    std::printf("| --- | ---: | ---: | --- | ---: | ---: | ---: |\n");
    for (const auto& r : results)
        std::printf("| %s %s | %.2f MiB | %.2f M | cpu (%s) | %d | %s | %.2f ± %.2f |\n",
                    model->hparams().arch.c_str(), type.c_str(),
                    static_cast<double>(f.bytes().size()) / (1 << 20), static_cast<double>(params) / 1e6,
                    kernels::kernel_isa(), ctx.threads(), r.test.c_str(), r.avg_ts, r.stddev_ts);
}

}  // namespace

void register_bench(CLI::App& app) {
    auto o = std::make_shared<BenchOptions>();
    CLI::App* cmd = app.add_subcommand("bench", "Measure prompt and generation speed (like llama-bench)");
    add_model_options(*cmd, o->model);
    cmd->add_option("-p,--n-prompt", o->n_prompt, "Prompt tokens (ppN test; 0 skips it)")
        ->capture_default_str();
    cmd->add_option("-n,--n-gen", o->n_gen, "Generated tokens (tgN test; 0 skips it)")->capture_default_str();
    cmd->add_option("-r,--repetitions", o->reps, "Repetitions of each test")->capture_default_str();
    cmd->add_flag("--json", o->json, "Print results as JSON: [{test, avg_ts, stddev_ts}, ...]");
    cmd->callback([o] { run_bench(*o); });
}

}  // namespace chord::cli

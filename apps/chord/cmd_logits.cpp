// `chord logits -m MODEL --ids 1,2,3 [--top K] [--all-positions]`: evaluates tokens and
// prints the top-K next-token log-probabilities as JSON, the form the parity tests compare with
// llama.cpp's. --ids are evaluated exactly as given (no BOS added).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <numeric>

#include "cli_common.h"
#include "commands.h"
#include "core/error.h"
#include "runtime/context.h"

namespace chord::cli {
namespace {

struct LogitsOptions {
    ModelOptions model;
    std::string ids;
    int top = 10;
    bool all_positions = false;
};

nlohmann::json top_logprobs(std::span<const float> logits, int k) {
    double max = -INFINITY;
    for (float l : logits) max = std::max(max, static_cast<double>(l));
    double sum = 0.0;
    for (float l : logits) sum += std::exp(static_cast<double>(l) - max);
    const double log_z = max + std::log(sum);

    std::vector<int32_t> order(logits.size());
    std::iota(order.begin(), order.end(), 0);
    const auto kk =
        k == 0 ? order.size() : static_cast<size_t>(std::min<int64_t>(k, static_cast<int64_t>(order.size())));
    // Highest first; equal logits by id, as llama.cpp's greedy pick takes the first maximum.
    std::partial_sort(
        order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kk), order.end(),
        [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
    nlohmann::json top = nlohmann::json::array();
    for (size_t i = 0; i < kk; ++i)
        top.push_back({{"id", order[i]}, {"logprob", static_cast<double>(logits[order[i]]) - log_z}});
    nlohmann::json out = {{"top", top}};
    if (kk >= 2) out["margin"] = top[0]["logprob"].get<double>() - top[1]["logprob"].get<double>();
    return out;
}

void run_logits(const LogitsOptions& o) {
    auto model = load_model(o.model);
    runtime::Context ctx(model, context_options(o.model));
    const std::vector<int32_t> ids = parse_id_list(o.ids);
    if (ids.empty()) throw Error(ErrorCode::InvalidArgument, "--ids: give at least one token id");
    if (o.top < 0) throw Error(ErrorCode::InvalidArgument, "--top must be 0 (the whole vocabulary) or more");
    const auto logits = ctx.eval(ids, o.all_positions);
    const size_t n_vocab = model->hparams().n_vocab;

    nlohmann::json out = {{"tokens", ids}};
    if (o.all_positions) {
        nlohmann::json positions = nlohmann::json::array();
        for (size_t t = 0; t < ids.size(); ++t)
            positions.push_back(top_logprobs(logits.subspan(t * n_vocab, n_vocab), o.top));
        out["positions"] = positions;
    } else {
        out.update(top_logprobs(logits, o.top));
    }
    std::cout << out.dump() << '\n';
}

}  // namespace

void register_logits(CLI::App& app) {
    auto o = std::make_shared<LogitsOptions>();
    CLI::App* cmd =
        app.add_subcommand("logits", "Print the top next-token log-probabilities after some tokens, as JSON");
    add_model_options(*cmd, o->model);
    cmd->add_option("--ids", o->ids, "Comma-separated token ids, evaluated exactly as given (no BOS)")
        ->required();
    cmd->add_option("--top", o->top, "How many of the most likely tokens to print (0: all)")
        ->capture_default_str();
    cmd->add_flag("--all-positions", o->all_positions,
                  "Print the distribution after every token, not just the last");
    cmd->callback([o] { run_logits(*o); });
}

}  // namespace chord::cli

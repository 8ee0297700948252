// The sampler stages (see stages.h). None allocates: they resize within the reserved buffers.
#include "sample/stages.h"

#include <algorithm>
#include <cmath>

namespace chord::sample {

void apply_logit_bias(Candidates& c, std::span<const LogitBias> biases) {
    for (const LogitBias& b : biases)
        if (b.token >= 0 && static_cast<size_t>(b.token) < c.size())
            c[static_cast<size_t>(b.token)].logit += b.bias;
    if (!biases.empty()) c.sorted = false;
}

void top_k(Candidates& c, int32_t k) {
    if (k <= 0 || c.size() == 0) return;
    const size_t keep = std::min(static_cast<size_t>(k), c.size());
    c.sort_first(keep);
    c.items.resize(keep);
    c.sorted = true;
}

void typical_p(Candidates& c, float p) {
    if (p >= 1.0f || c.size() == 0) return;
    c.softmax();
    // With d_i = logit_i - max and Z the softmax denominator, -log p_i = log Z - d_i and the entropy is
    // log Z - sum p_j d_j, so |(-log p_i) - entropy| = |sum p_j d_j - d_i|: no logarithm needed.
    float max = c[0].logit;
    for (const TokenData& t : c.items) max = std::max(max, t.logit);
    if (std::isinf(max)) return;  // everything banned: no ranking to speak of
    double mean = 0.0;
    for (const TokenData& t : c.items)
        if (t.p > 0) mean += static_cast<double>(t.p) * (static_cast<double>(t.logit) - max);
    c.ranked.resize(c.size());
    for (size_t i = 0; i < c.size(); ++i) {
        const double d = static_cast<double>(c[i].logit) - max;
        c.ranked[i] = {std::abs(mean - d), static_cast<uint32_t>(i)};
    }
    std::sort(c.ranked.begin(), c.ranked.end(),
              [&](const Candidates::Ranked& a, const Candidates::Ranked& b) {
                  return a.key < b.key || (a.key == b.key && c[a.index].id < c[b.index].id);
              });
    double sum = 0.0;
    size_t keep = c.size();
    for (size_t i = 0; i < c.ranked.size(); ++i) {
        sum += static_cast<double>(c[c.ranked[i].index].p);
        if (sum > static_cast<double>(p)) {
            keep = i + 1;
            break;
        }
    }
    c.spare.resize(keep);
    for (size_t i = 0; i < keep; ++i) c.spare[i] = c[c.ranked[i].index];
    c.items.swap(c.spare);  // both reserved for the vocabulary: no allocation either way
    c.sorted = false;
}

void top_p(Candidates& c, float p) {
    if (p >= 1.0f || c.size() == 0) return;
    c.softmax();
    // Usually a few hundred tokens reach p: sort those first and the rest only when needed.
    size_t sorted_up_to = c.sorted ? c.size() : std::min<size_t>(c.size(), 256);
    c.sort_first(sorted_up_to);
    double sum = 0.0;
    size_t keep = c.size();
    for (size_t i = 0; i < c.size(); ++i) {
        if (i == sorted_up_to) {
            c.sort();
            sorted_up_to = c.size();
        }
        sum += static_cast<double>(c[i].p);
        if (sum >= static_cast<double>(p)) {
            keep = i + 1;
            break;
        }
    }
    c.items.resize(keep);
    c.sorted = true;  // what is kept lies within the sorted prefix
}

void min_p(Candidates& c, float p) {
    if (p <= 0.0f || c.size() == 0) return;
    float max = c[0].logit;
    for (const TokenData& t : c.items) max = std::max(max, t.logit);
    // p_i / p_max = exp(logit_i - max): no softmax needed.
    size_t kept = 0;
    for (size_t i = 0; i < c.size(); ++i)
        if (exp_det(static_cast<double>(c[i].logit) - max) >= static_cast<double>(p) || c[i].logit == max)
            c[kept++] = c[i];
    c.items.resize(kept);
}

void temperature(Candidates& c, float t) {
    for (TokenData& d : c.items) d.logit /= t;
}

size_t argmax(const Candidates& c) {
    size_t best = 0;
    for (size_t i = 1; i < c.size(); ++i)
        if (c[i].logit > c[best].logit || (c[i].logit == c[best].logit && c[i].id < c[best].id)) best = i;
    return best;
}

size_t draw(Candidates& c, Rng& rng) {
    const double u = rng.uniform();
    c.softmax();
    double total = 0.0;
    for (const TokenData& t : c.items) total += static_cast<double>(t.p);
    const double target = u * total;
    double sum = 0.0;
    for (size_t i = 0; i < c.size(); ++i) {
        sum += static_cast<double>(c[i].p);
        if (sum >= target && c[i].p > 0) return i;
    }
    // Rounding left the target beyond the sum: the last token that can be drawn.
    for (size_t i = c.size(); i-- > 0;)
        if (c[i].p > 0) return i;
    return 0;
}

}  // namespace chord::sample

// Candidates and the deterministic exp (see candidates.h). Built with -ffp-contract=off so no compiler
// fuses the polynomial's multiply-adds on one platform and not on another.
#include "sample/candidates.h"

#include <algorithm>
#include <cmath>

namespace chord::sample {

double exp_det(double x) {
    if (std::isnan(x)) return x;
    if (x < -745.2) return 0.0;  // below the smallest subnormal
    if (x > 709.0) return HUGE_VAL;
    // x = k ln2 + r, |r| <= ln2 / 2; ln2 split so that k * kLn2Hi is exact for |k| < 2^11.
    constexpr double kLog2e = 1.4426950408889634;
    constexpr double kLn2Hi = 0x1.62e42fee00000p-1;
    constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;
    const double k = std::floor(x * kLog2e + 0.5);
    const double r = (x - k * kLn2Hi) - k * kLn2Lo;
    // Taylor series to r^13 / 13!: the next term is below 1e-17 relative for |r| <= 0.35.
    double poly = 1.0 / 6227020800.0;
    for (double d : {479001600.0, 39916800.0, 3628800.0, 362880.0, 40320.0, 5040.0, 720.0, 120.0, 24.0, 6.0,
                     2.0, 1.0, 1.0})
        poly = poly * r + 1.0 / d;
    return std::ldexp(poly, static_cast<int>(k));
}

namespace {

bool before(const TokenData& a, const TokenData& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

}  // namespace

Candidates::Candidates(size_t n_vocab) {
    items.reserve(n_vocab);
    ranked.reserve(n_vocab);
    spare.reserve(n_vocab);
}

void Candidates::fill(std::span<const float> logits) {
    items.resize(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) items[i] = {static_cast<int32_t>(i), logits[i], 0.0f};
    sorted = false;
}

void Candidates::sort() {
    if (!sorted) std::sort(items.begin(), items.end(), before);
    sorted = true;
}

void Candidates::sort_first(size_t k) {
    if (sorted) return;
    if (k >= items.size()) return sort();
    std::partial_sort(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(k), items.end(), before);
}

void Candidates::softmax() {
    if (items.empty()) return;
    float max = items[0].logit;
    for (const TokenData& t : items) max = std::max(max, t.logit);
    if (std::isinf(max) && max < 0) {  // everything banned: spread evenly rather than divide by zero
        for (TokenData& t : items) t.p = 1.0f / static_cast<float>(items.size());
        return;
    }
    double sum = 0.0;
    for (TokenData& t : items) {
        const double e = exp_det(static_cast<double>(t.logit) - static_cast<double>(max));
        t.p = static_cast<float>(e);
        sum += e;
    }
    for (TokenData& t : items) t.p = static_cast<float>(static_cast<double>(t.p) / sum);
}

}  // namespace chord::sample

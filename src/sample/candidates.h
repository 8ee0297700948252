// sample::Candidates: the tokens still in the running while the sampler chain works on one set of
// logits — (id, logit, probability) triples that each stage narrows, sorts or rescales. Buffers are
// sized for the whole vocabulary once, so sampling a token allocates nothing. softmax() uses exp_det(),
// our own exp, so probabilities (and the draws made from them) are the same bits natively and in
// WebAssembly whatever the platform's libm does.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace chord::sample {

struct TokenData {
    int32_t id;
    float logit;
    float p;  // probability, valid after softmax() (or after a stage that computes it)
};

// exp(x) for x <= 0 from IEEE-754 double arithmetic only (range reduction by ln 2, a degree-13
// polynomial, an exact scaling): deterministic everywhere, relative error ~1e-16.
double exp_det(double x);

struct Candidates {
    explicit Candidates(size_t n_vocab);

    // Every token of the vocabulary in id order (index == id), probabilities unset.
    void fill(std::span<const float> logits);

    size_t size() const { return items.size(); }
    TokenData& operator[](size_t i) { return items[i]; }
    const TokenData& operator[](size_t i) const { return items[i]; }

    // By logit, highest first; equal logits by lower id (a total order, so every platform agrees).
    void sort();
    // Sorts only the first k (k <= size) of them; the rest stay behind in no particular order.
    void sort_first(size_t k);
    // p = exp(logit - max) / sum over the candidates; sums in double.
    void softmax();

    std::vector<TokenData> items;  // (n <= n_vocab)
    bool sorted = false;           // items are in sort() order

    // Scratch for stages that rank by something else (typical-p), reserved for n_vocab.
    struct Ranked {
        double key;
        uint32_t index;
    };
    std::vector<Ranked> ranked;
    std::vector<TokenData> spare;
};

}  // namespace chord::sample

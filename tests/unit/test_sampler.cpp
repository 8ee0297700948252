// The sampler chain on hand-made distributions: what each stage keeps (top-k, top-p at its boundary,
// min-p, typical-p), llama.cpp's penalty arithmetic, logit bias, temperature, greedy ties, seeded
// determinism (with golden draws, so native and WebAssembly builds are held to the same sequence), and
// that sampling a token allocates nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <vector>

#include "core/error.h"
#include "sample/chain.h"
#include "sample/stages.h"

namespace {
std::atomic<long> g_allocations{0};
}

// Counts every allocation of the test binary (malloc/free underneath, so sanitizers stay consistent).
// g++ sees free() meet memory from `new` once these are inlined: that is the point of replacing them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(size_t n) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, size_t) noexcept {
    std::free(p);
}

namespace chord::sample {
namespace {

Candidates make(const std::vector<float>& logits) {
    Candidates c(logits.size());
    c.fill(logits);
    return c;
}

std::vector<int32_t> ids(const Candidates& c) {
    std::vector<int32_t> out;
    for (const TokenData& t : c.items) out.push_back(t.id);
    return out;
}

using Ids = std::vector<int32_t>;

TEST(Sampler, DefaultsAreLlamaCpps) {
    const Params p;
    EXPECT_EQ(p.temperature, 0.8f);
    EXPECT_EQ(p.top_k, 40);
    EXPECT_EQ(p.top_p, 0.95f);
    EXPECT_EQ(p.min_p, 0.05f);
    EXPECT_EQ(p.typical_p, 1.0f);
    EXPECT_EQ(p.repeat_penalty, 1.0f);
    EXPECT_EQ(p.repeat_last_n, 64);
    EXPECT_EQ(p.seed, kRandomSeed);
}

TEST(Sampler, ExpDetIsAccurate) {
    for (double x = -740; x <= 0; x += 0.37) {
        const double want = std::exp(x), got = exp_det(x);
        if (want < 1e-300) continue;  // subnormal results lose relative precision in both
        ASSERT_NEAR(got / want, 1.0, 4e-16) << x;
    }
    EXPECT_EQ(exp_det(0.0), 1.0);
    EXPECT_EQ(exp_det(-INFINITY), 0.0);
    EXPECT_EQ(exp_det(-1000.0), 0.0);
}

TEST(Sampler, TopKKeepsTheHighestSortedWithTiesByLowerId) {
    auto c = make({1, 5, 3, 5, 2, 4});
    top_k(c, 3);
    EXPECT_EQ(ids(c), (Ids{1, 3, 5}));
    EXPECT_TRUE(c.sorted);

    auto all = make({1, 2, 3});
    top_k(all, 10);
    EXPECT_EQ(ids(all), (Ids{2, 1, 0}));
    auto off = make({1, 2, 3});
    top_k(off, 0);
    EXPECT_EQ(ids(off), (Ids{0, 1, 2}));
}

TEST(Sampler, TopPIncludesTheTokenThatReachesP) {
    // Four equal logits: probabilities exactly 0.25 each, so the boundary is exact.
    auto c = make({0, 0, 0, 0});
    top_p(c, 0.5f);
    EXPECT_EQ(ids(c), (Ids{0, 1}));  // 0.25 + 0.25 >= 0.5: the second token reaches p and stays
    auto above = make({0, 0, 0, 0});
    top_p(above, 0.5001f);
    EXPECT_EQ(ids(above), (Ids{0, 1, 2}));
    auto one = make({0, 2, 1});
    top_p(one, 0.0f);
    EXPECT_EQ(ids(one), (Ids{1}));  // always at least one
    auto off = make({0, 2, 1});
    top_p(off, 1.0f);
    EXPECT_EQ(ids(off), (Ids{0, 1, 2}));
}

TEST(Sampler, TopPOnALargeVocabularySortsBeyondTheFirstChunk) {
    std::vector<float> logits(5000, 0.0f);
    logits[4321] = 3.0f;
    auto c = make(logits);
    top_p(c, 0.9f);  // needs most of the flat tail: more than the 256 sorted first
    ASSERT_GT(c.size(), 256u);
    EXPECT_EQ(c[0].id, 4321);
    for (size_t i = 2; i < c.size(); ++i) EXPECT_LT(c[i - 1].id, c[i].id);  // the tail in id order
}

TEST(Sampler, MinPKeepsTokensAboveAFractionOfTheTopOne) {
    // Relative probabilities 1, 0.5, 0.1, 0.04 (logit differences are their logarithms).
    const std::vector<float> logits = {std::log(0.1f), 0.0f, std::log(0.04f), std::log(0.5f)};
    auto c = make(logits);
    min_p(c, 0.09f);
    EXPECT_EQ(ids(c), (Ids{0, 1, 3}));  // order preserved
    auto tighter = make(logits);
    min_p(tighter, 0.11f);
    EXPECT_EQ(ids(tighter), (Ids{1, 3}));
    auto top_only = make(logits);
    min_p(top_only, 2.0f);
    EXPECT_EQ(ids(top_only), (Ids{1}));
}

TEST(Sampler, TypicalPKeepsTokensNearTheEntropy) {
    // p = 1/2, 1/4, 1/8, 1/8: entropy 1.75 bits; |-log2 p - H| = 0.75, 0.25, 1.25, 1.25.
    const float l2 = std::log(2.0f);
    const std::vector<float> logits = {0.0f, -l2, -2 * l2, -2 * l2};
    auto c = make(logits);
    typical_p(c, 0.5f);
    EXPECT_EQ(ids(c), (Ids{1, 0}));  // 0.25 is not > 0.5; 0.75 is
    auto small = make(logits);
    typical_p(small, 0.2f);
    EXPECT_EQ(ids(small), (Ids{1}));
    auto more = make(logits);
    typical_p(more, 0.8f);
    EXPECT_EQ(ids(more), (Ids{1, 0, 2}));
}

TEST(Sampler, EveryTokenBannedStillGivesAToken) {
    Params p;
    p.seed = 5;
    p.top_k = 0;
    p.typical_p = 0.5f;
    p.logit_bias = {{0, -INFINITY}, {1, -INFINITY}, {2, -INFINITY}};
    Chain chain(3, p);
    const int32_t id = chain.sample(std::vector<float>{1, 2, 3});
    EXPECT_TRUE(id >= 0 && id < 3);
    p.temperature = 0;
    EXPECT_EQ(Chain(3, p).sample(std::vector<float>{1, 2, 3}), 0);
}

TEST(Sampler, PenaltiesFollowLlamaCppsFormulas) {
    Penalties pen(6, 4, 2.0f, 0.5f, 0.25f);
    for (int32_t id : {5, 1, 1, 2, 1}) pen.accept(id);  // window of 4: 1, 1, 2, 1 (5 pushed out)
    EXPECT_EQ(pen.count(1), 3);
    EXPECT_EQ(pen.count(5), 0);
    auto c = make({1.0f, 4.0f, -1.0f, 0.0f, 3.0f, 7.0f});
    pen.apply(c);
    EXPECT_FLOAT_EQ(c[0].logit, 1.0f);                            // not in the window
    EXPECT_FLOAT_EQ(c[1].logit, 4.0f / 2 - (3 * 0.5f + 0.25f));   // positive: divided
    EXPECT_FLOAT_EQ(c[2].logit, -1.0f * 2 - (1 * 0.5f + 0.25f));  // negative: multiplied
    EXPECT_FLOAT_EQ(c[5].logit, 7.0f);                            // pushed out of the window
    EXPECT_EQ(pen.count(1), 3);                                   // counts survive apply()
    pen.clear();
    EXPECT_EQ(pen.count(1), 0);
    EXPECT_EQ(pen.window(), 0u);
}

TEST(Sampler, PenaltiesOffLeaveLogitsAlone) {
    Penalties pen(3, 8, 1.0f, 0.0f, 0.0f);
    pen.accept(1);
    auto c = make({1, 2, 3});
    pen.apply(c);
    EXPECT_EQ(c[1].logit, 2.0f);
}

TEST(Sampler, TemperatureScalesLogits) {
    auto c = make({1.0f, -2.0f});
    temperature(c, 0.5f);
    EXPECT_EQ(c[0].logit, 2.0f);
    EXPECT_EQ(c[1].logit, -4.0f);
}

TEST(Sampler, GreedyTakesTheLowestIdAmongTies) {
    Params p;
    p.temperature = 0.0f;
    Chain chain(4, p);
    const std::vector<float> logits = {1, 3, 3, 2};
    EXPECT_EQ(chain.sample(logits), 1);
}

TEST(Sampler, LogitBiasCanBanAndPromote) {
    Params p;
    p.temperature = 0.0f;
    p.logit_bias = {{1, -INFINITY}, {3, 0.5f}};
    Chain chain(4, p);
    EXPECT_EQ(chain.sample(std::vector<float>{1, 3, 2.2f, 2}), 3);  // 1 banned; 2 + 0.5 > 2.2
}

TEST(Sampler, RepeatPenaltyChangesTheGreedyChoice) {
    Params p;
    p.temperature = 0.0f;
    p.repeat_penalty = 2.0f;
    Chain chain(3, p);
    const std::vector<float> logits = {1.0f, 3.0f, 2.0f};
    EXPECT_EQ(chain.sample(logits), 1);
    chain.accept(1);
    EXPECT_EQ(chain.sample(logits), 2);  // 3 / 2 < 2
    chain.reset();
    EXPECT_EQ(chain.sample(logits), 1);
}

std::vector<int32_t> draws(uint32_t seed, int n) {
    Params p;
    p.seed = seed;
    p.top_k = 0;
    p.min_p = 0.0f;
    p.top_p = 1.0f;
    p.temperature = 1.0f;
    Chain chain(8, p);
    const std::vector<float> logits = {0.1f, 1.0f, 0.5f, -0.3f, 0.9f, 0.0f, 0.7f, 0.2f};
    std::vector<int32_t> out;
    for (int i = 0; i < n; ++i) out.push_back(chain.sample(logits));
    return out;
}

TEST(Sampler, SeedRepeatsTheDrawsOnEveryPlatform) {
    EXPECT_EQ(draws(42, 200), draws(42, 200));
    EXPECT_NE(draws(42, 200), draws(43, 200));
    // Golden: the same in every build (native g++/clang, WebAssembly).
    EXPECT_EQ(draws(42, 16), (Ids{0, 2, 5, 7, 7, 6, 5, 6, 6, 4, 5, 1, 6, 2, 5, 6}));
}

TEST(Sampler, RandomSeedIsReported) {
    Params p;
    Chain a(4, p), b(4, p);
    EXPECT_NE(a.seed(), kRandomSeed);
    p.seed = a.seed();
    Chain again(4, p);
    EXPECT_EQ(again.seed(), a.seed());
    (void)b;
}

TEST(Sampler, DrawFollowsTheDistribution) {
    Params p;
    p.seed = 7;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.temperature = 1.0f;
    Chain chain(3, p);
    const std::vector<float> logits = {std::log(0.5f), std::log(0.25f), std::log(0.25f)};
    int counts[3] = {0, 0, 0};
    const int n = 20000;
    for (int i = 0; i < n; ++i) ++counts[chain.sample(logits)];
    EXPECT_NEAR(counts[0] / double(n), 0.5, 0.02);
    EXPECT_NEAR(counts[1] / double(n), 0.25, 0.02);
    EXPECT_NEAR(counts[2] / double(n), 0.25, 0.02);
}

TEST(Sampler, TheWholeChainKeepsTheTopTokensOnly) {
    Params p;  // defaults: top-k 40, top-p 0.95, min-p 0.05, temperature 0.8
    p.seed = 1;
    std::vector<float> logits(1000);
    for (size_t i = 0; i < logits.size(); ++i) logits[i] = -static_cast<float>(i) * 0.01f;
    logits[500] = 10.0f;
    logits[501] = 9.5f;
    Chain chain(logits.size(), p);
    for (int i = 0; i < 50; ++i) {
        const int32_t id = chain.sample(logits);
        EXPECT_TRUE(id == 500 || id == 501) << id;  // min-p drops the flat tail (< 0.05 of the top)
    }
    EXPECT_EQ(chain.candidates().size(), 2u);
}

TEST(Sampler, SamplingAllocatesNothing) {
    Params p;
    p.seed = 3;
    p.top_k = 0;
    p.typical_p = 0.9f;
    p.repeat_penalty = 1.1f;
    p.frequency_penalty = 0.1f;
    std::vector<float> logits(32000);
    for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(static_cast<float>(i)) * 3;
    Chain chain(logits.size(), p);
    chain.accept(chain.sample(logits));  // warm-up
    const long before = g_allocations.load();
    for (int i = 0; i < 20; ++i) chain.accept(chain.sample(logits));
    EXPECT_EQ(g_allocations.load(), before);
}

TEST(Sampler, BadParametersAreRefused) {
    const auto refused = [](auto change) {
        Params p;
        change(p);
        try {
            Chain c(10, p);
        } catch (const Error& e) {
            return e.code() == ErrorCode::InvalidArgument;
        }
        return false;
    };
    EXPECT_TRUE(refused([](Params& p) { p.temperature = NAN; }));
    EXPECT_TRUE(refused([](Params& p) { p.repeat_penalty = 0; }));
    EXPECT_TRUE(refused([](Params& p) { p.repeat_last_n = -2; }));
    EXPECT_TRUE(refused([](Params& p) { p.logit_bias = {{10, 1.0f}}; }));
    EXPECT_TRUE(refused([](Params& p) { p.logit_bias = {{1, INFINITY}}; }));
    EXPECT_FALSE(refused([](Params& p) { p.logit_bias = {{1, -INFINITY}}; }));
}

}  // namespace
}  // namespace chord::sample

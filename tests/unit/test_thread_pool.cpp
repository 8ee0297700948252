// ThreadPool: every thread runs every task exactly once, the split covers every row once, and a pool
// that is used the instant it is created (before its workers first look) does not hang.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "core/thread_pool.h"

namespace chord {
namespace {

TEST(ThreadPool, EveryThreadRunsEveryTask) {
    for (int n : {1, 2, 3, 4}) {
        ThreadPool pool(n);
        ASSERT_EQ(pool.size(), n);
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        for (int round = 0; round < 200; ++round) pool.run([&](int i) { hits[static_cast<size_t>(i)]++; });
        for (auto& h : hits) EXPECT_EQ(h.load(), 200);
    }
}

TEST(ThreadPool, UsedAtOnceAfterCreation) {
    for (int round = 0; round < 200; ++round) {
        ThreadPool pool(3);
        std::atomic<int> count{0};
        pool.run([&](int) { count++; });
        EXPECT_EQ(count.load(), 3);
    }
}

TEST(ThreadPool, SplitCoversEveryRowOnce) {
    for (int64_t n : {0, 1, 7, 64, 1001}) {
        for (int threads : {1, 2, 3, 8}) {
            int64_t next = 0;
            for (int i = 0; i < threads; ++i) {
                const auto [b, e] = ThreadPool::split(n, i, threads);
                EXPECT_EQ(b, next);
                EXPECT_LE(b, e);
                next = e;
            }
            EXPECT_EQ(next, n);
        }
    }
}

}  // namespace
}  // namespace chord

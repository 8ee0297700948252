// ThreadPool (see thread_pool.h).
#include "core/thread_pool.h"

#include <fstream>
#include <set>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CHORD_CPU_RELAX() _mm_pause()
#else
#define CHORD_CPU_RELAX() ((void)0)
#endif

namespace chord {
namespace {

// A waiting thread first spins (the next op of a token comes within microseconds), then yields its core
// (so a pool with more threads than free cores still makes progress), then a worker sleeps.
constexpr int kSpinIterations = 1 << 11;
constexpr int kYieldIterations = 1 << 8;

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
    for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

// Workers start from generation 0, not from whatever they read when the OS gets round to starting them:
// a run() issued before a worker first looks would otherwise be mistaken for the starting point and
// never run (the caller would wait for it forever).

ThreadPool::~ThreadPool() {
    stop_.store(true, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (auto& w : workers_) w.join();
}

void ThreadPool::run(ThreadTask task) {
    if (workers_.empty()) {
        task(0);
        return;
    }
    task_ = &task;
    pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    task(0);
    // The caller may be a browser's main thread, which must not block: it spins, then yields (the
    // others finish within the same op).
    for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
        if (spin < kSpinIterations)
            CHORD_CPU_RELAX();
        else
            std::this_thread::yield();
    }
    task_ = nullptr;
}

void ThreadPool::worker_loop(int index) {
    uint32_t seen = 0;
    for (;;) {
        uint32_t now = generation_.load(std::memory_order_acquire);
        for (int spin = 0; now == seen && spin < kSpinIterations + kYieldIterations; ++spin) {
            if (spin < kSpinIterations)
                CHORD_CPU_RELAX();
            else
                std::this_thread::yield();
            now = generation_.load(std::memory_order_acquire);
        }
        while (now == seen) {
            generation_.wait(seen, std::memory_order_acquire);
            now = generation_.load(std::memory_order_acquire);
        }
        seen = now;
        if (stop_.load(std::memory_order_relaxed)) return;
        (*task_)(index);
        pending_.fetch_sub(1, std::memory_order_release);
    }
}

int default_thread_count() {
#if defined(__linux__) && !defined(__EMSCRIPTEN__)
    // Count distinct (physical id, core id) pairs: physical cores, not hyper-threads.
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::set<std::pair<std::string, std::string>> cores;
    std::string line, physical = "0";
    while (std::getline(cpuinfo, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
        const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
        if (key == "physical id") physical = value;
        if (key == "core id") cores.insert({physical, value});
    }
    if (!cores.empty()) return static_cast<int>(cores.size());
#endif
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(n);
}

}  // namespace chord

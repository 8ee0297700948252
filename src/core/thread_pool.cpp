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

// How long a worker spins before sleeping: long enough to span the gap between two ops of one token,
// short enough that an idle pool goes quiet within a few milliseconds.
constexpr int kSpinIterations = 1 << 16;

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
    for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

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
    // The caller may be a browser's main thread, which must not block: it spins (the others finish
    // within the same op).
    while (pending_.load(std::memory_order_acquire) != 0) CHORD_CPU_RELAX();
    task_ = nullptr;
}

void ThreadPool::worker_loop(int index) {
    uint32_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
        uint32_t now = generation_.load(std::memory_order_acquire);
        for (int spin = 0; now == seen && spin < kSpinIterations; ++spin) {
            CHORD_CPU_RELAX();
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

// ThreadPool: persistent workers that run one function on every thread and meet at the end, the
// shape every op of the forward pass has (split rows, compute, barrier). Workers spin briefly and then
// sleep on an atomic wait, so a decode step pays no wake-up syscall but an idle pool burns no CPU. No
// allocation per run: the function is passed by reference (FunctionRef), never copied.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace chord {

// A non-owning reference to a callable `void(int thread_index)`; valid while the callable lives.
class ThreadTask {
  public:
    template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, ThreadTask>>>
    ThreadTask(F&& f)  // NOLINT(google-explicit-constructor): used like a function argument
        : object_(const_cast<void*>(static_cast<const void*>(&f))),
          call_([](void* o, int i) { (*static_cast<std::remove_reference_t<F>*>(o))(i); }) {}
    void operator()(int thread_index) const { call_(object_, thread_index); }

  private:
    void* object_;
    void (*call_)(void*, int);
};

class ThreadPool {
  public:
    // `n_threads` counts the calling thread: ThreadPool(1) starts no worker.
    explicit ThreadPool(int n_threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return static_cast<int>(workers_.size()) + 1; }

    // Runs task(i) for i in [0, size()) — i == 0 on the calling thread — and returns when all finished.
    // Not reentrant: a task must not call run() on the same pool.
    void run(ThreadTask task);

    // The rows [begin, end) of `n` that thread `i` of `n_threads` takes in a static split.
    static std::pair<int64_t, int64_t> split(int64_t n, int i, int n_threads) {
        return {n * i / n_threads, n * (i + 1) / n_threads};
    }

  private:
    void worker_loop(int index);

    std::vector<std::thread> workers_;
    const ThreadTask* task_ = nullptr;
    std::atomic<uint32_t> generation_{0};  // bumped once per run(); workers wait for a change
    std::atomic<int> pending_{0};          // workers that have not finished the current run
    std::atomic<bool> stop_{false};
};

// The number of threads to use by default: the physical cores (hyper-threads share the units the
// kernels saturate), at least 1.
int default_thread_count();

}  // namespace chord

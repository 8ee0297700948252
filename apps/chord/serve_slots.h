// `chord serve`: the slots that requests are generated in. Each slot is a runtime::Context (its own KV
// cache) with its runtime::Generator; a request leases one for the length of its generation. Requests
// that find every slot busy wait in first-come order, up to max_queue of them; beyond that acquire()
// refuses at once (the server answers 503). A free slot whose cache already holds the longest prefix of
// the prompt is preferred, so a chat that re-sends its history only evaluates the new turn.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "model/model.h"
#include "runtime/context.h"
#include "runtime/generator.h"
#include "tokenizer/tokenizer.h"

namespace chord::cli::serve {

class SlotPool {
  public:
    struct Slot {
        Slot(std::shared_ptr<const model::Model> model, const tokenizer::Tokenizer& tok,
             const runtime::ContextOptions& options)
            : ctx(std::move(model), options), gen(ctx, tok) {}
        runtime::Context ctx;
        runtime::Generator gen;
        bool busy = false;
        uint64_t last_used = 0;
    };

    // A slot held by one request; gives it back when destroyed.
    class Lease {
      public:
        Lease(SlotPool& pool, Slot& slot) : pool_(&pool), slot_(&slot) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { pool_->release(*slot_); }
        Slot& slot() { return *slot_; }

      private:
        SlotPool* pool_;
        Slot* slot_;
    };

    struct Status {
        size_t slots = 0, busy = 0, queued = 0;
    };

    SlotPool(const std::shared_ptr<const model::Model>& model, const tokenizer::Tokenizer& tok,
             const runtime::ContextOptions& options, int n_slots, size_t max_queue);

    // Waits for a slot (first come, first served). nullptr when max_queue requests already wait, or
    // when the pool is shutting down.
    std::unique_ptr<Lease> acquire(std::span<const tokenizer::TokenId> prompt);

    // Refuses new requests, wakes the waiting ones (they get nullptr) and aborts every generation.
    void shutdown();

    Status status();
    const runtime::Generator& any_generator() const { return slots_.front()->gen; }
    uint32_t n_ctx() const { return slots_.front()->ctx.n_ctx(); }

  private:
    void release(Slot& slot);

    std::vector<std::unique_ptr<Slot>> slots_;
    size_t max_queue_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<uint64_t> queue_;  // tickets of the waiting requests, oldest first
    uint64_t next_ticket_ = 0;
    uint64_t uses_ = 0;
    bool stopping_ = false;
};

}  // namespace chord::cli::serve

// Slots and their queue for `chord serve` (see serve_slots.h).
#include "serve_slots.h"

#include <algorithm>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace chord::cli::serve {

SlotPool::SlotPool(const std::shared_ptr<const model::Model>& model, const tokenizer::Tokenizer& tok,
                   const runtime::ContextOptions& options, int n_slots, size_t max_queue)
    : max_queue_(max_queue) {
    for (int i = 0; i < std::max(1, n_slots); ++i)
        slots_.push_back(std::make_unique<Slot>(model, tok, options));
}

std::unique_ptr<SlotPool::Lease> SlotPool::acquire(std::span<const tokenizer::TokenId> prompt) {
    std::unique_lock lock(mutex_);
    if (stopping_) return nullptr;
    const auto free_slot = [&] {
        return std::any_of(slots_.begin(), slots_.end(), [](const auto& s) { return !s->busy; });
    };
    if (!(queue_.empty() && free_slot())) {
        if (queue_.size() >= max_queue_) return nullptr;
        const uint64_t ticket = next_ticket_++;
        queue_.push_back(ticket);
        cv_.wait(lock, [&] { return stopping_ || (queue_.front() == ticket && free_slot()); });
        queue_.erase(std::find(queue_.begin(), queue_.end(), ticket));
        cv_.notify_all();  // the next in line may find another free slot
        if (stopping_) return nullptr;
    }
    // The free slot sharing the longest prefix with the prompt; among equals the least recently used.
    Slot* best = nullptr;
    size_t best_prefix = 0;
    for (const auto& s : slots_) {
        if (s->busy) continue;
        const std::vector<int32_t>& held = s->ctx.tokens();
        const size_t n = std::min(held.size(), prompt.size());
        const size_t prefix = static_cast<size_t>(
            std::mismatch(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(n), prompt.begin()).first -
            held.begin());
        if (best == nullptr || prefix > best_prefix ||
            (prefix == best_prefix && s->last_used < best->last_used)) {
            best = s.get();
            best_prefix = prefix;
        }
    }
    best->busy = true;
    best->last_used = ++uses_;
    return std::make_unique<Lease>(*this, *best);
}

void SlotPool::release(Slot& slot) {
    bool idle = false;
    {
        std::lock_guard lock(mutex_);
        slot.busy = false;
        idle = queue_.empty() &&
               std::none_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->busy; });
    }
    cv_.notify_all();
#ifdef __GLIBC__
    // Requests are served by many threads, each allocating in one of glibc's arenas; what they freed
    // stays resident until trimmed. Trimming when the server falls idle keeps its memory at baseline.
    if (idle) malloc_trim(0);
#else
    (void)idle;
#endif
}

void SlotPool::shutdown() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        for (const auto& s : slots_)
            if (s->busy) s->gen.abort();
    }
    cv_.notify_all();
}

SlotPool::Status SlotPool::status() {
    std::lock_guard lock(mutex_);
    Status s;
    s.slots = slots_.size();
    s.busy = static_cast<size_t>(
        std::count_if(slots_.begin(), slots_.end(), [](const auto& x) { return x->busy; }));
    s.queued = queue_.size();
    return s;
}

}  // namespace chord::cli::serve

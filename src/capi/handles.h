// What the C ABI's opaque handles hold, and guarded(): the one place C++ exceptions become a
// chord_status plus the thread's last-error message. Internal to src/capi.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "chat/template.h"
#include "chord/chord.h"
#include "core/error.h"
#include "model/model.h"
#include "runtime/context.h"
#include "runtime/generator.h"
#include "sample/chain.h"
#include "tokenizer/tokenizer.h"

struct chord_model {
    std::shared_ptr<const chord::model::Model> model;
    chord::tokenizer::Tokenizer tokenizer;
    std::string architecture;
    std::string name;
};

struct chord_context {
    chord_context(std::shared_ptr<const chord::model::Model> m, const chord::tokenizer::Tokenizer& t,
                  const chord::runtime::ContextOptions& o)
        : model(m), tokenizer(t), ctx(std::move(m), o), generator(ctx, tokenizer) {}

    std::shared_ptr<const chord::model::Model> model;
    chord::tokenizer::Tokenizer tokenizer;  // shares the vocabulary with the model handle's
    chord::runtime::Context ctx;
    chord::runtime::Generator generator;
    std::string piece;                          // the callback's NUL-terminated copy of each piece
    std::optional<chord::chat::Template> chat;  // the last template used, kept for the next turn
    std::string chat_key;                       // what it was made from
    std::atomic<bool> busy{false};
};

struct chord_sampler {
    chord::sample::Chain chain;
};

namespace chord::capi {

// A failure with a status of the C ABI's own (BUFFER_TOO_SMALL, BUSY).
struct Failure {
    chord_status status;
    std::string message;
};

void set_last_error(const char* function, const char* message) noexcept;
void clear_last_error() noexcept;
chord_status status_of(ErrorCode code);

template <class F>
chord_status guarded(const char* function, F&& body) noexcept {
    clear_last_error();
    try {
        body();
        return CHORD_OK;
    } catch (const Failure& f) {
        set_last_error(function, f.message.c_str());
        return f.status;
    } catch (const Error& e) {
        set_last_error(function, e.what());
        return status_of(e.code());
    } catch (const std::bad_alloc&) {
        set_last_error(function, "out of memory");
        return CHORD_ERROR_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        set_last_error(function, e.what());
        return CHORD_ERROR_INTERNAL;
    } catch (...) {
        set_last_error(function, "unknown exception");
        return CHORD_ERROR_INTERNAL;
    }
}

// Throws InvalidArgument naming `what` when p is NULL.
template <class T>
T& require(T* p, const char* what) {
    if (p == nullptr) throw Error(ErrorCode::InvalidArgument, std::string(what) + " is NULL");
    return *p;
}

// Marks a context busy for one call; a concurrent call gets CHORD_ERROR_BUSY.
class BusyGuard {
  public:
    explicit BusyGuard(chord_context& c);
    ~BusyGuard() { c_.busy.store(false); }
    BusyGuard(const BusyGuard&) = delete;
    BusyGuard& operator=(const BusyGuard&) = delete;

  private:
    chord_context& c_;
};

// Copies `text` and a NUL into `out` when it fits; *length = text size either way.
void write_text(std::string_view text, char* out, size_t capacity, size_t* length);

}  // namespace chord::capi

// The C ABI, part 1: the library, models and tokens (chord.h). Part 2 (contexts, samplers, generation,
// chat) is capi_generate.cpp.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "capi/handles.h"
#include "core/byte_source.h"
#include "gguf/file.h"

namespace chord::capi {
namespace {

thread_local std::string t_last_error;

// A malloc()ed buffer handed over with CHORD_MEMORY_TAKE, freed with free() when the model is done.
class MallocBytes final : public ByteSource {
  public:
    MallocBytes(void* data, size_t size) : data_(data), size_(size) {}
    ~MallocBytes() override { std::free(data_); }
    std::span<const uint8_t> bytes() const override { return {static_cast<const uint8_t*>(data_), size_}; }
    const std::string& origin() const override { return origin_; }
    uint8_t* writable(const uint8_t* p, size_t n) const override {
        const auto begin = reinterpret_cast<uintptr_t>(data_), at = reinterpret_cast<uintptr_t>(p);
        if (at < begin || at - begin > size_ || n > size_ - (at - begin)) return nullptr;
        return static_cast<uint8_t*>(data_) + (at - begin);
    }

  private:
    void* data_;
    size_t size_;
    std::string origin_ = "<buffer>";
};

chord_model* make_model(std::shared_ptr<const model::Model> m) {
    auto tok = tokenizer::Tokenizer::from_gguf(m->file());
    return new chord_model{m, std::move(tok), m->hparams().arch, m->file().get_string_or("general.name", "")};
}

}  // namespace

void set_last_error(const char* function, const char* message) noexcept {
    try {
        t_last_error = std::string(function) + ": " + message;
    } catch (...) {
        t_last_error.clear();  // no memory even for the message: "" rather than a crash
    }
}

void clear_last_error() noexcept {
    t_last_error.clear();
}

chord_status status_of(ErrorCode code) {
    switch (code) {
        case ErrorCode::Io:
            return CHORD_ERROR_IO;
        case ErrorCode::Format:
            return CHORD_ERROR_FORMAT;
        case ErrorCode::Unsupported:
            return CHORD_ERROR_UNSUPPORTED;
        case ErrorCode::InvalidArgument:
            return CHORD_ERROR_INVALID_ARGUMENT;
        case ErrorCode::Missing:
            return CHORD_ERROR_MISSING;
        case ErrorCode::OutOfMemory:
            return CHORD_ERROR_OUT_OF_MEMORY;
    }
    return CHORD_ERROR_INTERNAL;
}

BusyGuard::BusyGuard(chord_context& c) : c_(c) {
    if (c.busy.exchange(true)) throw Failure{CHORD_ERROR_BUSY, "the context is in use by another call"};
}

void write_text(std::string_view text, char* out, size_t capacity, size_t* length) {
    require(length, "length");
    if (text.size() >= capacity || out == nullptr) {
        *length = text.size();
        throw Failure{CHORD_ERROR_BUFFER_TOO_SMALL, "the text needs " + std::to_string(text.size() + 1) +
                                                        " bytes, the buffer has " + std::to_string(capacity)};
    }
    std::memcpy(out, text.data(), text.size());
    out[text.size()] = '\0';
    *length = text.size();
}

}  // namespace chord::capi

using namespace chord;
using capi::guarded;
using capi::require;

extern "C" {

uint32_t chord_abi_version(void) {
    return CHORD_ABI_VERSION;
}

const char* chord_last_error(void) {
    return capi::t_last_error.c_str();
}

const char* chord_status_name(chord_status status) {
    switch (status) {
        case CHORD_OK:
            return "CHORD_OK";
        case CHORD_ERROR_IO:
            return "CHORD_ERROR_IO";
        case CHORD_ERROR_FORMAT:
            return "CHORD_ERROR_FORMAT";
        case CHORD_ERROR_UNSUPPORTED:
            return "CHORD_ERROR_UNSUPPORTED";
        case CHORD_ERROR_INVALID_ARGUMENT:
            return "CHORD_ERROR_INVALID_ARGUMENT";
        case CHORD_ERROR_MISSING:
            return "CHORD_ERROR_MISSING";
        case CHORD_ERROR_OUT_OF_MEMORY:
            return "CHORD_ERROR_OUT_OF_MEMORY";
        case CHORD_ERROR_BUFFER_TOO_SMALL:
            return "CHORD_ERROR_BUFFER_TOO_SMALL";
        case CHORD_ERROR_BUSY:
            return "CHORD_ERROR_BUSY";
        case CHORD_ERROR_INTERNAL:
            return "CHORD_ERROR_INTERNAL";
        default:
            return "CHORD_ERROR_UNKNOWN";
    }
}

chord_status chord_model_load(const char* path, chord_model** out) {
    return guarded(__func__, [&] {
        require(out, "out");
        *out = capi::make_model(model::Model::load(&require(path, "path")));
    });
}

chord_status chord_model_load_from_memory(const void* data, size_t size, int32_t mode, chord_model** out) {
    // Taken first, so that the buffer is freed on every failure below.
    std::unique_ptr<void, void (*)(void*)> taken(
        mode == CHORD_MEMORY_TAKE ? const_cast<void*>(data) : nullptr, std::free);
    return guarded(__func__, [&] {
        require(out, "out");
        if (data == nullptr) throw Error(ErrorCode::InvalidArgument, "data is NULL");
        std::shared_ptr<const ByteSource> source;
        const auto* bytes = static_cast<const uint8_t*>(data);
        if (mode == CHORD_MEMORY_COPY)
            source = own_bytes(std::vector<uint8_t>(bytes, bytes + size));
        else if (mode == CHORD_MEMORY_BORROW)
            source = borrow_bytes({bytes, size});
        else if (mode == CHORD_MEMORY_TAKE) {
            source = std::make_shared<capi::MallocBytes>(taken.get(), size);
            taken.release();  // the source frees it now
        } else
            throw Error(ErrorCode::InvalidArgument, "mode must be CHORD_MEMORY_COPY, _BORROW or _TAKE");
        *out = capi::make_model(model::Model::from_file(gguf::File::parse(std::move(source))));
    });
}

chord_status chord_gguf_plan_chunks(const void* head, size_t head_size, uint64_t file_size,
                                    uint64_t max_chunk, uint64_t* chunk_ends, size_t capacity,
                                    size_t* n_chunks, uint64_t* head_needed) {
    return guarded(__func__, [&] {
        require(n_chunks, "n_chunks");
        require(head_needed, "head_needed");
        if (head == nullptr && head_size > 0) throw Error(ErrorCode::InvalidArgument, "head is NULL");
        if (head_size > file_size) throw Error(ErrorCode::InvalidArgument, "head_size exceeds file_size");
        if (max_chunk == 0) throw Error(ErrorCode::InvalidArgument, "max_chunk is 0");
        const gguf::PlanResult plan =
            gguf::plan_chunks({static_cast<const uint8_t*>(head), head_size}, file_size, max_chunk);
        if (plan.head_needed > 0) {
            *n_chunks = 0;
            *head_needed = plan.head_needed;
            throw capi::Failure{CHORD_ERROR_BUFFER_TOO_SMALL,
                                "the header needs at least " + std::to_string(plan.head_needed) + " bytes"};
        }
        if (plan.chunk_ends.size() > capacity || chunk_ends == nullptr) {
            *n_chunks = plan.chunk_ends.size();
            throw capi::Failure{CHORD_ERROR_BUFFER_TOO_SMALL,
                                "the plan has " + std::to_string(plan.chunk_ends.size()) + " chunks"};
        }
        std::copy(plan.chunk_ends.begin(), plan.chunk_ends.end(), chunk_ends);
        *n_chunks = plan.chunk_ends.size();
        *head_needed = 0;
    });
}

chord_status chord_model_load_from_chunks(void* const* chunks, const size_t* sizes, size_t n_chunks,
                                          chord_model** out) {
    std::vector<MallocChunk> owned;
    try {
        if (chunks != nullptr && sizes != nullptr)
            for (size_t i = 0; i < n_chunks; ++i) owned.push_back({chunks[i], sizes[i]});
    } catch (...) {
        for (const MallocChunk& c : owned) std::free(c.data);
        for (size_t i = owned.size(); i < n_chunks; ++i) std::free(chunks[i]);
        capi::set_last_error(__func__, "out of memory");
        return CHORD_ERROR_OUT_OF_MEMORY;
    }
    return guarded(__func__, [&] {
        const auto source = chunked_bytes(std::move(owned));  // frees them from here on, whatever happens
        require(out, "out");
        if ((chunks == nullptr || sizes == nullptr) && n_chunks > 0)
            throw Error(ErrorCode::InvalidArgument, "chunks or sizes is NULL");
        if (n_chunks == 0) throw Error(ErrorCode::InvalidArgument, "no chunks");
        *out = capi::make_model(model::Model::from_file(gguf::File::parse(source)));
    });
}

chord_status chord_model_pack_in_place(chord_model* model) {
    return guarded(__func__, [&] {
        chord_model& m = require(model, "model");
        // The model is shared as const with its contexts, which must not be evaluating (see chord.h).
        std::const_pointer_cast<model::Model>(m.model)->pack_in_place();
    });
}

chord_status chord_model_free(chord_model* model) {
    delete model;
    capi::clear_last_error();
    return CHORD_OK;
}

chord_status chord_model_get_info(const chord_model* model, chord_model_info* out) {
    return guarded(__func__, [&] {
        const chord_model& m = require(model, "model");
        const auto& h = m.model->hparams();
        const auto& tok = m.tokenizer;
        chord_model_info& info = require(out, "out");
        info.n_vocab = h.n_vocab;
        info.n_ctx_train = h.n_ctx_train;
        info.n_embd = h.dim;
        info.n_layers = h.n_layers;
        info.bos = tok.bos();
        info.eos = tok.eos();
        info.eot = tok.eot();
        info.add_bos = tok.add_bos() ? 1 : 0;
        info.has_chat_template = m.model->file().find("tokenizer.chat_template") != nullptr ? 1 : 0;
        info.architecture = m.architecture.c_str();
        info.name = m.name.c_str();
    });
}

chord_status chord_model_is_eog(const chord_model* model, int32_t token, int32_t* out) {
    return guarded(__func__, [&] {
        const chord_model& m = require(model, "model");
        require(out, "out");
        if (token < 0 || static_cast<size_t>(token) >= m.tokenizer.n_vocab())
            throw Error(ErrorCode::InvalidArgument,
                        "token " + std::to_string(token) + " is outside the vocabulary");
        *out = m.tokenizer.is_eog(token) ? 1 : 0;
    });
}

chord_status chord_tokenize(const chord_model* model, const char* text, size_t text_length,
                            int32_t add_special, int32_t parse_special, int32_t* tokens, size_t capacity,
                            size_t* n_tokens) {
    return guarded(__func__, [&] {
        const chord_model& m = require(model, "model");
        require(n_tokens, "n_tokens");
        if (text == nullptr && text_length > 0) throw Error(ErrorCode::InvalidArgument, "text is NULL");
        const auto ids = m.tokenizer.encode(std::string_view(text == nullptr ? "" : text, text_length),
                                            add_special != 0, parse_special != 0);
        if (ids.size() > capacity || (tokens == nullptr && !ids.empty())) {
            *n_tokens = ids.size();
            throw capi::Failure{CHORD_ERROR_BUFFER_TOO_SMALL,
                                std::to_string(ids.size()) + " tokens, room for " + std::to_string(capacity)};
        }
        if (!ids.empty()) std::memcpy(tokens, ids.data(), ids.size() * sizeof(int32_t));
        *n_tokens = ids.size();
    });
}

chord_status chord_detokenize(const chord_model* model, const int32_t* tokens, size_t n_tokens,
                              int32_t remove_special, int32_t unparse_special, char* text, size_t capacity,
                              size_t* length) {
    return guarded(__func__, [&] {
        const chord_model& m = require(model, "model");
        if (tokens == nullptr && n_tokens > 0) throw Error(ErrorCode::InvalidArgument, "tokens is NULL");
        const std::string s =
            m.tokenizer.decode({tokens, n_tokens}, remove_special != 0, unparse_special != 0);
        capi::write_text(s, text, capacity, length);
    });
}

chord_status chord_token_to_piece(const chord_model* model, int32_t token, int32_t special, char* text,
                                  size_t capacity, size_t* length) {
    return guarded(__func__, [&] {
        const chord_model& m = require(model, "model");
        capi::write_text(m.tokenizer.token_to_piece(token, special != 0), text, capacity, length);
    });
}

}  // extern "C"

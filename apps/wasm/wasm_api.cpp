// The WebAssembly module's few additions to the C ABI (chord.h): a generate/chat entry point that takes
// the sampler options as plain arguments (so JavaScript never lays out C structs with pointers) and
// hands every piece to the JavaScript that called it, which can stop the run by returning 0; and
// chord_gguf_plan_chunks with doubles for its 64-bit sizes (emscripten 3.1.6 splits i64 arguments of
// exports in two). Everything else the JavaScript API needs is chord.h itself, exported as is.
#include <emscripten/emscripten.h>

#include <cstdint>
#include <vector>

#include "chord/chord.h"

// Calls Module.onPiece(ptr, length) in the thread that called chord_wasm_generate (the worker owning
// the module); its truthy result goes on.
EM_JS(int32_t, chord_wasm_piece_js, (const char* piece, size_t length),
      { return Module["onPiece"] ? (Module["onPiece"](piece, length) ? 1 : 0) : 1; });

namespace {

int32_t forward_piece(const char* piece, size_t length, void*) {
    return chord_wasm_piece_js(piece, length);
}

}  // namespace

extern "C" {

// chord_gguf_plan_chunks with sizes as doubles (exact up to 2^53). chunk_ends: `capacity` doubles.
CHORD_API chord_status chord_wasm_plan_chunks(const void* head, size_t head_size, double file_size,
                                              double max_chunk, double* chunk_ends, size_t capacity,
                                              size_t* n_chunks, double* head_needed) {
    std::vector<uint64_t> ends(capacity);
    uint64_t needed = 0;
    const chord_status s =
        chord_gguf_plan_chunks(head, head_size, static_cast<uint64_t>(file_size),
                               static_cast<uint64_t>(max_chunk), ends.data(), capacity, n_chunks, &needed);
    *head_needed = static_cast<double>(needed);
    if (s == CHORD_OK)
        for (size_t i = 0; i < *n_chunks; ++i) chunk_ends[i] = static_cast<double>(ends[i]);
    return s;
}

// mode 0: complete `text`; mode 1: chat over `messages` with `chat_template` (NULL: the model's).
// `stops` holds n_stop NUL-terminated strings back to back.
CHORD_API chord_status chord_wasm_generate(chord_context* ctx, int32_t mode, const char* text,
                                           size_t text_length, const char* chat_template,
                                           const chord_message* messages, size_t n_messages,
                                           float temperature, int32_t top_k, float top_p, float min_p,
                                           float repeat_penalty, int32_t repeat_last_n,
                                           float frequency_penalty, float presence_penalty, uint32_t seed,
                                           int32_t max_tokens, const char* stops, size_t n_stop,
                                           int32_t add_special, int32_t parse_special, chord_stats* stats) {
    chord_generate_params p;
    chord_generate_default_params(&p);
    p.sampler.temperature = temperature;
    p.sampler.top_k = top_k;
    p.sampler.top_p = top_p;
    p.sampler.min_p = min_p;
    p.sampler.repeat_penalty = repeat_penalty;
    p.sampler.repeat_last_n = repeat_last_n;
    p.sampler.frequency_penalty = frequency_penalty;
    p.sampler.presence_penalty = presence_penalty;
    p.sampler.seed = seed;
    p.max_tokens = max_tokens;
    p.add_special = add_special;
    p.parse_special = parse_special;
    std::vector<const char*> stop;
    for (size_t i = 0; i < n_stop; ++i) {
        stop.push_back(stops);
        while (*stops != '\0') ++stops;
        ++stops;
    }
    p.stop = stop.data();
    p.n_stop = stop.size();
    if (mode == 1)
        return chord_chat(ctx, chat_template, messages, n_messages, &p, forward_piece, nullptr, stats);
    return chord_generate(ctx, text, text_length, &p, forward_piece, nullptr, stats);
}

}  // extern "C"

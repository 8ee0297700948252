/* chord.h: the C ABI of wasm-chord — load a GGUF model, tokenize, evaluate, sample, generate text with a
 * streaming callback, chat through the model's template, abort, and read statistics. This is what FFI
 * callers and the WebAssembly module use; it is plain C (C99), with opaque handles and fixed-width
 * types only.
 *
 * Conventions: every function returns a chord_status (CHORD_OK = 0) except chord_abi_version,
 * chord_last_error and chord_status_name. On failure chord_last_error() holds a one-line message for
 * the calling thread (every call resets it). No C++ exception crosses this boundary. Out-parameters are
 * written only on success, except the needed size on CHORD_ERROR_BUFFER_TOO_SMALL. Handles are freed
 * with their _free function (NULL is fine). A context may be freed after its model. One context is used
 * by one thread at a time (a second concurrent call gets CHORD_ERROR_BUSY); chord_abort() may be called
 * from any thread. Strings are UTF-8; lengths are in bytes.
 *
 *   chord_model* m; chord_context* c; chord_generate_params g;
 *   if (chord_model_load("model.gguf", &m) != CHORD_OK) fprintf(stderr, "%s\n", chord_last_error());
 *   chord_context_create(m, NULL, &c);
 *   chord_generate_default_params(&g);
 *   g.max_tokens = 64;
 *   chord_generate(c, "Once upon a time", 16, &g, print_piece, NULL, NULL);
 */
#ifndef CHORD_CHORD_H
#define CHORD_CHORD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a signature, struct layout or meaning changes. */
#define CHORD_ABI_VERSION 1

#if defined(__GNUC__) || defined(__clang__)
#define CHORD_API __attribute__((visibility("default"), used))
#else
#define CHORD_API
#endif

typedef int32_t chord_status;
enum {
    CHORD_OK = 0,
    CHORD_ERROR_IO = 1,               /* a file could not be opened or read */
    CHORD_ERROR_FORMAT = 2,           /* not a valid GGUF (or template, ...) */
    CHORD_ERROR_UNSUPPORTED = 3,      /* valid, but wasm-chord cannot run it */
    CHORD_ERROR_INVALID_ARGUMENT = 4, /* a bad argument (NULL handle, bad id, prompt too long, ...) */
    CHORD_ERROR_MISSING = 5,          /* a required key or tensor is absent */
    CHORD_ERROR_OUT_OF_MEMORY = 6,
    CHORD_ERROR_BUFFER_TOO_SMALL = 7, /* the needed size was written to the size out-parameter */
    CHORD_ERROR_BUSY = 8,             /* the context is in use by another call */
    CHORD_ERROR_INTERNAL = 9          /* a bug: please report the message */
};

/* Why a generation ended (chord_stats.stop_reason). */
enum {
    CHORD_STOP_NONE = 0,
    CHORD_STOP_EOG = 1,         /* an end-of-generation token */
    CHORD_STOP_MAX_TOKENS = 2,  /* max_tokens reached */
    CHORD_STOP_STRING = 3,      /* a stop string appeared (it is not passed to the callback) */
    CHORD_STOP_CALLBACK = 4,    /* the callback returned 0 */
    CHORD_STOP_ABORTED = 5,     /* chord_abort() */
    CHORD_STOP_CONTEXT_FULL = 6 /* no position left in the context */
};

enum { CHORD_KV_F16 = 0, CHORD_KV_F32 = 1 };

/* How chord_model_load_from_memory treats the buffer. */
enum {
    CHORD_MEMORY_COPY = 0,   /* copied; the caller may free it at once */
    CHORD_MEMORY_BORROW = 1, /* used in place: it must stay valid and unchanged until the model and every
                                context made from it are freed */
    CHORD_MEMORY_TAKE = 2    /* used in place and released with free() when no longer needed (also when
                                loading fails): for a buffer from malloc() */
};

#define CHORD_RANDOM_SEED 0xFFFFFFFFu

typedef struct chord_model chord_model;
typedef struct chord_context chord_context;
typedef struct chord_sampler chord_sampler;

typedef struct chord_model_info {
    uint32_t n_vocab;
    uint32_t n_ctx_train;
    uint32_t n_embd;
    uint32_t n_layers;
    int32_t bos; /* -1 when the vocabulary has none */
    int32_t eos;
    int32_t eot;
    int32_t add_bos;           /* tokenizing with add_special adds BOS */
    int32_t has_chat_template; /* the file carries tokenizer.chat_template */
    const char* architecture;  /* owned by the model */
    const char* name;          /* general.name, "" when absent; owned by the model */
} chord_model_info;

typedef struct chord_context_params {
    uint32_t n_ctx;    /* 0: the model's training context, at most 4096 */
    int32_t n_threads; /* 0: the physical cores */
    uint32_t n_batch;  /* prompt tokens per forward pass (512) */
    int32_t kv_type;   /* CHORD_KV_F16 (llama.cpp's default) or CHORD_KV_F32 */
} chord_context_params;

typedef struct chord_logit_bias {
    int32_t token;
    float bias; /* added to the logit; -INFINITY bans the token */
} chord_logit_bias;

/* llama.cpp's defaults come from chord_sampler_default_params. The chain's order: logit bias,
 * repetition/frequency/presence penalties, top-k, typical-p, top-p, min-p, temperature, draw. */
typedef struct chord_sampler_params {
    float temperature;                  /* 0.8; <= 0: greedy */
    int32_t top_k;                      /* 40; <= 0: off */
    float top_p;                        /* 0.95; >= 1: off */
    float min_p;                        /* 0.05; <= 0: off */
    float typical_p;                    /* 1.0 (off) */
    float repeat_penalty;               /* 1.0 (off) */
    float frequency_penalty;            /* 0 (off) */
    float presence_penalty;             /* 0 (off) */
    int32_t repeat_last_n;              /* 64; 0: off; -1: the whole context */
    uint32_t seed;                      /* CHORD_RANDOM_SEED: a fresh random seed */
    const chord_logit_bias* logit_bias; /* n_logit_bias entries, or NULL */
    size_t n_logit_bias;
} chord_sampler_params;

typedef struct chord_generate_params {
    chord_sampler_params sampler; /* a new chain per call: the same seed repeats the same output */
    int32_t max_tokens;           /* < 0: no limit (until end of generation or a full context) */
    const char* const* stop;      /* n_stop NUL-terminated stop strings, or NULL */
    size_t n_stop;
    int32_t add_special;   /* text prompts: add BOS/EOS where the model asks (1) */
    int32_t parse_special; /* text prompts: control-token text becomes those tokens (1) */
} chord_generate_params;

typedef struct chord_stats {
    uint32_t prompt_tokens;
    uint32_t prompt_tokens_cached; /* already in the context from an earlier call: not evaluated again */
    uint32_t generated_tokens;     /* sampled, an end-of-generation token included */
    int32_t stop_reason;           /* CHORD_STOP_* */
    double prompt_seconds;
    double generation_seconds;
    double time_to_first_token; /* seconds */
    double prompt_tokens_per_second;
    double generation_tokens_per_second;
} chord_stats;

typedef struct chord_message {
    const char* role; /* "system", "user", "assistant", ... */
    const char* content;
} chord_message;

/* Receives each piece of generated text (complete UTF-8 characters, NUL-terminated, valid during the
 * call). Return nonzero to go on, 0 to stop (CHORD_STOP_CALLBACK). */
typedef int32_t (*chord_piece_callback)(const char* piece, size_t length, void* user_data);

/* ---- library ---- */
CHORD_API uint32_t chord_abi_version(void);                   /* CHORD_ABI_VERSION of the built library */
CHORD_API const char* chord_last_error(void);                 /* "" when the thread's last call succeeded */
CHORD_API const char* chord_status_name(chord_status status); /* "CHORD_ERROR_IO", ... */

/* ---- models ---- */
CHORD_API chord_status chord_model_load(const char* path, chord_model** out);
CHORD_API chord_status chord_model_load_from_memory(const void* data, size_t size, int32_t mode,
                                                    chord_model** out);
/* Loading a file in several allocations (WebAssembly: one allocation cannot exceed 2 GB).
 * chord_gguf_plan_chunks reads the header from `head`, the first head_size bytes of a GGUF file of
 * file_size bytes, and writes where to cut the file so that no chunk exceeds max_chunk bytes and no
 * tensor straddles two chunks: chunk_ends[i] is the end offset of chunk i, the last one file_size.
 * When the header goes on past `head`, it returns CHORD_ERROR_BUFFER_TOO_SMALL with *n_chunks = 0 and
 * *head_needed the bytes needed at least (read more and call again); when capacity is too small,
 * CHORD_ERROR_BUFFER_TOO_SMALL with *n_chunks the count needed. A file that is not a GGUF fails with
 * CHORD_ERROR_FORMAT from the first bytes. */
CHORD_API chord_status chord_gguf_plan_chunks(const void* head, size_t head_size, uint64_t file_size,
                                              uint64_t max_chunk, uint64_t* chunk_ends, size_t capacity,
                                              size_t* n_chunks, uint64_t* head_needed);
/* Loads a model from n_chunks malloc()ed buffers holding the file's bytes in order (cut as
 * chord_gguf_plan_chunks says), used in place and released with free() when no longer needed — also
 * when loading fails. */
CHORD_API chord_status chord_model_load_from_chunks(void* const* chunks, const size_t* sizes, size_t n_chunks,
                                                    chord_model** out);
/* Rewrites, in place, the weights whose CPU kernels read faster from a layout of their own made in
 * the model's own memory (WebAssembly: Q4_0, Q8_0), where the model owns that memory (chunks, TAKE and COPY
 * buffers; not a file or a BORROW buffer). Adds no memory; the CPU results stay the same. Those bytes
 * are no longer the file's afterwards: call it only when nothing else reads them (a GPU upload from
 * the same buffers must come first, or not at all), before any context of the model evaluates. */
CHORD_API chord_status chord_model_pack_in_place(chord_model* model);
CHORD_API chord_status chord_model_free(chord_model* model);
CHORD_API chord_status chord_model_get_info(const chord_model* model, chord_model_info* out);
CHORD_API chord_status chord_model_is_eog(const chord_model* model, int32_t token, int32_t* out);

/* ---- tokens ---- */
/* Writes up to `capacity` ids; *n_tokens gets the count (the needed capacity on BUFFER_TOO_SMALL). */
CHORD_API chord_status chord_tokenize(const chord_model* model, const char* text, size_t text_length,
                                      int32_t add_special, int32_t parse_special, int32_t* tokens,
                                      size_t capacity, size_t* n_tokens);
/* Writes the text and a NUL; *length gets its length without the NUL (needed: length + 1 bytes). */
CHORD_API chord_status chord_detokenize(const chord_model* model, const int32_t* tokens, size_t n_tokens,
                                        int32_t remove_special, int32_t unparse_special, char* text,
                                        size_t capacity, size_t* length);
/* One token's bytes (possibly part of a UTF-8 character), same buffer rules as chord_detokenize. */
CHORD_API chord_status chord_token_to_piece(const chord_model* model, int32_t token, int32_t special,
                                            char* text, size_t capacity, size_t* length);

/* ---- contexts ---- */
CHORD_API chord_status chord_context_default_params(chord_context_params* out);
CHORD_API chord_status chord_context_create(const chord_model* model, const chord_context_params* params,
                                            chord_context** out); /* params NULL: defaults */
CHORD_API chord_status chord_context_free(chord_context* ctx);
/* Appends tokens and evaluates them; *logits points to the last token's n_vocab logits (valid until
 * the next call on this context). */
CHORD_API chord_status chord_context_eval(chord_context* ctx, const int32_t* tokens, size_t n_tokens,
                                          const float** logits, size_t* n_logits);
CHORD_API chord_status chord_context_n_past(const chord_context* ctx, uint32_t* n_past, uint32_t* n_ctx);
/* Keeps the first n tokens (0: empty). */
CHORD_API chord_status chord_context_truncate(chord_context* ctx, uint32_t n);

/* ---- samplers (for callers running their own loop) ---- */
CHORD_API chord_status chord_sampler_default_params(chord_sampler_params* out);
CHORD_API chord_status chord_sampler_create(const chord_model* model, const chord_sampler_params* params,
                                            chord_sampler** out); /* params NULL: defaults */
CHORD_API chord_status chord_sampler_free(chord_sampler* sampler);
/* Picks a token from n_vocab logits; does not accept it. */
CHORD_API chord_status chord_sampler_sample(chord_sampler* sampler, const float* logits, size_t n_logits,
                                            int32_t* token);
/* Records a token for the penalties. */
CHORD_API chord_status chord_sampler_accept(chord_sampler* sampler, int32_t token);
/* Forgets accepted tokens and restarts the random sequence from the seed. */
CHORD_API chord_status chord_sampler_reset(chord_sampler* sampler);
CHORD_API chord_status chord_sampler_seed(const chord_sampler* sampler, uint32_t* seed); /* seed in use */

/* ---- generation ---- */
CHORD_API chord_status chord_generate_default_params(chord_generate_params* out);
/* Continues `prompt` (tokenized per params). The context keeps what it already holds of the prompt,
 * so a growing conversation is evaluated incrementally. A prompt longer than the context is an
 * INVALID_ARGUMENT. `stats` may be NULL. */
CHORD_API chord_status chord_generate(chord_context* ctx, const char* prompt, size_t prompt_length,
                                      const chord_generate_params* params, chord_piece_callback callback,
                                      void* user_data, chord_stats* stats);
CHORD_API chord_status chord_generate_tokens(chord_context* ctx, const int32_t* prompt, size_t n_prompt,
                                             const chord_generate_params* params,
                                             chord_piece_callback callback, void* user_data,
                                             chord_stats* stats);

/* ---- chat ---- */
/* chat_template: NULL or "" for the model's own (or the built-in its vocabulary suggests), a built-in
 * name (chatml, llama2, llama3, mistral, zephyr, phi3, gemma), or Jinja source. */
CHORD_API chord_status chord_chat_apply_template(const chord_model* model, const char* chat_template,
                                                 const chord_message* messages, size_t n_messages,
                                                 int32_t add_generation_prompt, char* text, size_t capacity,
                                                 size_t* length);
/* Renders the conversation (with the assistant's header at the end), then generates the answer. Pass
 * the whole conversation each turn: only the new part is evaluated. params->add_special and
 * parse_special are ignored (chat prompts get one BOS and parsed control tokens). */
CHORD_API chord_status chord_chat(chord_context* ctx, const char* chat_template,
                                  const chord_message* messages, size_t n_messages,
                                  const chord_generate_params* params, chord_piece_callback callback,
                                  void* user_data, chord_stats* stats);

/* Ends the generation in progress on ctx after its current token; any thread. CHORD_OK also when none
 * is in progress. */
CHORD_API chord_status chord_abort(chord_context* ctx);
/* Statistics of the last generation on ctx. */
CHORD_API chord_status chord_context_stats(const chord_context* ctx, chord_stats* out);

#ifdef __cplusplus
}
#endif

#endif /* CHORD_CHORD_H */

// KvCache storage (see kv_cache.h).
#include "model/kv_cache.h"

#include <new>

#include "core/error.h"

namespace chord::model {

KvCache::KvCache(const HParams& h, uint32_t n_ctx, GgmlType type)
    : n_ctx_(n_ctx), kv_dim_(h.kv_dim()), type_(type) {
    if (type != GgmlType::F16 && type != GgmlType::F32)
        throw Error(ErrorCode::InvalidArgument, "the KV cache type must be f16 or f32");
    if (n_ctx == 0) throw Error(ErrorCode::InvalidArgument, "the context size must be positive");
    row_bytes_ = static_cast<size_t>(kv_dim_) * (type == GgmlType::F16 ? 2 : 4);
    const uint64_t bytes = uint64_t{h.n_layers} * n_ctx * row_bytes_;
    if (bytes > SIZE_MAX / 2)
        throw Error(ErrorCode::OutOfMemory,
                    "a KV cache of " + std::to_string(n_ctx) + " positions does not fit in memory");
    bytes_per_tensor_ = static_cast<size_t>(bytes);
    try {
        k_.reset(new uint8_t[bytes_per_tensor_]);
        v_.reset(new uint8_t[bytes_per_tensor_]);
    } catch (const std::bad_alloc&) {
        throw Error(ErrorCode::OutOfMemory, "cannot allocate a KV cache of " +
                                                std::to_string(2 * bytes >> 20) + " MiB (" +
                                                std::to_string(n_ctx) + " positions): use a smaller context");
    }
}

}  // namespace chord::model

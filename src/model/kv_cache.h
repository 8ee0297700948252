// KvCache: the keys and values of every layer for every position of one sequence, F16 by default
// (llama.cpp's default, and half the memory of F32). Cell p holds position p; a context shift or a
// truncation just moves the fill mark. Layout per layer: (n_ctx, kv_dim) rows, K and V separately.
#pragma once

#include <cstdint>
#include <memory>

#include "model/hparams.h"
#include "quant/type_table.h"

namespace chord::model {

class KvCache {
  public:
    // `type` is F16 or F32.
    KvCache(const HParams& h, uint32_t n_ctx, GgmlType type = GgmlType::F16);

    uint32_t n_ctx() const { return n_ctx_; }
    uint32_t kv_dim() const { return kv_dim_; }
    GgmlType type() const { return type_; }
    size_t bytes() const { return 2 * bytes_per_tensor_; }

    // Rows of `kv_dim` elements in type(): K (or V) of `layer` at position `pos`.
    uint8_t* k_row(uint32_t layer, uint32_t pos) { return k_.get() + offset(layer, pos); }
    uint8_t* v_row(uint32_t layer, uint32_t pos) { return v_.get() + offset(layer, pos); }
    const uint8_t* k_row(uint32_t layer, uint32_t pos) const { return k_.get() + offset(layer, pos); }
    const uint8_t* v_row(uint32_t layer, uint32_t pos) const { return v_.get() + offset(layer, pos); }
    size_t row_bytes() const { return row_bytes_; }

  private:
    size_t offset(uint32_t layer, uint32_t pos) const {
        return (static_cast<size_t>(layer) * n_ctx_ + pos) * row_bytes_;
    }

    uint32_t n_ctx_;
    uint32_t kv_dim_;
    GgmlType type_;
    size_t row_bytes_;
    size_t bytes_per_tensor_;
    // Left uninitialized: positions are written before they are read, and untouched pages of a large
    // context cost no memory.
    std::unique_ptr<uint8_t[]> k_;  // (n_layers, n_ctx, kv_dim)
    std::unique_ptr<uint8_t[]> v_;  // (n_layers, n_ctx, kv_dim)
};

}  // namespace chord::model

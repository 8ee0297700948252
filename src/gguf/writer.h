// gguf::Writer: writes GGUF files the way ggml does: header, metadata in insertion order, tensor
// infos, zero padding to the alignment, then each tensor's data padded to the alignment. Tensor data
// comes either from memory (a span the caller keeps alive) or from a fill function called while
// writing, so multi-gigabyte models are written one tensor at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gguf/file.h"
#include "gguf/value.h"
#include "quant/type_table.h"

namespace chord::gguf {

class Writer {
  public:
    // Fills `out` (exactly the tensor's byte size) with the tensor's data.
    using Fill = std::function<void(std::span<uint8_t> out)>;

    explicit Writer(uint32_t version = 3) : version_(version) {}

    // A writer holding everything `file` holds (tensor data borrowed from it): writing it back gives
    // the same bytes for any file laid out as ggml lays files out.
    static Writer copy_of(const File& file);

    // Adds or replaces a metadata value (a replaced key keeps its place).
    void set(const std::string& key, Value value);
    void remove(const std::string& key);
    const std::vector<KeyValue>& metadata() const { return metadata_; }

    // `dims` in ggml order (dims[0] is the row length).
    void add_tensor(const std::string& name, const std::vector<uint64_t>& dims, GgmlType type,
                    std::span<const uint8_t> data);
    // Takes ownership of `data` (so a temporary cannot dangle).
    void add_tensor(const std::string& name, const std::vector<uint64_t>& dims, GgmlType type,
                    std::vector<uint8_t>&& data);
    void add_tensor(const std::string& name, const std::vector<uint64_t>& dims, GgmlType type, Fill fill);

    void write_file(const std::string& path) const;
    std::vector<uint8_t> write_buffer() const;

  private:
    struct PendingTensor {
        std::string name;
        std::vector<uint64_t> dims;
        GgmlType type;
        uint64_t n_bytes;
        std::span<const uint8_t> data;  // used when fill is empty
        Fill fill;
        std::shared_ptr<const std::vector<uint8_t>> owned;  // backs `data` when the writer owns it
    };
    using Sink = std::function<void(const void* data, size_t n)>;

    void add_pending(PendingTensor t);
    uint32_t alignment() const;
    void write(const Sink& sink) const;

    uint32_t version_;
    std::vector<KeyValue> metadata_;
    std::vector<PendingTensor> tensors_;
};

}  // namespace chord::gguf

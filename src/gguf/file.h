// gguf::File: a validated, zero-copy view of a GGUF file (versions 2 and 3). Parsing checks every
// count, length, type, dimension and offset against the bytes that are really there before using it,
// so a truncated or hostile file gets a chord::Error naming the problem and its byte offset, never a
// crash, a hang or an allocation larger than the file. Tensor data is a span into the ByteSource.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/byte_source.h"
#include "gguf/value.h"
#include "quant/type_table.h"

namespace chord::gguf {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr uint32_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;        // GGML_MAX_DIMS
constexpr uint32_t kMaxArrayDepth = 8;  // nesting of arrays in arrays

struct KeyValue {
    std::string key;
    Value value;
};

struct TensorInfo {
    std::string name;
    uint32_t n_dims = 0;
    std::array<uint64_t, kMaxDims> ne{1, 1, 1, 1};  // ggml order: ne[0] is the row length
    GgmlType type = GgmlType::F32;
    uint64_t offset = 0;  // from the start of the data section
    uint64_t n_elements = 0;
    uint64_t n_bytes = 0;
    std::span<const uint8_t> data;  // view into the file

    const TypeTraits& traits() const { return type_traits(type); }
    uint64_t rows() const { return ne[0] == 0 ? 0 : n_elements / ne[0]; }
    std::string shape_string() const;  // "[2048, 32000]"
};

class File {
  public:
    // Maps the file (natively) or reads it (wasm) and parses it.
    static File open(const std::string& path);
    // Parses bytes that are already in memory.
    static File parse(std::shared_ptr<const ByteSource> source);

    uint32_t version() const { return version_; }
    uint32_t alignment() const { return alignment_; }
    uint64_t data_offset() const { return data_offset_; }  // absolute file offset of the data section
    std::span<const uint8_t> bytes() const { return source_->bytes(); }
    const std::string& origin() const { return source_->origin(); }
    const std::shared_ptr<const ByteSource>& source() const { return source_; }

    const std::vector<KeyValue>& metadata() const { return metadata_; }
    const Value* find(std::string_view key) const;

    // Typed lookups that throw a chord::Error naming the key when it is missing or of the wrong type.
    const Value& get(std::string_view key) const;
    uint32_t get_u32(std::string_view key) const;
    uint64_t get_u64(std::string_view key) const;
    float get_f32(std::string_view key) const;
    bool get_bool(std::string_view key) const;
    const std::string& get_string(std::string_view key) const;
    // The same with a default used only when the key is absent (a wrong type is still an error).
    uint32_t get_u32_or(std::string_view key, uint32_t fallback) const;
    float get_f32_or(std::string_view key, float fallback) const;
    bool get_bool_or(std::string_view key, bool fallback) const;
    std::string get_string_or(std::string_view key, std::string fallback) const;

    const std::vector<TensorInfo>& tensors() const { return tensors_; }
    const TensorInfo* find_tensor(std::string_view name) const;
    const TensorInfo& get_tensor(std::string_view name) const;  // throws naming the tensor

  private:
    friend struct PlanResult plan_chunks(std::span<const uint8_t> head, uint64_t file_size,
                                         uint64_t max_chunk);
    File() = default;
    // Parses the header from `bytes`, the first bytes of a file of `file_size` bytes, and checks the
    // tensor table against the file's size; binds no tensor data.
    void parse_header(std::span<const uint8_t> bytes, uint64_t file_size, const std::string& origin);

    std::shared_ptr<const ByteSource> source_;
    uint32_t version_ = 0;
    uint32_t alignment_ = kDefaultAlignment;
    uint64_t data_offset_ = 0;
    std::vector<KeyValue> metadata_;
    std::unordered_map<std::string, size_t> metadata_index_;
    std::vector<TensorInfo> tensors_;
    std::unordered_map<std::string, size_t> tensor_index_;
};

// Where to cut a GGUF file into chunks of at most `max_chunk` bytes that no tensor straddles, for a
// ByteSource made of several allocations (chunked_bytes). Needs only the first bytes of the file
// (`head`): when the header goes on past them, head_needed says how many bytes it needs at least and
// chunk_ends is empty. Otherwise chunk_ends holds each chunk's end offset, the last being file_size.
// A bad header is a Format error; a tensor larger than max_chunk is Unsupported.
struct PlanResult {
    std::vector<uint64_t> chunk_ends;
    uint64_t head_needed = 0;
};
PlanResult plan_chunks(std::span<const uint8_t> head, uint64_t file_size, uint64_t max_chunk);

}  // namespace chord::gguf

// ByteSource: read-only bytes that outlive every view into them. A GGUF file is parsed from one of
// these, and tensors are spans into it, so weights are never copied: natively the source is a
// memory-mapped file; in WebAssembly (or for a caller's buffer) it is a heap block or a borrowed span.
// In WebAssembly one allocation cannot exceed 2 GB, so a large model is a ChunkedBytes source: several
// heap blocks back to back, cut where no tensor straddles them (gguf::plan_chunks).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace chord {

class ByteSource {
  public:
    virtual ~ByteSource() = default;
    // All the bytes; for a chunked source, the first chunk (which holds the GGUF header).
    virtual std::span<const uint8_t> bytes() const = 0;
    // The total size, every chunk included.
    virtual uint64_t size() const { return bytes().size(); }
    // The bytes [offset, offset + length) as one span; throws a Format error when they lie outside the
    // source or straddle two chunks.
    virtual std::span<const uint8_t> range(uint64_t offset, uint64_t length) const;
    // Where the bytes came from, for error messages ("model.gguf", "<buffer>").
    virtual const std::string& origin() const = 0;
    // Tells the source that [p, p + n) will not be read again soon: a mapped file drops those pages
    // from memory (they read back from the file if touched), other sources ignore it. Reading the range
    // afterwards stays valid.
    virtual void release(const uint8_t* p, size_t n) const {
        (void)p;
        (void)n;
    }
    // The bytes [p, p + n) (inside the source) as writable memory where the source owns memory it may
    // change (an owned vector, malloc'ed chunks), else nullptr (a mapped file, borrowed bytes). Used to
    // repack weights in place (Model::pack_in_place); the bytes are then no longer the file's.
    virtual uint8_t* writable(const uint8_t* p, size_t n) const {
        (void)p;
        (void)n;
        return nullptr;
    }
};

// Maps `path` read-only (POSIX mmap); reads it into memory where mapping is unavailable (emscripten).
std::shared_ptr<const ByteSource> map_file(const std::string& path);

// Takes ownership of `bytes`.
std::shared_ptr<const ByteSource> own_bytes(std::vector<uint8_t> bytes, std::string origin = "<buffer>");

// Borrows `bytes`: the caller keeps them alive as long as anything parsed from them.
std::shared_ptr<const ByteSource> borrow_bytes(std::span<const uint8_t> bytes,
                                               std::string origin = "<buffer>");

// One heap block of a chunked source, released with free() when the source is destroyed.
struct MallocChunk {
    void* data = nullptr;
    size_t size = 0;
};

// Takes ownership of `chunks` (all of them, also when it throws): the file's bytes in order.
std::shared_ptr<const ByteSource> chunked_bytes(std::vector<MallocChunk> chunks,
                                                std::string origin = "<chunks>");

}  // namespace chord

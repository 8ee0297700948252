// ByteSource: read-only bytes that outlive every view into them. A GGUF file is parsed from one of
// these, and tensors are spans into it, so weights are never copied: natively the source is a
// memory-mapped file; in WebAssembly (or for a caller's buffer) it is a heap block or a borrowed span.
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
    virtual std::span<const uint8_t> bytes() const = 0;
    // Where the bytes came from, for error messages ("model.gguf", "<buffer>").
    virtual const std::string& origin() const = 0;
    // Tells the source that [p, p + n) will not be read again soon: a mapped file drops those pages
    // from memory (they read back from the file if touched), other sources ignore it. Reading the range
    // afterwards stays valid.
    virtual void release(const uint8_t* p, size_t n) const {
        (void)p;
        (void)n;
    }
};

// Maps `path` read-only (POSIX mmap); reads it into memory where mapping is unavailable (emscripten).
std::shared_ptr<const ByteSource> map_file(const std::string& path);

// Takes ownership of `bytes`.
std::shared_ptr<const ByteSource> own_bytes(std::vector<uint8_t> bytes, std::string origin = "<buffer>");

// Borrows `bytes`: the caller keeps them alive as long as anything parsed from them.
std::shared_ptr<const ByteSource> borrow_bytes(std::span<const uint8_t> bytes,
                                               std::string origin = "<buffer>");

}  // namespace chord

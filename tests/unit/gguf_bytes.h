// GgufBytes: assembles GGUF files field by field for tests, including files no writer would produce
// (wrong counts, bad offsets), so the reader's validation can be exercised byte by byte.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace chord::test {

struct GgufBytes {
    std::vector<uint8_t> b;

    GgufBytes& u8(uint8_t v) { return raw(&v, 1); }
    GgufBytes& u32(uint32_t v) { return raw(&v, 4); }
    GgufBytes& u64(uint64_t v) { return raw(&v, 8); }
    GgufBytes& f32(float v) { return raw(&v, 4); }
    GgufBytes& str(const std::string& s) {
        u64(s.size());
        return raw(s.data(), s.size());
    }
    GgufBytes& raw(const void* p, size_t n) {
        const auto* c = static_cast<const uint8_t*>(p);
        b.insert(b.end(), c, c + n);
        return *this;
    }
    GgufBytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
        return u32(0x46554747).u32(version).u64(n_tensors).u64(n_kv);
    }
    GgufBytes& pad(size_t alignment = 32) {
        while (b.size() % alignment != 0) b.push_back(0);
        return *this;
    }
    // A tensor info: name, dims (ggml order), ggml type id, data offset.
    GgufBytes& tensor(const std::string& name, std::vector<uint64_t> dims, uint32_t type, uint64_t offset) {
        str(name).u32(static_cast<uint32_t>(dims.size()));
        for (uint64_t d : dims) u64(d);
        return u32(type).u64(offset);
    }
    GgufBytes& zeros(size_t n) {
        b.insert(b.end(), n, 0);
        return *this;
    }
};

}  // namespace chord::test

// The three ByteSource kinds: a read-only file mapping, an owned vector, a borrowed span.
#include "core/byte_source.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/error.h"

#if !defined(__EMSCRIPTEN__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#else
#include <cstdio>
#endif

namespace chord {
namespace {

// p as a writable pointer when [p, p + n) lies inside `owned` (memory the source owns), else nullptr.
uint8_t* writable_within(std::span<const uint8_t> owned, const uint8_t* p, size_t n) {
    const auto begin = reinterpret_cast<uintptr_t>(owned.data()), at = reinterpret_cast<uintptr_t>(p);
    if (at < begin || at - begin > owned.size() || n > owned.size() - (at - begin)) return nullptr;
    return const_cast<uint8_t*>(p);
}

class OwnedBytes final : public ByteSource {
  public:
    OwnedBytes(std::vector<uint8_t> bytes, std::string origin)
        : bytes_(std::move(bytes)), origin_(std::move(origin)) {}
    std::span<const uint8_t> bytes() const override { return bytes_; }
    const std::string& origin() const override { return origin_; }
    uint8_t* writable(const uint8_t* p, size_t n) const override { return writable_within(bytes(), p, n); }

  private:
    std::vector<uint8_t> bytes_;
    std::string origin_;
};

class BorrowedBytes final : public ByteSource {
  public:
    BorrowedBytes(std::span<const uint8_t> bytes, std::string origin)
        : bytes_(bytes), origin_(std::move(origin)) {}
    std::span<const uint8_t> bytes() const override { return bytes_; }
    const std::string& origin() const override { return origin_; }

  private:
    std::span<const uint8_t> bytes_;
    std::string origin_;
};

[[noreturn]] void throw_io_error(const std::string& what, const std::string& path) {
    throw Error(ErrorCode::Io, what + " '" + path + "': " + std::strerror(errno));
}

class ChunkedBytes final : public ByteSource {
  public:
    ChunkedBytes(std::vector<MallocChunk> chunks, std::string origin)
        : chunks_(std::move(chunks)), origin_(std::move(origin)) {
        uint64_t at = 0;
        for (const MallocChunk& c : chunks_) {
            if (c.data == nullptr && c.size > 0) {
                free_chunks();
                throw Error(ErrorCode::InvalidArgument,
                            "a chunk of " + std::to_string(c.size) + " bytes is NULL");
            }
            starts_.push_back(at);
            at += c.size;
        }
        size_ = at;
    }
    ~ChunkedBytes() override { free_chunks(); }
    ChunkedBytes(const ChunkedBytes&) = delete;
    ChunkedBytes& operator=(const ChunkedBytes&) = delete;

    std::span<const uint8_t> bytes() const override {
        if (chunks_.empty()) return {};
        return {static_cast<const uint8_t*>(chunks_[0].data), chunks_[0].size};
    }
    uint64_t size() const override { return size_; }
    std::span<const uint8_t> range(uint64_t offset, uint64_t length) const override {
        if (offset > size_ || length > size_ - offset)
            throw Error(ErrorCode::Format, origin_ + ": bytes " + std::to_string(offset) + ".." +
                                               std::to_string(offset + length) + " lie past the end (" +
                                               std::to_string(size_) + " bytes)");
        // The last chunk starting at or before offset.
        const auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
        const auto i = static_cast<size_t>(it - starts_.begin()) - 1;
        const uint64_t local = offset - starts_[i];
        if (length > chunks_[i].size - local) {
            if (length == 0) return {};
            throw Error(ErrorCode::Format, origin_ + ": bytes " + std::to_string(offset) + ".." +
                                               std::to_string(offset + length) + " straddle two chunks");
        }
        return {static_cast<const uint8_t*>(chunks_[i].data) + local, static_cast<size_t>(length)};
    }
    const std::string& origin() const override { return origin_; }
    uint8_t* writable(const uint8_t* p, size_t n) const override {
        for (const MallocChunk& c : chunks_)
            if (uint8_t* w = writable_within({static_cast<const uint8_t*>(c.data), c.size}, p, n)) return w;
        return nullptr;
    }

  private:
    void free_chunks() {
        for (MallocChunk& c : chunks_) std::free(c.data);
        chunks_.clear();
    }
    std::vector<MallocChunk> chunks_;
    std::vector<uint64_t> starts_;  // offset of each chunk's first byte
    uint64_t size_ = 0;
    std::string origin_;
};

#if !defined(__EMSCRIPTEN__)
class MappedFile final : public ByteSource {
  public:
    explicit MappedFile(const std::string& path) : origin_(path) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw_io_error("cannot open", path);
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            ::close(fd);
            throw_io_error("cannot stat", path);
        }
        if (S_ISDIR(st.st_mode)) {
            ::close(fd);
            throw Error(ErrorCode::Io, "'" + path + "' is a directory, not a file");
        }
        size_ = static_cast<size_t>(st.st_size);
        if (size_ > 0) {
            void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
            if (p == MAP_FAILED) {
                ::close(fd);
                throw_io_error("cannot map", path);
            }
            data_ = static_cast<const uint8_t*>(p);
        }
        ::close(fd);  // the mapping keeps the file alive
    }
    ~MappedFile() override {
        if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
    }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    std::span<const uint8_t> bytes() const override { return {data_, size_}; }
    const std::string& origin() const override { return origin_; }
    void release(const uint8_t* p, size_t n) const override {
        // Whole pages inside the range only: its neighbours may still be in use.
        const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
        const auto begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
        const auto end = (reinterpret_cast<uintptr_t>(p) + n) / page * page;
        if (p < data_ || p + n > data_ + size_ || end <= begin) return;
        ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
    }

  private:
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
    std::string origin_;
};
#endif

}  // namespace

std::shared_ptr<const ByteSource> map_file(const std::string& path) {
#if !defined(__EMSCRIPTEN__)
    return std::make_shared<MappedFile>(path);
#else
    // C stdio rather than iostreams: iostreams would add ~100 KB of locale code to the wasm module.
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!in) throw_io_error("cannot open", path);
    std::vector<uint8_t> bytes;
    uint8_t buffer[1 << 16];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, in.get())) > 0;)
        bytes.insert(bytes.end(), buffer, buffer + n);
    if (std::ferror(in.get())) throw_io_error("cannot read", path);
    return std::make_shared<OwnedBytes>(std::move(bytes), path);
#endif
}

std::span<const uint8_t> ByteSource::range(uint64_t offset, uint64_t length) const {
    const std::span<const uint8_t> all = bytes();
    if (offset > all.size() || length > all.size() - offset)
        throw Error(ErrorCode::Format, origin() + ": bytes " + std::to_string(offset) + ".." +
                                           std::to_string(offset + length) + " lie past the end (" +
                                           std::to_string(all.size()) + " bytes)");
    return all.subspan(static_cast<size_t>(offset), static_cast<size_t>(length));
}

std::shared_ptr<const ByteSource> chunked_bytes(std::vector<MallocChunk> chunks, std::string origin) {
    try {
        return std::make_shared<ChunkedBytes>(std::move(chunks), std::move(origin));
    } catch (const std::bad_alloc&) {
        for (MallocChunk& c : chunks) std::free(c.data);  // not yet moved when make_shared failed
        throw;
    }
}

std::shared_ptr<const ByteSource> own_bytes(std::vector<uint8_t> bytes, std::string origin) {
    return std::make_shared<OwnedBytes>(std::move(bytes), std::move(origin));
}

std::shared_ptr<const ByteSource> borrow_bytes(std::span<const uint8_t> bytes, std::string origin) {
    return std::make_shared<BorrowedBytes>(bytes, std::move(origin));
}

}  // namespace chord

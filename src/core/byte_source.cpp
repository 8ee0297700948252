// The three ByteSource kinds: a read-only file mapping, an owned vector, a borrowed span.
#include "core/byte_source.h"

#include <cerrno>
#include <cstring>

#include "core/error.h"

#if !defined(__EMSCRIPTEN__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#else
#include <fstream>
#endif

namespace chord {
namespace {

class OwnedBytes final : public ByteSource {
  public:
    OwnedBytes(std::vector<uint8_t> bytes, std::string origin)
        : bytes_(std::move(bytes)), origin_(std::move(origin)) {}
    std::span<const uint8_t> bytes() const override { return bytes_; }
    const std::string& origin() const override { return origin_; }

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
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw_io_error("cannot open", path);
    const auto size = static_cast<size_t>(in.tellg());
    std::vector<uint8_t> bytes(size);
    in.seekg(0);
    if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
        throw_io_error("cannot read", path);
    return std::make_shared<OwnedBytes>(std::move(bytes), path);
#endif
}

std::shared_ptr<const ByteSource> own_bytes(std::vector<uint8_t> bytes, std::string origin) {
    return std::make_shared<OwnedBytes>(std::move(bytes), std::move(origin));
}

std::shared_ptr<const ByteSource> borrow_bytes(std::span<const uint8_t> bytes, std::string origin) {
    return std::make_shared<BorrowedBytes>(bytes, std::move(origin));
}

}  // namespace chord

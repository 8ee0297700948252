// Serialization of GGUF files: metadata values, tensor infos, aligned tensor data.
#include "gguf/writer.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/error.h"

namespace chord::gguf {
namespace {

void put_u32(const std::function<void(const void*, size_t)>& sink, uint32_t v) {
    sink(&v, sizeof v);
}
void put_u64(const std::function<void(const void*, size_t)>& sink, uint64_t v) {
    sink(&v, sizeof v);
}
void put_string(const std::function<void(const void*, size_t)>& sink, const std::string& s) {
    put_u64(sink, s.size());
    sink(s.data(), s.size());
}

void put_value(const std::function<void(const void*, size_t)>& sink, const Value& v) {
    switch (v.type()) {
        case ValueType::String:
            put_string(sink, v.str());
            return;
        case ValueType::Array: {
            put_u32(sink, static_cast<uint32_t>(v.elem_type()));
            put_u64(sink, v.size());
            if (v.elem_type() == ValueType::String) {
                for (const auto& s : v.strings()) put_string(sink, s);
            } else if (v.elem_type() == ValueType::Array) {
                for (const auto& item : v.items()) put_value(sink, item);
            } else {
                sink(v.raw().data(), v.raw().size());
            }
            return;
        }
        default: {
            const uint64_t bits = v.bits();
            sink(&bits, scalar_size(v.type()));  // little-endian: the low bytes
        }
    }
}

uint64_t padding(uint64_t pos, uint64_t alignment) {
    return (alignment - pos % alignment) % alignment;
}

void put_zeros(const std::function<void(const void*, size_t)>& sink, uint64_t n) {
    static const uint8_t zeros[256] = {};
    while (n > 0) {
        const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, sizeof zeros));
        sink(zeros, chunk);
        n -= chunk;
    }
}

}  // namespace

Writer Writer::copy_of(const File& file) {
    Writer w(file.version());
    for (const auto& kv : file.metadata()) w.set(kv.key, kv.value);
    // ggml lays tensors out in the order of the tensor table; keep that order.
    for (const auto& t : file.tensors()) {
        std::vector<uint64_t> dims(t.ne.begin(), t.ne.begin() + t.n_dims);
        w.add_tensor(t.name, dims, t.type, t.data);
    }
    return w;
}

void Writer::set(const std::string& key, Value value) {
    for (auto& kv : metadata_) {
        if (kv.key == key) {
            kv.value = std::move(value);
            return;
        }
    }
    metadata_.push_back({key, std::move(value)});
}

void Writer::remove(const std::string& key) {
    std::erase_if(metadata_, [&](const KeyValue& kv) { return kv.key == key; });
}

void Writer::add_pending(PendingTensor t) {
    for (const auto& other : tensors_)
        if (other.name == t.name)
            throw Error(ErrorCode::InvalidArgument, "duplicate tensor name '" + t.name + "'");
    if (t.dims.empty() || t.dims.size() > kMaxDims)
        throw Error(ErrorCode::InvalidArgument, "tensor '" + t.name + "' must have 1 to 4 dimensions");
    const TypeTraits& traits = type_traits(t.type);
    if (t.dims[0] % traits.block_size != 0)
        throw Error(ErrorCode::InvalidArgument, "tensor '" + t.name + "': row length " +
                                                    std::to_string(t.dims[0]) + " is not a multiple of " +
                                                    std::string(traits.name) + "'s block size " +
                                                    std::to_string(traits.block_size));
    uint64_t n = 1;
    for (uint64_t d : t.dims) n *= d;
    t.n_bytes = row_bytes(traits, n);
    tensors_.push_back(std::move(t));
}

void Writer::add_tensor(const std::string& name, const std::vector<uint64_t>& dims, GgmlType type,
                        std::span<const uint8_t> data) {
    PendingTensor t{name, dims, type, 0, data, {}, {}};
    const size_t given = data.size();
    add_pending(std::move(t));
    if (tensors_.back().n_bytes != given) {
        const uint64_t want = tensors_.back().n_bytes;
        tensors_.pop_back();
        throw Error(ErrorCode::InvalidArgument, "tensor '" + name + "' needs " + std::to_string(want) +
                                                    " bytes of data, got " + std::to_string(given));
    }
}

void Writer::add_tensor(const std::string& name, const std::vector<uint64_t>& dims, GgmlType type,
                        std::vector<uint8_t>&& data) {
    auto owned = std::make_shared<const std::vector<uint8_t>>(std::move(data));
    add_tensor(name, dims, type, std::span<const uint8_t>(*owned));
    tensors_.back().owned = std::move(owned);
}

void Writer::add_tensor(const std::string& name, const std::vector<uint64_t>& dims, GgmlType type,
                        Fill fill) {
    add_pending({name, dims, type, 0, {}, std::move(fill), {}});
}

uint32_t Writer::alignment() const {
    for (const auto& kv : metadata_) {
        if (kv.key != "general.alignment") continue;
        const auto a = kv.value.to_u64();
        if (kv.value.type() != ValueType::Uint32 || !a || *a == 0 || (*a & (*a - 1)) != 0)
            throw Error(ErrorCode::InvalidArgument, "general.alignment must be a u32 power of two");
        return static_cast<uint32_t>(*a);
    }
    return kDefaultAlignment;
}

void Writer::write(const Sink& sink) const {
    const uint64_t align = alignment();
    uint64_t pos = 0;
    const Sink counted = [&](const void* data, size_t n) {
        sink(data, n);
        pos += n;
    };

    put_u32(counted, kMagic);
    put_u32(counted, version_);
    put_u64(counted, tensors_.size());
    put_u64(counted, metadata_.size());
    for (const auto& kv : metadata_) {
        put_string(counted, kv.key);
        put_u32(counted, static_cast<uint32_t>(kv.value.type()));
        put_value(counted, kv.value);
    }
    uint64_t offset = 0;
    for (const auto& t : tensors_) {
        put_string(counted, t.name);
        put_u32(counted, static_cast<uint32_t>(t.dims.size()));
        for (uint64_t d : t.dims) put_u64(counted, d);
        put_u32(counted, static_cast<uint32_t>(t.type));
        put_u64(counted, offset);
        offset += t.n_bytes + padding(t.n_bytes, align);
    }
    if (tensors_.empty()) return;  // vocabulary-only files end right after the metadata, unpadded
    put_zeros(counted, padding(pos, align));

    std::vector<uint8_t> scratch;
    for (const auto& t : tensors_) {
        if (t.fill) {
            if (t.n_bytes > SIZE_MAX)
                throw Error(ErrorCode::OutOfMemory, "tensor '" + t.name + "' is too large for this platform");
            scratch.assign(static_cast<size_t>(t.n_bytes), 0);
            t.fill(scratch);
            counted(scratch.data(), scratch.size());
        } else {
            counted(t.data.data(), t.data.size());
        }
        put_zeros(counted, padding(t.n_bytes, align));
    }
}

std::vector<uint8_t> Writer::write_buffer() const {
    std::vector<uint8_t> out;
    write([&](const void* data, size_t n) {
        const auto* p = static_cast<const uint8_t*>(data);
        out.insert(out.end(), p, p + n);
    });
    return out;
}

void Writer::write_file(const std::string& path) const {
    const std::string tmp = path + ".partial";
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(tmp.c_str(), "wb"), &std::fclose);
    if (!f) throw Error(ErrorCode::Io, "cannot create '" + tmp + "': " + std::strerror(errno));
    write([&](const void* data, size_t n) {
        if (n != 0 && std::fwrite(data, 1, n, f.get()) != n)
            throw Error(ErrorCode::Io, "cannot write '" + tmp + "': " + std::strerror(errno));
    });
    if (std::fclose(f.release()) != 0)
        throw Error(ErrorCode::Io, "cannot write '" + tmp + "': " + std::strerror(errno));
    // Write-then-rename: a crash or a full disk never leaves a half-written file under the real name.
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
        throw Error(ErrorCode::Io, "cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(errno));
}

}  // namespace chord::gguf

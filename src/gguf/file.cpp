// Parsing and validation of GGUF files. Every read goes through Cursor, which checks the bytes are
// there first; every count is checked against the bytes left before anything is allocated for it.
#include "gguf/file.h"

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace chord::gguf {
namespace {

// Thrown when the header goes on past the bytes at hand but not past the file: plan_chunks' caller
// then reads more of the file and tries again.
struct HeadTooShort {
    uint64_t needed;
};

// Reads from `bytes`, the first bytes of a file of `file_size` bytes: counts and lengths are checked
// against the whole file, reads past `bytes` throw HeadTooShort.
class Cursor {
  public:
    Cursor(std::span<const uint8_t> bytes, uint64_t file_size, const std::string& origin)
        : bytes_(bytes), file_size_(file_size), origin_(origin) {}

    uint64_t pos() const { return pos_; }
    uint64_t remaining() const { return file_size_ - pos_; }

    [[noreturn]] void fail(const std::string& what, uint64_t at) const {
        throw_format_error(origin_ + ": " + what, at);
    }
    [[noreturn]] void fail(const std::string& what) const { fail(what, pos_); }

    void need(uint64_t n, const char* what) const {
        if (n > remaining())
            fail(std::string("file ends inside ") + what + ": needs " + std::to_string(n) + " bytes, " +
                 std::to_string(remaining()) + " left");
        if (n > bytes_.size() - pos_) throw HeadTooShort{pos_ + n};
    }

    template <typename T>
    T read(const char* what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, bytes_.data() + pos_, sizeof v);  // GGUF is little-endian, as are x86-64 and wasm
        pos_ += sizeof v;
        return v;
    }

    std::string read_string(const char* what) {
        const uint64_t at = pos_;
        const auto len = read<uint64_t>(what);
        if (len > remaining())
            fail(std::string(what) + " has length " + std::to_string(len) + " but only " +
                     std::to_string(remaining()) + " bytes are left",
                 at);
        need(len, what);
        std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<size_t>(len));
        pos_ += len;
        return s;
    }

    uint64_t read_bits(size_t n, const char* what) {
        need(n, what);
        uint64_t bits = 0;
        std::memcpy(&bits, bytes_.data() + pos_, n);
        pos_ += n;
        return bits;
    }

    std::vector<uint8_t> read_bytes(uint64_t n, const char* what) {
        need(n, what);
        std::vector<uint8_t> out(bytes_.begin() + static_cast<std::ptrdiff_t>(pos_),
                                 bytes_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
        pos_ += n;
        return out;
    }

  private:
    std::span<const uint8_t> bytes_;
    uint64_t file_size_;
    const std::string& origin_;
    uint64_t pos_ = 0;
};

ValueType read_value_type(Cursor& cur, const std::string& context) {
    const uint64_t at = cur.pos();
    const auto id = cur.read<uint32_t>("a value type");
    if (id >= kValueTypeCount) cur.fail(context + " has unknown value type " + std::to_string(id), at);
    return static_cast<ValueType>(id);
}

Value read_value(Cursor& cur, ValueType type, const std::string& context, uint32_t depth);

Value read_array(Cursor& cur, const std::string& context, uint32_t depth) {
    const uint64_t at = cur.pos();
    if (depth >= kMaxArrayDepth)
        cur.fail(context + " nests arrays deeper than " + std::to_string(kMaxArrayDepth) + " levels", at);
    const ValueType elem = read_value_type(cur, context + "'s element type");
    const uint64_t count_at = cur.pos();
    const auto count = cur.read<uint64_t>("an array length");
    // The smallest encoding of one element bounds how many can fit in what is left.
    const uint64_t min_elem = is_scalar(elem) ? scalar_size(elem) : elem == ValueType::String ? 8 : 12;
    if (count > cur.remaining() / min_elem)
        cur.fail(context + " claims " + std::to_string(count) + " elements of type " + value_type_name(elem) +
                     ", more than the " + std::to_string(cur.remaining()) + " bytes left can hold",
                 count_at);
    if (is_scalar(elem)) return Value::array_raw(elem, count, cur.read_bytes(count * min_elem, "an array"));
    if (elem == ValueType::String) {
        std::vector<std::string> items;
        items.reserve(static_cast<size_t>(count));  // count <= bytes left, so it fits
        for (uint64_t i = 0; i < count; ++i) items.push_back(cur.read_string("an array string"));
        return Value::string_array(std::move(items));
    }
    std::vector<Value> items;
    items.reserve(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i)
        items.push_back(read_value(cur, ValueType::Array, context, depth + 1));
    return Value::array_of_arrays(std::move(items));
}

Value read_value(Cursor& cur, ValueType type, const std::string& context, uint32_t depth) {
    if (type == ValueType::String) return Value::string(cur.read_string("a string value"));
    if (type == ValueType::Array) return read_array(cur, context, depth);
    return Value::scalar_bits(type, cur.read_bits(scalar_size(type), "a scalar value"));
}

uint64_t align_up(uint64_t x, uint64_t alignment) {
    return (x + alignment - 1) / alignment * alignment;
}

}  // namespace

std::string TensorInfo::shape_string() const {
    std::string s = "[";
    for (uint32_t i = 0; i < n_dims; ++i) {
        if (i != 0) s += ", ";
        s += std::to_string(ne[i]);
    }
    return s + "]";
}

File File::open(const std::string& path) {
    return parse(map_file(path));
}

File File::parse(std::shared_ptr<const ByteSource> source) {
    File f;
    f.source_ = std::move(source);
    try {
        f.parse_header(f.source_->bytes(), f.source_->size(), f.source_->origin());
    } catch (const HeadTooShort& h) {
        throw Error(ErrorCode::Format, f.source_->origin() + ": the GGUF header (at least " +
                                           std::to_string(h.needed) +
                                           " bytes) does not fit in the first chunk (" +
                                           std::to_string(f.source_->bytes().size()) + " bytes)");
    }
    for (auto& t : f.tensors_) t.data = f.source_->range(f.data_offset_ + t.offset, t.n_bytes);  // checked
    return f;
}

void File::parse_header(std::span<const uint8_t> bytes, uint64_t file_size, const std::string& origin) {
    File& f = *this;
    Cursor cur(bytes, file_size, origin);

    // Header: magic, version, counts.
    if (file_size < 4) cur.fail("not a GGUF file: only " + std::to_string(file_size) + " bytes", 0);
    const auto magic = cur.read<uint32_t>("the magic");
    if (magic != kMagic) {
        std::string shown;
        for (int i = 0; i < 4; ++i) {
            const char c = static_cast<char>(bytes[static_cast<size_t>(i)]);
            shown += (c >= 0x20 && c < 0x7f) ? c : '.';
        }
        cur.fail("not a GGUF file: magic is '" + shown + "', expected 'GGUF'", 0);
    }
    const auto version = cur.read<uint32_t>("the version");
    if (version == 1)
        cur.fail("GGUF version 1 is not supported (re-convert the model with a current llama.cpp)", 4);
    if (version != 2 && version != 3) {
        if ((version & 0xffff) == 0) cur.fail("big-endian GGUF files are not supported", 4);
        cur.fail("unsupported GGUF version " + std::to_string(version) + " (supported: 2, 3)", 4);
    }
    f.version_ = version;
    const uint64_t n_tensors_at = cur.pos();
    const auto n_tensors = cur.read<uint64_t>("the tensor count");
    const uint64_t n_kv_at = cur.pos();
    const auto n_kv = cur.read<uint64_t>("the metadata count");

    // Metadata. Each pair takes at least 8 (key length) + 4 (type) + 1 (smallest value) bytes.
    if (n_kv > cur.remaining() / 13)
        cur.fail("metadata count " + std::to_string(n_kv) + " is more than the file can hold", n_kv_at);
    f.metadata_.reserve(static_cast<size_t>(n_kv));  // n_kv <= bytes left
    for (uint64_t i = 0; i < n_kv; ++i) {
        const uint64_t at = cur.pos();
        std::string key = cur.read_string("a metadata key");
        if (f.metadata_index_.count(key) != 0) cur.fail("duplicate metadata key '" + key + "'", at);
        const std::string context = "metadata key '" + key + "'";
        const ValueType type = read_value_type(cur, context);
        Value value = read_value(cur, type, context, 0);
        f.metadata_index_.emplace(key, f.metadata_.size());
        f.metadata_.push_back({std::move(key), std::move(value)});
    }

    if (const Value* a = f.find("general.alignment")) {
        if (a->type() != ValueType::Uint32)
            cur.fail(std::string("general.alignment must be a u32, not ") + value_type_name(a->type()),
                     n_kv_at);
        const auto alignment = static_cast<uint32_t>(a->bits());
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            cur.fail("general.alignment " + std::to_string(alignment) + " is not a power of two", n_kv_at);
        f.alignment_ = alignment;
    }

    // Tensor infos. Each takes at least 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset) bytes.
    if (n_tensors > cur.remaining() / 24)
        cur.fail("tensor count " + std::to_string(n_tensors) + " is more than the file can hold",
                 n_tensors_at);
    f.tensors_.reserve(static_cast<size_t>(n_tensors));
    for (uint64_t i = 0; i < n_tensors; ++i) {
        const uint64_t at = cur.pos();
        TensorInfo t;
        t.name = cur.read_string("a tensor name");
        if (f.tensor_index_.count(t.name) != 0) cur.fail("duplicate tensor name '" + t.name + "'", at);
        const std::string context = "tensor '" + t.name + "'";
        const uint64_t dims_at = cur.pos();
        t.n_dims = cur.read<uint32_t>("a tensor's dimension count");
        if (t.n_dims > kMaxDims)
            cur.fail(context + " has " + std::to_string(t.n_dims) + " dimensions (at most 4)", dims_at);
        t.n_elements = 1;
        for (uint32_t d = 0; d < t.n_dims; ++d) {
            const uint64_t dim_at = cur.pos();
            t.ne[d] = cur.read<uint64_t>("a tensor dimension");
            if (t.ne[d] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                cur.fail(context + " has a negative or huge dimension " + std::to_string(t.ne[d]), dim_at);
            uint64_t product = 0;
            if (__builtin_mul_overflow(t.n_elements, t.ne[d], &product) ||
                product > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                cur.fail(context + "'s element count overflows", dim_at);
            t.n_elements = product;
        }
        const uint64_t type_at = cur.pos();
        const auto type_id = cur.read<uint32_t>("a tensor type");
        const TypeTraits* traits = find_type_traits(type_id);
        if (traits == nullptr)
            cur.fail(context + " has unknown ggml type " + std::to_string(type_id), type_at);
        t.type = traits->type;
        if (t.ne[0] % traits->block_size != 0)
            cur.fail(context + " has rows of " + std::to_string(t.ne[0]) + " elements, not a multiple of " +
                         std::string(traits->name) + "'s block size " + std::to_string(traits->block_size),
                     dims_at);
        if (__builtin_mul_overflow(t.n_elements / traits->block_size, uint64_t{traits->block_bytes},
                                   &t.n_bytes))
            cur.fail(context + "'s byte size overflows", type_at);
        const uint64_t offset_at = cur.pos();
        t.offset = cur.read<uint64_t>("a tensor offset");
        if (t.offset % f.alignment_ != 0)
            cur.fail(context + " has offset " + std::to_string(t.offset) +
                         ", not a multiple of the alignment " + std::to_string(f.alignment_),
                     offset_at);
        f.tensor_index_.emplace(t.name, f.tensors_.size());
        f.tensors_.push_back(std::move(t));
    }

    // Data section: starts at the next multiple of the alignment; every tensor must lie inside the file.
    f.data_offset_ = align_up(cur.pos(), f.alignment_);
    const uint64_t size = file_size;
    if (!f.tensors_.empty() && f.data_offset_ > size)
        cur.fail("file ends before its tensor data (data section starts at byte " +
                     std::to_string(f.data_offset_) + ")",
                 size);
    for (auto& t : f.tensors_) {
        uint64_t begin = 0;
        uint64_t end = 0;
        if (__builtin_add_overflow(f.data_offset_, t.offset, &begin) ||
            __builtin_add_overflow(begin, t.n_bytes, &end) || end > size)
            cur.fail("tensor '" + t.name + "' (" + std::to_string(t.n_bytes) + " bytes at data offset " +
                         std::to_string(t.offset) + ") extends past the end of the file (" +
                         std::to_string(size) + " bytes)",
                     size);
    }
    std::vector<const TensorInfo*> by_offset;
    by_offset.reserve(f.tensors_.size());
    for (const auto& t : f.tensors_) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
        const TensorInfo& prev = *by_offset[i - 1];
        if (prev.offset + prev.n_bytes > by_offset[i]->offset)
            cur.fail("tensors '" + prev.name + "' and '" + by_offset[i]->name + "' overlap",
                     f.data_offset_ + by_offset[i]->offset);
    }
}

PlanResult plan_chunks(std::span<const uint8_t> head, uint64_t file_size, uint64_t max_chunk) {
    PlanResult r;
    File f;
    const std::string origin = "<gguf header>";
    try {
        f.parse_header(head, file_size, origin);
    } catch (const HeadTooShort& h) {
        r.head_needed = h.needed;
        return r;
    }
    std::vector<const TensorInfo*> by_offset;
    for (const auto& t : f.tensors()) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
    // Greedy: a chunk grows tensor by tensor and is cut before the tensor that would take it past
    // max_chunk; the first chunk also holds the header, the last one whatever follows the last tensor.
    uint64_t start = 0;
    for (const TensorInfo* t : by_offset) {
        const uint64_t begin = f.data_offset() + t->offset;
        const uint64_t end = begin + t->n_bytes;
        if (t->n_bytes > max_chunk)
            throw Error(ErrorCode::Unsupported, "tensor '" + t->name + "' has " + std::to_string(t->n_bytes) +
                                                    " bytes, more than one allocation may hold (" +
                                                    std::to_string(max_chunk) + ")");
        if (end - start > max_chunk && begin > start) {
            r.chunk_ends.push_back(begin);
            start = begin;
        }
    }
    if (file_size - start > max_chunk && !by_offset.empty()) {
        const TensorInfo* last = by_offset.back();
        const uint64_t end = f.data_offset() + last->offset + last->n_bytes;
        if (end > start && end < file_size) {
            r.chunk_ends.push_back(end);
            start = end;
        }
    }
    if (file_size - start > max_chunk && !r.chunk_ends.empty() && start == r.chunk_ends.back())
        throw Error(ErrorCode::Unsupported,
                    "the file's tail after its last tensor is larger than one allocation");
    if (file_size - start > max_chunk && by_offset.empty())
        throw Error(ErrorCode::Unsupported, "the GGUF header is larger than one allocation may hold");
    r.chunk_ends.push_back(file_size);
    return r;
}

const Value* File::find(std::string_view key) const {
    const auto it = metadata_index_.find(std::string(key));
    return it == metadata_index_.end() ? nullptr : &metadata_[it->second].value;
}

namespace {

[[noreturn]] void throw_wrong_type(std::string_view key, const Value& v, const char* wanted) {
    throw Error(ErrorCode::Format, "metadata key '" + std::string(key) + "' is " + value_type_name(v.type()) +
                                       " but " + wanted + " was expected");
}

}  // namespace

const Value& File::get(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) throw Error(ErrorCode::Missing, "metadata key '" + std::string(key) + "' is missing");
    return *v;
}

uint64_t File::get_u64(std::string_view key) const {
    const Value& v = get(key);
    const auto x = v.to_u64();
    if (!x) throw_wrong_type(key, v, "a non-negative integer");
    return *x;
}

uint32_t File::get_u32(std::string_view key) const {
    const uint64_t x = get_u64(key);
    if (x > std::numeric_limits<uint32_t>::max())
        throw Error(ErrorCode::Format, "metadata key '" + std::string(key) + "' = " + std::to_string(x) +
                                           " does not fit in 32 bits");
    return static_cast<uint32_t>(x);
}

float File::get_f32(std::string_view key) const {
    const Value& v = get(key);
    const auto x = v.to_f64();
    if (!x || v.type() == ValueType::Bool) throw_wrong_type(key, v, "a number");
    return static_cast<float>(*x);
}

bool File::get_bool(std::string_view key) const {
    const Value& v = get(key);
    const auto x = v.to_bool();
    if (!x) throw_wrong_type(key, v, "a bool");
    return *x;
}

const std::string& File::get_string(std::string_view key) const {
    const Value& v = get(key);
    if (!v.is_string()) throw_wrong_type(key, v, "a string");
    return v.str();
}

uint32_t File::get_u32_or(std::string_view key, uint32_t fallback) const {
    return find(key) != nullptr ? get_u32(key) : fallback;
}

float File::get_f32_or(std::string_view key, float fallback) const {
    return find(key) != nullptr ? get_f32(key) : fallback;
}

bool File::get_bool_or(std::string_view key, bool fallback) const {
    return find(key) != nullptr ? get_bool(key) : fallback;
}

std::string File::get_string_or(std::string_view key, std::string fallback) const {
    return find(key) != nullptr ? get_string(key) : fallback;
}

const TensorInfo* File::find_tensor(std::string_view name) const {
    const auto it = tensor_index_.find(std::string(name));
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const TensorInfo& File::get_tensor(std::string_view name) const {
    const TensorInfo* t = find_tensor(name);
    if (t == nullptr)
        throw Error(ErrorCode::Missing, "tensor '" + std::string(name) + "' is missing from " + origin());
    return *t;
}

}  // namespace chord::gguf

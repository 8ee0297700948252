// gguf::Value: construction, conversion and display of metadata values.
#include "gguf/value.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "core/error.h"

namespace chord::gguf {
namespace {

template <typename T>
T load(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Signed view of an integer scalar's bits (sign-extended from its width).
int64_t signed_bits(ValueType t, uint64_t bits) {
    switch (t) {
        case ValueType::Int8:
            return static_cast<int8_t>(bits & 0xff);
        case ValueType::Int16:
            return static_cast<int16_t>(bits & 0xffff);
        case ValueType::Int32:
            return static_cast<int32_t>(bits & 0xffffffff);
        default:
            return static_cast<int64_t>(bits);
    }
}

bool is_signed_int(ValueType t) {
    return t == ValueType::Int8 || t == ValueType::Int16 || t == ValueType::Int32 || t == ValueType::Int64;
}

std::string escape_string(const std::string& s, size_t max_bytes) {
    std::string out = "\"";
    const size_t n = std::min(s.size(), max_bytes);
    for (size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            static const char* hex = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
    if (n < s.size()) out += "... (" + std::to_string(s.size()) + " bytes)";
    return out;
}

}  // namespace

const char* value_type_name(ValueType type) {
    switch (type) {
        case ValueType::Uint8:
            return "u8";
        case ValueType::Int8:
            return "i8";
        case ValueType::Uint16:
            return "u16";
        case ValueType::Int16:
            return "i16";
        case ValueType::Uint32:
            return "u32";
        case ValueType::Int32:
            return "i32";
        case ValueType::Float32:
            return "f32";
        case ValueType::Bool:
            return "bool";
        case ValueType::String:
            return "str";
        case ValueType::Array:
            return "arr";
        case ValueType::Uint64:
            return "u64";
        case ValueType::Int64:
            return "i64";
        case ValueType::Float64:
            return "f64";
    }
    return "?";
}

size_t scalar_size(ValueType type) {
    switch (type) {
        case ValueType::Uint8:
        case ValueType::Int8:
        case ValueType::Bool:
            return 1;
        case ValueType::Uint16:
        case ValueType::Int16:
            return 2;
        case ValueType::Uint32:
        case ValueType::Int32:
        case ValueType::Float32:
            return 4;
        case ValueType::Uint64:
        case ValueType::Int64:
        case ValueType::Float64:
            return 8;
        case ValueType::String:
        case ValueType::Array:
            return 0;
    }
    return 0;
}

Value Value::scalar_bits(ValueType type, uint64_t bits) {
    Value out;
    out.type_ = type;
    out.bits_ = bits;
    return out;
}

Value Value::string(std::string s) {
    Value out;
    out.type_ = ValueType::String;
    out.string_ = std::move(s);
    return out;
}

Value Value::empty_array(ValueType elem, uint64_t count) {
    Value out;
    out.type_ = ValueType::Array;
    out.elem_type_ = elem;
    out.count_ = count;
    out.raw_.resize(static_cast<size_t>(count) * scalar_size(elem));
    return out;
}

Value Value::array(const std::vector<bool>& items) {
    Value out = empty_array(ValueType::Bool, items.size());
    for (size_t i = 0; i < items.size(); ++i) out.raw_[i] = items[i] ? 1 : 0;
    return out;
}

Value Value::string_array(std::vector<std::string> items) {
    Value out;
    out.type_ = ValueType::Array;
    out.elem_type_ = ValueType::String;
    out.count_ = items.size();
    out.strings_ = std::move(items);
    return out;
}

Value Value::array_of_arrays(std::vector<Value> items) {
    for (const auto& item : items)
        if (!item.is_array())
            throw Error(ErrorCode::InvalidArgument, "array_of_arrays: an element is not an array");
    Value out;
    out.type_ = ValueType::Array;
    out.elem_type_ = ValueType::Array;
    out.count_ = items.size();
    out.items_ = std::move(items);
    return out;
}

Value Value::array_raw(ValueType elem_type, uint64_t count, std::vector<uint8_t> raw) {
    if (!is_scalar(elem_type) || raw.size() != count * scalar_size(elem_type))
        throw Error(ErrorCode::InvalidArgument,
                    "array_raw: byte count does not match element type and count");
    Value out;
    out.type_ = ValueType::Array;
    out.elem_type_ = elem_type;
    out.count_ = count;
    out.raw_ = std::move(raw);
    return out;
}

bool Value::is_integer() const {
    switch (type_) {
        case ValueType::Uint8:
        case ValueType::Int8:
        case ValueType::Uint16:
        case ValueType::Int16:
        case ValueType::Uint32:
        case ValueType::Int32:
        case ValueType::Uint64:
        case ValueType::Int64:
            return true;
        default:
            return false;
    }
}

std::optional<uint64_t> Value::to_u64() const {
    if (!is_integer()) return std::nullopt;
    if (is_signed_int(type_)) {
        const int64_t v = signed_bits(type_, bits_);
        if (v < 0) return std::nullopt;
        return static_cast<uint64_t>(v);
    }
    return bits_;
}

std::optional<int64_t> Value::to_i64() const {
    if (!is_integer()) return std::nullopt;
    if (is_signed_int(type_)) return signed_bits(type_, bits_);
    if (bits_ > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(bits_);
}

std::optional<double> Value::to_f64() const {
    if (type_ == ValueType::Float32)
        return static_cast<double>(load<float>(reinterpret_cast<const uint8_t*>(&bits_)));
    if (type_ == ValueType::Float64) return load<double>(reinterpret_cast<const uint8_t*>(&bits_));
    if (type_ == ValueType::Bool) return bits_ != 0 ? 1.0 : 0.0;
    if (is_signed_int(type_)) return static_cast<double>(signed_bits(type_, bits_));
    if (is_integer()) return static_cast<double>(bits_);
    return std::nullopt;
}

std::optional<bool> Value::to_bool() const {
    if (type_ == ValueType::Bool) return bits_ != 0;
    return std::nullopt;
}

Value Value::element(uint64_t i) const {
    if (!is_array() || !is_scalar(elem_type_) || i >= count_)
        throw Error(ErrorCode::InvalidArgument, "element(): not a numeric array or index out of range");
    const size_t sz = scalar_size(elem_type_);
    uint64_t bits = 0;
    std::memcpy(&bits, raw_.data() + i * sz, sz);  // little-endian host (x86-64, wasm32)
    return scalar_bits(elem_type_, bits);
}

std::optional<std::vector<float>> Value::to_f32_vector() const {
    if (!is_array() || !is_scalar(elem_type_)) return std::nullopt;
    std::vector<float> out(static_cast<size_t>(count_));
    if (elem_type_ == ValueType::Float32) {
        if (count_ != 0) std::memcpy(out.data(), raw_.data(), raw_.size());
        return out;
    }
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(*element(i).to_f64());
    return out;
}

std::optional<std::vector<int64_t>> Value::to_i64_vector() const {
    if (!is_array() || !is_scalar(elem_type_)) return std::nullopt;
    std::vector<int64_t> out(static_cast<size_t>(count_));
    for (size_t i = 0; i < out.size(); ++i) {
        const auto v = element(i).to_i64();
        if (!v) return std::nullopt;
        out[i] = *v;
    }
    return out;
}

std::string Value::to_display(bool full) const {
    // snprintf rather than iostreams: iostreams would add ~100 KB of locale code to the wasm module.
    constexpr size_t kMaxItems = 8;
    constexpr size_t kMaxStringBytes = 80;
    if (type_ == ValueType::String) return escape_string(string_, full ? string_.size() : kMaxStringBytes);
    if (type_ == ValueType::Bool) return bits_ != 0 ? "true" : "false";
    if (is_float()) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.7g", *to_f64());
        return buffer;
    }
    if (is_integer())
        return is_signed_int(type_) ? std::to_string(signed_bits(type_, bits_)) : std::to_string(bits_);
    // Array
    const size_t shown = static_cast<size_t>(full ? count_ : std::min<uint64_t>(count_, kMaxItems));
    std::string os = "[";
    for (size_t i = 0; i < shown; ++i) {
        if (i != 0) os += ", ";
        if (elem_type_ == ValueType::String)
            os += escape_string(strings_[i], full ? strings_[i].size() : kMaxStringBytes);
        else if (elem_type_ == ValueType::Array)
            os += items_[i].to_display(full);
        else
            os += element(i).to_display(full);
    }
    if (shown < count_) os += ", ... " + std::to_string(count_ - shown) + " more";
    os += ']';
    return os;
}

}  // namespace chord::gguf

// gguf::Value: one metadata value of a GGUF file (a scalar, a string, or an array of any of these,
// arrays nested). Values own their bytes: metadata is small next to the tensors, which stay views.
// Numeric arrays keep their packed little-endian bytes, so a file read and written back is identical.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace chord::gguf {

// GGUF metadata value types, with the ids the file stores.
enum class ValueType : uint32_t {
    Uint8 = 0,
    Int8 = 1,
    Uint16 = 2,
    Int16 = 3,
    Uint32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    Uint64 = 10,
    Int64 = 11,
    Float64 = 12,
};

constexpr uint32_t kValueTypeCount = 13;

const char* value_type_name(ValueType type);
// Size in bytes of a scalar of this type; 0 for String and Array.
size_t scalar_size(ValueType type);
inline bool is_scalar(ValueType type) {
    return scalar_size(type) != 0;
}

template <typename T>
constexpr ValueType value_type_of() {
    if constexpr (std::is_same_v<T, uint8_t>)
        return ValueType::Uint8;
    else if constexpr (std::is_same_v<T, int8_t>)
        return ValueType::Int8;
    else if constexpr (std::is_same_v<T, uint16_t>)
        return ValueType::Uint16;
    else if constexpr (std::is_same_v<T, int16_t>)
        return ValueType::Int16;
    else if constexpr (std::is_same_v<T, uint32_t>)
        return ValueType::Uint32;
    else if constexpr (std::is_same_v<T, int32_t>)
        return ValueType::Int32;
    else if constexpr (std::is_same_v<T, float>)
        return ValueType::Float32;
    else if constexpr (std::is_same_v<T, bool>)
        return ValueType::Bool;
    else if constexpr (std::is_same_v<T, uint64_t>)
        return ValueType::Uint64;
    else if constexpr (std::is_same_v<T, int64_t>)
        return ValueType::Int64;
    else {
        static_assert(std::is_same_v<T, double>, "not a GGUF scalar type");
        return ValueType::Float64;
    }
}

class Value {
  public:
    Value() = default;

    // Scalars (bool is stored as one byte).
    template <typename T>
    static Value scalar(T v) {
        Value out;
        out.type_ = value_type_of<T>();
        if constexpr (std::is_same_v<T, bool>) {
            out.bits_ = v ? 1 : 0;
        } else {
            std::memcpy(&out.bits_, &v, sizeof v);
        }
        return out;
    }
    // A scalar from its raw little-endian bits, as read from a file.
    static Value scalar_bits(ValueType type, uint64_t bits);
    static Value string(std::string s);

    template <typename T>
    static Value array(std::span<const T> items) {
        Value out = empty_array(value_type_of<T>(), items.size());
        if constexpr (std::is_same_v<T, bool>) {
            for (size_t i = 0; i < items.size(); ++i) out.raw_[i] = items[i] ? 1 : 0;
        } else if (!items.empty()) {
            std::memcpy(out.raw_.data(), items.data(), items.size_bytes());
        }
        return out;
    }
    template <typename T>
    static Value array(const std::vector<T>& items) {
        return array(std::span<const T>(items));
    }
    static Value array(const std::vector<bool>& items);
    static Value string_array(std::vector<std::string> items);
    // An array whose elements are arrays (each element is itself an Array value).
    static Value array_of_arrays(std::vector<Value> items);
    // Packed little-endian elements of a numeric or bool type, as read from a file.
    static Value array_raw(ValueType elem_type, uint64_t count, std::vector<uint8_t> raw);

    ValueType type() const { return type_; }
    bool is_array() const { return type_ == ValueType::Array; }
    bool is_string() const { return type_ == ValueType::String; }
    bool is_integer() const;
    bool is_float() const { return type_ == ValueType::Float32 || type_ == ValueType::Float64; }

    // Scalar access. Integers convert to wider or narrower integers only when the value fits; the
    // returned optional is empty otherwise (and for non-integers).
    std::optional<uint64_t> to_u64() const;
    std::optional<int64_t> to_i64() const;
    std::optional<double> to_f64() const;  // any integer, float or bool
    std::optional<bool> to_bool() const;
    uint64_t bits() const { return bits_; }
    const std::string& str() const { return string_; }

    // Array access.
    ValueType elem_type() const { return elem_type_; }
    uint64_t size() const { return count_; }
    std::span<const uint8_t> raw() const { return raw_; }
    const std::vector<std::string>& strings() const { return strings_; }
    const std::vector<Value>& items() const { return items_; }
    // Element i of a numeric array as a scalar Value.
    Value element(uint64_t i) const;

    // Copies of numeric arrays converted element-wise; empty optional if an element does not fit.
    std::optional<std::vector<float>> to_f32_vector() const;
    std::optional<std::vector<int64_t>> to_i64_vector() const;

    // Short human-readable form: long arrays and strings abbreviated unless `full`.
    std::string to_display(bool full = false) const;

    bool operator==(const Value& other) const = default;

  private:
    static Value empty_array(ValueType elem, uint64_t count);

    ValueType type_ = ValueType::Uint8;
    uint64_t bits_ = 0;   // scalar: raw little-endian bits
    std::string string_;  // String
    ValueType elem_type_ = ValueType::Uint8;
    uint64_t count_ = 0;                // Array: element count
    std::vector<uint8_t> raw_;          // Array of scalars: packed elements
    std::vector<std::string> strings_;  // Array of strings
    std::vector<Value> items_;          // Array of arrays
};

}  // namespace chord::gguf

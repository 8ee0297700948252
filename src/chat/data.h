// chat::Data: a JSON-like value (null, bool, integer, float, string, list, object with ordered keys)
// that callers hand to a chat template as extra variables, and that the `from_json` filter and the
// tests build from JSON text. It is plain data owned by value; the interpreter turns it into its own
// runtime values when a render starts. parse_json reads standard JSON (RFC 8259) with a nesting
// limit, so a hostile document gets a chord::Error rather than a stack overflow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chord::chat {

class Data {
  public:
    enum class Kind { Null, Bool, Int, Float, String, List, Object };
    using Field = std::pair<std::string, Data>;

    Data() = default;
    Data(std::nullptr_t) {}
    Data(bool b) : kind_(Kind::Bool), bool_(b) {}
    Data(int i) : kind_(Kind::Int), int_(i) {}
    Data(int64_t i) : kind_(Kind::Int), int_(i) {}
    Data(double f) : kind_(Kind::Float), float_(f) {}
    Data(std::string s) : kind_(Kind::String), string_(std::move(s)) {}
    Data(const char* s) : kind_(Kind::String), string_(s) {}
    static Data list(std::vector<Data> items = {});
    static Data object(std::vector<Field> fields = {});

    Kind kind() const { return kind_; }
    bool is_null() const { return kind_ == Kind::Null; }
    bool as_bool() const { return bool_; }
    int64_t as_int() const { return int_; }
    double as_float() const { return float_; }
    const std::string& as_string() const { return string_; }
    const std::vector<Data>& items() const { return items_; }
    const std::vector<Field>& fields() const { return fields_; }
    std::vector<Data>& items() { return items_; }
    std::vector<Field>& fields() { return fields_; }
    // The value of an object's key, or nullptr (also for non-objects).
    const Data* find(std::string_view key) const;

  private:
    Kind kind_ = Kind::Null;
    bool bool_ = false;
    int64_t int_ = 0;
    double float_ = 0.0;
    std::string string_;
    std::vector<Data> items_;
    std::vector<Field> fields_;
};

constexpr size_t kMaxJsonDepth = 64;

// Parses one JSON document (surrounding whitespace allowed). Integers that fit in int64 become Int,
// other numbers Float. Throws chord::Error (Format) naming the byte offset of the problem.
Data parse_json(std::string_view json);

}  // namespace chord::chat

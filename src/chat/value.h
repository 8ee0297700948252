// The runtime values of the chat-template interpreter: undefined, none, bool, int, float, string, list,
// dict, namespace and callable, and the Heap that owns every list, dict and callable of one render.
// Containers live in the Heap (an arena freed when the render ends) and values point into it, so
// aliasing behaves like Python's (a namespace changed through one name is changed for all), cycles
// (`{% set ns.me = ns %}`) leak nothing, and the Heap can refuse to grow past the render's memory
// limit. Strings are shared immutable buffers, counted while alive against the same limit. What values print
// as, compare equal to and serialize to follows
// @huggingface/jinja, the reference renderer (booleans print `true`, lists print as JSON).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace chord::chat {

struct List;
struct Dict;
struct Callable;

// Bytes held by one render's strings and containers, against its memory limit. Strings give their
// bytes back when the last value holding them goes, so the count is of what is alive, not of all that
// was ever built.
class MemoryMeter {
  public:
    explicit MemoryMeter(size_t max_bytes) : max_bytes_(max_bytes) {}
    // Throws chord::Error (OutOfMemory) when the limit would be passed.
    void charge(size_t bytes);
    void refund(size_t bytes) { used_ -= bytes; }
    size_t used() const { return used_; }

  private:
    size_t used_ = 0;
    size_t max_bytes_;
};

// The shared, immutable text of string values: copying a value copies a pointer, so a template that
// passes one long message around does not multiply it.
struct StringBuffer {
    StringBuffer(std::string s, MemoryMeter* m) : text(std::move(s)), meter(m) {}
    StringBuffer(const StringBuffer&) = delete;
    StringBuffer& operator=(const StringBuffer&) = delete;
    ~StringBuffer() {
        if (meter != nullptr) meter->refund(text.size());
    }
    const std::string text;
    MemoryMeter* const meter;  // null for the template's own literals, which the parse owns
};

enum class Kind : uint8_t { Undefined, None, Bool, Int, Float, String, List, Dict, Namespace, Callable };

class Value {
  public:
    Value() = default;  // undefined
    static Value none();
    static Value boolean(bool b);
    static Value integer(int64_t i);
    static Value real(double f);
    static Value string(std::string s);  // not counted: literals and short fixed texts
    static Value string(std::string s, MemoryMeter& meter);
    static Value list(List* l);
    static Value dict(Dict* d);  // a namespace when d->is_namespace
    static Value callable(Callable* c);

    Kind kind() const { return kind_; }
    bool is_undefined() const { return kind_ == Kind::Undefined; }
    bool is_none() const { return kind_ == Kind::None; }
    bool is_string() const { return kind_ == Kind::String; }
    bool is_int() const { return kind_ == Kind::Int; }
    bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float; }
    bool is_list() const { return kind_ == Kind::List; }
    bool is_dict() const { return kind_ == Kind::Dict; }  // a mapping: namespaces are not
    bool is_namespace() const { return kind_ == Kind::Namespace; }
    bool is_callable() const { return kind_ == Kind::Callable; }

    bool as_bool() const { return bool_; }
    int64_t as_int() const { return int_; }
    double as_float() const { return float_; }
    double as_number() const { return kind_ == Kind::Int ? static_cast<double>(int_) : float_; }
    const std::string& as_string() const;
    List* as_list() const { return list_; }
    Dict* as_dict() const { return dict_; }  // dict or namespace
    Callable* as_callable() const { return callable_; }

  private:
    Kind kind_ = Kind::Undefined;
    bool bool_ = false;
    int64_t int_ = 0;
    double float_ = 0.0;
    List* list_ = nullptr;
    Dict* dict_ = nullptr;
    Callable* callable_ = nullptr;
    std::shared_ptr<const StringBuffer> string_;
};

struct List {
    std::vector<Value> items;
};

// Insertion-ordered, like Python's dict. Keys are usually strings; other scalars are allowed.
struct Dict {
    bool is_namespace = false;
    std::vector<std::pair<Value, Value>> entries;

    const Value* find(std::string_view key) const;
    const Value* find(const Value& key) const;
    Value* find(std::string_view key) { return const_cast<Value*>(std::as_const(*this).find(key)); }

  private:
    friend class Heap;
    // Position of each string key, built once the dict is large enough for linear search to hurt.
    std::unordered_map<std::string, size_t> index_;
};

class Ctx;
struct Args;
using BuiltinFn = Value (*)(Ctx& ctx, Args& args);

struct Stmt;
struct Callable {
    enum class Type : uint8_t { Function, Method, Macro, Caller };
    Type type = Type::Function;
    std::string name;
    BuiltinFn fn = nullptr;      // Function
    Value self;                  // Method: the receiver
    const Stmt* node = nullptr;  // Macro: its definition; Caller: the call block
    void* scope = nullptr;       // Caller: the scope of the call block; null once the block has ended
};

// Owns the containers of one render and counts them on the render's MemoryMeter.
class Heap {
  public:
    explicit Heap(MemoryMeter& meter) : meter_(meter) {}

    List* new_list();
    Dict* new_dict(bool is_namespace = false);
    Callable* new_callable(Callable c);

    void append(List& list, Value v);
    void set(Dict& dict, Value key, Value v);
    // Counts `bytes` until the render ends; throws chord::Error (OutOfMemory) past the limit.
    void charge(size_t bytes) { meter_.charge(bytes); }
    MemoryMeter& meter() { return meter_; }

  private:
    std::vector<std::unique_ptr<List>> lists_;
    std::vector<std::unique_ptr<Dict>> dicts_;
    std::vector<std::unique_ptr<Callable>> callables_;
    MemoryMeter& meter_;
};

constexpr size_t kMaxValueDepth = 64;  // nesting that printing, serializing and comparing will follow

bool truthy(const Value& v);
const char* type_name(const Value& v);

// `==` as the reference evaluates it: numbers (and booleans) by value, strings by bytes, undefined
// equal to none, containers element by element.
bool equals(const Value& a, const Value& b);
// `item in container`: an element of a list, a substring of a string, a key of a dict; false for an
// undefined container. Throws for other containers.
bool contains(const Value& container, const Value& item);
// Ordering for sort, min, max and dictsort: numbers and booleans by value, strings by bytes (after
// lower-casing unless case_sensitive); anything else throws.
int compare(const Value& a, const Value& b, bool case_sensitive);

// What `{{ v }}` writes: strings as they are, numbers as JavaScript prints them (floats keep a `.0`),
// booleans `true`/`false`, none and undefined nothing, containers as JSON. A container whose text would
// pass max_bytes throws (values can share parts, so a small heap can print as an enormous string).
void append_display(const Value& v, std::string& out, size_t max_bytes);
std::string display(const Value& v, size_t max_bytes);

struct JsonStyle {
    int indent = -1;  // < 0: one line
    bool ensure_ascii = false;
    bool sort_keys = false;
    bool custom_item_separator = false;  // else ", " on one line, "," when indenting (Python's json.dumps)
    std::string item_separator;
    std::string key_separator = ": ";
    bool undefined_as_null = true;
    size_t max_bytes = SIZE_MAX;  // the output may not grow past this (throws)
};
void append_json(const Value& v, const JsonStyle& style, std::string& out, size_t depth = 0);
// JavaScript's Number.prototype.toString (shortest round-trip digits).
std::string format_number(double f);
void append_json_string(std::string_view s, bool ensure_ascii, std::string& out);

}  // namespace chord::chat

// Runtime values of the chat-template interpreter: construction, the Heap, truthiness, equality,
// ordering, display and JSON (see value.h).
#include "chat/value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "chat/text.h"
#include "core/error.h"

namespace chord::chat {

Value Value::none() {
    Value v;
    v.kind_ = Kind::None;
    return v;
}

Value Value::boolean(bool b) {
    Value v;
    v.kind_ = Kind::Bool;
    v.bool_ = b;
    return v;
}

Value Value::integer(int64_t i) {
    Value v;
    v.kind_ = Kind::Int;
    v.int_ = i;
    return v;
}

Value Value::real(double f) {
    Value v;
    v.kind_ = Kind::Float;
    v.float_ = f;
    return v;
}

Value Value::string(std::string s) {
    Value v;
    v.kind_ = Kind::String;
    v.string_ = std::make_shared<const StringBuffer>(std::move(s), nullptr);
    return v;
}

Value Value::string(std::string s, MemoryMeter& meter) {
    meter.charge(s.size());
    Value v;
    v.kind_ = Kind::String;
    v.string_ = std::make_shared<const StringBuffer>(std::move(s), &meter);
    return v;
}

const std::string& Value::as_string() const {
    static const std::string empty;
    return string_ ? string_->text : empty;
}

Value Value::list(List* l) {
    Value v;
    v.kind_ = Kind::List;
    v.list_ = l;
    return v;
}

Value Value::dict(Dict* d) {
    Value v;
    v.kind_ = d->is_namespace ? Kind::Namespace : Kind::Dict;
    v.dict_ = d;
    return v;
}

Value Value::callable(Callable* c) {
    Value v;
    v.kind_ = Kind::Callable;
    v.callable_ = c;
    return v;
}

// ---- containers ------------------------------------------------------------------------------------

namespace {
constexpr size_t kIndexThreshold = 16;  // below this many entries a linear search is faster than hashing
}

const Value* Dict::find(std::string_view key) const {
    if (!index_.empty()) {
        const auto it = index_.find(std::string(key));
        return it == index_.end() ? nullptr : &entries[it->second].second;
    }
    for (const auto& [k, v] : entries)
        if (k.is_string() && k.as_string() == key) return &v;
    return nullptr;
}

const Value* Dict::find(const Value& key) const {
    if (key.is_string()) return find(std::string_view(key.as_string()));
    for (const auto& [k, v] : entries)
        if (!k.is_string() && equals(k, key)) return &v;
    return nullptr;
}

List* Heap::new_list() {
    charge(sizeof(List));
    lists_.push_back(std::make_unique<List>());
    return lists_.back().get();
}

Dict* Heap::new_dict(bool is_namespace) {
    charge(sizeof(Dict));
    dicts_.push_back(std::make_unique<Dict>());
    dicts_.back()->is_namespace = is_namespace;
    return dicts_.back().get();
}

Callable* Heap::new_callable(Callable c) {
    charge(sizeof(Callable) + c.name.size());
    callables_.push_back(std::make_unique<Callable>(std::move(c)));
    return callables_.back().get();
}

void Heap::append(List& list, Value v) {
    charge(sizeof(Value));
    list.items.push_back(std::move(v));
}

void Heap::set(Dict& dict, Value key, Value v) {
    if (Value* slot = const_cast<Value*>(dict.find(key))) {
        *slot = std::move(v);
        return;
    }
    // Two values, and a copy of the key in the index once there is one.
    charge(2 * sizeof(Value) + (key.is_string() ? key.as_string().size() : 0));
    dict.entries.emplace_back(std::move(key), std::move(v));
    if (dict.entries.size() == kIndexThreshold) {
        for (size_t i = 0; i < dict.entries.size(); ++i)
            if (dict.entries[i].first.is_string()) dict.index_.emplace(dict.entries[i].first.as_string(), i);
    } else if (dict.entries.size() > kIndexThreshold && dict.entries.back().first.is_string()) {
        dict.index_.emplace(dict.entries.back().first.as_string(), dict.entries.size() - 1);
    }
}

void MemoryMeter::charge(size_t bytes) {
    if (bytes > max_bytes_ - used_)
        throw Error(ErrorCode::OutOfMemory, "the template needs more than its memory limit of " +
                                                std::to_string(max_bytes_) + " bytes");
    used_ += bytes;
}

// ---- truthiness, equality, ordering ------------------------------------------------------------------

bool truthy(const Value& v) {
    switch (v.kind()) {
        case Kind::Undefined:
        case Kind::None:
            return false;
        case Kind::Bool:
            return v.as_bool();
        case Kind::Int:
            return v.as_int() != 0;
        case Kind::Float:
            return v.as_float() != 0.0 && !std::isnan(v.as_float());
        case Kind::String:
            return !v.as_string().empty();
        case Kind::List:
            return !v.as_list()->items.empty();
        case Kind::Dict:
            return !v.as_dict()->entries.empty();
        case Kind::Namespace:
        case Kind::Callable:
            return true;
    }
    return false;
}

const char* type_name(const Value& v) {
    switch (v.kind()) {
        case Kind::Undefined:
            return "undefined";
        case Kind::None:
            return "none";
        case Kind::Bool:
            return "boolean";
        case Kind::Int:
            return "integer";
        case Kind::Float:
            return "float";
        case Kind::String:
            return "string";
        case Kind::List:
            return "list";
        case Kind::Dict:
            return "dict";
        case Kind::Namespace:
            return "namespace";
        case Kind::Callable:
            return "callable";
    }
    return "value";
}

namespace {

[[noreturn]] void too_deep() {
    throw Error(ErrorCode::Unsupported,
                "a value nests deeper than " + std::to_string(kMaxValueDepth) + " levels");
}

bool numeric_like(const Value& v) {
    return v.is_number() || v.kind() == Kind::Bool;
}
double numeric_value(const Value& v) {
    return v.kind() == Kind::Bool ? (v.as_bool() ? 1.0 : 0.0) : v.as_number();
}

// Values can share parts, so a comparison is also bounded in the elements it visits.
constexpr size_t kMaxCompareSteps = 1 << 20;

bool equals_at(const Value& a, const Value& b, size_t depth, size_t& steps) {
    if (depth > kMaxValueDepth) too_deep();
    if (++steps > kMaxCompareSteps)
        throw Error(ErrorCode::Unsupported,
                    "comparison visits more than " + std::to_string(kMaxCompareSteps) + " values");
    if (numeric_like(a) && numeric_like(b)) {
        if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
        return numeric_value(a) == numeric_value(b);
    }
    const bool a_nothing = a.is_undefined() || a.is_none(), b_nothing = b.is_undefined() || b.is_none();
    if (a_nothing || b_nothing) return a_nothing && b_nothing;
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
        case Kind::String:
            return a.as_string() == b.as_string();
        case Kind::List: {
            if (a.as_list() == b.as_list()) return true;
            const auto& x = a.as_list()->items;
            const auto& y = b.as_list()->items;
            if (x.size() != y.size()) return false;
            for (size_t i = 0; i < x.size(); ++i)
                if (!equals_at(x[i], y[i], depth + 1, steps)) return false;
            return true;
        }
        case Kind::Dict: {
            const Dict& x = *a.as_dict();
            const Dict& y = *b.as_dict();
            if (x.entries.size() != y.entries.size()) return false;
            for (const auto& [k, v] : x.entries) {
                const Value* other = y.find(k);
                if (other == nullptr || !equals_at(v, *other, depth + 1, steps)) return false;
            }
            return true;
        }
        case Kind::Namespace:
            return a.as_dict() == b.as_dict();
        case Kind::Callable:
            return a.as_callable() == b.as_callable();
        default:
            return false;
    }
}

}  // namespace

bool equals(const Value& a, const Value& b) {
    size_t steps = 0;
    return equals_at(a, b, 0, steps);
}

bool contains(const Value& container, const Value& item) {
    switch (container.kind()) {
        case Kind::Undefined:
            return false;
        case Kind::List:
            for (const Value& v : container.as_list()->items)
                if (equals(v, item)) return true;
            return false;
        case Kind::String:
            if (!item.is_string())
                throw Error(ErrorCode::InvalidArgument,
                            std::string("'in <string>' needs a string on the left, not ") + type_name(item));
            return container.as_string().find(item.as_string()) != std::string::npos;
        case Kind::Dict:
        case Kind::Namespace:
            return container.as_dict()->find(item) != nullptr;
        default:
            throw Error(ErrorCode::InvalidArgument,
                        std::string("cannot test membership in ") + type_name(container));
    }
}

int compare(const Value& a, const Value& b, bool case_sensitive) {
    if (numeric_like(a) && numeric_like(b)) {
        if (a.is_int() && b.is_int()) return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
        const double x = numeric_value(a), y = numeric_value(b);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.is_none() && b.is_none()) return 0;
    if (a.is_undefined() && b.is_undefined()) return 0;
    if (a.is_string() && b.is_string()) {
        const int c = case_sensitive ? a.as_string().compare(b.as_string())
                                     : text::lower(a.as_string()).compare(text::lower(b.as_string()));
        return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    throw Error(ErrorCode::InvalidArgument,
                std::string("cannot compare ") + type_name(a) + " with " + type_name(b));
}

// ---- numbers -------------------------------------------------------------------------------------

std::string format_number(double f) {
    if (std::isnan(f)) return "NaN";
    if (std::isinf(f)) return f < 0 ? "-Infinity" : "Infinity";
    if (f == 0.0) return "0";
    // Shortest digit string that reads back as the same double.
    char buf[40];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*e", precision - 1, f);
        if (std::strtod(buf, nullptr) == f) break;
    }
    std::string s = buf;
    std::string sign;
    if (s[0] == '-') {
        sign = "-";
        s.erase(0, 1);
    }
    const size_t e = s.find('e');
    const int exponent = std::atoi(s.c_str() + e + 1);
    std::string digits = s.substr(0, e);
    digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    const int k = static_cast<int>(digits.size());
    const int n = exponent + 1;  // value = 0.digits * 10^n
    // Built by appending only: g++ 12 at -O3 warns falsely (-Wrestrict) about prepending to strings.
    std::string out = sign;
    if (k <= n && n <= 21) {
        out += digits;
        out.append(static_cast<size_t>(n - k), '0');
    } else if (0 < n && n <= 21) {
        out.append(digits, 0, static_cast<size_t>(n));
        out += '.';
        out.append(digits, static_cast<size_t>(n), std::string::npos);
    } else if (-6 < n && n <= 0) {
        out += "0.";
        out.append(static_cast<size_t>(-n), '0');
        out += digits;
    } else {
        const int e10 = n - 1;
        out += digits[0];
        if (k > 1) {
            out += '.';
            out.append(digits, 1, std::string::npos);
        }
        out += e10 < 0 ? "e-" : "e+";
        out += std::to_string(e10 < 0 ? -e10 : e10);
    }
    return out;
}

namespace {

// A float as the reference prints it: integral values keep one decimal ("3.0"), like Python.
std::string float_display(double f) {
    if (std::isfinite(f) && f == std::floor(f) && std::fabs(f) < 1e21) {
        if (f == 0.0) return std::signbit(f) ? "-0.0" : "0.0";
        char buf[48];
        std::snprintf(buf, sizeof buf, "%.1f", f);
        return buf;
    }
    return format_number(f);
}

}  // namespace

// ---- display and JSON ------------------------------------------------------------------------------

void append_display(const Value& v, std::string& out, size_t max_bytes) {
    switch (v.kind()) {
        case Kind::Undefined:
        case Kind::None:
            return;
        case Kind::Bool:
            out += v.as_bool() ? "true" : "false";
            return;
        case Kind::Int:
            out += std::to_string(v.as_int());
            return;
        case Kind::Float:
            out += float_display(v.as_float());
            return;
        case Kind::String:
            out += v.as_string();
            return;
        case Kind::List:
        case Kind::Dict:
        case Kind::Namespace: {
            JsonStyle style;
            style.undefined_as_null = false;
            style.max_bytes = max_bytes;
            append_json(v, style, out);
            return;
        }
        case Kind::Callable:
            out += "<function " + v.as_callable()->name + ">";
            return;
    }
}

std::string display(const Value& v, size_t max_bytes) {
    std::string s;
    append_display(v, s, max_bytes);
    return s;
}

void append_json_string(std::string_view s, bool ensure_ascii, std::string& out) {
    static const char* const kHex = "0123456789abcdef";
    const auto escape_unit = [&](uint32_t u) {
        out += "\\u";
        for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(u >> shift) & 0xF]);
    };
    out.push_back('"');
    for (size_t pos = 0; pos < s.size();) {
        const size_t start = pos;
        const uint32_t cp = text::next_code_point(s, pos);
        switch (cp) {
            case '"':
                out += "\\\"";
                continue;
            case '\\':
                out += "\\\\";
                continue;
            case '\b':
                out += "\\b";
                continue;
            case '\f':
                out += "\\f";
                continue;
            case '\n':
                out += "\\n";
                continue;
            case '\r':
                out += "\\r";
                continue;
            case '\t':
                out += "\\t";
                continue;
            default:
                break;
        }
        if (cp < 0x20) {
            escape_unit(cp);
        } else if (ensure_ascii && cp >= 0x7F) {
            if (cp >= 0x10000) {
                escape_unit(0xD800 + ((cp - 0x10000) >> 10));
                escape_unit(0xDC00 + ((cp - 0x10000) & 0x3FF));
            } else {
                escape_unit(cp);
            }
        } else {
            out.append(s.substr(start, pos - start));
        }
    }
    out.push_back('"');
}

void append_json(const Value& v, const JsonStyle& style, std::string& out, size_t depth) {
    if (depth > kMaxValueDepth) too_deep();
    if (out.size() > style.max_bytes)
        throw Error(ErrorCode::OutOfMemory,
                    "JSON text longer than " + std::to_string(style.max_bytes) + " bytes");
    const bool indenting = style.indent > 0;
    const std::string item_sep = style.custom_item_separator ? style.item_separator : indenting ? "," : ", ";
    const auto newline = [&](size_t level) {
        out.push_back('\n');
        out.append(level * static_cast<size_t>(style.indent), ' ');
    };
    switch (v.kind()) {
        case Kind::Undefined:
            out += style.undefined_as_null ? "null" : "undefined";
            return;
        case Kind::None:
            out += "null";
            return;
        case Kind::Bool:
            out += v.as_bool() ? "true" : "false";
            return;
        case Kind::Int:
            out += std::to_string(v.as_int());
            return;
        case Kind::Float:
            out += std::isfinite(v.as_float()) ? format_number(v.as_float()) : "null";
            return;
        case Kind::String:
            append_json_string(v.as_string(), style.ensure_ascii, out);
            return;
        case Kind::List: {
            const auto& items = v.as_list()->items;
            out.push_back('[');
            for (size_t i = 0; i < items.size(); ++i) {
                if (i > 0) out += item_sep;
                if (indenting) newline(depth + 1);
                append_json(items[i], style, out, depth + 1);
            }
            if (indenting && !items.empty()) newline(depth);
            out.push_back(']');
            return;
        }
        case Kind::Dict:
        case Kind::Namespace: {
            std::vector<const std::pair<Value, Value>*> entries;
            for (const auto& e : v.as_dict()->entries) entries.push_back(&e);
            if (style.sort_keys)
                std::stable_sort(entries.begin(), entries.end(), [&](const auto* a, const auto* b) {
                    return display(a->first, style.max_bytes) < display(b->first, style.max_bytes);
                });
            out.push_back('{');
            for (size_t i = 0; i < entries.size(); ++i) {
                if (i > 0) out += item_sep;
                if (indenting) newline(depth + 1);
                append_json_string(display(entries[i]->first, style.max_bytes), style.ensure_ascii, out);
                out += style.key_separator;
                append_json(entries[i]->second, style, out, depth + 1);
            }
            if (indenting && !entries.empty()) newline(depth);
            out.push_back('}');
            return;
        }
        case Kind::Callable:
            throw Error(ErrorCode::InvalidArgument,
                        "cannot serialize a callable (" + v.as_callable()->name + ") to JSON");
    }
}

}  // namespace chord::chat

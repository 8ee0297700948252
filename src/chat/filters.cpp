// Filters and tests of the chat-template interpreter (see filters.h). Arguments follow jinja2's
// signatures (positional or keyword); where jinja2 and the reference renderer print differently, the
// reference wins, since it is what the golden tests hold us to.
#include "chat/filters.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "chat/data.h"
#include "chat/text.h"

namespace chord::chat {
namespace {

// A string operand: none and undefined read as "", other values as they print.
std::string as_text(const Value& v, size_t max_bytes) {
    return v.is_string() ? v.as_string() : display(v, max_bytes);
}

Value list_of(Ctx& ctx, std::vector<Value> items) {
    Value list = ctx.new_list();
    for (Value& v : items) ctx.heap.append(*list.as_list(), std::move(v));
    return list;
}

// Arguments after the first `skip` positional ones, for filters that pass them on to a test or filter.
Args rest_of(const Args& args, size_t skip) {
    Args rest;
    for (size_t i = skip; i < args.positional.size(); ++i) rest.positional.push_back(args.positional[i]);
    rest.keyword = args.keyword;
    return rest;
}

Value by_attribute(const Value& item, const Value* attribute) {
    if (attribute == nullptr || attribute->is_none() || attribute->is_undefined()) return item;
    if (attribute->is_int()) return attribute_path(item, std::to_string(attribute->as_int()));
    if (attribute->is_string()) return attribute_path(item, attribute->as_string());
    Ctx::fail("attribute must be a string or an integer");
}

// ---- filters -----------------------------------------------------------------------------------

Value f_safe(Ctx&, const Value& x, Args&) {
    return x;
}

Value f_tojson(Ctx& ctx, const Value& x, Args& a) {
    JsonStyle style;
    style.indent = static_cast<int>(std::clamp<int64_t>(arg_int(a.get(0, "indent"), -1, "indent"), -1, 64));
    style.ensure_ascii = arg_bool(a.named("ensure_ascii"), false, "ensure_ascii");
    style.sort_keys = arg_bool(a.named("sort_keys"), false, "sort_keys");
    if (const Value* sep = a.named("separators"); sep != nullptr && !sep->is_none()) {
        if (!sep->is_list() || sep->as_list()->items.size() != 2 || !sep->as_list()->items[0].is_string() ||
            !sep->as_list()->items[1].is_string())
            Ctx::fail("separators must be a pair of strings");
        style.custom_item_separator = true;
        style.item_separator = sep->as_list()->items[0].as_string();
        style.key_separator = sep->as_list()->items[1].as_string();
    }
    style.max_bytes = ctx.limits.max_output_bytes;
    std::string out;
    append_json(x, style, out);
    return ctx.string(std::move(out));
}

Value f_string(Ctx& ctx, const Value& x, Args&) {
    if (x.is_none()) return Value::string("None");
    return ctx.string(as_text(x, ctx.limits.max_output_bytes));
}

Value f_length(Ctx&, const Value& x, Args&) {
    switch (x.kind()) {
        case Kind::Undefined:
            return Value::integer(0);
        case Kind::String:
            return Value::integer(static_cast<int64_t>(text::char_count(x.as_string())));
        case Kind::List:
            return Value::integer(static_cast<int64_t>(x.as_list()->items.size()));
        case Kind::Dict:
        case Kind::Namespace:
            return Value::integer(static_cast<int64_t>(x.as_dict()->entries.size()));
        default:
            Ctx::fail(std::string("length of ") + type_name(x) + " is not defined");
    }
}

Value f_list(Ctx& ctx, const Value& x, Args&) {
    return list_of(ctx, iterate(ctx, x, "list"));
}

Value f_first(Ctx& ctx, const Value& x, Args&) {
    std::vector<Value> items = iterate(ctx, x, "first");
    return items.empty() ? Value() : items.front();
}

Value f_last(Ctx& ctx, const Value& x, Args&) {
    std::vector<Value> items = iterate(ctx, x, "last");
    return items.empty() ? Value() : items.back();
}

Value f_reverse(Ctx& ctx, const Value& x, Args&) {
    std::vector<Value> items = iterate(ctx, x, "reverse");
    std::reverse(items.begin(), items.end());
    if (!x.is_string()) return list_of(ctx, std::move(items));
    std::string s;
    for (const Value& c : items) s += c.as_string();
    return ctx.string(std::move(s));
}

Value f_sort(Ctx& ctx, const Value& x, Args& a) {
    const bool reverse = arg_bool(a.get(0, "reverse"), false, "reverse");
    const bool case_sensitive = arg_bool(a.get(1, "case_sensitive"), false, "case_sensitive");
    const Value* attribute = a.get(2, "attribute");
    std::vector<Value> items = iterate(ctx, x, "sort");
    ctx.tick(items.size() * 8);
    std::stable_sort(items.begin(), items.end(), [&](const Value& l, const Value& r) {
        const int c = compare(by_attribute(l, attribute), by_attribute(r, attribute), case_sensitive);
        return reverse ? c > 0 : c < 0;
    });
    return list_of(ctx, std::move(items));
}

Value f_unique(Ctx& ctx, const Value& x, Args& a) {
    const Value* attribute = a.get(1, "attribute");
    std::vector<Value> out;
    for (const Value& item : iterate(ctx, x, "unique")) {
        ctx.tick(out.size());
        const Value key = by_attribute(item, attribute);
        bool seen = false;
        for (const Value& o : out) seen = seen || equals(by_attribute(o, attribute), key);
        if (!seen) out.push_back(item);
    }
    return list_of(ctx, std::move(out));
}

Value f_join(Ctx& ctx, const Value& x, Args& a) {
    const std::string sep = arg_string(a.get(0, "d"), "", "separator");
    const Value* attribute = a.get(1, "attribute");
    std::string out;
    bool first = true;
    for (const Value& item : iterate(ctx, x, "join")) {
        if (!first) out += sep;
        first = false;
        append_display(by_attribute(item, attribute), out, ctx.limits.max_output_bytes);
        ctx.check_length(out.size());
    }
    return ctx.string(std::move(out));
}

Value f_upper(Ctx& ctx, const Value& x, Args&) {
    return ctx.string(text::upper(as_text(x, ctx.limits.max_output_bytes)));
}
Value f_lower(Ctx& ctx, const Value& x, Args&) {
    return ctx.string(text::lower(as_text(x, ctx.limits.max_output_bytes)));
}
Value f_title(Ctx& ctx, const Value& x, Args&) {
    return ctx.string(text::title(as_text(x, ctx.limits.max_output_bytes)));
}
Value f_capitalize(Ctx& ctx, const Value& x, Args&) {
    return ctx.string(text::capitalize(as_text(x, ctx.limits.max_output_bytes)));
}

Value f_trim(Ctx& ctx, const Value& x, Args& a) {
    const std::string s = as_text(x, ctx.limits.max_output_bytes);
    const Value* chars = a.get(0, "chars");
    if (chars == nullptr || chars->is_none() || chars->is_undefined())
        return ctx.string(std::string(text::trim(s)));
    return ctx.string(std::string(text::trim_chars(s, arg_string(chars, "", "chars"), true, true)));
}

Value f_indent(Ctx& ctx, const Value& x, Args& a) {
    std::string pad;
    const Value* width = a.get(0, "width");
    if (width != nullptr && width->is_string())
        pad = width->as_string();
    else
        pad.assign(static_cast<size_t>(std::clamp<int64_t>(arg_int(width, 4, "width"), 0, 1024)), ' ');
    const bool first = arg_bool(a.get(1, "first"), false, "first");
    const bool blank = arg_bool(a.get(2, "blank"), false, "blank");
    const std::string s = as_text(x, ctx.limits.max_output_bytes);
    std::string out;
    size_t start = 0;
    for (size_t line = 0;; ++line) {
        const size_t nl = s.find('\n', start);
        const std::string_view piece =
            std::string_view(s).substr(start, nl == std::string::npos ? nl : nl - start);
        if ((line > 0 || first) && (blank || !piece.empty())) out += pad;
        out += piece;
        ctx.check_length(out.size());
        if (nl == std::string::npos) break;
        out += '\n';
        start = nl + 1;
    }
    return ctx.string(std::move(out));
}

}  // namespace

// Python's str.replace, shared with the string method of the same name.
Value replace_string(Ctx& ctx, const std::string& s, const Args& a) {
    const std::string from = arg_string(a.get(0, "old"), "", "old");
    const std::string to = arg_string(a.get(1, "new"), "", "new");
    int64_t count = arg_int(a.get(2, "count"), -1, "count");
    std::string out;
    if (from.empty()) {  // inserts `to` around every character
        const std::vector<size_t> offsets = text::char_offsets(s);
        for (size_t i = 0; i + 1 < offsets.size(); ++i) {
            if (count != 0) {
                out += to;
                --count;
            }
            out.append(s, offsets[i], offsets[i + 1] - offsets[i]);
            ctx.check_length(out.size());
        }
        if (count != 0) out += to;
        return ctx.string(std::move(out));
    }
    size_t pos = 0;
    while (count != 0) {
        const size_t hit = s.find(from, pos);
        if (hit == std::string::npos) break;
        out.append(s, pos, hit - pos);
        out += to;
        ctx.check_length(out.size());
        pos = hit + from.size();
        --count;
    }
    out.append(s, pos, std::string::npos);
    return ctx.string(std::move(out));
}

namespace {

Value f_replace(Ctx& ctx, const Value& x, Args& a) {
    return replace_string(ctx, as_text(x, ctx.limits.max_output_bytes), a);
}

// The number at the start of `s` as int() and float() read it: whole string, surrounding whitespace ok.
bool parse_number(const std::string& s, bool want_int, int64_t base, Value& out) {
    const std::string t(text::trim(s));
    if (t.empty()) return false;
    errno = 0;
    char* end = nullptr;
    if (want_int) {
        const long long v = std::strtoll(t.c_str(), &end, static_cast<int>(base));
        if (errno == 0 && end == t.c_str() + t.size()) {
            out = Value::integer(v);
            return true;
        }
    }
    // strtod also reads hexadecimal and "infinity"; Python's int() and float() do not.
    if (t.find_first_not_of("0123456789+-.eE") != std::string::npos) return false;
    errno = 0;
    const double d = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size() || errno != 0) return false;
    if (!want_int) {
        out = Value::real(d);
        return true;
    }
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return false;
    out = Value::integer(static_cast<int64_t>(d));
    return true;
}

Value f_int(Ctx&, const Value& x, Args& a) {
    const Value* fallback = a.get(0, "default");
    const int64_t base = arg_int(a.get(1, "base"), 10, "base");
    if (base < 2 || base > 36) Ctx::fail("base must be between 2 and 36");
    switch (x.kind()) {
        case Kind::Int:
            return x;
        case Kind::Bool:
            return Value::integer(x.as_bool() ? 1 : 0);
        case Kind::Float:
            if (std::isfinite(x.as_float()) && std::fabs(x.as_float()) < 9.2e18)
                return Value::integer(static_cast<int64_t>(x.as_float()));
            break;
        case Kind::String: {
            Value out;
            if (parse_number(x.as_string(), true, base, out)) return out;
            break;
        }
        default:
            break;
    }
    return fallback ? *fallback : Value::integer(0);
}

Value f_float(Ctx&, const Value& x, Args& a) {
    const Value* fallback = a.get(0, "default");
    switch (x.kind()) {
        case Kind::Int:
        case Kind::Float:
            return Value::real(x.as_number());
        case Kind::Bool:
            return Value::real(x.as_bool() ? 1.0 : 0.0);
        case Kind::String: {
            Value out;
            if (parse_number(x.as_string(), false, 10, out)) return out;
            break;
        }
        default:
            break;
    }
    return fallback ? *fallback : Value::real(0.0);
}

Value f_abs(Ctx&, const Value& x, Args&) {
    if (x.is_int()) {
        if (x.as_int() == INT64_MIN) Ctx::fail("integer overflow in abs");
        return Value::integer(x.as_int() < 0 ? -x.as_int() : x.as_int());
    }
    if (x.kind() == Kind::Float) return Value::real(std::fabs(x.as_float()));
    Ctx::fail(std::string("abs of ") + type_name(x));
}

Value f_round(Ctx&, const Value& x, Args& a) {
    if (!x.is_number()) Ctx::fail(std::string("round of ") + type_name(x));
    const int64_t precision = std::clamp<int64_t>(arg_int(a.get(0, "precision"), 0, "precision"), -20, 20);
    const std::string method = arg_string(a.get(1, "method"), "common", "method");
    const double scale = std::pow(10.0, static_cast<double>(precision));
    const double v = x.as_number() * scale;
    double r;
    if (method == "common")
        r = std::nearbyint(v);  // Python's round(): halves go to the even neighbour
    else if (method == "ceil")
        r = std::ceil(v);
    else if (method == "floor")
        r = std::floor(v);
    else
        Ctx::fail("round method must be common, ceil or floor");
    return Value::real(r / scale);
}

Value f_default(Ctx&, const Value& x, Args& a) {
    const Value* fallback = a.get(0, "default_value");
    const bool boolean = arg_bool(a.get(1, "boolean"), false, "boolean");
    if (x.is_undefined() || (boolean && !truthy(x))) return fallback ? *fallback : Value::string("");
    return x;
}

Value f_items(Ctx& ctx, const Value& x, Args&) {
    Value out = ctx.new_list();
    if (x.is_undefined()) return out;
    if (!x.is_dict() && !x.is_namespace()) Ctx::fail(std::string("items of ") + type_name(x));
    for (const auto& [k, v] : x.as_dict()->entries) {
        Value pair = ctx.new_list();
        ctx.heap.append(*pair.as_list(), k);
        ctx.heap.append(*pair.as_list(), v);
        ctx.heap.append(*out.as_list(), pair);
    }
    return out;
}

Value f_dictsort(Ctx& ctx, const Value& x, Args& a) {
    const bool case_sensitive = arg_bool(a.get(0, "case_sensitive"), false, "case_sensitive");
    const std::string by = arg_string(a.get(1, "by"), "key", "by");
    const bool reverse = arg_bool(a.get(2, "reverse"), false, "reverse");
    if (by != "key" && by != "value") Ctx::fail("dictsort: by must be 'key' or 'value'");
    Value pairs = f_items(ctx, x, a);
    auto& items = pairs.as_list()->items;
    const size_t index = by == "key" ? 0 : 1;
    ctx.tick(items.size() * 8);
    std::stable_sort(items.begin(), items.end(), [&](const Value& l, const Value& r) {
        const int c = compare(l.as_list()->items[index], r.as_list()->items[index], case_sensitive);
        return reverse ? c > 0 : c < 0;
    });
    return pairs;
}

bool passes(Ctx& ctx, const Value& v, const Args& a, size_t test_at) {
    if (a.positional.size() <= test_at) return truthy(v);
    const Value& test = a.positional[test_at];
    if (!test.is_string()) Ctx::fail("the test must be named by a string");
    Args rest = rest_of(a, test_at + 1);
    return apply_test(ctx, test.as_string(), v, rest);
}

// jinja2's select, reject, selectattr, rejectattr and map read a falsy operand (none too) as empty.
std::vector<Value> iterate_falsy_as_empty(Ctx& ctx, const Value& x, const char* what) {
    return truthy(x) ? iterate(ctx, x, what) : std::vector<Value>();
}

Value select_attr(Ctx& ctx, const Value& x, Args& a, bool keep_passing) {
    const std::string attribute = arg_string(a.get(0, "attribute"), "", "attribute");
    std::vector<Value> out;
    for (const Value& item : iterate_falsy_as_empty(ctx, x, keep_passing ? "selectattr" : "rejectattr")) {
        ctx.tick();
        if (passes(ctx, attribute_path(item, attribute), a, 1) == keep_passing) out.push_back(item);
    }
    return list_of(ctx, std::move(out));
}
Value f_selectattr(Ctx& ctx, const Value& x, Args& a) {
    return select_attr(ctx, x, a, true);
}
Value f_rejectattr(Ctx& ctx, const Value& x, Args& a) {
    return select_attr(ctx, x, a, false);
}

Value select_items(Ctx& ctx, const Value& x, Args& a, bool keep_passing) {
    std::vector<Value> out;
    for (const Value& item : iterate_falsy_as_empty(ctx, x, keep_passing ? "select" : "reject")) {
        ctx.tick();
        if (passes(ctx, item, a, 0) == keep_passing) out.push_back(item);
    }
    return list_of(ctx, std::move(out));
}
Value f_select(Ctx& ctx, const Value& x, Args& a) {
    return select_items(ctx, x, a, true);
}
Value f_reject(Ctx& ctx, const Value& x, Args& a) {
    return select_items(ctx, x, a, false);
}

Value f_map(Ctx& ctx, const Value& x, Args& a) {
    std::vector<Value> out;
    if (const Value* attribute = a.named("attribute")) {
        const Value* fallback = a.named("default");
        for (const Value& item : iterate_falsy_as_empty(ctx, x, "map")) {
            ctx.tick();
            Value v = by_attribute(item, attribute);
            out.push_back(v.is_undefined() && fallback ? *fallback : v);
        }
        return list_of(ctx, std::move(out));
    }
    if (a.positional.empty() || !a.positional[0].is_string())
        Ctx::fail("map needs attribute= or a filter name");
    const std::string filter = a.positional[0].as_string();
    Args rest = rest_of(a, 1);
    for (const Value& item : iterate_falsy_as_empty(ctx, x, "map")) {
        ctx.tick();
        out.push_back(apply_filter(ctx, filter, item, rest));
    }
    return list_of(ctx, std::move(out));
}

Value extreme(Ctx& ctx, const Value& x, Args& a, bool want_max) {
    const bool case_sensitive = arg_bool(a.get(0, "case_sensitive"), false, "case_sensitive");
    const Value* attribute = a.get(1, "attribute");
    std::vector<Value> items = iterate(ctx, x, want_max ? "max" : "min");
    if (items.empty()) return Value();
    size_t best = 0;
    for (size_t i = 1; i < items.size(); ++i) {
        const int c =
            compare(by_attribute(items[i], attribute), by_attribute(items[best], attribute), case_sensitive);
        if (want_max ? c > 0 : c < 0) best = i;
    }
    return items[best];
}
Value f_min(Ctx& ctx, const Value& x, Args& a) {
    return extreme(ctx, x, a, false);
}
Value f_max(Ctx& ctx, const Value& x, Args& a) {
    return extreme(ctx, x, a, true);
}

Value f_sum(Ctx& ctx, const Value& x, Args& a) {
    const Value* attribute = a.get(0, "attribute");
    const Value* start = a.get(1, "start");
    int64_t total_int = start && start->is_int() ? start->as_int() : 0;
    double total = start && start->is_number() ? start->as_number() : 0.0;
    bool is_float = start && start->kind() == Kind::Float;
    for (const Value& item : iterate(ctx, x, "sum")) {
        const Value v = by_attribute(item, attribute);
        if (!v.is_number() && v.kind() != Kind::Bool) Ctx::fail(std::string("cannot sum ") + type_name(v));
        const double d = v.kind() == Kind::Bool ? (v.as_bool() ? 1.0 : 0.0) : v.as_number();
        total += d;
        if (v.kind() == Kind::Float)
            is_float = true;
        else if (__builtin_add_overflow(total_int, v.is_int() ? v.as_int() : static_cast<int64_t>(d),
                                        &total_int))
            is_float = true;
    }
    return is_float ? Value::real(total) : Value::integer(total_int);
}

Value f_from_json(Ctx& ctx, const Value& x, Args&) {
    if (!x.is_string()) Ctx::fail(std::string("from_json needs a string, not ") + type_name(x));
    return to_value(ctx, parse_json(x.as_string()));
}

Value f_escape(Ctx& ctx, const Value& x, Args&) {
    std::string out;
    for (char c : as_text(x, ctx.limits.max_output_bytes)) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&#34;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out.push_back(c);
        }
    }
    return ctx.string(std::move(out));
}

Value f_bool(Ctx&, const Value& x, Args&) {
    return Value::boolean(truthy(x));
}

Value f_attr(Ctx&, const Value& x, Args& a) {
    const std::string name = arg_string(a.get(0, "name"), "", "name");
    if (!x.is_dict() && !x.is_namespace()) return Value();
    const Value* v = x.as_dict()->find(name);
    return v ? *v : Value();
}

using FilterFn = Value (*)(Ctx&, const Value&, Args&);
struct FilterEntry {
    std::string_view name;
    FilterFn fn;
};
constexpr FilterEntry kFilters[] = {
    {"abs", f_abs},
    {"attr", f_attr},
    {"bool", f_bool},
    {"capitalize", f_capitalize},
    {"count", f_length},
    {"d", f_default},
    {"default", f_default},
    {"dictsort", f_dictsort},
    {"e", f_escape},
    {"escape", f_escape},
    {"first", f_first},
    {"float", f_float},
    {"forceescape", f_escape},
    {"from_json", f_from_json},
    {"indent", f_indent},
    {"int", f_int},
    {"items", f_items},
    {"join", f_join},
    {"last", f_last},
    {"length", f_length},
    {"list", f_list},
    {"lower", f_lower},
    {"map", f_map},
    {"max", f_max},
    {"min", f_min},
    {"reject", f_reject},
    {"rejectattr", f_rejectattr},
    {"replace", f_replace},
    {"reverse", f_reverse},
    {"round", f_round},
    {"safe", f_safe},
    {"select", f_select},
    {"selectattr", f_selectattr},
    {"sort", f_sort},
    {"string", f_string},
    {"sum", f_sum},
    {"title", f_title},
    {"tojson", f_tojson},
    {"trim", f_trim},
    {"unique", f_unique},
    {"upper", f_upper},
};

// ---- tests --------------------------------------------------------------------------------------

bool cased_all(const std::string& s, bool want_upper) {
    bool any = false;
    for (size_t pos = 0; pos < s.size();) {
        const uint32_t cp = text::next_code_point(s, pos);
        if (!text::is_letter(cp)) continue;
        any = true;
        if ((want_upper ? text::to_upper(cp) : text::to_lower(cp)) != cp) return false;
    }
    return any;
}

const Value& test_arg(const Args& a, const char* test) {
    const Value* v = a.get(0, "other");
    if (v == nullptr) Ctx::fail(std::string("test '") + test + "' needs an argument");
    return *v;
}

bool same_as(const Value& x, const Value& y) {
    if (x.kind() != y.kind()) return false;
    switch (x.kind()) {
        case Kind::List:
            return x.as_list() == y.as_list();
        case Kind::Dict:
        case Kind::Namespace:
            return x.as_dict() == y.as_dict();
        case Kind::Callable:
            return x.as_callable() == y.as_callable();
        default:
            return equals(x, y);
    }
}

}  // namespace

Value apply_filter(Ctx& ctx, std::string_view name, const Value& operand, Args& args) {
    ctx.tick();
    for (const FilterEntry& f : kFilters)
        if (f.name == name) return f.fn(ctx, operand, args);
    Ctx::unsupported("unknown filter '" + std::string(name) + "'");
}

bool apply_test(Ctx& ctx, std::string_view name, const Value& x, Args& a) {
    ctx.tick();
    const Kind k = x.kind();
    if (name == "defined") return k != Kind::Undefined;
    if (name == "undefined") return k == Kind::Undefined;
    if (name == "none") return k == Kind::None;
    if (name == "boolean") return k == Kind::Bool;
    if (name == "true") return k == Kind::Bool && x.as_bool();
    if (name == "false") return k == Kind::Bool && !x.as_bool();
    if (name == "integer") return k == Kind::Int;
    if (name == "float") return k == Kind::Float;
    if (name == "number") return k == Kind::Int || k == Kind::Float;
    if (name == "string") return k == Kind::String;
    if (name == "mapping") return k == Kind::Dict;
    if (name == "iterable" || name == "sequence")
        return k == Kind::List || k == Kind::String || k == Kind::Dict;
    if (name == "callable") return k == Kind::Callable;
    if (name == "escaped") return false;
    if (name == "odd" || name == "even") {
        if (k != Kind::Int) Ctx::fail(std::string("test '") + std::string(name) + "' needs an integer");
        return (x.as_int() % 2 != 0) == (name == "odd");
    }
    if (name == "divisibleby") {
        const int64_t n = arg_int(&test_arg(a, "divisibleby"), 1, "divisibleby");
        if (k != Kind::Int || n == 0) Ctx::fail("divisibleby needs a non-zero integer");
        return n == -1 || x.as_int() % n == 0;
    }
    if (name == "lower" || name == "upper")
        return k == Kind::String && cased_all(x.as_string(), name == "upper");
    if (name == "eq" || name == "equalto" || name == "==") return equals(x, test_arg(a, "eq"));
    if (name == "ne" || name == "!=") return !equals(x, test_arg(a, "ne"));
    if (name == "lt" || name == "lessthan" || name == "<") return compare(x, test_arg(a, "lt"), true) < 0;
    if (name == "le" || name == "<=") return compare(x, test_arg(a, "le"), true) <= 0;
    if (name == "gt" || name == "greaterthan" || name == ">") return compare(x, test_arg(a, "gt"), true) > 0;
    if (name == "ge" || name == ">=") return compare(x, test_arg(a, "ge"), true) >= 0;
    if (name == "in") return contains(test_arg(a, "in"), x);
    if (name == "sameas") return same_as(x, test_arg(a, "sameas"));
    Ctx::unsupported("unknown test '" + std::string(name) + "'");
}

}  // namespace chord::chat

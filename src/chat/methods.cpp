// String, list and dict methods of the chat-template interpreter (see methods.h), with Python's
// argument conventions.
#include "chat/methods.h"

#include <algorithm>

#include "chat/filters.h"
#include "chat/text.h"

namespace chord::chat {
namespace {

constexpr std::string_view kStringMethods[] = {
    "capitalize", "count",   "endswith", "find",       "format",     "isalnum", "isalpha", "isdigit",
    "islower",    "isspace", "isupper",  "join",       "lower",      "lstrip",  "replace", "rfind",
    "rsplit",     "rstrip",  "split",    "splitlines", "startswith", "strip",   "title",   "upper",
};
constexpr std::string_view kListMethods[] = {"append", "count", "extend", "index", "insert", "pop"};
constexpr std::string_view kDictMethods[] = {"get", "items", "keys", "values"};

template <size_t N>
bool in(const std::string_view (&names)[N], std::string_view name) {
    return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

// str(v) as Python's format() and join() see it.
std::string python_str(const Value& v, size_t max_bytes) {
    if (v.is_none()) return "None";
    if (v.kind() == Kind::Bool) return v.as_bool() ? "True" : "False";
    return display(v, max_bytes);
}

// The strings of a prefix argument: one string or a tuple of them.
std::vector<std::string> affixes(const Value* v, const char* method) {
    std::vector<std::string> out;
    if (v != nullptr && v->is_string()) {
        out.push_back(v->as_string());
    } else if (v != nullptr && v->is_list()) {
        for (const Value& item : v->as_list()->items) {
            if (!item.is_string()) Ctx::fail(std::string(method) + "() takes strings");
            out.push_back(item.as_string());
        }
    } else {
        Ctx::fail(std::string(method) + "() needs a string or a tuple of strings");
    }
    return out;
}

Value string_list(Ctx& ctx, const std::vector<std::string>& parts) {
    Value list = ctx.new_list();
    for (const std::string& p : parts) ctx.heap.append(*list.as_list(), ctx.string(p));
    return list;
}

int64_t char_index(const std::string& s, size_t byte_offset) {
    return static_cast<int64_t>(text::char_count(std::string_view(s).substr(0, byte_offset)));
}

// Python's str.format with {} {0} {name} fields; {{ and }} are braces. Format specs and conversions
// are not supported.
Value format_string(Ctx& ctx, const std::string& fmt, const Args& a) {
    std::string out;
    size_t next_auto = 0;
    for (size_t i = 0; i < fmt.size(); ++i) {
        const char c = fmt[i];
        if (c == '}') {
            if (i + 1 < fmt.size() && fmt[i + 1] == '}')
                ++i;
            else
                Ctx::fail("format(): single '}' in the format string");
            out.push_back('}');
            continue;
        }
        if (c != '{') {
            out.push_back(c);
            continue;
        }
        if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
            out.push_back('{');
            ++i;
            continue;
        }
        const size_t close = fmt.find('}', i);
        if (close == std::string::npos) Ctx::fail("format(): '{' without '}'");
        const std::string field = fmt.substr(i + 1, close - i - 1);
        if (field.find_first_of(":!.[") != std::string::npos)
            Ctx::unsupported("format(): field '{" + field +
                             "}' (specs, conversions and attributes are not supported)");
        const Value* v = nullptr;
        if (field.empty()) {
            v = a.get(next_auto++, "");
        } else if (std::all_of(field.begin(), field.end(), [](char d) { return d >= '0' && d <= '9'; })) {
            v = field.size() < 10 ? a.get(static_cast<size_t>(std::stoul(field)), "") : nullptr;
        } else {
            v = a.named(field);
        }
        if (v == nullptr) Ctx::fail("format(): no argument for '{" + field + "}'");
        out += python_str(*v, ctx.limits.max_output_bytes);
        ctx.check_length(out.size());
        i = close;
    }
    return ctx.string(std::move(out));
}

Value string_method(Ctx& ctx, const std::string& s, std::string_view name, Args& a) {
    const size_t max = ctx.limits.max_output_bytes;
    if (name == "upper") return ctx.string(text::upper(s));
    if (name == "lower") return ctx.string(text::lower(s));
    if (name == "title") return ctx.string(text::title(s));
    if (name == "capitalize") return ctx.string(text::capitalize(s));
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
        const bool left = name != "rstrip", right = name != "lstrip";
        const Value* chars = a.get(0, "chars");
        if (chars == nullptr || chars->is_none() || chars->is_undefined())
            return ctx.string(std::string(left && right ? text::trim(s)
                                          : left        ? text::trim_left(s)
                                                        : text::trim_right(s)));
        return ctx.string(std::string(text::trim_chars(s, arg_string(chars, "", "chars"), left, right)));
    }
    if (name == "startswith" || name == "endswith") {
        for (const std::string& affix :
             affixes(a.get(0, "prefix"), name == "startswith" ? "startswith" : "endswith")) {
            if (affix.size() > s.size()) continue;
            if (name == "startswith" ? s.compare(0, affix.size(), affix) == 0
                                     : s.compare(s.size() - affix.size(), affix.size(), affix) == 0)
                return Value::boolean(true);
        }
        return Value::boolean(false);
    }
    if (name == "split" || name == "rsplit") {
        const Value* sep = a.get(0, "sep");
        const bool whitespace = sep == nullptr || sep->is_none() || sep->is_undefined();
        const std::string separator = whitespace ? "" : arg_string(sep, "", "sep");
        const int64_t maxsplit = arg_int(a.get(1, "maxsplit"), -1, "maxsplit");
        ctx.tick(s.size() / 64);
        return string_list(ctx, split_string(s, separator, whitespace, maxsplit, name == "rsplit"));
    }
    if (name == "splitlines") {
        const bool keepends = arg_bool(a.get(0, "keepends"), false, "keepends");
        std::vector<std::string> lines;
        size_t start = 0;
        for (size_t i = 0; i < s.size(); ++i) {
            if (s[i] != '\n' && s[i] != '\r') continue;
            const size_t end = (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ? i + 2 : i + 1;
            lines.push_back(s.substr(start, (keepends ? end : i) - start));
            start = end;
            i = end - 1;
        }
        if (start < s.size()) lines.push_back(s.substr(start));
        return string_list(ctx, lines);
    }
    if (name == "replace") return replace_string(ctx, s, a);
    if (name == "find" || name == "rfind") {
        const std::string sub = arg_string(a.get(0, "sub"), "", "sub");
        const size_t at = name == "find" ? s.find(sub) : s.rfind(sub);
        return Value::integer(at == std::string::npos ? -1 : char_index(s, at));
    }
    if (name == "count") {
        const std::string sub = arg_string(a.get(0, "sub"), "", "sub");
        if (sub.empty()) return Value::integer(static_cast<int64_t>(text::char_count(s)) + 1);
        int64_t n = 0;
        for (size_t at = s.find(sub); at != std::string::npos; at = s.find(sub, at + sub.size())) ++n;
        return Value::integer(n);
    }
    if (name == "join") {
        const Value* items = a.get(0, "iterable");
        if (items == nullptr) Ctx::fail("join() needs an iterable");
        std::string out;
        bool first = true;
        for (const Value& item : iterate(ctx, *items, "join")) {
            if (!first) out += s;
            first = false;
            out += python_str(item, max);
            ctx.check_length(out.size());
        }
        return ctx.string(std::move(out));
    }
    if (name == "format") return format_string(ctx, s, a);
    if (name == "isdigit" || name == "isalpha" || name == "isalnum" || name == "isspace" ||
        name == "isupper" || name == "islower") {
        if (name == "isupper" || name == "islower") {
            bool any = false;
            for (size_t pos = 0; pos < s.size();) {
                const uint32_t cp = text::next_code_point(s, pos);
                if (!text::is_letter(cp)) continue;
                any = true;
                if ((name == "isupper" ? text::to_upper(cp) : text::to_lower(cp)) != cp)
                    return Value::boolean(false);
            }
            return Value::boolean(any);
        }
        if (s.empty()) return Value::boolean(false);
        for (size_t pos = 0; pos < s.size();) {
            const uint32_t cp = text::next_code_point(s, pos);
            const bool digit = cp >= '0' && cp <= '9';
            const bool alpha = text::is_letter(cp);
            const bool ok = name == "isdigit"   ? digit
                            : name == "isalpha" ? alpha
                            : name == "isalnum" ? digit || alpha
                                                : text::is_space(cp);
            if (!ok) return Value::boolean(false);
        }
        return Value::boolean(true);
    }
    Ctx::unsupported("unknown string method '" + std::string(name) + "'");
}

size_t list_index(int64_t i, size_t size, bool for_insert) {
    int64_t n = static_cast<int64_t>(size);
    if (i < 0) i += n;
    if (for_insert) return static_cast<size_t>(std::clamp<int64_t>(i, 0, n));
    if (i < 0 || i >= n) Ctx::fail("list index out of range");
    return static_cast<size_t>(i);
}

Value list_method(Ctx& ctx, List& list, std::string_view name, Args& a) {
    auto& items = list.items;
    if (name == "append") {
        const Value* v = a.get(0, "object");
        if (v == nullptr) Ctx::fail("append() takes one argument");
        ctx.heap.append(list, *v);
        return Value::none();
    }
    if (name == "pop") {
        if (items.empty()) Ctx::fail("pop from an empty list");
        const size_t at = list_index(arg_int(a.get(0, "index"), -1, "index"), items.size(), false);
        Value v = items[at];
        items.erase(items.begin() + static_cast<std::ptrdiff_t>(at));
        return v;
    }
    if (name == "insert") {
        const Value* v = a.get(1, "object");
        if (v == nullptr) Ctx::fail("insert() takes an index and an object");
        const size_t at = list_index(arg_int(a.get(0, "index"), 0, "index"), items.size(), true);
        ctx.heap.charge(sizeof(Value));
        items.insert(items.begin() + static_cast<std::ptrdiff_t>(at), *v);
        return Value::none();
    }
    if (name == "extend") {
        const Value* v = a.get(0, "iterable");
        if (v == nullptr) Ctx::fail("extend() takes an iterable");
        for (Value& item : iterate(ctx, *v, "extend")) ctx.heap.append(list, std::move(item));
        return Value::none();
    }
    const Value* x = a.get(0, "value");
    if (x == nullptr) Ctx::fail(std::string(name) + "() takes one argument");
    if (name == "index") {
        for (size_t i = 0; i < items.size(); ++i)
            if (equals(items[i], *x)) return Value::integer(static_cast<int64_t>(i));
        Ctx::fail("list.index(x): x not in list");
    }
    int64_t n = 0;  // count
    for (const Value& item : items) n += equals(item, *x) ? 1 : 0;
    return Value::integer(n);
}

Value dict_method(Ctx& ctx, const Dict& dict, std::string_view name, Args& a) {
    if (name == "get") {
        const Value* key = a.get(0, "key");
        if (key == nullptr) Ctx::fail("get() needs a key");
        if (const Value* v = dict.find(*key)) return *v;
        const Value* fallback = a.get(1, "default");
        return fallback ? *fallback : Value::none();
    }
    Value out = ctx.new_list();
    for (const auto& [k, v] : dict.entries) {
        if (name == "keys") {
            ctx.heap.append(*out.as_list(), k);
        } else if (name == "values") {
            ctx.heap.append(*out.as_list(), v);
        } else {
            Value pair = ctx.new_list();
            ctx.heap.append(*pair.as_list(), k);
            ctx.heap.append(*pair.as_list(), v);
            ctx.heap.append(*out.as_list(), pair);
        }
    }
    return out;
}

}  // namespace

bool has_method(const Value& self, std::string_view name) {
    switch (self.kind()) {
        case Kind::String:
            return in(kStringMethods, name);
        case Kind::List:
            return in(kListMethods, name);
        case Kind::Dict:
            return in(kDictMethods, name);
        default:
            return false;
    }
}

Value call_method(Ctx& ctx, const Value& self, std::string_view name, Args& args) {
    ctx.tick();
    if (!has_method(self, name))
        Ctx::unsupported(std::string(type_name(self)) + " has no method '" + std::string(name) + "'");
    switch (self.kind()) {
        case Kind::String:
            return string_method(ctx, self.as_string(), name, args);
        case Kind::List:
            return list_method(ctx, *self.as_list(), name, args);
        default:
            return dict_method(ctx, *self.as_dict(), name, args);
    }
}

}  // namespace chord::chat

// Argument reading, iteration, attribute paths and Python's split, shared by filters, methods and the
// evaluator (see context.h).
#include "chat/context.h"

#include <algorithm>

#include "chat/text.h"

namespace chord::chat {

Value to_value(Ctx& ctx, const Data& data, size_t depth) {
    if (depth > kMaxValueDepth)
        Ctx::unsupported("data nests deeper than " + std::to_string(kMaxValueDepth) + " levels");
    ctx.tick();
    switch (data.kind()) {
        case Data::Kind::Null:
            return Value::none();
        case Data::Kind::Bool:
            return Value::boolean(data.as_bool());
        case Data::Kind::Int:
            return Value::integer(data.as_int());
        case Data::Kind::Float:
            return Value::real(data.as_float());
        case Data::Kind::String:
            return ctx.string(data.as_string());
        case Data::Kind::List: {
            Value list = ctx.new_list();
            for (const Data& item : data.items())
                ctx.heap.append(*list.as_list(), to_value(ctx, item, depth + 1));
            return list;
        }
        case Data::Kind::Object: {
            Value dict = Value::dict(ctx.heap.new_dict());
            for (const auto& [k, v] : data.fields())
                ctx.heap.set(*dict.as_dict(), Value::string(k), to_value(ctx, v, depth + 1));
            return dict;
        }
    }
    return Value();
}

bool arg_bool(const Value* v, bool fallback, const char* what) {
    if (v == nullptr || v->is_undefined() || v->is_none()) return fallback;
    if (v->kind() == Kind::Bool) return v->as_bool();
    if (v->is_int()) return v->as_int() != 0;
    Ctx::fail(std::string(what) + " must be a boolean, not " + type_name(*v));
}

int64_t arg_int(const Value* v, int64_t fallback, const char* what) {
    if (v == nullptr || v->is_undefined() || v->is_none()) return fallback;
    if (v->is_int()) return v->as_int();
    if (v->kind() == Kind::Bool) return v->as_bool() ? 1 : 0;
    Ctx::fail(std::string(what) + " must be an integer, not " + type_name(*v));
}

std::string arg_string(const Value* v, std::string fallback, const char* what) {
    if (v == nullptr || v->is_undefined()) return fallback;
    if (v->is_string()) return v->as_string();
    Ctx::fail(std::string(what) + " must be a string, not " + type_name(*v));
}

std::vector<Value> iterate(Ctx& ctx, const Value& v, const char* what) {
    std::vector<Value> out;
    switch (v.kind()) {
        case Kind::Undefined:
            return out;
        case Kind::List:
            ctx.tick(1 + v.as_list()->items.size() / 16);
            ctx.heap.charge(v.as_list()->items.size() * sizeof(Value));
            return v.as_list()->items;
        case Kind::Dict:
            ctx.tick(1 + v.as_dict()->entries.size() / 16);
            ctx.heap.charge(v.as_dict()->entries.size() * sizeof(Value));
            for (const auto& [k, _] : v.as_dict()->entries) out.push_back(k);
            return out;
        case Kind::String: {
            const std::string& s = v.as_string();
            const size_t n = text::char_count(s);
            ctx.tick(1 + n / 16);
            // Each character becomes a value with a buffer of its own.
            ctx.heap.charge(n * (sizeof(Value) + sizeof(StringBuffer) + 32));
            out.reserve(n);
            for (size_t pos = 0; pos < s.size();) {
                const size_t start = pos;
                text::next_code_point(s, pos);
                out.push_back(Value::string(s.substr(start, pos - start)));
            }
            return out;
        }
        default:
            Ctx::fail(std::string(what) + ": cannot iterate over " + type_name(v));
    }
}

Value attribute_path(const Value& item, std::string_view path) {
    Value current = item;
    while (true) {
        const size_t dot = path.find('.');
        const std::string_view part = path.substr(0, dot);
        if (current.is_dict() || current.is_namespace()) {
            const Value* v = current.as_dict()->find(part);
            if (v == nullptr) return Value();
            current = *v;
        } else if (current.is_list()) {
            int64_t index = 0;
            if (part.empty() || part.size() > 18 ||
                !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }))
                return Value();
            for (char c : part) index = index * 10 + (c - '0');
            const auto& items = current.as_list()->items;
            if (static_cast<uint64_t>(index) >= items.size()) return Value();
            current = items[static_cast<size_t>(index)];
        } else {
            return Value();
        }
        if (dot == std::string_view::npos) return current;
        path.remove_prefix(dot + 1);
    }
}

std::vector<std::string> split_string(std::string_view s, std::string_view sep, bool whitespace,
                                      int64_t maxsplit, bool from_right) {
    std::vector<std::string> out;
    if (!whitespace) {
        if (sep.empty()) Ctx::fail("empty separator");
        if (!from_right) {
            size_t pos = 0;
            while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
                const size_t hit = s.find(sep, pos);
                if (hit == std::string_view::npos) break;
                out.emplace_back(s.substr(pos, hit - pos));
                pos = hit + sep.size();
            }
            out.emplace_back(s.substr(pos));
            return out;
        }
        size_t end = s.size();
        while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
            if (end < sep.size()) break;
            const size_t hit = s.rfind(sep, end - sep.size());
            if (hit == std::string_view::npos) break;
            out.emplace_back(s.substr(hit + sep.size(), end - hit - sep.size()));
            end = hit;
        }
        out.emplace_back(s.substr(0, end));
        std::reverse(out.begin(), out.end());
        return out;
    }
    // Runs of whitespace separate; no empty strings at either end.
    struct Word {
        size_t begin, end;
    };
    std::vector<Word> words;
    for (size_t pos = 0; pos < s.size();) {
        size_t next = pos;
        if (text::is_space(text::next_code_point(s, next))) {
            pos = next;
            continue;
        }
        Word w{pos, pos};
        while (pos < s.size()) {
            next = pos;
            if (text::is_space(text::next_code_point(s, next))) break;
            pos = next;
        }
        w.end = pos;
        words.push_back(w);
    }
    const size_t n = words.size();
    const size_t splits = maxsplit < 0 ? n : std::min(n, static_cast<size_t>(maxsplit) + 1);
    if (splits == n) {
        for (const Word& w : words) out.emplace_back(s.substr(w.begin, w.end - w.begin));
        return out;
    }
    if (!from_right) {
        for (size_t i = 0; i + 1 < splits; ++i)
            out.emplace_back(s.substr(words[i].begin, words[i].end - words[i].begin));
        out.emplace_back(s.substr(words[splits - 1].begin));  // the rest, trailing whitespace kept
        return out;
    }
    out.emplace_back(s.substr(0, words[n - splits].end));  // the rest, leading whitespace kept
    for (size_t i = n - splits + 1; i < n; ++i)
        out.emplace_back(s.substr(words[i].begin, words[i].end - words[i].begin));
    return out;
}

}  // namespace chord::chat

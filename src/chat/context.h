// What the pieces of the interpreter share while one template renders: the Heap, the limits and the
// step budget (Ctx), and the arguments of a call (Args). Filters, tests, methods and global functions
// receive a Ctx; they report problems by throwing chord::Error without a position, and the evaluator
// adds the line and column of the expression it was evaluating.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat/data.h"
#include "chat/template.h"
#include "chat/value.h"
#include "core/error.h"

namespace chord::chat {

struct Args {
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> keyword;

    // The argument at position `index`, else the keyword argument `name`; nullptr when neither.
    const Value* get(size_t index, std::string_view name) const {
        if (index < positional.size()) return &positional[index];
        for (const auto& [k, v] : keyword)
            if (k == name) return &v;
        return nullptr;
    }
    const Value* named(std::string_view name) const { return get(SIZE_MAX, name); }
};

class Ctx {
  public:
    Ctx(Heap& heap_in, const Limits& limits_in, std::optional<DateTime> now_in)
        : heap(heap_in), limits(limits_in), now(now_in) {}

    Heap& heap;
    const Limits& limits;
    std::optional<DateTime> now;

    // One unit of work (an expression, a loop iteration, 64 bytes copied); throws past max_steps.
    void tick(uint64_t steps = 1) {
        steps_ += steps;
        if (steps_ > limits.max_steps)
            throw Error(ErrorCode::Unsupported, "the template takes more than its limit of " +
                                                    std::to_string(limits.max_steps) + " steps");
    }
    // A new string value, checked against the longest string a template may build.
    Value string(std::string s) {
        check_length(s.size());
        tick(1 + s.size() / 64);
        return Value::string(std::move(s), heap.meter());
    }
    void check_length(size_t n) const {
        if (n > limits.max_output_bytes)
            throw Error(ErrorCode::OutOfMemory, "the template builds a string longer than its limit of " +
                                                    std::to_string(limits.max_output_bytes) + " bytes");
    }
    Value new_list() { return Value::list(heap.new_list()); }

    [[noreturn]] static void fail(const std::string& what) { throw Error(ErrorCode::InvalidArgument, what); }
    [[noreturn]] static void unsupported(const std::string& what) {
        throw Error(ErrorCode::Unsupported, what);
    }

  private:
    uint64_t steps_ = 0;
};

// A caller's data as a runtime value in the heap; throws past kMaxValueDepth levels of nesting.
Value to_value(Ctx& ctx, const Data& data, size_t depth = 0);

// Reading arguments: each throws InvalidArgument naming `what` when the argument has the wrong type.
bool arg_bool(const Value* v, bool fallback, const char* what);
int64_t arg_int(const Value* v, int64_t fallback, const char* what);
std::string arg_string(const Value* v, std::string fallback, const char* what);

// The elements a sequence filter sees: a list's items, a string's characters, a dict's keys; nothing
// for undefined. Throws for other values. The copy is counted on the heap's meter until the render ends.
std::vector<Value> iterate(Ctx& ctx, const Value& v, const char* what);
// item.a.b or item.0 (what map, sort and selectattr accept): dict keys and list indices.
Value attribute_path(const Value& item, std::string_view path);
// Python's str.split and str.rsplit (sep empty: on whitespace runs).
std::vector<std::string> split_string(std::string_view s, std::string_view sep, bool whitespace,
                                      int64_t maxsplit, bool from_right);

}  // namespace chord::chat

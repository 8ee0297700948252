// The chat-template evaluator (see evaluator.h): statements write into an output string, expressions
// return Values. Scopes are Frames on the C++ stack, since no value can outlive the render.
#include "chat/evaluator.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "chat/builtins.h"
#include "chat/filters.h"
#include "chat/methods.h"
#include "chat/text.h"

namespace chord::chat {
namespace {

struct Frame {
    Frame* parent = nullptr;
    std::vector<std::pair<std::string, Value>> vars;

    const Value* lookup(std::string_view name) const {
        for (const Frame* f = this; f != nullptr; f = f->parent)
            for (const auto& [k, v] : f->vars)
                if (k == name) return &v;
        return nullptr;
    }
    void set(std::string_view name, Value v) {
        for (auto& [k, old] : vars) {
            if (k == name) {
                old = std::move(v);
                return;
            }
        }
        vars.emplace_back(std::string(name), std::move(v));
    }
};

enum class Flow { Normal, Break, Continue };

// Position of each field of a loop's `loop` dict, which is updated in place on every iteration.
enum LoopField {
    kIndex,
    kIndex0,
    kRevindex,
    kRevindex0,
    kFirst,
    kLast,
    kLength,
    kPrevitem,
    kNextitem,
    kLoopFields
};
constexpr const char* kLoopFieldNames[kLoopFields] = {"index", "index0", "revindex", "revindex0", "first",
                                                      "last",  "length", "previtem", "nextitem"};

class Evaluator {
  public:
    Evaluator(const Program& program, Ctx& ctx) : program_(program), ctx_(ctx) {}

    std::string run(Frame& globals) {
        std::string out;
        try {
            exec_body(program_.body, globals, out);
        } catch (const Error& e) {
            throw Error(e.code(), describe_pos(program_.origin, pos_) + e.what());
        }
        return out;
    }

  private:
    struct DepthGuard {
        explicit DepthGuard(Evaluator& e) : ev(e) {
            if (++ev.depth_ > ev.ctx_.limits.max_depth)
                Ctx::unsupported("the template nests deeper than its limit of " +
                                 std::to_string(ev.ctx_.limits.max_depth) +
                                 " levels (statements, expressions and macro calls)");
        }
        ~DepthGuard() { --ev.depth_; }
        Evaluator& ev;
    };

    // ---- output ---------------------------------------------------------------------------------------

    void check_output(const std::string& out) const {
        if (out.size() > ctx_.limits.max_output_bytes)
            throw Error(ErrorCode::OutOfMemory, "the rendered text is longer than its limit of " +
                                                    std::to_string(ctx_.limits.max_output_bytes) + " bytes");
    }
    void write(std::string& out, std::string_view s) {
        out += s;
        ctx_.tick(s.size() / 64);
        check_output(out);
    }
    void emit(std::string& out, const Value& v) {
        const size_t before = out.size();
        append_display(v, out, ctx_.limits.max_output_bytes);
        ctx_.tick((out.size() - before) / 64);
        check_output(out);
    }

    // ---- statements -----------------------------------------------------------------------------------

    Flow exec_body(const Body& body, Frame& frame, std::string& out) {
        for (const StmtPtr& s : body) {
            const Flow f = exec(*s, frame, out);
            if (f != Flow::Normal) return f;
        }
        return Flow::Normal;
    }

    Flow exec(const Stmt& s, Frame& frame, std::string& out) {
        DepthGuard guard(*this);
        ctx_.tick();
        pos_ = s.pos;
        switch (s.kind) {
            case StmtKind::Text:
                write(out, s.text);
                return Flow::Normal;
            case StmtKind::Output: {
                const Value v = eval(*s.expr, frame);
                pos_ = s.pos;
                emit(out, v);
                return Flow::Normal;
            }
            case StmtKind::If:
                for (const auto& [cond, body] : s.branches)
                    if (truthy(eval(*cond, frame))) return exec_body(body, frame, out);
                return exec_body(s.else_body, frame, out);
            case StmtKind::For:
                return exec_for(s, frame, out);
            case StmtKind::Set: {
                Value v = eval(*s.expr, frame);
                pos_ = s.pos;
                assign(*s.target, std::move(v), frame);
                return Flow::Normal;
            }
            case StmtKind::SetBlock: {
                std::string text;
                const Flow f = exec_body(s.body, frame, text);
                pos_ = s.pos;
                assign(*s.target, ctx_.string(std::move(text)), frame);
                return f;
            }
            case StmtKind::Macro: {
                Callable c;
                c.type = Callable::Type::Macro;
                c.name = s.text;
                c.node = &s;
                frame.set(s.text, Value::callable(ctx_.heap.new_callable(std::move(c))));
                return Flow::Normal;
            }
            case StmtKind::CallBlock:
                return exec_call_block(s, frame, out);
            case StmtKind::FilterBlock: {
                std::string text;
                const Flow f = exec_body(s.body, frame, text);
                const Value v = filter_chain(*s.expr, ctx_.string(std::move(text)), frame);
                emit(out, v);
                return f;
            }
            case StmtKind::Break:
                return Flow::Break;
            case StmtKind::Continue:
                return Flow::Continue;
        }
        return Flow::Normal;
    }

    // A list is walked in place: no copy, however often the loop runs, and like Python it sees items
    // the body appends. Other iterables (a string's characters, a dict's keys) and filtered loops
    // work on a copy.
    Flow exec_for(const Stmt& s, Frame& frame, std::string& out) {
        const Value iterable = eval(*s.expr, frame);
        pos_ = s.pos;
        const List* live = iterable.is_list() && !s.cond ? iterable.as_list() : nullptr;
        std::vector<Value> items;
        if (live == nullptr) items = iterate(ctx_, iterable, "for loop");
        Frame scope{&frame, {}};
        if (s.cond) {
            std::vector<Value> kept;
            for (Value& item : items) {
                ctx_.tick();
                Frame test{&scope, {}};
                bind(*s.target, item, test);
                if (truthy(eval(*s.cond, test))) kept.push_back(std::move(item));
            }
            items = std::move(kept);
        }
        const auto count = [&] { return static_cast<int64_t>(live ? live->items.size() : items.size()); };
        const auto item = [&](int64_t i) {
            return live ? live->items[static_cast<size_t>(i)] : items[static_cast<size_t>(i)];
        };
        if (count() == 0) return exec_body(s.else_body, scope, out);

        Dict* loop = ctx_.heap.new_dict();
        for (const char* name : kLoopFieldNames) ctx_.heap.set(*loop, Value::string(name), Value());
        scope.set("loop", Value::dict(loop));
        for (int64_t i = 0; i < count(); ++i) {
            ctx_.tick();
            const int64_t n = count();
            auto& f = loop->entries;
            f[kIndex].second = Value::integer(i + 1);
            f[kIndex0].second = Value::integer(i);
            f[kRevindex].second = Value::integer(n - i);
            f[kRevindex0].second = Value::integer(n - i - 1);
            f[kFirst].second = Value::boolean(i == 0);
            f[kLast].second = Value::boolean(i == n - 1);
            f[kLength].second = Value::integer(n);
            f[kPrevitem].second = i > 0 ? item(i - 1) : Value();
            f[kNextitem].second = i + 1 < n ? item(i + 1) : Value();
            pos_ = s.pos;
            bind(*s.target, item(i), scope);
            if (exec_body(s.body, scope, out) == Flow::Break) break;
        }
        return Flow::Normal;
    }

    Flow exec_call_block(const Stmt& s, Frame& frame, std::string& out) {
        Callable c;
        c.type = Callable::Type::Caller;
        c.name = "caller";
        c.node = &s;
        c.scope = &frame;
        Callable* caller = ctx_.heap.new_callable(std::move(c));
        Frame call_frame{&frame, {}};
        call_frame.set("caller", Value::callable(caller));
        const Value result = eval(*s.expr, call_frame);
        caller->scope = nullptr;  // the frame it points to ends with this block
        pos_ = s.pos;
        emit(out, result);
        return Flow::Normal;
    }

    // Loop variables and {% set %} targets: a name, or names unpacked from a sequence.
    void bind(const Expr& target, const Value& v, Frame& frame) {
        if (target.kind == ExprKind::Name) {
            frame.set(target.name, v);
            return;
        }
        const std::vector<Value> parts = v.is_list() ? v.as_list()->items : std::vector<Value>();
        if (!v.is_list() || parts.size() != target.args.size())
            Ctx::fail("cannot unpack " + std::string(type_name(v)) +
                      (v.is_list() ? " of " + std::to_string(parts.size()) + " items" : std::string()) +
                      " into " + std::to_string(target.args.size()) + " names");
        for (size_t i = 0; i < parts.size(); ++i) frame.set(target.args[i]->name, parts[i]);
    }

    void assign(const Expr& target, Value v, Frame& frame) {
        if (target.kind != ExprKind::Attr) {
            bind(target, v, frame);
            return;
        }
        const Value object = eval(*target.args[0], frame);
        if (!object.is_namespace())
            Ctx::fail("cannot set attribute '" + target.name + "' of " + type_name(object) +
                      " (only namespace() objects can be changed)");
        ctx_.heap.set(*object.as_dict(), Value::string(target.name), std::move(v));
    }

    // ---- expressions ----------------------------------------------------------------------------------

    Value eval(const Expr& e, Frame& frame) {
        DepthGuard guard(*this);
        ctx_.tick();
        switch (e.kind) {
            case ExprKind::Literal:
                return e.literal;
            case ExprKind::Name: {
                const Value* v = frame.lookup(e.name);
                return v ? *v : Value();
            }
            case ExprKind::List:
            case ExprKind::Tuple: {
                Value list = ctx_.new_list();
                for (const ExprPtr& item : e.args) ctx_.heap.append(*list.as_list(), eval(*item, frame));
                return list;
            }
            case ExprKind::Dict: {
                Value dict = Value::dict(ctx_.heap.new_dict());
                for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
                    Value key = eval(*e.args[i], frame);
                    Value value = eval(*e.args[i + 1], frame);
                    if (key.is_list() || key.is_dict() || key.is_namespace() || key.is_callable() ||
                        key.is_undefined()) {
                        pos_ = e.args[i]->pos;
                        Ctx::fail(std::string("a dict key cannot be ") + type_name(key));
                    }
                    ctx_.heap.set(*dict.as_dict(), std::move(key), std::move(value));
                }
                return dict;
            }
            case ExprKind::Attr: {
                const Value object = eval(*e.args[0], frame);
                return attribute(object, e.name);
            }
            case ExprKind::Index: {
                const Value object = eval(*e.args[0], frame);
                const Value key = eval(*e.args[1], frame);
                return subscript(object, key);
            }
            case ExprKind::Slice:
                return slice(e, frame);
            case ExprKind::Call:
                return call(e, frame);
            case ExprKind::Filter: {
                const Value operand = eval(*e.args[0], frame);
                return filter_chain_step(e, operand, frame);
            }
            case ExprKind::Test: {
                const Value operand = eval(*e.args[0], frame);
                Args args = arguments(e, frame);
                pos_ = e.pos;
                const bool result = apply_test(ctx_, e.name, operand, args);
                return Value::boolean(result != e.negate);
            }
            case ExprKind::Unary: {
                const Value v = eval(*e.args[0], frame);
                pos_ = e.pos;
                return unary(e.op, v);
            }
            case ExprKind::Binary: {
                const Value l = eval(*e.args[0], frame);
                const Value r = eval(*e.args[1], frame);
                pos_ = e.pos;
                return binary(e.op, l, r);
            }
            case ExprKind::And: {
                Value l = eval(*e.args[0], frame);
                return truthy(l) ? eval(*e.args[1], frame) : l;
            }
            case ExprKind::Or: {
                Value l = eval(*e.args[0], frame);
                return truthy(l) ? l : eval(*e.args[1], frame);
            }
            case ExprKind::Conditional:
                if (truthy(eval(*e.args[1], frame))) return eval(*e.args[0], frame);
                return e.args[2] ? eval(*e.args[2], frame) : Value();
        }
        return Value();
    }

    // Arguments args[1..] of a call, filter or test.
    Args arguments(const Expr& e, Frame& frame) {
        Args a;
        for (size_t i = 1; i < e.args.size(); ++i) {
            Value v = eval(*e.args[i], frame);
            const std::string& name = e.arg_names[i - 1];
            if (name.empty()) {
                a.positional.push_back(std::move(v));
                continue;
            }
            for (const auto& [k, _] : a.keyword) {
                if (k == name) {
                    pos_ = e.args[i]->pos;
                    Ctx::fail("keyword argument '" + name + "' given twice");
                }
            }
            a.keyword.emplace_back(name, std::move(v));
        }
        return a;
    }

    Value filter_chain_step(const Expr& e, const Value& operand, Frame& frame) {
        Args args = arguments(e, frame);
        pos_ = e.pos;
        return apply_filter(ctx_, e.name, operand, args);
    }

    // A {% filter %} block's chain: Filter nodes whose innermost operand is the block's text.
    Value filter_chain(const Expr& e, const Value& text, Frame& frame) {
        const Value operand = e.args[0] ? filter_chain(*e.args[0], text, frame) : text;
        return filter_chain_step(e, operand, frame);
    }

    Value bound_method(const Value& self, const std::string& name) {
        Callable c;
        c.type = Callable::Type::Method;
        c.name = name;
        c.self = self;
        return Value::callable(ctx_.heap.new_callable(std::move(c)));
    }

    // `object.name`: a dict's key (then its method of that name), a namespace's attribute, a string's or
    // list's method. Anything else is undefined, as in the reference.
    Value attribute(const Value& object, const std::string& name) {
        if (object.is_dict() || object.is_namespace()) {
            if (const Value* v = object.as_dict()->find(name)) return *v;
        }
        if (has_method(object, name)) return bound_method(object, name);
        return Value();
    }

    Value subscript(const Value& object, const Value& key) {
        switch (object.kind()) {
            case Kind::Dict:
            case Kind::Namespace: {
                const Value* v = object.as_dict()->find(key);
                return v ? *v : Value();
            }
            case Kind::List: {
                if (!key.is_int()) return key.is_string() ? attribute(object, key.as_string()) : Value();
                const auto& items = object.as_list()->items;
                const int64_t n = static_cast<int64_t>(items.size());
                int64_t i = key.as_int();
                if (i < 0) i += n;
                return i >= 0 && i < n ? items[static_cast<size_t>(i)] : Value();
            }
            case Kind::String: {
                if (!key.is_int()) return key.is_string() ? attribute(object, key.as_string()) : Value();
                const std::vector<size_t> offsets = text::char_offsets(object.as_string());
                const int64_t n = static_cast<int64_t>(offsets.size()) - 1;
                int64_t i = key.as_int();
                if (i < 0) i += n;
                if (i < 0 || i >= n) return Value();
                const size_t at = offsets[static_cast<size_t>(i)];
                return Value::string(object.as_string().substr(at, offsets[static_cast<size_t>(i) + 1] - at));
            }
            default:
                return Value();
        }
    }

    // Python's slice semantics, for lists and for the characters of strings.
    Value slice(const Expr& e, Frame& frame) {
        const Value object = eval(*e.args[0], frame);
        int64_t bound[3] = {0, 0, 1};
        bool given[3] = {false, false, false};
        for (size_t k = 0; k < 3; ++k) {
            if (!e.args[k + 1]) continue;
            const Value v = eval(*e.args[k + 1], frame);
            if (v.is_none() || v.is_undefined()) continue;
            if (!v.is_int()) {
                pos_ = e.pos;
                Ctx::fail(std::string("slice indices must be integers, not ") + type_name(v));
            }
            bound[k] = v.as_int();
            given[k] = true;
        }
        pos_ = e.pos;
        const int64_t step = given[2] ? bound[2] : 1;
        if (step == 0) Ctx::fail("slice step cannot be zero");
        std::vector<size_t> offsets;
        int64_t n = 0;
        if (object.is_list()) {
            n = static_cast<int64_t>(object.as_list()->items.size());
        } else if (object.is_string()) {
            offsets = text::char_offsets(object.as_string());
            n = static_cast<int64_t>(offsets.size()) - 1;
        } else if (object.is_undefined() || object.is_none()) {
            return Value();
        } else {
            Ctx::fail(std::string("cannot slice ") + type_name(object));
        }
        const auto clamp_index = [&](int64_t i, bool is_given, int64_t fallback) {
            if (!is_given) return fallback;
            if (i < 0) i = i < -n ? -1 : i + n;
            if (step > 0) return i < 0 ? 0 : i > n ? n : i;
            return i < -1 ? -1 : i > n - 1 ? n - 1 : i;
        };
        const int64_t start = clamp_index(bound[0], given[0], step > 0 ? 0 : n - 1);
        const int64_t stop = clamp_index(bound[1], given[1], step > 0 ? n : -1);
        std::vector<int64_t> picked;
        for (int64_t i = start; step > 0 ? i < stop : i > stop;) {
            ctx_.tick();
            picked.push_back(i);
            if (__builtin_add_overflow(i, step, &i)) break;
        }
        if (object.is_list()) {
            Value out = ctx_.new_list();
            for (int64_t i : picked)
                ctx_.heap.append(*out.as_list(), object.as_list()->items[static_cast<size_t>(i)]);
            return out;
        }
        std::string out;
        for (int64_t i : picked) {
            const size_t at = offsets[static_cast<size_t>(i)];
            out.append(object.as_string(), at, offsets[static_cast<size_t>(i) + 1] - at);
        }
        return ctx_.string(std::move(out));
    }

    // ---- calls ----------------------------------------------------------------------------------------

    Value call(const Expr& e, Frame& frame) {
        const Expr& callee = *e.args[0];
        if (callee.kind == ExprKind::Attr) {
            const Value self = eval(*callee.args[0], frame);
            Args args = arguments(e, frame);
            pos_ = e.pos;
            if (self.is_dict() || self.is_namespace()) {
                if (const Value* v = self.as_dict()->find(callee.name))
                    return call_value(*v, args, frame, callee.name);
            }
            if (has_method(self, callee.name)) return call_method(ctx_, self, callee.name, args);
            if (self.is_undefined() || self.is_none())
                Ctx::fail("cannot call '" + callee.name + "' on " + type_name(self) + " (" +
                          describe_expr(*callee.args[0]) + " is " + type_name(self) + ")");
            Ctx::unsupported(std::string(type_name(self)) + " has no method '" + callee.name + "'");
        }
        const Value fn = eval(callee, frame);
        Args args = arguments(e, frame);
        pos_ = e.pos;
        return call_value(fn, args, frame, describe_expr(callee));
    }

    static std::string describe_expr(const Expr& e) {
        if (e.kind == ExprKind::Name) return "'" + e.name + "'";
        if (e.kind == ExprKind::Attr) return "'" + e.name + "'";
        return "the value";
    }

    Value call_value(const Value& fn, Args& args, Frame& frame, const std::string& what) {
        if (!fn.is_callable()) {
            if (fn.is_undefined()) Ctx::unsupported(what + " is undefined, so it cannot be called");
            Ctx::fail(what + " is " + type_name(fn) + ", not something that can be called");
        }
        Callable& c = *fn.as_callable();
        switch (c.type) {
            case Callable::Type::Function:
                return c.fn(ctx_, args);
            case Callable::Type::Method:
                return call_method(ctx_, c.self, c.name, args);
            case Callable::Type::Macro: {
                Frame scope{&frame, {}};  // the caller's variables stay visible, as in the reference
                bind_parameters(c.node->params, args, scope, c.name);
                std::string out;
                exec_body(c.node->body, scope, out);
                return ctx_.string(std::move(out));
            }
            case Callable::Type::Caller: {
                if (c.scope == nullptr) Ctx::fail("caller() used after its {% call %} block ended");
                Frame scope{static_cast<Frame*>(c.scope), {}};
                bind_parameters(c.node->params, args, scope, "caller");
                std::string out;
                exec_body(c.node->body, scope, out);
                return ctx_.string(std::move(out));
            }
        }
        return Value();
    }

    // Positional arguments, then keywords by name, then defaults (evaluated once all are bound); extra
    // arguments go to `varargs` and `kwargs` as in jinja2.
    void bind_parameters(const std::vector<Param>& params, Args& args, Frame& scope,
                         const std::string& macro) {
        std::vector<bool> bound(params.size(), false);
        for (size_t i = 0; i < params.size() && i < args.positional.size(); ++i) {
            scope.set(params[i].name, args.positional[i]);
            bound[i] = true;
        }
        Value kwargs;
        for (auto& [k, v] : args.keyword) {
            size_t i = 0;
            while (i < params.size() && params[i].name != k) ++i;
            if (i < params.size()) {
                if (bound[i]) Ctx::fail("macro '" + macro + "' got two values for '" + k + "'");
                scope.set(k, v);
                bound[i] = true;
                continue;
            }
            if (kwargs.is_undefined()) kwargs = Value::dict(ctx_.heap.new_dict());
            ctx_.heap.set(*kwargs.as_dict(), Value::string(k), v);
        }
        if (!kwargs.is_undefined()) scope.set("kwargs", kwargs);
        if (args.positional.size() > params.size()) {
            Value varargs = ctx_.new_list();
            for (size_t i = params.size(); i < args.positional.size(); ++i)
                ctx_.heap.append(*varargs.as_list(), args.positional[i]);
            scope.set("varargs", varargs);
        }
        for (size_t i = 0; i < params.size(); ++i) {
            if (bound[i]) continue;
            scope.set(params[i].name,
                      params[i].default_value ? eval(*params[i].default_value, scope) : Value());
        }
    }

    // ---- operators ------------------------------------------------------------------------------------

    static bool numeric(const Value& v) { return v.is_number() || v.kind() == Kind::Bool; }
    static Value as_number_value(const Value& v) {
        return v.kind() == Kind::Bool ? Value::integer(v.as_bool() ? 1 : 0) : v;
    }
    [[noreturn]] static void bad_operands(const char* op, const Value& l, const Value& r) {
        Ctx::fail(std::string("unsupported operand types for ") + op + ": " + type_name(l) + " and " +
                  type_name(r));
    }

    Value unary(Op op, const Value& v) {
        if (op == Op::Not) return Value::boolean(!truthy(v));
        if (!numeric(v))
            Ctx::fail(std::string("bad operand type for unary ") + (op == Op::Neg ? "-" : "+") + ": " +
                      type_name(v));
        const Value n = as_number_value(v);
        if (op == Op::Pos) return n;
        if (n.is_int()) {
            if (n.as_int() == INT64_MIN) Ctx::fail("integer overflow");
            return Value::integer(-n.as_int());
        }
        return Value::real(-n.as_float());
    }

    Value repeat(const Value& seq, int64_t times) {
        if (times <= 0 || (seq.is_string() ? seq.as_string().empty() : seq.as_list()->items.empty()))
            return seq.is_string() ? Value::string("") : ctx_.new_list();
        if (seq.is_string()) {
            if (static_cast<uint64_t>(times) > ctx_.limits.max_output_bytes / seq.as_string().size())
                ctx_.check_length(SIZE_MAX);
            std::string out;
            for (int64_t i = 0; i < times; ++i) out += seq.as_string();
            return ctx_.string(std::move(out));
        }
        const auto items = seq.as_list()->items;
        Value out = ctx_.new_list();
        for (int64_t i = 0; i < times; ++i) {
            for (const Value& v : items) {
                ctx_.tick();
                ctx_.heap.append(*out.as_list(), v);
            }
        }
        return out;
    }

    Value binary(Op op, const Value& l, const Value& r) {
        switch (op) {
            case Op::Eq:
                return Value::boolean(equals(l, r));
            case Op::Ne:
                return Value::boolean(!equals(l, r));
            case Op::Lt:
                return Value::boolean(compare(l, r, true) < 0);
            case Op::Le:
                return Value::boolean(compare(l, r, true) <= 0);
            case Op::Gt:
                return Value::boolean(compare(l, r, true) > 0);
            case Op::Ge:
                return Value::boolean(compare(l, r, true) >= 0);
            case Op::In:
                return Value::boolean(contains(r, l));
            case Op::NotIn:
                return Value::boolean(!contains(r, l));
            case Op::Concat: {
                std::string s = display(l, ctx_.limits.max_output_bytes);
                ctx_.check_length(s.size());
                append_display(r, s, ctx_.limits.max_output_bytes);
                return ctx_.string(std::move(s));
            }
            default:
                break;
        }
        if (op == Op::Add) {
            if (l.is_list() && r.is_list()) {
                Value out = ctx_.new_list();
                for (const Value& v : l.as_list()->items) ctx_.heap.append(*out.as_list(), v);
                for (const Value& v : r.as_list()->items) ctx_.heap.append(*out.as_list(), v);
                return out;
            }
            // The reference joins a string with any number or boolean, as text.
            if ((l.is_string() && (r.is_string() || numeric(r))) || (r.is_string() && numeric(l))) {
                std::string s = display(l, ctx_.limits.max_output_bytes);
                ctx_.check_length(s.size() + (r.is_string() ? r.as_string().size() : 0));
                append_display(r, s, ctx_.limits.max_output_bytes);
                return ctx_.string(std::move(s));
            }
        }
        if (op == Op::Mul) {
            if ((l.is_string() || l.is_list()) && (r.is_int() || r.kind() == Kind::Bool))
                return repeat(l, as_number_value(r).as_int());
            if ((r.is_string() || r.is_list()) && (l.is_int() || l.kind() == Kind::Bool))
                return repeat(r, as_number_value(l).as_int());
        }
        static constexpr const char* kNames[] = {"", "", "", "", "+", "-", "*", "/", "//", "%", "**"};
        const char* name =
            static_cast<size_t>(op) < std::size(kNames) ? kNames[static_cast<size_t>(op)] : "?";
        if (!numeric(l) || !numeric(r)) bad_operands(name, l, r);
        const Value a = as_number_value(l), b = as_number_value(r);
        if (a.is_int() && b.is_int()) return integer_op(op, a.as_int(), b.as_int());
        const double x = a.as_number(), y = b.as_number();
        switch (op) {
            case Op::Add:
                return Value::real(x + y);
            case Op::Sub:
                return Value::real(x - y);
            case Op::Mul:
                return Value::real(x * y);
            case Op::Div:
                if (y == 0.0) Ctx::fail("division by zero");
                return Value::real(x / y);
            case Op::FloorDiv:
                if (y == 0.0) Ctx::fail("division by zero");
                return Value::real(std::floor(x / y));
            case Op::Mod: {
                if (y == 0.0) Ctx::fail("modulo by zero");
                double m = std::fmod(x, y);
                if (m != 0.0 && ((m < 0) != (y < 0))) m += y;
                return Value::real(m);
            }
            case Op::Pow: {
                if (x == 0.0 && y < 0) Ctx::fail("0.0 cannot be raised to a negative power");
                const double p = std::pow(x, y);
                if (!std::isfinite(p)) Ctx::fail("exponentiation result is not a finite real number");
                return Value::real(p);
            }
            default:
                bad_operands(name, l, r);
        }
    }

    static Value integer_op(Op op, int64_t x, int64_t y) {
        int64_t out = 0;
        switch (op) {
            case Op::Add:
                if (__builtin_add_overflow(x, y, &out)) Ctx::fail("integer overflow");
                return Value::integer(out);
            case Op::Sub:
                if (__builtin_sub_overflow(x, y, &out)) Ctx::fail("integer overflow");
                return Value::integer(out);
            case Op::Mul:
                if (__builtin_mul_overflow(x, y, &out)) Ctx::fail("integer overflow");
                return Value::integer(out);
            case Op::Div:
                if (y == 0) Ctx::fail("division by zero");
                return Value::real(static_cast<double>(x) / static_cast<double>(y));
            case Op::FloorDiv: {
                if (y == 0) Ctx::fail("division by zero");
                if (x == INT64_MIN && y == -1) Ctx::fail("integer overflow");
                int64_t q = x / y;
                if (x % y != 0 && ((x < 0) != (y < 0))) --q;
                return Value::integer(q);
            }
            case Op::Mod: {
                if (y == 0) Ctx::fail("modulo by zero");
                if (y == -1) return Value::integer(0);
                int64_t m = x % y;
                if (m != 0 && ((m < 0) != (y < 0))) m += y;
                return Value::integer(m);
            }
            case Op::Pow: {
                if (y < 0) {
                    if (x == 0) Ctx::fail("0 cannot be raised to a negative power");
                    return Value::real(std::pow(static_cast<double>(x), static_cast<double>(y)));
                }
                int64_t result = 1, base = x;
                for (int64_t e = y; e > 0; e >>= 1) {
                    if ((e & 1) && __builtin_mul_overflow(result, base, &result))
                        Ctx::fail("integer overflow");
                    if (e > 1 && __builtin_mul_overflow(base, base, &base)) Ctx::fail("integer overflow");
                }
                return Value::integer(result);
            }
            default:
                Ctx::fail("bad integer operator");
        }
    }

    const Program& program_;
    Ctx& ctx_;
    SourcePos pos_;
    size_t depth_ = 0;
};

}  // namespace

std::string render(const Program& program, Ctx& ctx, std::vector<std::pair<std::string, Value>> variables) {
    Frame globals;
    for (const GlobalFunction& g : kGlobalFunctions) {
        Callable c;
        c.type = Callable::Type::Function;
        c.name = std::string(g.name);
        c.fn = g.fn;
        globals.set(g.name, Value::callable(ctx.heap.new_callable(std::move(c))));
    }
    for (auto& [name, value] : variables) globals.set(name, std::move(value));
    return Evaluator(program, ctx).run(globals);
}

}  // namespace chord::chat

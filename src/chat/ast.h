// The syntax tree of a parsed chat template: statements (text, output, if, for, set, macro, call and
// filter blocks, break, continue) holding expressions. Plain data with a source position on every
// node, so the evaluator can name the line and column of whatever fails at run time. The parser
// bounds how deep the tree nests, which is what keeps evaluating and destroying it off the stack's edge.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/source.h"
#include "chat/value.h"

namespace chord::chat {

enum class ExprKind : uint8_t {
    Literal,      // literal
    Name,         // name
    List,         // [args...]
    Tuple,        // (args...)
    Dict,         // {args[0]: args[1], args[2]: args[3], ...}
    Attr,         // args[0].name
    Index,        // args[0][args[1]]
    Slice,        // args[0][args[1]:args[2]:args[3]], omitted parts null
    Call,         // args[0](args[1..]) with arg_names for args[1..] ("" = positional)
    Filter,       // args[0] | name(args[1..]); args[0] null in a {% filter %} block
    Test,         // args[0] is [not] name(args[1..])
    Unary,        // op args[0]
    Binary,       // args[0] op args[1]
    And,          // args[0] and args[1]
    Or,           // args[0] or args[1]
    Conditional,  // args[0] if args[1] else args[2]; args[2] null: undefined when false
};

enum class Op : uint8_t {
    None,
    Not,
    Neg,
    Pos,  // unary
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    ExprKind kind = ExprKind::Literal;
    Op op = Op::None;
    bool negate = false;  // Test: `is not`
    uint32_t height = 1;  // 1 + the height of the tallest child
    SourcePos pos;
    std::string name;  // Name, Attr, Filter and Test names
    Value literal;     // Literal (a scalar or a string)
    std::vector<ExprPtr> args;
    std::vector<std::string> arg_names;  // Call, Filter, Test: keyword names of args[1..], "" if positional
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class StmtKind : uint8_t {
    Text,         // text
    Output,       // {{ expr }}
    If,           // branches (condition, body), then else_body
    For,          // for target in expr [if cond]: body, else_body
    Set,          // set target = expr
    SetBlock,     // set target: body
    Macro,        // macro name(params): body
    CallBlock,    // call(params) expr: body (the caller)
    FilterBlock,  // filter expr: body
    Break,
    Continue,
};

struct Param {
    std::string name;
    ExprPtr default_value;  // null: none given
};

struct Stmt {
    StmtKind kind = StmtKind::Text;
    SourcePos pos;
    std::string text;  // Text; Macro: its name
    ExprPtr expr;
    ExprPtr target;  // For, Set, SetBlock: a Name, a Tuple of Names, or an Attr of a Name
    ExprPtr cond;    // For: the `if` filter
    std::vector<std::pair<ExprPtr, Body>> branches;
    Body body;
    Body else_body;
    std::vector<Param> params;
};

struct Program {
    std::string origin;  // for error messages: "tokenizer.chat_template", a file path, a built-in's name
    Body body;
};

}  // namespace chord::chat

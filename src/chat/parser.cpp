// Recursive-descent parser for the chat-template Jinja subset (see parser.h).
#include "chat/parser.h"

#include <algorithm>
#include <initializer_list>

#include "chat/lexer.h"

namespace chord::chat {
namespace {

class Parser {
  public:
    Parser(std::vector<Token> tokens, const std::string& origin)
        : tokens_(std::move(tokens)), origin_(origin) {}

    Program run() {
        Program program;
        program.origin = origin_;
        program.body = body({}, nullptr);
        return program;
    }

  private:
    // ---- tokens -------------------------------------------------------------------------------------

    const Token& peek(size_t ahead = 0) const { return tokens_[std::min(at_ + ahead, tokens_.size() - 1)]; }
    const Token& advance() {
        const Token& t = peek();
        if (at_ < tokens_.size() - 1) ++at_;
        return t;
    }
    bool is_op(std::string_view op, size_t ahead = 0) const {
        return peek(ahead).type == TokenType::Operator && peek(ahead).text == op;
    }
    bool is_name(std::string_view name, size_t ahead = 0) const {
        return peek(ahead).type == TokenType::Name && peek(ahead).text == name;
    }
    bool accept_op(std::string_view op) {
        if (!is_op(op)) return false;
        advance();
        return true;
    }
    bool accept_name(std::string_view name) {
        if (!is_name(name)) return false;
        advance();
        return true;
    }

    static std::string describe(const Token& t) {
        switch (t.type) {
            case TokenType::Text:
                return "template text";
            case TokenType::BlockBegin:
                return "'{%'";
            case TokenType::BlockEnd:
                return "'%}'";
            case TokenType::VarBegin:
                return "'{{'";
            case TokenType::VarEnd:
                return "'}}'";
            case TokenType::String:
                return "a string";
            case TokenType::Integer:
            case TokenType::Float:
                return "number " + t.text;
            case TokenType::End:
                return "the end of the template";
            default:
                return "'" + t.text + "'";
        }
    }

    [[noreturn]] void fail(const Token& t, const std::string& what,
                           ErrorCode code = ErrorCode::Format) const {
        throw_at(code, origin_, t.pos, what);
    }
    [[noreturn]] void unexpected(const std::string& wanted) const {
        fail(peek(), "expected " + wanted + ", found " + describe(peek()));
    }
    void expect_op(std::string_view op) {
        if (!accept_op(op)) unexpected("'" + std::string(op) + "'");
    }
    std::string expect_name() {
        if (peek().type != TokenType::Name) unexpected("a name");
        return advance().text;
    }
    void expect_block_end() {
        if (peek().type != TokenType::BlockEnd) unexpected("'%}'");
        advance();
    }

    // ---- statements ---------------------------------------------------------------------------------

    // Parses until {% NAME %} for one of `ends` (consuming "{%" and NAME, which goes to *which), or, with
    // no ends, to the end of the template.
    Body body(std::initializer_list<std::string_view> ends, std::string* which,
              const Token* opener = nullptr) {
        Body out;
        while (true) {
            const Token& t = peek();
            switch (t.type) {
                case TokenType::End:
                    if (ends.size() == 0) return out;
                    // The last of `ends` is always the block's own end tag.
                    fail(*opener, "'{% " + opener->text + " %}' is never closed: expected '{% " +
                                      std::string(*(ends.end() - 1)) + " %}'");
                case TokenType::Text: {
                    auto s = std::make_unique<Stmt>();
                    s->kind = StmtKind::Text;
                    s->pos = t.pos;
                    s->text = advance().text;
                    out.push_back(std::move(s));
                    break;
                }
                case TokenType::VarBegin: {
                    auto s = std::make_unique<Stmt>();
                    s->kind = StmtKind::Output;
                    s->pos = advance().pos;
                    s->expr = tuple_or_expression();
                    if (peek().type != TokenType::VarEnd) unexpected("'}}'");
                    advance();
                    out.push_back(std::move(s));
                    break;
                }
                case TokenType::BlockBegin: {
                    const Token& name = peek(1);
                    if (name.type == TokenType::Name &&
                        std::find(ends.begin(), ends.end(), std::string_view(name.text)) != ends.end()) {
                        advance();
                        *which = advance().text;
                        return out;
                    }
                    if (StmtPtr s = statement()) out.push_back(std::move(s));
                    break;
                }
                default:
                    unexpected("template text or a tag");
            }
        }
    }

    struct NestingGuard {
        NestingGuard(Parser& p, const Token& at) : parser(p) {
            if (++parser.nesting_ > kMaxStatementNesting)
                parser.fail(at, "blocks nest deeper than " + std::to_string(kMaxStatementNesting) + " levels",
                            ErrorCode::Unsupported);
        }
        ~NestingGuard() { --parser.nesting_; }
        Parser& parser;
    };

    // After "{%": one statement, through its end tag. Null for tags that produce nothing.
    StmtPtr statement() {
        advance();  // {%
        if (peek().type != TokenType::Name) unexpected("a statement name");
        const Token& keyword = advance();
        NestingGuard guard(*this, keyword);
        auto s = std::make_unique<Stmt>();
        s->pos = keyword.pos;
        const std::string& k = keyword.text;
        if (k == "if") return if_statement(std::move(s), keyword);
        if (k == "for") return for_statement(std::move(s), keyword);
        if (k == "set") return set_statement(std::move(s), keyword);
        if (k == "macro") return macro_statement(std::move(s), keyword);
        if (k == "call") return call_statement(std::move(s), keyword);
        if (k == "filter") return filter_statement(std::move(s), keyword);
        if (k == "break" || k == "continue") {
            if (loops_ == 0) fail(keyword, "'{% " + k + " %}' outside a for loop");
            s->kind = k == "break" ? StmtKind::Break : StmtKind::Continue;
            expect_block_end();
            return s;
        }
        // Hugging Face's marker for the tokens an assistant produced: no output of its own.
        if (k == "generation" || k == "endgeneration") {
            expect_block_end();
            return nullptr;
        }
        static constexpr std::string_view kEnds[] = {"endif",     "endfor", "endset", "endmacro", "endcall",
                                                     "endfilter", "elif",   "else",   "endraw"};
        for (std::string_view e : kEnds)
            if (k == e) fail(keyword, "unexpected '{% " + k + " %}' with no block to close");
        fail(keyword, "unsupported statement '{% " + k + " %}'", ErrorCode::Unsupported);
    }

    StmtPtr if_statement(StmtPtr s, const Token& keyword) {
        s->kind = StmtKind::If;
        ExprPtr cond = expression();
        expect_block_end();
        while (true) {
            std::string which;
            Body b = body({"elif", "else", "endif"}, &which, &keyword);
            s->branches.emplace_back(std::move(cond), std::move(b));
            if (which == "elif") {
                cond = expression();
                expect_block_end();
                continue;
            }
            if (which == "else") {
                expect_block_end();
                s->else_body = body({"endif"}, &which, &keyword);
            }
            expect_block_end();
            return s;
        }
    }

    // A name, or names separated by commas (optionally in parentheses): what for and set assign to.
    ExprPtr assign_target(bool allow_attr) {
        const bool paren = accept_op("(");
        std::vector<ExprPtr> names;
        do {
            const Token& t = peek();
            auto e = leaf(ExprKind::Name, t.pos);
            e->name = expect_name();
            if (allow_attr && !paren && names.empty() && accept_op(".")) {
                auto attr = leaf(ExprKind::Attr, e->pos);
                attr->name = expect_name();
                attr->args.push_back(std::move(e));
                if (is_op(".") || is_op("["))
                    fail(peek(), "only one level of attribute can be assigned: '{% set ns.attr = ... %}'",
                         ErrorCode::Unsupported);
                return attr;
            }
            names.push_back(std::move(e));
        } while (accept_op(","));
        if (paren) expect_op(")");
        if (names.size() == 1 && !paren) return std::move(names[0]);
        auto tuple = leaf(ExprKind::Tuple, names[0]->pos);
        tuple->args = std::move(names);
        return tuple;
    }

    StmtPtr for_statement(StmtPtr s, const Token& keyword) {
        s->kind = StmtKind::For;
        s->target = assign_target(false);
        if (!accept_name("in")) unexpected("'in'");
        s->expr = or_expression();
        if (accept_name("if")) s->cond = expression();
        if (is_name("recursive"))
            fail(peek(), "recursive for loops are not supported", ErrorCode::Unsupported);
        expect_block_end();
        std::string which;
        ++loops_;
        s->body = body({"else", "endfor"}, &which, &keyword);
        --loops_;
        if (which == "else") {
            expect_block_end();
            s->else_body = body({"endfor"}, &which, &keyword);
        }
        expect_block_end();
        return s;
    }

    StmtPtr set_statement(StmtPtr s, const Token& keyword) {
        s->target = assign_target(true);
        if (accept_op("=")) {
            s->kind = StmtKind::Set;
            s->expr = tuple_or_expression();
            expect_block_end();
            return s;
        }
        if (is_op("|")) fail(peek(), "filters on {% set %} blocks are not supported", ErrorCode::Unsupported);
        s->kind = StmtKind::SetBlock;
        expect_block_end();
        std::string which;
        s->body = body({"endset"}, &which, &keyword);
        expect_block_end();
        return s;
    }

    std::vector<Param> params() {
        std::vector<Param> out;
        expect_op("(");
        while (!accept_op(")")) {
            Param p;
            const Token& at = peek();
            p.name = expect_name();
            for (const Param& q : out)
                if (q.name == p.name) fail(at, "parameter '" + p.name + "' given twice");
            if (accept_op("="))
                p.default_value = expression();
            else if (!out.empty() && out.back().default_value)
                fail(at, "parameter '" + p.name + "' without a default follows one with a default");
            out.push_back(std::move(p));
            if (!accept_op(",")) {
                expect_op(")");
                break;
            }
        }
        return out;
    }

    StmtPtr macro_statement(StmtPtr s, const Token& keyword) {
        s->kind = StmtKind::Macro;
        s->text = expect_name();
        s->params = params();
        expect_block_end();
        const size_t loops = loops_;
        loops_ = 0;  // a macro's body is a function of its own: break cannot leave it
        std::string which;
        s->body = body({"endmacro"}, &which, &keyword);
        loops_ = loops;
        if (peek().type == TokenType::Name) advance();  // {% endmacro name %}
        expect_block_end();
        return s;
    }

    StmtPtr call_statement(StmtPtr s, const Token& keyword) {
        s->kind = StmtKind::CallBlock;
        if (is_op("(")) s->params = params();
        s->expr = expression();
        if (s->expr->kind != ExprKind::Call)
            fail(keyword, "'{% call %}' needs a macro call, like '{% call m(x) %}'");
        expect_block_end();
        const size_t loops = loops_;
        loops_ = 0;
        std::string which;
        s->body = body({"endcall"}, &which, &keyword);
        loops_ = loops;
        expect_block_end();
        return s;
    }

    StmtPtr filter_statement(StmtPtr s, const Token& keyword) {
        s->kind = StmtKind::FilterBlock;
        ExprPtr chain;  // Filter nodes whose innermost operand is null: the block's text
        do chain = filter(std::move(chain));
        while (accept_op("|"));
        s->expr = std::move(chain);
        expect_block_end();
        std::string which;
        s->body = body({"endfilter"}, &which, &keyword);
        expect_block_end();
        return s;
    }

    // ---- expressions --------------------------------------------------------------------------------

    ExprPtr leaf(ExprKind kind, SourcePos pos) {
        auto e = std::make_unique<Expr>();
        e->kind = kind;
        e->pos = pos;
        return e;
    }

    // Attaches children and checks the height of the tree: long operator chains build deep trees
    // without deep parsing, so the bound is on the tree itself.
    ExprPtr node(ExprKind kind, SourcePos pos, std::vector<ExprPtr> args, Op op = Op::None) {
        auto e = leaf(kind, pos);
        e->op = op;
        e->args = std::move(args);
        finish(*e);
        return e;
    }
    void finish(Expr& e) {
        uint32_t h = 0;
        for (const auto& a : e.args)
            if (a) h = std::max(h, a->height);
        e.height = h + 1;
        if (e.height > kMaxExpressionHeight)
            throw_at(ErrorCode::Unsupported, origin_, e.pos,
                     "expression nests deeper than " + std::to_string(kMaxExpressionHeight) + " levels");
    }
    static std::vector<ExprPtr> pair(ExprPtr a, ExprPtr b) {
        std::vector<ExprPtr> v;
        v.push_back(std::move(a));
        v.push_back(std::move(b));
        return v;
    }

    struct DepthGuard {
        explicit DepthGuard(Parser& p) : parser(p) {
            if (++parser.depth_ > kMaxExpressionHeight)
                parser.fail(
                    parser.peek(),
                    "expression nests deeper than " + std::to_string(kMaxExpressionHeight) + " levels",
                    ErrorCode::Unsupported);
        }
        ~DepthGuard() { --parser.depth_; }
        Parser& parser;
    };

    // `a, b` outside brackets is a tuple in {{ }} and on the right of {% set %}.
    ExprPtr tuple_or_expression() {
        const SourcePos pos = peek().pos;
        ExprPtr first = expression();
        if (!is_op(",")) return first;
        std::vector<ExprPtr> items;
        items.push_back(std::move(first));
        while (accept_op(",")) {
            if (peek().type == TokenType::BlockEnd || peek().type == TokenType::VarEnd) break;
            items.push_back(expression());
        }
        return node(ExprKind::Tuple, pos, std::move(items));
    }

    ExprPtr expression() {
        DepthGuard guard(*this);
        ExprPtr value = or_expression();
        if (!is_name("if")) return value;
        const SourcePos pos = advance().pos;
        ExprPtr cond = or_expression();
        ExprPtr otherwise = accept_name("else") ? expression() : nullptr;
        std::vector<ExprPtr> args = pair(std::move(value), std::move(cond));
        args.push_back(std::move(otherwise));
        return node(ExprKind::Conditional, pos, std::move(args));
    }

    ExprPtr or_expression() {
        ExprPtr left = and_expression();
        while (is_name("or")) {
            const SourcePos pos = advance().pos;
            left = node(ExprKind::Or, pos, pair(std::move(left), and_expression()));
        }
        return left;
    }

    ExprPtr and_expression() {
        ExprPtr left = not_expression();
        while (is_name("and")) {
            const SourcePos pos = advance().pos;
            left = node(ExprKind::And, pos, pair(std::move(left), not_expression()));
        }
        return left;
    }

    ExprPtr not_expression() {
        if (!is_name("not")) return comparison();
        DepthGuard guard(*this);
        const SourcePos pos = advance().pos;
        std::vector<ExprPtr> args;
        args.push_back(not_expression());
        return node(ExprKind::Unary, pos, std::move(args), Op::Not);
    }

    ExprPtr comparison() {
        ExprPtr left = additive();
        while (true) {
            Op op = Op::None;
            const Token& t = peek();
            if (t.type == TokenType::Operator) {
                if (t.text == "==")
                    op = Op::Eq;
                else if (t.text == "!=")
                    op = Op::Ne;
                else if (t.text == "<")
                    op = Op::Lt;
                else if (t.text == "<=")
                    op = Op::Le;
                else if (t.text == ">")
                    op = Op::Gt;
                else if (t.text == ">=")
                    op = Op::Ge;
            } else if (is_name("in")) {
                op = Op::In;
            } else if (is_name("not") && is_name("in", 1)) {
                op = Op::NotIn;
                advance();
            }
            if (op == Op::None) return left;
            const SourcePos pos = advance().pos;
            left = node(ExprKind::Binary, pos, pair(std::move(left), additive()), op);
        }
    }

    ExprPtr binary_level(ExprPtr (Parser::*operand)(),
                         std::initializer_list<std::pair<std::string_view, Op>> ops) {
        ExprPtr left = (this->*operand)();
        while (true) {
            Op op = Op::None;
            if (peek().type == TokenType::Operator)
                for (const auto& [text, o] : ops)
                    if (peek().text == text) op = o;
            if (op == Op::None) return left;
            const SourcePos pos = advance().pos;
            left = node(ExprKind::Binary, pos, pair(std::move(left), (this->*operand)()), op);
        }
    }
    ExprPtr additive() {
        return binary_level(&Parser::multiplicative, {{"+", Op::Add}, {"-", Op::Sub}, {"~", Op::Concat}});
    }
    ExprPtr multiplicative() {
        return binary_level(&Parser::power,
                            {{"*", Op::Mul}, {"/", Op::Div}, {"//", Op::FloorDiv}, {"%", Op::Mod}});
    }
    ExprPtr power() { return binary_level(&Parser::unary_with_filters, {{"**", Op::Pow}}); }
    ExprPtr unary_with_filters() { return unary(true); }

    // Jinja binds a sign to its operand before filters: `-x|abs` is abs(-x).
    ExprPtr unary(bool with_filters) {
        DepthGuard guard(*this);
        ExprPtr e;
        if (is_op("-") || is_op("+")) {
            const Token& t = advance();
            std::vector<ExprPtr> args;
            args.push_back(unary(false));
            e = node(ExprKind::Unary, t.pos, std::move(args), t.text == "-" ? Op::Neg : Op::Pos);
        } else {
            e = postfix(primary());
        }
        return with_filters ? filters_and_tests(std::move(e)) : std::move(e);
    }

    ExprPtr filter(ExprPtr operand) {
        const Token& at = peek();
        auto e = leaf(ExprKind::Filter, at.pos);
        e->name = expect_name();
        while (is_op(".") && peek(1).type == TokenType::Name) {  // dotted filter names
            advance();
            e->name += "." + advance().text;
        }
        e->args.push_back(std::move(operand));
        if (is_op("(")) call_arguments(*e);
        finish(*e);
        return e;
    }

    bool starts_test_argument() const {
        const Token& t = peek();
        switch (t.type) {
            case TokenType::String:
            case TokenType::Integer:
            case TokenType::Float:
                return true;
            case TokenType::Name:
                return t.text != "else" && t.text != "or" && t.text != "and" && t.text != "if" &&
                       t.text != "is" && t.text != "in" && t.text != "not";
            case TokenType::Operator:
                return t.text == "[" || t.text == "{";
            default:
                return false;
        }
    }

    ExprPtr filters_and_tests(ExprPtr e) {
        while (true) {
            if (accept_op("|")) {
                e = filter(std::move(e));
            } else if (is_name("is")) {
                const SourcePos pos = advance().pos;
                auto t = leaf(ExprKind::Test, pos);
                t->negate = accept_name("not");
                t->name = expect_name();
                t->args.push_back(std::move(e));
                if (is_op("("))
                    call_arguments(*t);
                else if (starts_test_argument()) {
                    t->args.push_back(postfix(primary()));
                    t->arg_names.emplace_back();
                }
                finish(*t);
                e = std::move(t);
            } else {
                return e;
            }
        }
    }

    // "(a, b, key=c)" appended to e.args (after whatever is there), names to e.arg_names.
    void call_arguments(Expr& e) {
        expect_op("(");
        bool keywords = false;
        while (!accept_op(")")) {
            if (is_op("*") || is_op("**"))
                fail(peek(), "argument unpacking (* and **) is not supported", ErrorCode::Unsupported);
            if (peek().type == TokenType::Name && is_op("=", 1)) {
                e.arg_names.push_back(advance().text);
                advance();
                keywords = true;
            } else {
                if (keywords) fail(peek(), "positional argument after a keyword argument");
                e.arg_names.emplace_back();
            }
            e.args.push_back(expression());
            if (!accept_op(",")) {
                expect_op(")");
                break;
            }
        }
    }

    ExprPtr postfix(ExprPtr e) {
        while (true) {
            const Token& t = peek();
            if (accept_op(".")) {
                if (peek().type == TokenType::Integer) {
                    auto index = leaf(ExprKind::Literal, peek().pos);
                    index->literal = Value::integer(advance().int_value);
                    e = node(ExprKind::Index, t.pos, pair(std::move(e), std::move(index)));
                } else {
                    auto attr = leaf(ExprKind::Attr, t.pos);
                    attr->name = expect_name();
                    attr->args.push_back(std::move(e));
                    finish(*attr);
                    e = std::move(attr);
                }
            } else if (accept_op("[")) {
                e = subscript(std::move(e), t.pos);
            } else if (is_op("(")) {
                auto call = leaf(ExprKind::Call, t.pos);
                call->args.push_back(std::move(e));
                call_arguments(*call);
                finish(*call);
                e = std::move(call);
            } else {
                return e;
            }
        }
    }

    // After "[": an index or a slice.
    ExprPtr subscript(ExprPtr object, SourcePos pos) {
        ExprPtr parts[3];
        size_t colons = 0;
        if (!is_op(":")) parts[0] = expression();
        while (colons < 2 && accept_op(":")) {
            ++colons;
            if (!is_op(":") && !is_op("]")) parts[colons] = expression();
        }
        expect_op("]");
        if (colons == 0) {
            if (!parts[0]) unexpected("an index");
            return node(ExprKind::Index, pos, pair(std::move(object), std::move(parts[0])));
        }
        std::vector<ExprPtr> args;
        args.push_back(std::move(object));
        for (auto& p : parts) args.push_back(std::move(p));
        return node(ExprKind::Slice, pos, std::move(args));
    }

    ExprPtr primary() {
        const Token& t = peek();
        switch (t.type) {
            case TokenType::Name: {
                advance();
                auto e = leaf(ExprKind::Literal, t.pos);
                if (t.text == "true" || t.text == "True")
                    e->literal = Value::boolean(true);
                else if (t.text == "false" || t.text == "False")
                    e->literal = Value::boolean(false);
                else if (t.text == "none" || t.text == "None")
                    e->literal = Value::none();
                else {
                    e->kind = ExprKind::Name;
                    e->name = t.text;
                }
                return e;
            }
            case TokenType::String: {
                auto e = leaf(ExprKind::Literal, t.pos);
                std::string s = advance().text;
                while (peek().type == TokenType::String) s += advance().text;  // 'a' 'b' is 'ab'
                e->literal = Value::string(std::move(s));
                return e;
            }
            case TokenType::Integer: {
                auto e = leaf(ExprKind::Literal, t.pos);
                e->literal = Value::integer(advance().int_value);
                return e;
            }
            case TokenType::Float: {
                auto e = leaf(ExprKind::Literal, t.pos);
                e->literal = Value::real(advance().float_value);
                return e;
            }
            case TokenType::Operator:
                break;
            default:
                unexpected("an expression");
        }
        DepthGuard guard(*this);
        if (accept_op("(")) {
            if (accept_op(")")) return node(ExprKind::Tuple, t.pos, {});
            ExprPtr first = expression();
            if (accept_op(")")) return first;
            std::vector<ExprPtr> items;
            items.push_back(std::move(first));
            while (accept_op(",")) {
                if (is_op(")")) break;
                items.push_back(expression());
            }
            expect_op(")");
            return node(ExprKind::Tuple, t.pos, std::move(items));
        }
        if (accept_op("[")) {
            std::vector<ExprPtr> items;
            while (!accept_op("]")) {
                items.push_back(expression());
                if (!accept_op(",")) {
                    expect_op("]");
                    break;
                }
            }
            return node(ExprKind::List, t.pos, std::move(items));
        }
        if (accept_op("{")) {
            std::vector<ExprPtr> items;
            while (!accept_op("}")) {
                items.push_back(expression());
                expect_op(":");
                items.push_back(expression());
                if (!accept_op(",")) {
                    expect_op("}");
                    break;
                }
            }
            return node(ExprKind::Dict, t.pos, std::move(items));
        }
        unexpected("an expression");
    }

    std::vector<Token> tokens_;
    const std::string& origin_;
    size_t at_ = 0;
    size_t nesting_ = 0;  // statements open
    size_t depth_ = 0;    // expression recursion
    size_t loops_ = 0;    // for loops open in the current macro (or at top level)
};

}  // namespace

Program parse_template(std::string_view source, const std::string& origin) {
    return Parser(tokenize(source, origin), origin).run();
}

}  // namespace chord::chat

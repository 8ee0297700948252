// The chat-template parser: tokens to a Program (ast.h) by recursive descent, with Jinja's operator
// precedence (except that + - ~ share one level, as in the reference renderer). Statements it does
// not implement ({% include %}, {% extends %}, {% block %}, {% import %}, recursive loops, ...) are
// refused with a chord::Error (Unsupported) naming line and column; malformed templates get one
// (Format) naming the spot. Nesting is bounded so hostile input cannot exhaust the stack.
#pragma once

#include <string>
#include <string_view>

#include "chat/ast.h"

namespace chord::chat {

constexpr size_t kMaxStatementNesting = 64;   // blocks inside blocks
constexpr size_t kMaxExpressionHeight = 128;  // operators and calls inside each other in one expression

Program parse_template(std::string_view source, const std::string& origin);

}  // namespace chord::chat

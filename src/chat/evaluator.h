// The chat-template evaluator: runs a parsed Program against a set of variables and returns the
// rendered text. Scoping follows the reference renderer: a for loop opens a scope, if does not, and a
// macro's body sees the variables of the place it is called from (plus its parameters). Every
// statement, expression, loop iteration and copied byte is counted against the Ctx's limits, and a
// failure is reported as a chord::Error naming the template's origin, line and column.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "chat/ast.h"
#include "chat/context.h"

namespace chord::chat {

std::string render(const Program& program, Ctx& ctx, std::vector<std::pair<std::string, Value>> variables);

}  // namespace chord::chat

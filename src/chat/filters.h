// Jinja filters (`x | name(args)`) and tests (`x is name(args)`) of the chat-template interpreter: the
// ones real chat templates use (trim, tojson, length, default, join, items, dictsort, selectattr, map,
// replace, indent, from_json, ...) with jinja2's arguments, and output that matches the reference
// renderer. An unknown name is a chord::Error (Unsupported) that names it.
#pragma once

#include <string_view>

#include "chat/context.h"

namespace chord::chat {

Value apply_filter(Ctx& ctx, std::string_view name, const Value& operand, Args& args);
bool apply_test(Ctx& ctx, std::string_view name, const Value& operand, Args& args);

// Python's str.replace(old, new, count) on `s`: the replace filter and the string method.
Value replace_string(Ctx& ctx, const std::string& s, const Args& args);

}  // namespace chord::chat

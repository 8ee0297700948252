// Methods called on values in chat templates: Python's str methods (strip, split, startswith,
// replace, format, ...), list methods (append, pop, index, ...) and dict methods (get, items, keys,
// values). Mutating a list is allowed because templates keep queues in namespaces that way. An unknown
// method is a chord::Error (Unsupported) that names it and the receiver's type.
#pragma once

#include <string_view>

#include "chat/context.h"

namespace chord::chat {

Value call_method(Ctx& ctx, const Value& self, std::string_view name, Args& args);
// Whether `self.name` names a method (so that `x.items` without a call is a bound method).
bool has_method(const Value& self, std::string_view name);

}  // namespace chord::chat

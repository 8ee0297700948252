// The global functions a chat template can call: range, namespace, dict, raise_exception (which
// becomes a chord::Error carrying the template's message) and strftime_now (the local date, or the
// fixed one a caller chose).
#pragma once

#include <string_view>

#include "chat/context.h"

namespace chord::chat {

struct GlobalFunction {
    std::string_view name;
    BuiltinFn fn;
};

extern const GlobalFunction kGlobalFunctions[5];

// strftime with the C locale's English names, for `now`.
std::string format_time(std::string_view format, const DateTime& now);

}  // namespace chord::chat

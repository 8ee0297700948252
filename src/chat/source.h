// Where things are in a chat template's source, and the one way the interpreter reports a problem
// there: "ORIGIN:LINE:COLUMN: what" (ORIGIN is "tokenizer.chat_template", a file path or a built-in's
// name), as a chord::Error, the way compilers name a spot so editors and people can jump to it.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"

namespace chord::chat {

struct SourcePos {
    uint32_t line = 0;    // 1-based; 0 when unknown
    uint32_t column = 0;  // 1-based, in characters
};

inline std::string describe_pos(const std::string& origin, SourcePos pos) {
    if (pos.line == 0) return origin + ": ";
    return origin + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": ";
}

[[noreturn]] inline void throw_at(ErrorCode code, const std::string& origin, SourcePos pos,
                                  const std::string& what) {
    throw Error(code, describe_pos(origin, pos) + what);
}

}  // namespace chord::chat

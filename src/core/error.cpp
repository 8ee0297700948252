// Names of error codes and the helper that formats byte-offset errors.
#include "core/error.h"

namespace chord {

const char* error_code_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::Io:
            return "io";
        case ErrorCode::Format:
            return "format";
        case ErrorCode::Unsupported:
            return "unsupported";
        case ErrorCode::InvalidArgument:
            return "invalid_argument";
        case ErrorCode::Missing:
            return "missing";
        case ErrorCode::OutOfMemory:
            return "out_of_memory";
    }
    return "unknown";
}

void throw_format_error(const std::string& what, uint64_t byte_offset) {
    throw Error(ErrorCode::Format, what + " (at byte " + std::to_string(byte_offset) + ")");
}

}  // namespace chord

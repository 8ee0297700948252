// chord::Error: the one error type of the core library. It carries a code (what kind of failure), a
// message that names what was wrong (file, byte offset, key, tensor), and never aborts the process.
// The C++ core throws it on cold paths only (loading, parsing, option checks); the C ABI turns it
// into a status code plus a last-error message, and JavaScript into a ChordError.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace chord {

enum class ErrorCode : int {
    Io = 1,           // a file could not be opened, mapped or read
    Format,           // the bytes are not a valid GGUF (or other input format)
    Unsupported,      // valid input that wasm-chord cannot run (architecture, tensor type)
    InvalidArgument,  // a bad option or argument from the caller
    Missing,          // a required key or tensor is absent
    OutOfMemory,      // an allocation the input asked for was refused
};

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
  public:
    Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ErrorCode code() const { return code_; }

  private:
    ErrorCode code_;
};

// "what (at byte N)": the form every format error takes, so users can find the spot in a hex dump.
[[noreturn]] void throw_format_error(const std::string& what, uint64_t byte_offset);

}  // namespace chord

// Ctrl-C for `chord run` and `chord chat`: while a Generator is registered, SIGINT aborts its run
// (Generator::abort is async-signal-safe); otherwise it wakes read_line(), which reports Interrupted,
// so the chat can tell "stop this answer" from "leave". POSIX only (the CLI is native).
#pragma once

#include <string>

#include "runtime/generator.h"

namespace chord::cli {

// Installs the SIGINT handler (without SA_RESTART, so a blocked read is woken).
void install_interrupt_handler();

// The generator Ctrl-C aborts, or nullptr between runs.
void set_interruptible(runtime::Generator* generator);

// Forgets a Ctrl-C that arrived while nothing listened (just after a run ended).
void drop_pending_interrupts();

enum class ReadResult { Line, Interrupted, Eof };

// The next line of stdin without its newline. Interrupted when Ctrl-C came first; Eof at the end
// of input (a last unterminated line is still returned as a Line first).
ReadResult read_line(std::string& line);

}  // namespace chord::cli

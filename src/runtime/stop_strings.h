// runtime::StopStrings: cuts generated text at the first of a set of stop strings. Text that could
// still turn out to be the beginning of a stop string is held back until it can no longer match, so a
// stop string split across tokens never leaks to the caller, and the stop string itself is dropped.
// Works on bytes; fed complete UTF-8 characters (StreamDecoder's output) it releases complete ones.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chord::runtime {

class StopStrings {
  public:
    explicit StopStrings(std::vector<std::string> stops = {});

    // Adds `text`; appends to `out` what can be released now. Returns true when a stop string is
    // complete: `out` then ends just before it and everything after it is dropped.
    bool feed(std::string_view text, std::string& out);
    // Appends what is still held back (the text ended without completing a stop string).
    void flush(std::string& out);
    void clear() { held_.clear(); }

    bool empty() const { return stops_.empty(); }

  private:
    size_t hold_length() const;  // longest suffix of held_ that begins some stop string

    std::vector<std::string> stops_;  // non-empty ones only
    std::string held_;
};

}  // namespace chord::runtime

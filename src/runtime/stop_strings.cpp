// StopStrings (see stop_strings.h).
#include "runtime/stop_strings.h"

#include <algorithm>

namespace chord::runtime {

StopStrings::StopStrings(std::vector<std::string> stops) {
    for (std::string& s : stops)
        if (!s.empty()) stops_.push_back(std::move(s));
}

bool StopStrings::feed(std::string_view text, std::string& out) {
    if (stops_.empty()) {
        out += text;
        return false;
    }
    // Only the held-back tail plus the new text can contain a match: released text was checked.
    held_ += text;
    size_t first = std::string::npos;
    for (const std::string& s : stops_) first = std::min(first, held_.find(s));
    if (first != std::string::npos) {
        out.append(held_, 0, first);
        held_.clear();
        return true;
    }
    const size_t release = held_.size() - hold_length();
    out.append(held_, 0, release);
    held_.erase(0, release);
    return false;
}

void StopStrings::flush(std::string& out) {
    out += held_;
    held_.clear();
}

size_t StopStrings::hold_length() const {
    size_t best = 0;
    const std::string_view held = held_;
    for (const std::string& s : stops_)
        for (size_t n = std::min(held.size(), s.size() - 1); n > best; --n)
            if (held.substr(held.size() - n) == std::string_view(s).substr(0, n)) {
                best = n;
                break;
            }
    return best;
}

}  // namespace chord::runtime

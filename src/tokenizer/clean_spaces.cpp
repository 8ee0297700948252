// The three passes of clean_up_spaces. Each pass looks at the byte before the current one in its own
// input; the second pass also blanks the space after a " ' " it removes, so that space cannot start
// another match (llama.cpp writes a NUL there and skips it).
#include "tokenizer/clean_spaces.h"

namespace chord::tokenizer {
namespace {

bool is_closing_punct(char c) {
    return c == '?' || c == '!' || c == '.' || c == ',';
}

}  // namespace

std::string clean_up_spaces(std::string_view text) {
    if (text.empty()) return {};

    // " ?" " !" " ." " ," -> drop the space.
    std::string a(1, text[0]);
    for (size_t i = 1; i < text.size(); ++i) {
        if (text[i - 1] == ' ' && is_closing_punct(text[i])) a.pop_back();
        a.push_back(text[i]);
    }

    // " ' " -> "'".
    std::string b(1, a[0]);
    for (size_t i = 1; i < a.size(); ++i) {
        const char x = a[i];
        if (x == '\'' && i + 1 < a.size() && a[i - 1] == ' ' && a[i + 1] == ' ') {
            b.pop_back();
            b.push_back(x);
            a[i + 1] = '\0';
            ++i;
            continue;
        }
        b.push_back(x);
    }

    // " 's" " 'm" " 're" " 've" -> drop the space (" 't", " 'd", " 'll" keep it).
    std::string c(1, b[0]);
    for (size_t i = 1; i < b.size(); ++i) {
        const char x = b[i];
        if (b[i - 1] == ' ' && x == '\'' && i + 1 < b.size()) {
            const char x1 = b[i + 1];
            const char x2 = i + 2 < b.size() ? b[i + 2] : '\0';
            const bool drop = x1 == 's' || x1 == 'm' ||
                              (i + 2 < b.size() && x1 != 't' && x1 != 'd' &&
                               ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')));
            if (drop) c.pop_back();
        }
        c.push_back(x);
    }
    return c;
}

}  // namespace chord::tokenizer

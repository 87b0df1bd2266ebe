#include "dialog/text.hpp"

#include <array>

namespace triage::dialog::text {

namespace {

// U+00C0..U+00FF (UTF-8: 0xC3 0x80..0xBF) folded to ASCII; "" means separator.
constexpr std::array<const char*, 64> latin1_fold = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   // C0..CF
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",  // D0..DF
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   // E0..EF
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",   // F0..FF
};

bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || static_cast<unsigned char>(c) >= 0x80;
}

void push_separator(std::string& out) {
    if (!out.empty() && out.back() != ' ') out.push_back(' ');
}

}  // namespace

std::string fold(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        auto c = static_cast<unsigned char>(in[i]);
        if (c < 0x80) {
            if (c >= 'A' && c <= 'Z') out.push_back(static_cast<char>(c - 'A' + 'a'));
            else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out.push_back(static_cast<char>(c));
            else push_separator(out);
            continue;
        }
        if (c == 0xC3 && i + 1 < in.size()) {
            auto d = static_cast<unsigned char>(in[i + 1]);
            if (d >= 0x80 && d <= 0xBF) {
                const char* f = latin1_fold[d - 0x80];
                if (*f) out += f;
                else push_separator(out);
                ++i;
                continue;
            }
        }
        if (c == 0xC2 && i + 1 < in.size()) {
            // U+0080..U+00BF are controls, spaces and symbols (¡ ¿ « » °): never part of a word.
            auto d = static_cast<unsigned char>(in[i + 1]);
            if (d >= 0x80 && d <= 0xBF) {
                push_separator(out);
                ++i;
                continue;
            }
        }
        if (c == 0xE2 && i + 2 < in.size() && static_cast<unsigned char>(in[i + 1]) == 0x80) {
            // U+2000..U+203F: typographic spaces, zero-width characters, dashes, curly quotes.
            auto d = static_cast<unsigned char>(in[i + 2]);
            if (d >= 0x80 && d <= 0xBF) {
                push_separator(out);
                i += 2;
                continue;
            }
        }
        out.push_back(static_cast<char>(c));
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::vector<std::string_view> words(std::string_view folded) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < folded.size()) {
        while (i < folded.size() && folded[i] == ' ') ++i;
        std::size_t start = i;
        while (i < folded.size() && folded[i] != ' ') ++i;
        if (i > start) out.push_back(folded.substr(start, i - start));
    }
    return out;
}

bool contains_phrase(std::string_view t, std::string_view p) {
    if (p.empty()) return false;
    for (std::size_t pos = t.find(p); pos != std::string_view::npos; pos = t.find(p, pos + 1)) {
        bool starts = pos == 0 || !is_word_char(t[pos - 1]);
        std::size_t after = pos + p.size();
        bool ends = after == t.size() || !is_word_char(t[after]);
        if (starts && ends) return true;
    }
    return false;
}

std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

std::vector<placeholder> placeholders(std::string_view s) {
    std::vector<placeholder> out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '{') continue;
        std::size_t j = i + 1;
        while (j < s.size() && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
                                (s[j] >= '0' && s[j] <= '9') || s[j] == '_'))
            ++j;
        if (j > i + 1 && j < s.size() && s[j] == '}') {
            out.push_back({std::string(s.substr(i + 1, j - i - 1)), i, j + 1});
            i = j;
        }
    }
    return out;
}

}  // namespace triage::dialog::text

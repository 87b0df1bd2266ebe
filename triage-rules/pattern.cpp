#include "triage-rules/pattern.hpp"

#include "triage-rules/normalize.hpp"

namespace triage::rules {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t at = s.find(sep, start);
        out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) return out;
        start = at + 1;
    }
}

// One alternative: words separated by spaces, each normalised on its own so that a trailing '*'
// survives (normalisation turns '*' into a space).
std::string alternative(std::string_view raw, std::string& error) {
    std::string out;
    for (std::string_view word : split(raw, ' ')) {
        if (word.empty()) continue;
        const bool prefix = word.back() == '*';
        if (prefix) word.remove_suffix(1);
        std::string n = normalize(word).text;
        if (n.empty()) {
            if (prefix) error = "'*' must follow a word";
            continue;
        }
        if (prefix) {
            if (n.find(' ') != std::string::npos || n.size() < min_prefix_length) {
                error = "a prefix before '*' needs at least " + std::to_string(min_prefix_length) + " letters";
                return {};
            }
            n += '*';
        }
        if (!out.empty()) out += ' ';
        out += n;
    }
    return out;
}

}  // namespace

parsed_pattern parse_pattern(std::string_view text) {
    parsed_pattern p;
    const auto parts = split(text, '+');
    if (parts.size() > max_proximity_parts) {
        p.error = "at most " + std::to_string(max_proximity_parts) + " parts joined by '+'";
        return p;
    }
    for (std::string_view part : parts) {
        std::vector<std::string> alts;
        for (std::string_view raw : split(part, '|')) {
            std::string a = alternative(raw, p.error);
            if (!p.error.empty()) return p;
            if (a.empty()) {
                p.error = parts.size() > 1 || part.find('|') != std::string_view::npos
                              ? "an empty alternative or part (check '+' and '|')"
                              : "no letters or digits";
                return p;
            }
            alts.push_back(std::move(a));
        }
        if (parts.size() == 1 && alts.size() > 1) {
            p.error = "'|' separates alternatives of a part joined to another by '+'; list plain phrases separately";
            return p;
        }
        p.parts.push_back(std::move(alts));
    }
    for (std::size_t k = 0; k < p.parts.size(); ++k) {
        if (k > 0) p.canonical += " + ";
        for (std::size_t j = 0; j < p.parts[k].size(); ++j) {
            if (j > 0) p.canonical += "|";
            p.canonical += p.parts[k][j];
        }
    }
    return p;
}

}  // namespace triage::rules

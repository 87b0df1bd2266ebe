#include "triage-rules/spelling.hpp"

#include <algorithm>
#include <array>

namespace triage::rules::detail {

bool within_one_edit(std::string_view a, std::string_view b) noexcept {
    if (a.size() > b.size()) std::swap(a, b);
    if (b.size() - a.size() > 1) return false;
    std::size_t i = 0;
    while (i < a.size() && a[i] == b[i]) ++i;
    if (i == a.size()) return true;  // equal, or b has one extra letter at the end
    if (a.size() == b.size()) {
        // One substitution, or two neighbours swapped.
        if (a.substr(i + 1) == b.substr(i + 1)) return true;
        return i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] && a.substr(i + 2) == b.substr(i + 2);
    }
    return a.substr(i) == b.substr(i + 1);  // one insertion into a
}

namespace {

bool eligible(std::string_view w) {
    if (w.size() < min_typo_length || w.size() > max_typo_length) return false;
    // Numbers are doses, ages and temperatures: "38" must never read as "39".
    return std::none_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Calls fn(key) for the word and each string one deletion away from it.
template <class Fn>
void for_each_key(std::string_view w, Fn&& fn) {
    std::array<char, max_typo_length> buf{};
    fn(w);
    for (std::size_t skip = 0; skip < w.size(); ++skip) {
        // Deleting either letter of a double letter gives the same key.
        if (skip > 0 && w[skip] == w[skip - 1]) continue;
        std::size_t n = 0;
        for (std::size_t i = 0; i < w.size(); ++i) {
            if (i != skip) buf[n++] = w[i];
        }
        fn(std::string_view(buf.data(), n));
    }
}

}  // namespace

void spelling_index::add(std::string_view word) {
    if (!eligible(word) || index_of_.count(word) != 0) return;
    const std::size_t id = words_.size();
    words_.emplace_back(word);
    index_of_.emplace(std::string(word), id);
    for_each_key(word, [&](std::string_view key) {
        auto& ids = by_key_[std::string(key)];
        if (ids.empty() || ids.back() != id) ids.push_back(id);
    });
}

bool spelling_index::contains(std::string_view word) const { return index_of_.count(word) != 0; }

void spelling_index::near(std::string_view word, std::vector<std::string_view>& out) const {
    if (!eligible(word) || by_key_.empty()) return;
    const std::size_t first = out.size();
    for_each_key(word, [&](std::string_view key) {
        auto it = by_key_.find(key);
        if (it == by_key_.end()) return;
        for (std::size_t id : it->second) {
            const std::string& candidate = words_[id];
            if (candidate == word || candidate.front() != word.front()) continue;
            if (!within_one_edit(candidate, word)) continue;
            if (std::find(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(), candidate) != out.end()) continue;
            out.emplace_back(candidate);
        }
    });
}

}  // namespace triage::rules::detail

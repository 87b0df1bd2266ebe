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
    return std::none_of(w.begin(), w.end(), [](char c) { return (c >= '0' && c <= '9') || c == '*'; });
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

std::uint32_t fnv1a(std::string_view s) noexcept {
    std::uint32_t h = 2166136261u;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 16777619u;
    }
    return h;
}

}  // namespace

bool spelling_index::maybe_key(std::string_view key) const noexcept {
    const std::uint32_t h = fnv1a(key);
    const std::size_t a = h % filter_bits, b = (h >> 14) % filter_bits;
    return (filter_[a / 64] >> (a % 64) & 1) && (filter_[b / 64] >> (b % 64) & 1);
}

void spelling_index::add(std::string_view word) {
    if (!eligible(word) || index_of_.count(word) != 0) return;
    const std::size_t id = words_.size();
    words_.emplace_back(word);
    word_ids_.push_back(table_->intern(word));
    index_of_.emplace(std::string(word), id);
    for_each_key(word, [&](std::string_view key) {
        auto& ids = by_key_[std::string(key)];
        if (ids.empty() || ids.back() != id) ids.push_back(id);
        const std::uint32_t h = fnv1a(key);
        const std::size_t a = h % filter_bits, b = (h >> 14) % filter_bits;
        filter_[a / 64] |= std::uint64_t{1} << (a % 64);
        filter_[b / 64] |= std::uint64_t{1} << (b % 64);
    });
}

bool spelling_index::contains(std::string_view word) const { return index_of_.count(word) != 0; }

void spelling_index::compute_near(std::string_view word, std::vector<std::uint32_t>& out) const {
    if (!eligible(word) || by_key_.empty()) return;
    const std::size_t first = out.size();
    for_each_key(word, [&](std::string_view key) {
        if (!maybe_key(key)) return;
        auto it = by_key_.find(key);
        if (it == by_key_.end()) return;
        for (std::size_t v : it->second) {
            const std::string& candidate = words_[v];
            if (candidate == word || candidate.front() != word.front()) continue;
            if (!within_one_edit(candidate, word)) continue;
            const std::uint32_t id = word_ids_[v];
            if (std::find(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(), id) != out.end()) continue;
            out.push_back(id);
        }
    });
}

void spelling_index::finalize() {
    near_known_.assign(table_->size(), {});
    // Every known word: ids are dense, so walk them through the vocabulary and the table.
    std::vector<std::string> by_id(table_->size());
    table_->each([&](std::string_view w, std::uint32_t id) { by_id[id] = std::string(w); });
    for (std::uint32_t id = 1; id < by_id.size(); ++id) compute_near(by_id[id], near_known_[id]);
    finalized_ = true;
}

void spelling_index::near(std::string_view word, std::vector<std::uint32_t>& out) const { compute_near(word, out); }

void spelling_index::near(const message_words& words, std::size_t i, std::vector<std::uint32_t>& out) const {
    const std::uint32_t id = words.id[i];
    if (finalized_ && id != word_table::unknown && id < near_known_.size()) {
        out.insert(out.end(), near_known_[id].begin(), near_known_[id].end());
        return;
    }
    compute_near(words.text[i], out);
}

}  // namespace triage::rules::detail

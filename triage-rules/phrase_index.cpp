#include "triage-rules/phrase_index.hpp"

#include <algorithm>

namespace triage::rules::detail {

std::vector<std::string_view> split_words(std::string_view normalized) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < normalized.size()) {
        std::size_t end = normalized.find(' ', i);
        if (end == std::string_view::npos) end = normalized.size();
        if (end > i) words.push_back(normalized.substr(i, end - i));
        i = end + 1;
    }
    return words;
}

bool word_matches(std::string_view phrase_word, std::string_view message_word, bool allow_plural) {
    if (phrase_word == message_word) return true;
    if (!phrase_word.empty() && phrase_word.back() == '*') {
        return message_word.starts_with(phrase_word.substr(0, phrase_word.size() - 1));
    }
    if (!allow_plural || phrase_word.size() < min_plural_stem || !message_word.starts_with(phrase_word)) {
        return false;
    }
    std::string_view suffix = message_word.substr(phrase_word.size());
    return suffix == "s" || suffix == "es";
}

std::uint32_t word_table::intern(std::string_view word) {
    if (auto it = ids_.find(word); it != ids_.end()) return it->second;
    const auto id = static_cast<std::uint32_t>(ids_.size() + 1);
    ids_.emplace(std::string(word), id);
    return id;
}

std::uint32_t word_table::find(std::string_view word) const {
    auto it = ids_.find(word);
    return it == ids_.end() ? unknown : it->second;
}

message_words::message_words(std::vector<std::string_view> words, const word_table& table) : text(std::move(words)) {
    const std::size_t n = text.size();
    id.resize(n);
    stem_s.assign(n, word_table::unknown);
    stem_es.assign(n, word_table::unknown);
    for (std::size_t i = 0; i < n; ++i) {
        const std::string_view w = text[i];
        id[i] = table.find(w);
        if (w.size() >= min_plural_stem + 1 && w.back() == 's') stem_s[i] = table.find(w.substr(0, w.size() - 1));
        if (w.size() >= min_plural_stem + 2 && w.ends_with("es")) stem_es[i] = table.find(w.substr(0, w.size() - 2));
    }
}

std::size_t phrase_index::add(std::string_view phrase, std::uint32_t id) {
    auto words = split_words(phrase);
    if (words.empty()) return 0;
    auto ref = [&](std::string_view w) {
        word_ref r;
        if (w.size() > 1 && w.back() == '*') {
            r.prefix = std::string(w.substr(0, w.size() - 1));
        } else {
            r.id = table_->intern(w);
            r.plural_ok = w.size() >= min_plural_stem;
        }
        return r;
    };
    entry e;
    e.id = id;
    for (std::size_t i = 1; i < words.size(); ++i) e.rest.push_back(ref(words[i]));
    const std::string_view first = words.front();
    ++count_;
    if (first.size() > prefix_key_length && first.back() == '*') {
        e.first_prefix = std::string(first.substr(0, first.size() - 1));
        by_prefix_[prefix_key(e.first_prefix)].push_back(std::move(e));
    } else {
        const std::uint32_t first_id = table_->intern(first);
        e.first_plural_ok = first.size() >= min_plural_stem;
        if (by_first_.size() <= first_id) by_first_.resize(first_id + 1);
        by_first_[first_id].push_back(std::move(e));
    }
    return words.size();
}

std::size_t phrase_index::longest_at(const message_words& words, std::size_t at) const {
    std::size_t longest = 0;
    match_at(words, at, [&](std::uint32_t, std::size_t n) { longest = std::max(longest, n); });
    return longest;
}

}  // namespace triage::rules::detail

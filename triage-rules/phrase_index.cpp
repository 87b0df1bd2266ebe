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

std::size_t phrase_index::add(std::string_view phrase, std::uint32_t id) {
    auto words = split_words(phrase);
    if (words.empty()) return 0;
    entry e;
    e.id = id;
    for (std::size_t i = 1; i < words.size(); ++i) e.rest.emplace_back(words[i]);
    const std::string_view first = words.front();
    if (first.size() > prefix_key_length && first.back() == '*') {
        e.first_prefix = std::string(first.substr(0, first.size() - 1));
        by_prefix_[e.first_prefix.substr(0, prefix_key_length)].push_back(std::move(e));
    } else {
        by_first_[std::string(first)].push_back(std::move(e));
    }
    return words.size();
}

std::size_t phrase_index::longest_at(const std::vector<std::string_view>& words, std::size_t at) const {
    std::size_t longest = 0;
    match_at(words, at, [&](std::uint32_t, std::size_t n) { longest = std::max(longest, n); });
    return longest;
}

}  // namespace triage::rules::detail

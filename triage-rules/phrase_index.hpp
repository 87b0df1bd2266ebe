#pragma once
// Internal to triage_rules: finds which known phrases start at a given word of a message.
// Phrases are normalised text split into words; the index is keyed by the first word so a
// lookup costs one hash probe plus a comparison per candidate phrase.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace triage::rules::detail {

inline constexpr std::size_t min_plural_stem = 3;
// Phrases whose first word is a prefix ("bleed*") are found by the first letters of a word.
inline constexpr std::size_t prefix_key_length = 3;

std::vector<std::string_view> split_words(std::string_view normalized);

// A message word matches a phrase word if it is equal or, where allowed, the phrase word plus a
// plain "s" or "es" ("pains" for "pain", "seizures" for "seizure"). Phrase words shorter than
// three letters never take a suffix, so "no" does not match "nos". A phrase word ending in '*'
// matches every word that starts with what comes before the '*'.
bool word_matches(std::string_view phrase_word, std::string_view message_word, bool allow_plural);

class phrase_index {
public:
    explicit phrase_index(bool allow_plural) : allow_plural_(allow_plural) {}

    // `phrase` must already be normalised. Returns its length in words (0: not added).
    std::size_t add(std::string_view phrase, std::uint32_t id);

    // Calls fn(id, length_in_words) for each phrase that starts at words[at].
    template <class Fn>
    void match_at(const std::vector<std::string_view>& words, std::size_t at, Fn&& fn) const {
        if (at >= words.size()) return;
        const std::string_view w = words[at];
        if (auto it = by_first_.find(w); it != by_first_.end()) match_entries(it->second, words, at, false, fn);
        for_prefix_entries(w, [&](const std::vector<entry>& entries) { match_entries(entries, words, at, false, fn); });
        if (!allow_plural_) return;
        // A one-word phrase is its own last word, so it may carry the plural ending too.
        for (std::string_view suffix : {std::string_view{"s"}, std::string_view{"es"}}) {
            if (w.size() < min_plural_stem + suffix.size() || !w.ends_with(suffix)) continue;
            auto it = by_first_.find(w.substr(0, w.size() - suffix.size()));
            if (it != by_first_.end()) match_entries(it->second, words, at, true, fn);
        }
    }

    // Like match_at with at most one typo in the phrase: near[i] lists the indexed words one typo
    // away from words[i] (spelling.hpp). Calls fn(id, length_in_words, typos) with typos 0 or 1.
    template <class Fn>
    void match_tolerant_at(const std::vector<std::string_view>& words,
                           const std::vector<std::vector<std::string_view>>& near, std::size_t at, Fn&& fn) const {
        if (at >= words.size()) return;
        const std::string_view w = words[at];
        if (auto it = by_first_.find(w); it != by_first_.end()) tolerant_entries(it->second, words, near, at, false, 0, fn);
        for_prefix_entries(w, [&](const std::vector<entry>& entries) {
            tolerant_entries(entries, words, near, at, false, 0, fn);
        });
        if (allow_plural_) {
            for (std::string_view suffix : {std::string_view{"s"}, std::string_view{"es"}}) {
                if (w.size() < min_plural_stem + suffix.size() || !w.ends_with(suffix)) continue;
                auto it = by_first_.find(w.substr(0, w.size() - suffix.size()));
                if (it != by_first_.end()) tolerant_entries(it->second, words, near, at, true, 0, fn);
            }
        }
        for (std::string_view alt : near[at]) {
            if (auto it = by_first_.find(alt); it != by_first_.end()) tolerant_entries(it->second, words, near, at, false, 1, fn);
        }
    }

    // Length in words of the longest phrase starting at words[at], 0 if none.
    std::size_t longest_at(const std::vector<std::string_view>& words, std::size_t at) const;

    bool empty() const noexcept { return by_first_.empty() && by_prefix_.empty(); }

private:
    struct entry {
        std::vector<std::string> rest;  // the words after the first
        std::uint32_t id = 0;
        std::string first_prefix;       // set for entries in by_prefix_
    };

    // Calls fn(entries) with the prefix entries whose prefix starts `word`; match_entries and
    // tolerant_entries skip the ones whose full prefix does not.
    template <class Fn>
    void for_prefix_entries(std::string_view word, Fn&& fn) const {
        if (by_prefix_.empty() || word.size() < prefix_key_length) return;
        auto it = by_prefix_.find(word.substr(0, prefix_key_length));
        if (it != by_prefix_.end()) fn(it->second);
    }
    struct hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    template <class Fn>
    void match_entries(const std::vector<entry>& entries, const std::vector<std::string_view>& words,
                       std::size_t at, bool single_word_only, Fn& fn) const {
        for (const auto& e : entries) {
            if (single_word_only && !e.rest.empty()) continue;
            if (at + 1 + e.rest.size() > words.size()) continue;
            if (!e.first_prefix.empty() && !words[at].starts_with(e.first_prefix)) continue;
            bool ok = true;
            for (std::size_t k = 0; k < e.rest.size() && ok; ++k) {
                // Only the last word may carry a plural ending: "chest pains", not "chests pain".
                ok = word_matches(e.rest[k], words[at + 1 + k], allow_plural_ && k + 1 == e.rest.size());
            }
            if (ok) fn(e.id, e.rest.size() + 1);
        }
    }

    template <class Fn>
    void tolerant_entries(const std::vector<entry>& entries, const std::vector<std::string_view>& words,
                          const std::vector<std::vector<std::string_view>>& near, std::size_t at,
                          bool single_word_only, std::size_t typos_so_far, Fn& fn) const {
        for (const auto& e : entries) {
            if (single_word_only && !e.rest.empty()) continue;
            if (at + 1 + e.rest.size() > words.size()) continue;
            if (!e.first_prefix.empty() && !words[at].starts_with(e.first_prefix)) continue;
            std::size_t typos = typos_so_far;
            bool ok = true;
            for (std::size_t k = 0; k < e.rest.size() && ok; ++k) {
                const std::size_t m = at + 1 + k;
                if (word_matches(e.rest[k], words[m], allow_plural_ && k + 1 == e.rest.size())) continue;
                const auto& alts = near[m];
                ok = typos == 0 && std::find(alts.begin(), alts.end(), std::string_view(e.rest[k])) != alts.end();
                ++typos;
            }
            if (ok) fn(e.id, e.rest.size() + 1, typos);
        }
    }

    std::unordered_map<std::string, std::vector<entry>, hash, std::equal_to<>> by_first_;
    std::unordered_map<std::string, std::vector<entry>, hash, std::equal_to<>> by_prefix_;
    bool allow_plural_;
};

}  // namespace triage::rules::detail

#pragma once
// Internal to triage_rules: finds which known phrases start at a given word of a message.
//
// Every word any index knows is interned once in a shared `word_table`; a message is turned into
// word ids once (`message_words`), and from then on every index compares integers. A lookup
// costs an array access plus a comparison per candidate phrase that starts with that word.

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

// For string-keyed maps and sets looked up by string_view without building a string.
struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// A message word matches a phrase word if it is equal or, where allowed, the phrase word plus a
// plain "s" or "es" ("pains" for "pain", "seizures" for "seizure"). Phrase words shorter than
// three letters never take a suffix, so "no" does not match "nos". A phrase word ending in '*'
// matches every word that starts with what comes before the '*'.
bool word_matches(std::string_view phrase_word, std::string_view message_word, bool allow_plural);

class word_table {
public:
    static constexpr std::uint32_t unknown = 0;
    std::uint32_t intern(std::string_view word);
    std::uint32_t find(std::string_view word) const;
    std::size_t size() const noexcept { return ids_.size() + 1; }  // ids are 1..size()-1

    template <class Fn>
    void each(Fn&& fn) const {
        for (const auto& [w, id] : ids_) fn(std::string_view(w), id);
    }

private:
    std::unordered_map<std::string, std::uint32_t, text_hash, std::equal_to<>> ids_;
};

// A message's words with their ids, looked up once for every index.
struct message_words {
    std::vector<std::string_view> text;
    std::vector<std::uint32_t> id;       // word_table::unknown when no index knows the word
    std::vector<std::uint32_t> stem_s;   // id of the word without a final "s", if known
    std::vector<std::uint32_t> stem_es;  // id of the word without a final "es", if known

    message_words() = default;
    message_words(std::vector<std::string_view> words, const word_table& table);
    std::size_t size() const noexcept { return text.size(); }
};

class phrase_index {
public:
    phrase_index(word_table& table, bool allow_plural) : table_(&table), allow_plural_(allow_plural) {}

    // `phrase` must already be normalised. Returns its length in words (0: not added).
    std::size_t add(std::string_view phrase, std::uint32_t id);

    // Calls fn(id, length_in_words) for each phrase that starts at words[at].
    template <class Fn>
    void match_at(const message_words& words, std::size_t at, Fn&& fn) const {
        static const std::vector<std::vector<std::uint32_t>> no_typos;
        if (at >= words.size()) return;
        visit(words, no_typos, at, [&](std::uint32_t id, std::size_t n, std::size_t typos) {
            if (typos == 0) fn(id, n);
        });
    }

    // Like match_at with at most one typo in the phrase: near[i] lists the ids of words one typo
    // away from word i (spelling.hpp), or near is empty. Calls fn(id, length_in_words, typos).
    template <class Fn>
    void match_tolerant_at(const message_words& words, const std::vector<std::vector<std::uint32_t>>& near,
                           std::size_t at, Fn&& fn) const {
        if (at >= words.size()) return;
        visit(words, near, at, fn);
    }

    // Length in words of the longest phrase starting at words[at], 0 if none.
    std::size_t longest_at(const message_words& words, std::size_t at) const;

    bool empty() const noexcept { return count_ == 0; }

private:
    struct word_ref {
        std::uint32_t id = 0;
        bool plural_ok = false;  // long enough to take a plural ending
        std::string prefix;      // set for a "prefix*" word (then id is unused)
    };
    struct entry {
        std::vector<word_ref> rest;  // the words after the first
        std::uint32_t id = 0;
        std::string first_prefix;    // set for entries in by_prefix_
        bool first_plural_ok = false;
    };

    bool matches(const word_ref& w, const message_words& words, std::size_t i, bool last) const {
        if (!w.prefix.empty()) return words.text[i].starts_with(w.prefix);
        if (w.id == words.id[i]) return true;
        return allow_plural_ && last && w.plural_ok && (w.id == words.stem_s[i] || w.id == words.stem_es[i]);
    }

    template <class Fn>
    void entries(const std::vector<entry>& list, const message_words& words,
                 const std::vector<std::vector<std::uint32_t>>& near, std::size_t at, bool single_word_only,
                 std::size_t typos_so_far, Fn& fn) const {
        for (const auto& e : list) {
            if (single_word_only && (!e.rest.empty() || !e.first_plural_ok)) continue;
            if (at + 1 + e.rest.size() > words.size()) continue;
            if (!e.first_prefix.empty() && !words.text[at].starts_with(e.first_prefix)) continue;
            std::size_t typos = typos_so_far;
            bool ok = true;
            for (std::size_t k = 0; k < e.rest.size() && ok; ++k) {
                const std::size_t m = at + 1 + k;
                // Only the last word may carry a plural ending: "chest pains", not "chests pain".
                if (matches(e.rest[k], words, m, k + 1 == e.rest.size())) continue;
                ok = typos == 0 && !near.empty() && e.rest[k].prefix.empty() &&
                     std::find(near[m].begin(), near[m].end(), e.rest[k].id) != near[m].end();
                ++typos;
            }
            if (ok) fn(e.id, e.rest.size() + 1, typos);
        }
    }

    template <class Fn>
    void visit(const message_words& words, const std::vector<std::vector<std::uint32_t>>& near, std::size_t at,
               Fn&& fn) const {
        auto list_of = [&](std::uint32_t id) -> const std::vector<entry>* {
            return id != word_table::unknown && id < by_first_.size() && !by_first_[id].empty() ? &by_first_[id] : nullptr;
        };
        if (auto* l = list_of(words.id[at])) entries(*l, words, near, at, false, 0, fn);
        if (allow_plural_) {
            // A one-word phrase is its own last word, so it may carry the plural ending too.
            if (auto* l = list_of(words.stem_s[at])) entries(*l, words, near, at, true, 0, fn);
            if (auto* l = list_of(words.stem_es[at])) entries(*l, words, near, at, true, 0, fn);
        }
        if (!by_prefix_.empty() && words.text[at].size() >= prefix_key_length) {
            if (auto it = by_prefix_.find(prefix_key(words.text[at])); it != by_prefix_.end()) {
                entries(it->second, words, near, at, false, 0, fn);
            }
        }
        if (!near.empty()) {
            for (std::uint32_t alt : near[at]) {
                if (auto* l = list_of(alt)) entries(*l, words, near, at, false, 1, fn);
            }
        }
    }

    static std::uint32_t prefix_key(std::string_view w) noexcept {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(w[0])) << 16 |
               static_cast<std::uint32_t>(static_cast<unsigned char>(w[1])) << 8 |
               static_cast<std::uint32_t>(static_cast<unsigned char>(w[2]));
    }

    word_table* table_;
    std::vector<std::vector<entry>> by_first_;  // by word id
    std::unordered_map<std::uint32_t, std::vector<entry>> by_prefix_;
    std::size_t count_ = 0;
    bool allow_plural_;
};

}  // namespace triage::rules::detail

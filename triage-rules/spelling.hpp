#pragma once
// Internal to triage_rules: tolerance of one-letter typos in the red-flag vocabulary ("chest
// pian", "cant breath", "siezure"). A message word is read as a vocabulary word when the two are
// one edit apart (insertion, deletion, substitution or swap of neighbours), both are at least
// `min_typo_length` letters long and they start with the same letter: patients rarely get the
// first letter wrong, and the rule keeps "hecho" (done) from reading as "pecho" (chest).
//
// Lookup uses the deletion neighbourhood (SymSpell): each vocabulary word is indexed under
// itself and every string one deletion away; a message word probes the same set. A small bit
// filter in front of the map answers most probes of ordinary words without touching it, and the
// neighbours of every word some index knows are worked out once, at load.

#include "triage-rules/phrase_index.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace triage::rules::detail {

inline constexpr std::size_t min_typo_length = 4;
inline constexpr std::size_t max_typo_length = 24;

// Optimal-string-alignment distance is at most one.
bool within_one_edit(std::string_view a, std::string_view b) noexcept;

class spelling_index {
public:
    explicit spelling_index(word_table& table) : table_(&table) {}

    void add(std::string_view word);
    bool contains(std::string_view word) const;

    // Call once every index has interned its words: caches the neighbours of known words.
    void finalize();

    // Appends to `out` the ids of vocabulary words, other than `word` itself, one typo away.
    void near(std::string_view word, std::vector<std::uint32_t>& out) const;
    // The same for message word i, using the cache for words some index knows.
    void near(const message_words& words, std::size_t i, std::vector<std::uint32_t>& out) const;

private:
    static constexpr std::size_t filter_bits = std::size_t{1} << 18;
    bool maybe_key(std::string_view key) const noexcept;
    void compute_near(std::string_view word, std::vector<std::uint32_t>& out) const;

    word_table* table_;
    std::vector<std::string> words_;
    std::vector<std::uint32_t> word_ids_;
    std::unordered_map<std::string, std::vector<std::size_t>, text_hash, std::equal_to<>> by_key_;
    std::unordered_map<std::string, std::size_t, text_hash, std::equal_to<>> index_of_;
    std::vector<std::uint64_t> filter_ = std::vector<std::uint64_t>(filter_bits / 64, 0);
    std::vector<std::vector<std::uint32_t>> near_known_;  // by word id
    bool finalized_ = false;
};

}  // namespace triage::rules::detail

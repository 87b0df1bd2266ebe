#pragma once
// Internal to triage_rules: tolerance of one-letter typos in the red-flag vocabulary ("chest
// pian", "cant breath", "siezure"). A message word is read as a vocabulary word when the two are
// one edit apart (insertion, deletion, substitution or swap of neighbours), both are at least
// `min_typo_length` letters long and they start with the same letter: patients rarely get the
// first letter wrong, and the rule keeps "hecho" (done) from reading as "pecho" (chest).
//
// Lookup uses the deletion neighbourhood (SymSpell): each vocabulary word is indexed under
// itself and every string one deletion away; a message word probes the same set. The cost per
// message word is its length in hash probes, independent of the vocabulary size.

#include <cstddef>
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
    void add(std::string_view word);

    // Appends to `out` every vocabulary word, other than `word` itself, one typo away from it.
    void near(std::string_view word, std::vector<std::string_view>& out) const;

    bool contains(std::string_view word) const;

private:
    struct hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::vector<std::string> words_;
    std::unordered_map<std::string, std::vector<std::size_t>, hash, std::equal_to<>> by_key_;
    std::unordered_map<std::string, std::size_t, hash, std::equal_to<>> index_of_;
};

}  // namespace triage::rules::detail

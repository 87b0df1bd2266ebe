#pragma once
// The pattern language of rule packs (docs/rules.md):
//   chest pain                    a phrase: these words in this order
//   bleed* wont stop              '*' ends a word prefix of at least four letters: bleeding, bleeds
//   chest + tight|pressure|crush* proximity: one alternative of every part (two or three parts,
//                                 alternatives separated by '|') within `proximity_window` words
//                                 of each other, in any order, in the same sentence
// Text is normalised as messages are; '+', '|' and '*' keep their meaning.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace triage::rules {

inline constexpr std::size_t min_prefix_length = 4;
inline constexpr std::size_t max_proximity_parts = 3;
inline constexpr std::size_t proximity_window = 6;  // words between the starts of two parts

struct parsed_pattern {
    // parts[k][j]: alternative j of part k, a normalised phrase whose words may end with '*'.
    // A plain phrase has one part with one alternative.
    std::vector<std::vector<std::string>> parts;
    std::string canonical;  // normalised text with the syntax kept; parse(canonical) gives the same
    std::string error;      // non-empty: not a valid pattern
};

parsed_pattern parse_pattern(std::string_view text);

}  // namespace triage::rules

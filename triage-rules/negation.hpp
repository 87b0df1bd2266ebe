#pragma once
// Simple negation ("no chest pain", "sin dolor de pecho") with a scope that ends at the end of a
// clause, so "no fever but crushing chest pain" still fires. In the spirit of NegEx: a cue within
// `negation_window` words before a match, in the same clause, negates it.
//
// A clause ends at punctuation in the ORIGINAL text (. , ; ! ? newline, dashes, and their
// Spanish and full-width forms), at a conjunction ("but", "and", "pero", "y", "sin embargo") and
// where the patient starts stating what they do have ("i have", "tengo"). Commas and "and" are
// boundaries on purpose: a negation cut short can only raise an alarm, one carried too far can
// hide an emergency.

#include "triage-rules/assessment.hpp"
#include "triage-rules/phrase_index.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace triage::rules {

// Built-in negation cues, normalised, for a pack language ("en", "es"); empty for any other. Used
// for a language that no loaded pack lists under `negation`.
const std::vector<std::string>& default_negation_cues(std::string_view language);

}  // namespace triage::rules

namespace triage::rules::detail {

inline constexpr std::size_t negation_window = 5;

// Words that make a phrase negative in itself ("cant breathe", "no puedo respirar"). Such a
// phrase is never negated: "no, I can't breathe" is an emergency.
bool is_negative_word(std::string_view word);

class negation_scope {
public:
    // `cues`: normalised negation cues of every language; patients mix languages.
    negation_scope(const std::vector<std::string>& cues, word_table& table);

    struct analysis {
        std::vector<std::size_t> sentence;      // sentence number of each word
        std::vector<std::size_t> clause;        // clause number of each word
        // Like `clause`, but "and"/"y" and affirmations do not start a new one: the scope of
        // history, hypothetical and family-history cues ("what if I get chest pain and can't
        // breathe").
        std::vector<std::size_t> segment;
        std::vector<std::ptrdiff_t> last_cue;   // last word of the nearest cue before word i, or -1
    };

    // `words` are the normalised words of `original`; `spans[i]` is where words[i] came from.
    analysis analyse(std::string_view original, const message_words& words, const std::vector<text_span>& spans) const;

    static bool negated(const analysis& a, std::size_t first_word);

    // A phrase never matches across sentence punctuation: "I hurt my chest. Pain in my leg".
    static bool same_sentence(const analysis& a, std::size_t first_word, std::size_t last_word);

private:
    phrase_index cues_;
    phrase_index boundaries_;
    phrase_index pseudo_;
    phrase_index affirmations_;
};

}  // namespace triage::rules::detail

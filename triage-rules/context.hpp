#pragma once
// Internal to triage_rules: context beyond negation, after ConText (Harkema et al., 2009).
// Trigger phrases mark the words around them as
//   historical      "had a stroke 5 years ago", "history of seizures", "tuve un infarto hace años"
//   hypothetical    "what should I do if I get chest pain", "signs of a stroke", "en caso de"
//   family_history  "my dad died of a heart attack", "runs in my family"
//   other_person    "my dad can't move his arm" (kept: an emergency about someone present)
//   recurrence      history undone by "again", "another", "otra vez" in the same part of the
//                   sentence: "had a heart attack years ago and it's happening again"
//   harmless        alarming words that report no symptom: idioms ("stroke of luck", "nearly
//                   had a heart attack when I saw the bill"), services ("stroke unit"),
//                   medicines ("seizure medication"); by default only the cue's own words
//   not_a_person    an animal or a toy as the subject: "my parrot is having trouble breathing",
//                   "mi perrita convulsionó"; its clause both ways, unless a person is in it too
//   frame           a hypothetical that frames the rest of its sentence: fiction, homework
//                   ("writing a crime novel, how long after an overdose..."); forward past commas,
//                   up to a turn ("but") or the writer's own people ("my mom"), and not at all
//                   when the sentence says it is happening now
// Each trigger reaches a few words forward or back and never past the end of its clause, so
// "I had a stroke years ago, now my face is drooping" still fires for the drooping face.
// Look-alikes never trigger: "not sure if", "wondering if", "no sé si"; and "I have signs of a
// stroke" is not educational.

#include "triage-rules/negation.hpp"
#include "triage-rules/phrase_index.hpp"
#include "triage-rules/rule_pack.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace triage::rules::detail {

enum context_flag : std::uint8_t {
    ctx_historical = 1,
    ctx_hypothetical = 2,
    ctx_family_history = 4,
    ctx_other_person = 8,
    ctx_recurrence = 16,
    ctx_harmless = 32,
    ctx_not_a_person = 64,
};

// Flags that cancel a finding (it is kept in `suppressed` with the modifier's name).
inline constexpr std::uint8_t ctx_cancelling =
    ctx_historical | ctx_hypothetical | ctx_family_history | ctx_harmless | ctx_not_a_person;

// Modifier names as they appear in assessments, classify output and the audit trail.
std::vector<std::string_view> context_modifier_names(std::uint8_t flags);

// Which words a cue reaches: those after it, those before it, or both.
// `self`: only the cue's own words ("stroke of luck", "seizure medication").
enum class reach : std::uint8_t { forward, backward, both, self };

class context_scope {
public:
    // The cue lists come from the packs' `context` sections (rule_pack.hpp).
    context_scope(const std::vector<rule_pack>& packs, word_table& table);

    // flags[i]: the context of a finding that starts at word i.
    std::vector<std::uint8_t> analyse(const message_words& words, const negation_scope::analysis& clauses) const;

private:
    struct trigger {
        std::uint8_t flag = 0;
        reach direction = reach::forward;
        // Only at the start of a clause: "qué es un derrame?" asks, "creo que es un infarto" tells.
        bool clause_start = false;
        // A frame: the whole sentence, not a window in one clause.
        bool whole_sentence = false;
    };
    void add(std::string_view kind, std::string_view cue);

    std::vector<trigger> lexicon_;
    phrase_index affirming_;
    phrase_index triggers_;
    phrase_index pseudo_;
    phrase_index recurrence_;
    phrase_index actuality_;
};

}  // namespace triage::rules::detail

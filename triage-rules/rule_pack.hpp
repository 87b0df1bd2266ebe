#pragma once
// Rule packs are YAML files written and reviewed by clinicians (format: docs/rules.md).
// Loading is control-plane work: it reports every problem with file:line:column and never throws.

#include "triage-rules/assessment.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triage::rules {

struct diagnostic {
    std::string file;
    int line = 0;    // 1-based; 0 when unknown
    int column = 0;  // 1-based; 0 when unknown
    std::string message;
};
std::string to_string(const diagnostic& d);  // "file:line:col: message"

struct red_flag_rule {
    std::string id;
    std::string category;
    urgency level = urgency::none;
    bool escalate = false;
    std::string rationale;
    std::string guideline;
    std::map<std::string, std::vector<std::string>> patterns;  // language -> phrases (normalised by the loader)
    std::map<std::string, std::string> advice;                 // language -> patient advice
    // Co-occurrence: each group is a concept (language -> phrases) that must also be found in the
    // message, current and not negated, for the rule to fire ("fever" for a stiff-neck rule).
    std::vector<std::map<std::string, std::vector<std::string>>> requires_all;
    // A question about it is itself the warning sign ("how many pills would it take to not wake
    // up"): hypothetical context does not cancel the rule (history, family and negation still do).
    bool asked_counts = false;
    // The rule is about a medicine itself ("out of my seizure meds"): harmless phrases, which
    // list medicine and service names so that "refill my seizure meds" is not a seizure, do not
    // cancel it (history, questions, family and negation still do).
    bool names_medicines = false;
};

// The findings layer: a clinical finding (pallor, cyanosis, an ingestion, an infant, sudden onset)
// named once with the lay and Spanish ways people say it, and used by rules in `patterns` and
// `requires` by name, so a rule reads like a triage protocol: "cardiac picture = chest discomfort
// + (pallor or sweating)". Findings carry no urgency of their own; the engine reports every one
// it sees (assessment::clinical_findings), and a message with a current sign, symptom or
// exposure is never assessed "none".
struct finding_definition {
    std::string id;
    std::string kind;   // one of finding_kinds
    std::string label;  // for staff: "pale or grey skin"
    std::map<std::string, std::vector<std::string>> patterns;  // language -> phrases
};
inline constexpr std::string_view finding_kinds[] = {"sign", "symptom", "exposure", "substance", "person", "course", "history"};
// In a rule's `patterns` or a `requires` group, the names of findings listed under `findings:`
// are kept under this key until the engine expands them with the findings of every loaded pack.
inline constexpr std::string_view findings_key = "@findings";

// A clinic switching off a rule of an earlier pack. Never implicit: it names a reason and who
// approved it, and the server writes every override to the audit trail when it loads the packs.
struct rule_override {
    std::string rule_id;
    std::string reason;
    std::string approved_by;
};

// Languages a pack may use for patterns, advice and negation cues.
inline constexpr std::string_view pack_languages[] = {"en", "es"};

struct rule_pack {
    std::string name;     // letters, digits, '_', '-', '.' (it appears in engine::version())
    std::string version;  // anything but '@' and '+'
    // Negation cues per language ("no", "sin"...), normalised by the loader. A language no loaded
    // pack lists uses the built-in cues (negation.hpp); listing it replaces them.
    std::map<std::string, std::vector<std::string>> negation;
    std::vector<red_flag_rule> rules;
    std::vector<finding_definition> findings;
    std::vector<rule_override> overrides;
    // The context lexicon (docs/rules.md, "Context"): kind -> language -> cue phrases, each
    // optionally prefixed with ">" (looks forward, the default except for `harmless`), "<" (looks
    // back), "<>" (both ways), then "^" (only at a clause start).
    // Kinds: historical, hypothetical, family_history, other_person, pseudo, recurrence,
    // actuality, affirming. Lists of all loaded packs are combined.
    std::map<std::string, std::map<std::string, std::vector<std::string>>> context;
};

inline constexpr std::string_view context_kinds[] = {"historical", "hypothetical", "family_history", "other_person",
                                                     "harmless",   "pseudo",       "recurrence",     "actuality",
                                                     "affirming",  "not_a_person", "frame"};

struct rule_pack_load_result {
    std::optional<rule_pack> pack;         // empty when diagnostics hold an error
    std::vector<diagnostic> diagnostics;
};

// Problems that only show across packs: an override naming a rule no earlier pack defines.
std::vector<diagnostic> check_pack_set(const std::vector<rule_pack>& packs, const std::vector<std::string>& files);

// Parses and validates one pack. `file_name` is only used in diagnostics. Every problem found is
// reported (not just the first); `pack` is set only when there is none. Never throws.
rule_pack_load_result load_rule_pack(std::string_view yaml_text, std::string_view file_name);

}  // namespace triage::rules

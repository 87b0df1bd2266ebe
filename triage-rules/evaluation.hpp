#pragma once
// Evaluating a rule pack against a labelled case file (`triagectl rules test`). Pure: the caller
// reads the files. Case files are JSON Lines, one case per line (format: docs/rules.md):
//   {"id": "en-0001", "lang": "en", "text": "...", "urgency": "emergency", "category": "cardiac",
//    "kind": "emergency", "tags": ["typo"]}

#include "triage-rules/assessment.hpp"

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace triage::rules {

class engine;

struct labelled_case {
    std::string id;
    std::string lang;
    std::string text;
    urgency label = urgency::none;
    std::string category;  // required for emergencies: recall is reported per category
    std::string kind;      // emergency, hard_negative, urgent, routine, self_care, admin, hostile
    std::string age_group; // infant, child, teen, adult, older_adult, unknown (optional)
    std::string intent;    // the true intent (optional): measured on admin cases
    std::vector<std::string> tags;
};

struct case_file {
    std::vector<labelled_case> cases;
    std::vector<std::string> errors;  // "file:line: message"
};

// Never throws; every bad line is reported and skipped.
case_file parse_cases(std::string_view jsonl, std::string_view file_name);

struct evaluation {
    struct ratio {
        std::size_t hits = 0;
        std::size_t total = 0;
        double percent() const noexcept { return total == 0 ? 100.0 : 100.0 * static_cast<double>(hits) / static_cast<double>(total); }
    };
    struct outcome {
        const labelled_case* c = nullptr;
        urgency assessed = urgency::none;
        bool escalate = false;
        std::vector<std::string> rules;  // rule ids that fired
        std::string intent;              // the intent it was given (when measured)
        bool model_raised = false;
    };

    // One population or kind of message (a language, an age group, a tag...).
    struct stratum {
        std::size_t cases = 0;
        ratio emergency_recall;  // among its emergencies
        ratio exact;
        ratio safe;
        ratio false_alarms;      // among its non-emergencies: assessed emergency or escalated
    };

    std::size_t cases = 0;
    // "language", "age group", "kind", "category" (emergencies), "tag" -> value -> figures.
    std::map<std::string, std::map<std::string, stratum>> strata;
    ratio hard_negative_false_alarms;             // hard negatives assessed emergency or escalated
    ratio admin_intent;                           // admin cases with an intent label: intent right
    ratio clinical_read_as_none;                  // clinical cases (label above none) assessed none
    std::vector<outcome> wrong_admin_intents;
    ratio emergency_recall;                       // assessed emergency / labelled emergency
    std::map<std::string, ratio> recall_by_language;
    std::map<std::string, ratio> recall_by_category;
    ratio over_triage;                            // assessed above the label, among non-emergencies
    ratio hard_negative_over_triage;              // the same among kind == hard_negative
    ratio false_alarms;                           // assessed emergency or escalated, among non-emergencies
    ratio exact;                                  // assessed == label
    ratio safe;                                   // assessed >= label
    std::array<std::array<std::size_t, 5>, 5> confusion{};  // [label][assessed], by urgency value
    std::vector<outcome> missed_emergencies;
    std::vector<outcome> over_triaged_hard_negatives;
    std::vector<outcome> under_triaged;           // below the label, other than missed emergencies
};

// What the system under test said about one case: the assessment and, when measured, the intent.
struct case_verdict {
    assessment triage;
    std::string intent;
};
evaluation evaluate(const std::vector<labelled_case>& cases,
                    const std::function<case_verdict(const labelled_case&)>& judge);
// The rules alone.
evaluation evaluate(const engine& e, const std::vector<labelled_case>& cases);

// The human-readable report printed by `triagectl rules test`.
std::string format_report(const evaluation& ev, std::string_view pack_version);

}  // namespace triage::rules

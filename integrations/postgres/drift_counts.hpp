#pragma once
// What the drift and bias figures are computed from (issue 16; docs/observability.md, "Drift and
// bias"): patient messages counted by what the product made of them, and clinicians' verdicts,
// in a current window and a reference window before it. Codes and counts only.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace triage::integrations::postgres {

struct drift_cell {
    bool current = false;        // in the current window, else in the reference window
    std::string lang;            // en | es
    std::string age_group;       // infant | child | older_adult | unstated
    std::string intent;          // the classifier's intent
    std::string urgency;         // the rules' urgency
    int confidence_bucket = -1;  // 0 for [0, 0.1) ... 9 for [0.9, 1]; -1 when none was given
    bool clarified = false;      // the flow asked the patient what they meant
    std::int64_t messages = 0;
};

struct drift_verdicts {
    bool current = false;
    std::string lang;
    std::int64_t verdicts = 0, right = 0;
};

// One day of one language and age group, for the table on the analytics page.
struct drift_day {
    std::string day;  // "2026-12-07" in the clinic's zone
    std::string lang, age_group;
    std::int64_t messages = 0, clarified = 0, emergency = 0, urgent = 0, escalated = 0;
    std::optional<double> mean_confidence;
    std::int64_t verdicts = 0, right = 0;  // by language only: filled in the "all ages" row
};

struct drift_counts {
    std::vector<drift_cell> cells;
    std::vector<drift_verdicts> verdicts;
    std::vector<drift_day> days;  // the reference and current windows' days, oldest first
};

}  // namespace triage::integrations::postgres

#pragma once
// Drift and bias (issue 16; docs/observability.md, "Drift and bias"). Models degrade silently:
// the patients, their words or the clinic's traffic change and the classifier's confidence, the
// urgency mix or the clinicians' verdicts move with them. This compares the current window with
// a reference window, statistic by statistic and slice by slice (all messages, each language,
// each age group), with the population stability index, and says which moved too far. Pure: the
// counts come from PostgreSQL (staff_store::async_drift_counts).
#include "integrations/postgres/drift_counts.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace triage::server::staff {

struct drift_thresholds {
    double watch = 0.10;  // PSI conventions: below 0.1 stable, 0.1 to 0.25 a moderate shift,
    double alert = 0.25;  // above 0.25 a shift worth acting on
    std::int64_t min_current = 30;     // fewer messages in a window tell nothing
    std::int64_t min_reference = 100;
    std::int64_t min_verdicts = 20;    // per window, for the feedback-measured accuracy
};

struct drift_bin {
    std::string name;
    std::int64_t current = 0, reference = 0;
};

struct drift_statistic {
    std::string slice;      // all | lang:en | lang:es | age:infant | age:child | age:older_adult | age:unstated
    std::string statistic;  // language | age_group | intent | urgency | intent_confidence | clarification | feedback_accuracy
    std::string status;     // stable | watch | alert | too_few (not enough in one of the windows)
    double psi = 0;         // 0 when too_few
    std::int64_t current = 0, reference = 0;  // messages (verdicts for feedback_accuracy)
    std::vector<drift_bin> bins;
};

// The population stability index of two histograms over the same bins: sum over bins of
// (c - r) * ln(c / r) with c and r the bins' shares. Empty bins count as half a case, so that a
// category that appears or vanishes gives a large but finite figure; bins empty in both are
// left out.
double population_stability_index(const std::vector<drift_bin>& bins);

// Every statistic of every slice, in a fixed order (slices as listed above, statistics too).
std::vector<drift_statistic> assess_drift(const integrations::postgres::drift_counts& counts,
                                          const drift_thresholds& t = {});

}  // namespace triage::server::staff

// Drift and bias (server/staff/drift.hpp): a shifted input distribution raises an alert on the
// statistic and slice it shifted, an unchanged one raises none, and thin windows say so instead of
// guessing.
#include "server/staff/drift.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace pg = triage::integrations::postgres;
using namespace triage::server::staff;

namespace {

pg::drift_cell cell(bool current, std::string lang, std::string intent, std::int64_t n, int bucket = 8,
                    std::string urgency = "routine", std::string age = "unstated", bool clarified = false) {
    pg::drift_cell c;
    c.current = current;
    c.lang = std::move(lang);
    c.intent = std::move(intent);
    c.messages = n;
    c.confidence_bucket = bucket;
    c.urgency = std::move(urgency);
    c.age_group = std::move(age);
    c.clarified = clarified;
    return c;
}

// A month of ordinary traffic: mostly English, a mix of intents, confident readings.
void ordinary(pg::drift_counts& counts, bool current, std::int64_t scale) {
    counts.cells.push_back(cell(current, "en", "book_appointment", 40 * scale));
    counts.cells.push_back(cell(current, "en", "symptom_report", 30 * scale, 7, "urgent"));
    counts.cells.push_back(cell(current, "en", "prescription_refill", 10 * scale, 9));
    counts.cells.push_back(cell(current, "en", "symptom_report", 5 * scale, 6, "emergency", "child"));
    counts.cells.push_back(cell(current, "es", "book_appointment", 10 * scale, 8));
    counts.cells.push_back(cell(current, "es", "symptom_report", 5 * scale, 7, "urgent", "older_adult"));
}

const drift_statistic& find(const std::vector<drift_statistic>& all, std::string_view slice, std::string_view statistic) {
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const auto& s) { return s.slice == slice && s.statistic == statistic; });
    EXPECT_NE(it, all.end()) << slice << " " << statistic;
    static const drift_statistic none;
    return it == all.end() ? none : *it;
}

std::vector<std::string> alerting(const std::vector<drift_statistic>& all) {
    std::vector<std::string> out;
    for (const auto& s : all)
        if (s.status == "alert") out.push_back(s.slice + " " + s.statistic);
    return out;
}

}  // namespace

TEST(drift, identical_histograms_have_no_drift) {
    std::vector<drift_bin> bins{{"a", 30, 300}, {"b", 70, 700}};
    // Half a case added to each bin keeps this a hair above zero.
    EXPECT_NEAR(population_stability_index(bins), 0, 1e-4);
}

TEST(drift, index_matches_the_textbook_figure_on_large_counts) {
    // Shares 0.5/0.5 against 0.9/0.1: (0.5-0.9)ln(0.5/0.9) + (0.5-0.1)ln(0.5/0.1) = 0.8789.
    std::vector<drift_bin> bins{{"en", 50000, 90000}, {"es", 50000, 10000}};
    EXPECT_NEAR(population_stability_index(bins), 0.8789, 0.001);
}

TEST(drift, a_category_that_appears_gives_a_finite_large_figure) {
    std::vector<drift_bin> bins{{"old", 50, 1000}, {"new", 50, 0}};
    double psi = population_stability_index(bins);
    EXPECT_TRUE(std::isfinite(psi));
    EXPECT_GT(psi, 1.0);
}

TEST(drift, unchanged_traffic_raises_no_alert) {
    pg::drift_counts counts;
    ordinary(counts, false, 28);
    ordinary(counts, true, 1);
    auto all = assess_drift(counts);
    EXPECT_TRUE(alerting(all).empty());
    EXPECT_EQ(find(all, "all", "language").status, "stable");
    EXPECT_EQ(find(all, "all", "intent").status, "stable");
    EXPECT_EQ(find(all, "all", "language").current, 100);
    EXPECT_EQ(find(all, "all", "language").reference, 2800);
}

TEST(drift, a_burst_of_one_language_raises_the_language_alert) {
    pg::drift_counts counts;
    ordinary(counts, false, 28);
    ordinary(counts, true, 1);
    counts.cells.push_back(cell(true, "es", "book_appointment", 80, 8));
    auto all = assess_drift(counts);
    EXPECT_EQ(find(all, "all", "language").status, "alert");
    EXPECT_GT(find(all, "all", "language").psi, 0.25);
    // Within Spanish the mix moved too (all bookings); English did not move at all.
    EXPECT_EQ(find(all, "lang:en", "intent").status, "stable");
    EXPECT_EQ(find(all, "lang:en", "urgency").status, "stable");
}

TEST(drift, a_burst_of_one_intent_raises_the_intent_alert_and_not_the_language_one) {
    pg::drift_counts counts;
    ordinary(counts, false, 28);
    ordinary(counts, true, 1);
    counts.cells.push_back(cell(true, "en", "prescription_refill", 170, 9));
    counts.cells.push_back(cell(true, "es", "prescription_refill", 30, 9));
    auto all = assess_drift(counts);
    EXPECT_EQ(find(all, "all", "intent").status, "alert");
    EXPECT_NE(find(all, "all", "language").status, "alert");
}

TEST(drift, a_confidence_drop_in_one_language_is_seen_in_that_language) {
    pg::drift_counts counts;
    ordinary(counts, false, 28);
    counts.cells.push_back(cell(true, "en", "book_appointment", 40));
    counts.cells.push_back(cell(true, "en", "symptom_report", 30, 7, "urgent"));
    counts.cells.push_back(cell(true, "en", "prescription_refill", 10, 9));
    counts.cells.push_back(cell(true, "en", "symptom_report", 5, 6, "emergency", "child"));
    // The Spanish messages are read with far less confidence than they used to be.
    counts.cells.push_back(cell(true, "es", "book_appointment", 30, 3));
    counts.cells.push_back(cell(true, "es", "symptom_report", 15, 2, "urgent", "older_adult", true));
    auto all = assess_drift(counts);
    EXPECT_EQ(find(all, "lang:es", "intent_confidence").status, "alert");
    EXPECT_EQ(find(all, "lang:es", "clarification").status, "alert");
    EXPECT_EQ(find(all, "lang:en", "intent_confidence").status, "stable");
    EXPECT_EQ(find(all, "lang:en", "clarification").status, "stable");
}

TEST(drift, thin_windows_are_too_few_to_judge) {
    pg::drift_counts counts;
    ordinary(counts, false, 28);
    counts.cells.push_back(cell(true, "es", "prescription_refill", 29, 1));
    auto all = assess_drift(counts);
    EXPECT_EQ(find(all, "all", "language").status, "too_few") << "29 messages in the last day";
    EXPECT_TRUE(alerting(all).empty());
    pg::drift_counts fresh;  // a new clinic: nothing to compare with
    ordinary(fresh, true, 1);
    EXPECT_TRUE(alerting(assess_drift(fresh)).empty());
    EXPECT_EQ(find(assess_drift(fresh), "all", "urgency").status, "too_few");
}

TEST(drift, feedback_measured_accuracy_falling_raises_an_alert) {
    pg::drift_counts counts;
    ordinary(counts, false, 28);
    ordinary(counts, true, 1);
    counts.verdicts.push_back({false, "en", 40, 36});
    counts.verdicts.push_back({true, "en", 25, 10});
    auto all = assess_drift(counts);
    EXPECT_EQ(find(all, "all", "feedback_accuracy").status, "alert");
    EXPECT_EQ(find(all, "lang:en", "feedback_accuracy").status, "alert");
    EXPECT_EQ(find(all, "lang:es", "feedback_accuracy").status, "too_few");
    counts.verdicts.back() = {true, "en", 19, 5};
    EXPECT_EQ(find(assess_drift(counts), "all", "feedback_accuracy").status, "too_few");
}

TEST(drift, age_groups_are_slices_of_their_own) {
    pg::drift_counts counts;
    ordinary(counts, false, 28);
    ordinary(counts, true, 1);
    // Many more messages about children today, mostly read as emergencies.
    counts.cells.push_back(cell(true, "en", "symptom_report", 60, 6, "emergency", "child"));
    auto all = assess_drift(counts);
    EXPECT_EQ(find(all, "all", "age_group").status, "alert");
    EXPECT_EQ(find(all, "age:child", "urgency").status, "stable") << "children's messages were emergencies before too";
    EXPECT_EQ(find(all, "age:child", "intent").current, 65);
}

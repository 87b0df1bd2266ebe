// The metrics registry and its exposition text (server/metrics/registry.hpp). The text is also
// checked by Prometheus's own promtool in the end-to-end test; here the numbers.
#include "server/metrics/registry.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace triage::server::metrics;

TEST(metrics, histogram_buckets_are_cumulative_and_inclusive) {
    histogram h({0.001, 0.01, 0.1});
    h.observe(0.0005);
    h.observe(0.001);  // on the bound: counts in that bucket ("less than or equal")
    h.observe(0.05);
    h.observe(3);
    auto s = h.read();
    ASSERT_EQ(s.cumulative.size(), 4u);
    EXPECT_EQ(s.cumulative[0], 2u);
    EXPECT_EQ(s.cumulative[1], 2u);
    EXPECT_EQ(s.cumulative[2], 3u);
    EXPECT_EQ(s.cumulative[3], 4u);
    EXPECT_EQ(s.count, 4u);
    EXPECT_DOUBLE_EQ(s.sum, 0.0005 + 0.001 + 0.05 + 3);
}

TEST(metrics, bounds_must_ascend) { EXPECT_THROW(histogram({0.1, 0.01}), std::invalid_argument); }

TEST(metrics, a_family_keeps_one_child_per_label_set) {
    family<counter> f("x_total", "X.", {"clinic", "urgency"});
    auto& a = f.with({"demo", "emergency"});
    a.add();
    f.with({"demo", "emergency"}).add(2);
    f.with({"other", "urgent"}).add();
    EXPECT_EQ(&a, &f.with({"demo", "emergency"}));
    EXPECT_EQ(a.value(), 3u);
    EXPECT_EQ(f.children().size(), 2u);
    EXPECT_THROW(f.with({"demo"}), std::invalid_argument);
}

TEST(metrics, counters_count_every_increment_from_many_threads) {
    family<counter> f("y_total", "Y.", {});
    auto& c = f.with({});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) c.add();
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(c.value(), 40000u);
}

TEST(metrics, exposition_text_of_a_counter_and_a_histogram) {
    family<counter> turns("triage_turns_total", "Turns.", {"clinic"});
    turns.with({"demo"}).add(3);
    family<histogram> lat("triage_turn_seconds", "Latency.", {}, {0.5, 1});
    lat.with({}).observe(0.25);
    lat.with({}).observe(2);
    text_writer w;
    w.write(turns);
    w.write(lat);
    EXPECT_EQ(w.text(),
              "# HELP triage_turns_total Turns.\n"
              "# TYPE triage_turns_total counter\n"
              "triage_turns_total{clinic=\"demo\"} 3\n"
              "# HELP triage_turn_seconds Latency.\n"
              "# TYPE triage_turn_seconds histogram\n"
              "triage_turn_seconds_bucket{le=\"0.5\"} 1\n"
              "triage_turn_seconds_bucket{le=\"1\"} 1\n"
              "triage_turn_seconds_bucket{le=\"+Inf\"} 2\n"
              "triage_turn_seconds_sum 2.25\n"
              "triage_turn_seconds_count 2\n");
}

TEST(metrics, label_values_are_escaped) {
    EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    text_writer w;
    w.gauge_sample("g", "help with \\ and\nline", {{"k", "v\"1"}}, 1.5);
    EXPECT_EQ(w.text(), "# HELP g help with \\\\ and\\nline\n# TYPE g gauge\ng{k=\"v\\\"1\"} 1.5\n");
}

TEST(metrics, numbers_read_as_prometheus_reads_them) {
    EXPECT_EQ(format_number(3), "3");
    EXPECT_EQ(format_number(0.00025), "0.00025");
    EXPECT_EQ(format_number(1.0 / 0.0), "+Inf");
    EXPECT_EQ(format_number(0.0 / 0.0), "NaN");
}

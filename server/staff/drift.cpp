#include "server/staff/drift.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

namespace pg = triage::integrations::postgres;

namespace triage::server::staff {
namespace {

using cell_filter = std::function<bool(const pg::drift_cell&)>;
using cell_key = std::function<std::string(const pg::drift_cell&)>;

// Bins named in the order they should be shown; a statistic lists every bin either window has.
std::vector<drift_bin> histogram_of(const pg::drift_counts& counts, const cell_filter& in_slice, const cell_key& key,
                                    const std::vector<std::string>& order = {}) {
    std::map<std::string, drift_bin> by_name;
    for (const auto& name : order) by_name[name].name = name;
    for (const auto& c : counts.cells) {
        if (!in_slice(c)) continue;
        auto& b = by_name[key(c)];
        b.name = key(c);
        (c.current ? b.current : b.reference) += c.messages;
    }
    std::vector<drift_bin> out;
    for (const auto& name : order) out.push_back(by_name[name]);
    for (auto& [name, b] : by_name)
        if (std::find(order.begin(), order.end(), name) == order.end()) out.push_back(b);
    return out;
}

drift_statistic judged(std::string slice, std::string statistic, std::vector<drift_bin> bins, std::int64_t min_current,
                       std::int64_t min_reference, const drift_thresholds& t) {
    drift_statistic s{std::move(slice), std::move(statistic), "too_few", 0, 0, 0, std::move(bins)};
    for (const auto& b : s.bins) {
        s.current += b.current;
        s.reference += b.reference;
    }
    if (s.current < min_current || s.reference < min_reference) return s;
    s.psi = population_stability_index(s.bins);
    s.status = s.psi >= t.alert ? "alert" : s.psi >= t.watch ? "watch" : "stable";
    return s;
}

const std::vector<std::string> urgencies{"none", "self_care", "routine", "urgent", "emergency"};
const std::vector<std::string> age_groups{"infant", "child", "older_adult", "unstated"};

std::vector<std::string> confidence_bins() {
    std::vector<std::string> out;
    for (int b = 0; b < 10; ++b) out.push_back(std::to_string(b) + "0-" + std::to_string(b + 1) + "0%");
    return out;
}

}  // namespace

double population_stability_index(const std::vector<drift_bin>& bins) {
    double current = 0, reference = 0;
    for (const auto& b : bins) {
        current += static_cast<double>(b.current);
        reference += static_cast<double>(b.reference);
    }
    if (current == 0 || reference == 0) return 0;
    // Bins empty in both windows say nothing; smoothing them would read a small window as drift.
    const double n = static_cast<double>(
        std::count_if(bins.begin(), bins.end(), [](const drift_bin& b) { return b.current + b.reference > 0; }));
    double psi = 0;
    for (const auto& b : bins) {
        if (b.current + b.reference == 0) continue;
        const double c = (static_cast<double>(b.current) + 0.5) / (current + 0.5 * n);
        const double r = (static_cast<double>(b.reference) + 0.5) / (reference + 0.5 * n);
        psi += (c - r) * std::log(c / r);
    }
    return psi;
}

std::vector<drift_statistic> assess_drift(const pg::drift_counts& counts, const drift_thresholds& t) {
    // Verdicts are known by language only (not by age group): age slices have none.
    struct slice {
        std::string name;
        cell_filter cells;
        bool by_language, by_age, with_verdicts;
        std::string verdict_lang;  // "" for every language
    };
    std::vector<slice> slices{{"all", [](const pg::drift_cell&) { return true; }, true, true, true, ""}};
    for (std::string lang : {"en", "es"})
        slices.push_back({"lang:" + lang, [lang](const pg::drift_cell& c) { return c.lang == lang; }, false, true, true, lang});
    for (const auto& g : age_groups)
        slices.push_back({"age:" + g, [g](const pg::drift_cell& c) { return c.age_group == g; }, true, false, false, ""});

    const auto confidence_names = confidence_bins();
    std::vector<drift_statistic> out;
    for (const auto& s : slices) {
        auto stat = [&](std::string name, std::vector<drift_bin> bins) {
            out.push_back(judged(s.name, std::move(name), std::move(bins), t.min_current, t.min_reference, t));
        };
        if (s.by_language) stat("language", histogram_of(counts, s.cells, [](const auto& c) { return c.lang; }, {"en", "es"}));
        if (s.by_age)
            stat("age_group", histogram_of(counts, s.cells, [](const auto& c) { return c.age_group; }, age_groups));
        stat("intent", histogram_of(counts, s.cells, [](const auto& c) { return c.intent; }));
        stat("urgency", histogram_of(counts, s.cells, [](const auto& c) { return c.urgency; }, urgencies));
        auto with_confidence = [&](const pg::drift_cell& c) { return c.confidence_bucket >= 0 && s.cells(c); };
        stat("intent_confidence",
             histogram_of(counts, with_confidence,
                          [&](const auto& c) { return confidence_names[static_cast<std::size_t>(std::min(9, c.confidence_bucket))]; },
                          confidence_names));
        stat("clarification",
             histogram_of(counts, s.cells, [](const auto& c) { return c.clarified ? "clarified" : "understood"; },
                          {"understood", "clarified"}));
        if (s.with_verdicts) {
            drift_bin right{"right"}, wrong{"overridden"};
            for (const auto& v : counts.verdicts) {
                if (!s.verdict_lang.empty() && v.lang != s.verdict_lang) continue;
                (v.current ? right.current : right.reference) += v.right;
                (v.current ? wrong.current : wrong.reference) += v.verdicts - v.right;
            }
            out.push_back(judged(s.name, "feedback_accuracy", {right, wrong}, t.min_verdicts, t.min_verdicts, t));
        }
    }
    return out;
}

}  // namespace triage::server::staff

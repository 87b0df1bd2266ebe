#include "server/staff/drift_check.hpp"

#include "server/log.hpp"
#include "server/metrics/product.hpp"
#include "server/staff/drift.hpp"
#include "server/staff/replies.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <set>

namespace asio = boost::asio;
namespace json = boost::json;
namespace pg = triage::integrations::postgres;

namespace triage::server::staff {
namespace {

constexpr std::chrono::hours current_window{24};
constexpr std::chrono::hours reference_window{24 * 28};

// Which statistics of which clinic were in alert at the last check, so that going into alert is
// logged once, by whichever thread checked.
std::mutex alerting_mutex;
std::map<std::string, std::set<std::string>> alerting;

struct report {
    std::vector<drift_statistic> statistics;
    pg::drift_counts counts;
};

asio::awaitable<boost::system::result<report>> check(thread_services& local, const clinic& c) {
    auto counts = co_await local.staff->async_drift_counts(c.id, current_window, reference_window, c.timezone);
    if (!counts) co_return counts.error();
    report out{assess_drift(*counts), std::move(*counts)};
    auto& m = metrics::product();
    std::set<std::string> now_alerting;
    for (const auto& s : out.statistics) {
        m.drift_psi.with({c.slug, s.slice, s.statistic})
            .set(s.status == "too_few" ? std::numeric_limits<double>::quiet_NaN() : s.psi);
        if (s.status == "alert") now_alerting.insert(s.slice + " " + s.statistic);
    }
    m.drift_alerts.with({c.slug}).set(static_cast<double>(now_alerting.size()));
    std::set<std::string> newly;
    {
        std::lock_guard lock(alerting_mutex);
        auto& before = alerting[c.id];
        for (const auto& k : now_alerting)
            if (!before.count(k)) newly.insert(k);
        before = now_alerting;
    }
    for (const auto& s : out.statistics)
        if (s.status == "alert" && newly.count(s.slice + " " + s.statistic))
            log::warn("drift.alert", {{"clinic", log::field_value::code(c.slug)},
                                      {"slice", log::field_value::code(s.slice)},
                                      {"statistic", log::field_value::code(s.statistic)},
                                      {"psi", s.psi}});
    co_return out;
}

json::object statistic_json(const drift_statistic& s) {
    json::array bins;
    for (const auto& b : s.bins) bins.push_back(json::object{{"name", b.name}, {"current", b.current}, {"reference", b.reference}});
    json::object o{{"slice", s.slice}, {"statistic", s.statistic}, {"status", s.status},
                   {"current", s.current}, {"reference", s.reference}, {"bins", std::move(bins)}};
    o["psi"] = s.status == "too_few" ? json::value(nullptr) : json::value(std::round(s.psi * 10000) / 10000);
    return o;
}

}  // namespace

asio::awaitable<api_response> drift(const api_request& r, shared_services& shared, thread_services& local,
                                    const principal& p) {
    if (r.method != "GET") co_return reply(405, json::object{{"error", "method_not_allowed"}});
    if (r.target != "/api/staff/analytics/drift" && r.target != "/api/staff/analytics/drift?")
        co_return reply(400, json::object{{"error", "bad_parameter"}, {"parameter", "query"}});
    auto c = shared.clinics.cached_id(p.clinic_id);
    if (!c) co_return reply(503, json::object{{"error", "unavailable"}});
    auto rep = co_await check(local, *c);
    if (!rep) co_return reply(503, json::object{{"error", "unavailable"}});
    json::array stats, days;
    std::int64_t alerts = 0;
    for (const auto& s : rep->statistics) {
        if (s.status == "alert") ++alerts;
        stats.push_back(statistic_json(s));
    }
    for (const auto& d : rep->counts.days) {
        json::object o{{"day", d.day}, {"lang", d.lang}, {"age_group", d.age_group}};
        if (d.age_group == "all") {
            o["verdicts"] = d.verdicts;
            o["right"] = d.right;
        } else {
            o["messages"] = d.messages;
            o["clarified"] = d.clarified;
            o["emergency"] = d.emergency;
            o["urgent"] = d.urgent;
            o["escalated"] = d.escalated;
            o["mean_confidence"] = d.mean_confidence ? json::value(std::round(*d.mean_confidence * 1000) / 1000)
                                                     : json::value(nullptr);
        }
        days.push_back(std::move(o));
    }
    const drift_thresholds t;
    co_return reply(200, json::object{{"clinic", c->slug},
                                      {"time_zone", c->timezone},
                                      {"current_window_hours", current_window.count()},
                                      {"reference_window_hours", reference_window.count()},
                                      {"thresholds", json::object{{"watch", t.watch}, {"alert", t.alert},
                                                                  {"min_current", t.min_current},
                                                                  {"min_reference", t.min_reference},
                                                                  {"min_verdicts", t.min_verdicts}}},
                                      {"alerts", alerts},
                                      {"statistics", std::move(stats)},
                                      {"days", std::move(days)}});
}

asio::awaitable<void> watch_drift(shared_services& shared, thread_services& local) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex);
    for (;;) {
        timer.expires_after(drift_check_every);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        for (const auto& c : shared.clinics.all()) {
            try {
                auto r = co_await check(local, *c);
                if (!r) log::warn("drift.check_failed", {{"clinic", log::field_value::code(c->slug)}});
            } catch (const std::exception&) {
                log::error("drift.check_threw", {});
            }
        }
    }
}

}  // namespace triage::server::staff

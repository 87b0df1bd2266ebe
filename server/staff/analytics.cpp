#include "server/staff/analytics.hpp"

#include "server/staff/replies.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <chrono>
#include <map>

namespace asio = boost::asio;
namespace json = boost::json;

namespace triage::server::staff {
namespace {

// The longest range one request may ask for: a year is plenty for a page of charts.
constexpr int max_days = 366;

api_response bad_parameter(std::string_view name) {
    return reply(400, json::object{{"error", "bad_parameter"}, {"parameter", name}});
}

std::chrono::year_month_day day_of(std::string_view s) {
    int y = std::stoi(std::string(s.substr(0, 4)));
    unsigned m = static_cast<unsigned>(std::stoi(std::string(s.substr(5, 2))));
    unsigned d = static_cast<unsigned>(std::stoi(std::string(s.substr(8, 2))));
    return std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d};
}

}  // namespace

bool valid_day(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (s[i] < '0' || s[i] > '9') return false;
    return day_of(s).ok();
}

asio::awaitable<api_response> analytics(const api_request& r, shared_services& shared, thread_services& local,
                                        const principal& p) {
    if (r.method != "GET") co_return reply(405, json::object{{"error", "method_not_allowed"}});
    auto u = boost::urls::parse_origin_form(r.target);
    if (!u) co_return bad_parameter("target");
    std::map<std::string, std::vector<std::string>> q;
    for (auto param : u->params()) q[std::string(param.key)].push_back(std::string(param.value));
    for (const auto& [k, v] : q)
        if ((k != "from" && k != "to") || v.size() != 1) co_return bad_parameter(k);
    if (!q.count("from") || !valid_day(q["from"][0])) co_return bad_parameter("from");
    if (!q.count("to") || !valid_day(q["to"][0])) co_return bad_parameter("to");
    const std::string from = q["from"][0], to = q["to"][0];
    auto days = (std::chrono::sys_days(day_of(to)) - std::chrono::sys_days(day_of(from))).count() + 1;
    if (days < 1) co_return reply(400, json::object{{"error", "bad_range"}, {"detail", "to_before_from"}});
    if (days > max_days) co_return reply(400, json::object{{"error", "bad_range"}, {"detail", "longer_than_366_days"}});
    auto c = shared.clinics.cached_id(p.clinic_id);
    std::string tz = c ? c->timezone : std::string("UTC");
    auto a = co_await local.staff->async_analytics(p.clinic_id, from, to, tz);
    if (!a) co_return reply(503, json::object{{"error", "unavailable"}});

    json::array by_day, by_hour, mix, esc, confidence;
    // Every day of the range, with zeros, so a chart's axis is the range asked for.
    std::map<std::string, std::int64_t> counted(a->conversations_by_day.begin(), a->conversations_by_day.end());
    for (auto d = std::chrono::sys_days(day_of(from)); d <= std::chrono::sys_days(day_of(to)); d += std::chrono::days{1}) {
        std::chrono::year_month_day ymd{d};
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                      static_cast<unsigned>(ymd.day()));
        auto it = counted.find(buf);
        by_day.push_back(json::object{{"day", buf}, {"conversations", it == counted.end() ? 0 : it->second}});
    }
    for (std::size_t h = 0; h < 24; ++h) by_hour.push_back(json::object{{"hour", h}, {"conversations", a->conversations_by_hour[h]}});
    for (const auto& [u, n] : a->urgency_mix) mix.push_back(json::object{{"urgency", u}, {"conversations", n}});
    for (const auto& e : a->escalations) {
        json::object o{{"urgency", e.urgency}, {"raised", e.raised}, {"claimed", e.claimed},
                       {"claimed_within_sla", e.claimed_within_sla}};
        o["claim_p50_s"] = e.claim_p50_s ? json::value(*e.claim_p50_s) : json::value(nullptr);
        o["claim_p90_s"] = e.claim_p90_s ? json::value(*e.claim_p90_s) : json::value(nullptr);
        esc.push_back(std::move(o));
    }
    for (std::size_t b = 0; b < 10; ++b)
        confidence.push_back(json::object{{"from", static_cast<double>(b) / 10}, {"to", static_cast<double>(b + 1) / 10},
                                          {"messages", a->intent_confidence[b]}});
    co_return reply(200, json::object{{"clinic", c ? c->slug : std::string()},
                                      {"time_zone", tz},
                                      {"from", from},
                                      {"to", to},
                                      {"conversations", a->conversations},
                                      {"handed_to_staff", a->handed_to_staff},
                                      {"bookings", a->bookings},
                                      {"sla_seconds", a->sla_seconds},
                                      {"by_day", std::move(by_day)},
                                      {"by_hour", std::move(by_hour)},
                                      {"urgency_mix", std::move(mix)},
                                      {"escalations", std::move(esc)},
                                      {"intent_confidence", std::move(confidence)},
                                      // Clinicians' verdicts on the range's escalations and sampled conversations: the override
                                      // rate is the share that is not "right".
                                      {"feedback", json::object{{"verdicts", a->feedback},
                                                                {"over_triaged", a->over_triaged},
                                                                {"under_triaged", a->under_triaged},
                                                                {"override_rate", a->feedback == 0 ? json::value(nullptr)
                                                                     : json::value(static_cast<double>(a->over_triaged + a->under_triaged) /
                                                                                   static_cast<double>(a->feedback))},
                                                                {"safety_reviews_open", a->safety_reviews_open}}}});
}

}  // namespace triage::server::staff

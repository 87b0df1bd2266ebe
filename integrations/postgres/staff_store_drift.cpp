// staff_store::async_drift_counts: the counts the drift and bias check works on, computed in
// PostgreSQL from the audit trail's `message.received` events (what the product made of each
// patient message: codes, never words) and from clinicians' verdicts.
#include "integrations/postgres/staff_store.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <string>

namespace asio = boost::asio;
using boost::system::result;

namespace triage::integrations::postgres {
namespace {

std::int64_t as_int(const std::optional<std::string>& v) { return v ? std::stoll(*v) : 0; }
std::string as_text(const std::optional<std::string>& v) { return v ? *v : std::string(); }

// $1 clinic, $2 current window in seconds, $3 reference window in seconds (just before it),
// $4 the clinic's zone. Messages a person answered ("to": "staff") have no classifier reading.
const std::string window_of_at = "(a.at >= now() - make_interval(secs => $2::float8))";
const std::string events =
    " FROM audit_events a LEFT JOIN conversations c ON c.id = a.conversation_id AND c.clinic_id = a.clinic_id "
    "WHERE a.clinic_id = $1::uuid AND a.action = 'message.received' AND a.detail ? 'intent' "
    "AND a.at >= now() - make_interval(secs => $2::float8 + $3::float8)";
const std::string lang_of = "coalesce(a.detail->>'lang', c.lang)";
const std::string age_of = "coalesce(a.detail->>'age_group', 'unstated')";
const std::string confidence_of =
    "CASE WHEN jsonb_typeof(a.detail->'intent'->'confidence') = 'number' "
    "THEN least(9, greatest(0, floor((a.detail->'intent'->>'confidence')::float8 * 10)))::int ELSE -1 END";
const std::string clarified_of = "coalesce((a.detail->>'clarified')::boolean, false)";
// A verdict counts when what it judges happened: the escalation, or the sampled conversation's start.
const std::string judged_at = "coalesce(e.raised_at, c.started_at)";
const std::string verdict_window = "(" + judged_at + " >= now() - make_interval(secs => $2::float8))";

}  // namespace

asio::awaitable<result<drift_counts>> staff_store::async_drift_counts(std::string clinic_id,
                                                                     std::chrono::seconds current,
                                                                     std::chrono::seconds reference,
                                                                     std::string tz) {
    // The windows' statements take three parameters, the days' ones the zone as well.
    auto params = [&](bool with_zone = false) {
        std::vector<param> ps;
        ps.push_back(text(clinic_id));
        ps.push_back(text(std::to_string(current.count())));
        ps.push_back(text(std::to_string(reference.count())));
        if (with_zone) ps.push_back(text(tz));
        return ps;
    };
    std::vector<statement> sts;
    sts.push_back({"SELECT " + window_of_at + ", " + lang_of + ", " + age_of + ", " +
                       "coalesce(a.detail->'intent'->>'intent', ''), coalesce(a.detail->>'urgency', ''), " +
                       confidence_of + ", " + clarified_of + ", count(*)" + events + " GROUP BY 1, 2, 3, 4, 5, 6, 7",
                   params()});
    sts.push_back({"SELECT " + verdict_window + ", c.lang, count(*), count(*) FILTER (WHERE f.verdict = 'right') "
                   "FROM triage_feedback f "
                   "LEFT JOIN escalations e ON e.id = f.escalation_id AND e.clinic_id = f.clinic_id "
                   "JOIN conversations c ON c.id = coalesce(e.conversation_id, f.conversation_id) AND c.clinic_id = f.clinic_id "
                   "WHERE f.clinic_id = $1::uuid AND " + judged_at + " >= now() - make_interval(secs => $2::float8 + $3::float8) "
                   "GROUP BY 1, 2",
                   params()});
    sts.push_back({"SELECT (a.at AT TIME ZONE $4::text)::date::text, " + lang_of + ", " + age_of + ", count(*), "
                       "count(*) FILTER (WHERE " + clarified_of + "), "
                       "count(*) FILTER (WHERE a.detail->>'urgency' = 'emergency'), "
                       "count(*) FILTER (WHERE a.detail->>'urgency' = 'urgent'), "
                       "count(*) FILTER (WHERE (a.detail->>'escalate')::boolean), "
                       "avg((a.detail->'intent'->>'confidence')::float8) "
                       "  FILTER (WHERE jsonb_typeof(a.detail->'intent'->'confidence') = 'number')" +
                       events + " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                   params(true)});
    sts.push_back({"SELECT (" + judged_at + " AT TIME ZONE $4::text)::date::text, c.lang, count(*), "
                   "count(*) FILTER (WHERE f.verdict = 'right') "
                   "FROM triage_feedback f "
                   "LEFT JOIN escalations e ON e.id = f.escalation_id AND e.clinic_id = f.clinic_id "
                   "JOIN conversations c ON c.id = coalesce(e.conversation_id, f.conversation_id) AND c.clinic_id = f.clinic_id "
                   "WHERE f.clinic_id = $1::uuid AND " + judged_at + " >= now() - make_interval(secs => $2::float8 + $3::float8) "
                   "GROUP BY 1, 2 ORDER BY 1, 2",
                   params(true)});
    auto r = co_await scoped(clinic_id, std::move(sts));
    if (!r) co_return r.error();
    drift_counts out;
    const auto& cells = r->at(0);
    for (std::size_t i = 0; i < cells.size(); ++i) {
        drift_cell c;
        c.current = as_text(cells.at(i, 0)) == "t";
        c.lang = as_text(cells.at(i, 1));
        c.age_group = as_text(cells.at(i, 2));
        c.intent = as_text(cells.at(i, 3));
        c.urgency = as_text(cells.at(i, 4));
        c.confidence_bucket = static_cast<int>(as_int(cells.at(i, 5)));
        c.clarified = as_text(cells.at(i, 6)) == "t";
        c.messages = as_int(cells.at(i, 7));
        out.cells.push_back(std::move(c));
    }
    const auto& verdicts = r->at(1);
    for (std::size_t i = 0; i < verdicts.size(); ++i)
        out.verdicts.push_back({as_text(verdicts.at(i, 0)) == "t", as_text(verdicts.at(i, 1)),
                                as_int(verdicts.at(i, 2)), as_int(verdicts.at(i, 3))});
    const auto& days = r->at(2);
    for (std::size_t i = 0; i < days.size(); ++i) {
        drift_day d;
        d.day = as_text(days.at(i, 0));
        d.lang = as_text(days.at(i, 1));
        d.age_group = as_text(days.at(i, 2));
        d.messages = as_int(days.at(i, 3));
        d.clarified = as_int(days.at(i, 4));
        d.emergency = as_int(days.at(i, 5));
        d.urgent = as_int(days.at(i, 6));
        d.escalated = as_int(days.at(i, 7));
        if (days.at(i, 8)) d.mean_confidence = std::stod(*days.at(i, 8));
        out.days.push_back(std::move(d));
    }
    // Verdicts are known by language (the escalation's conversation), not by age group: they go
    // in a day's "all ages" row.
    const auto& day_verdicts = r->at(3);
    for (std::size_t i = 0; i < day_verdicts.size(); ++i) {
        drift_day d;
        d.day = as_text(day_verdicts.at(i, 0));
        d.lang = as_text(day_verdicts.at(i, 1));
        d.age_group = "all";
        d.verdicts = as_int(day_verdicts.at(i, 2));
        d.right = as_int(day_verdicts.at(i, 3));
        out.days.push_back(std::move(d));
    }
    co_return out;
}

}  // namespace triage::integrations::postgres

// staff_store::async_analytics: the analytics page's figures, computed in PostgreSQL from the
// record (conversations, escalations, audit events), never from anything sealed.
#include "integrations/postgres/staff_store.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <string>

namespace asio = boost::asio;
using boost::system::result;

namespace triage::integrations::postgres {
namespace {

// The first and the last day ($2, $3, "YYYY-MM-DD"), both included, in the zone $4.
const std::string from_ts = "($2::date::timestamp AT TIME ZONE $4::text)";
const std::string to_ts = "(($3::date + 1)::timestamp AT TIME ZONE $4::text)";

std::int64_t as_int(const std::optional<std::string>& v) { return v ? std::stoll(*v) : 0; }

}  // namespace

asio::awaitable<result<clinic_analytics>> staff_store::async_analytics(std::string clinic_id, std::string first_day,
                                                                      std::string last_day, std::string tz) {
    // Every statement takes the same four: clinic, first day, last day, zone.
    auto params = [&] {
        std::vector<param> ps;
        ps.push_back(text(clinic_id));
        ps.push_back(text(first_day));
        ps.push_back(text(last_day));
        ps.push_back(text(tz));
        return ps;
    };
    const std::string conv_range = "clinic_id = $1::uuid AND started_at >= " + from_ts + " AND started_at < " + to_ts;
    const std::string esc_range = "e.clinic_id = $1::uuid AND e.raised_at >= " + from_ts + " AND e.raised_at < " + to_ts;
    const std::string audit_range = "clinic_id = $1::uuid AND at >= " + from_ts + " AND at < " + to_ts;
    std::vector<statement> sts;
    sts.push_back({"SELECT (started_at AT TIME ZONE $4::text)::date::text, count(*) FROM conversations WHERE " +
                       conv_range + " GROUP BY 1 ORDER BY 1",
                   params()});
    sts.push_back({"SELECT extract(hour FROM started_at AT TIME ZONE $4::text)::int, count(*) FROM conversations "
                   "WHERE " + conv_range + " GROUP BY 1 ORDER BY 1",
                   params()});
    sts.push_back({"SELECT highest_urgency, count(*) FROM conversations WHERE " + conv_range + " GROUP BY 1 ORDER BY 1",
                   params()});
    sts.push_back({"SELECT e.urgency, count(*), count(e.claimed_at), "
                   "count(*) FILTER (WHERE e.claimed_at - e.raised_at <= make_interval(secs => c.sla_renotify_s)), "
                   "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.claimed_at - e.raised_at)) "
                   "  FILTER (WHERE e.claimed_at IS NOT NULL), "
                   "percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM e.claimed_at - e.raised_at)) "
                   "  FILTER (WHERE e.claimed_at IS NOT NULL) "
                   "FROM escalations e JOIN clinics c ON c.id = e.clinic_id WHERE " + esc_range +
                       " GROUP BY e.urgency ORDER BY e.urgency",
                   params()});
    sts.push_back({"SELECT (SELECT count(*) FROM conversations WHERE " + conv_range + "), "
                   "(SELECT count(DISTINCT e.conversation_id) FROM escalations e WHERE " + esc_range + "), "
                   "(SELECT count(*) FROM audit_events WHERE " + audit_range +
                       " AND action = 'scheduling.book_slot' AND detail->>'outcome' = 'booked'), "
                   "(SELECT sla_renotify_s FROM clinics WHERE id = $1::uuid)",
                   params()});
    sts.push_back({"SELECT least(9, greatest(0, floor((detail->'intent'->>'confidence')::float8 * 10)))::int, count(*) "
                   "FROM audit_events WHERE " + audit_range +
                       " AND action = 'message.received' AND jsonb_typeof(detail->'intent'->'confidence') = 'number' "
                       "GROUP BY 1 ORDER BY 1",
                   params()});
    sts.push_back({"SELECT count(*), count(*) FILTER (WHERE f.verdict = 'over_triaged'), "
                   "count(*) FILTER (WHERE f.verdict = 'under_triaged'), "
                   "(SELECT count(*) FROM safety_reviews WHERE clinic_id = $1::uuid AND status = 'open') "
                   "FROM triage_feedback f LEFT JOIN escalations e ON e.id = f.escalation_id AND e.clinic_id = f.clinic_id "
                   "LEFT JOIN conversations c ON c.id = f.conversation_id AND c.clinic_id = f.clinic_id "
                   "WHERE f.clinic_id = $1::uuid AND coalesce(e.raised_at, c.started_at) >= " + from_ts +
                       " AND coalesce(e.raised_at, c.started_at) < " + to_ts,
                   params()});
    auto r = co_await scoped(clinic_id, std::move(sts));
    if (!r) co_return r.error();
    clinic_analytics a;
    const auto& days = r->at(0);
    for (std::size_t i = 0; i < days.size(); ++i) a.conversations_by_day.emplace_back(*days.at(i, 0), as_int(days.at(i, 1)));
    const auto& hours = r->at(1);
    for (std::size_t i = 0; i < hours.size(); ++i) {
        auto h = as_int(hours.at(i, 0));
        if (h >= 0 && h < 24) a.conversations_by_hour[static_cast<std::size_t>(h)] = as_int(hours.at(i, 1));
    }
    const auto& mix = r->at(2);
    for (std::size_t i = 0; i < mix.size(); ++i) a.urgency_mix.emplace_back(*mix.at(i, 0), as_int(mix.at(i, 1)));
    const auto& esc = r->at(3);
    for (std::size_t i = 0; i < esc.size(); ++i) {
        clinic_analytics::escalation_figures f;
        f.urgency = *esc.at(i, 0);
        f.raised = as_int(esc.at(i, 1));
        f.claimed = as_int(esc.at(i, 2));
        f.claimed_within_sla = as_int(esc.at(i, 3));
        if (esc.at(i, 4)) f.claim_p50_s = std::stod(*esc.at(i, 4));
        if (esc.at(i, 5)) f.claim_p90_s = std::stod(*esc.at(i, 5));
        a.escalations.push_back(std::move(f));
    }
    const auto& totals = r->at(4);
    if (totals.size() == 1) {
        a.conversations = as_int(totals.at(0, 0));
        a.handed_to_staff = as_int(totals.at(0, 1));
        a.bookings = as_int(totals.at(0, 2));
        a.sla_seconds = as_int(totals.at(0, 3));
    }
    const auto& conf = r->at(5);
    for (std::size_t i = 0; i < conf.size(); ++i) {
        auto b = as_int(conf.at(i, 0));
        if (b >= 0 && b < 10) a.intent_confidence[static_cast<std::size_t>(b)] = as_int(conf.at(i, 1));
    }
    const auto& fb = r->at(6);
    if (fb.size() == 1) {
        a.feedback = as_int(fb.at(0, 0));
        a.over_triaged = as_int(fb.at(0, 1));
        a.under_triaged = as_int(fb.at(0, 2));
        a.safety_reviews_open = as_int(fb.at(0, 3));
    }
    co_return a;
}

}  // namespace triage::integrations::postgres

// staff_store::async_add_feedback / async_feedback: clinicians' verdicts on the product's triage
// and the safety review items an under-triage opens. Codes and ids only.
#include "integrations/postgres/staff_store.hpp"

#include "integrations/errc.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <string>

namespace asio = boost::asio;
using boost::system::error_code;
using boost::system::result;
using triage::integrations::errc;

namespace triage::integrations::postgres {

asio::awaitable<result<triage_feedback_saved>> staff_store::async_add_feedback(std::string clinic_id, triage_feedback f) {
    // The verdict is keyed by (escalation, author): a second one updates the first. The later
    // statements find it by that key, with parameters $1 clinic, $2 escalation, $3 author.
    auto keyed = [&] {
        std::vector<param> v;
        v.push_back(text(clinic_id));
        v.push_back(text(f.escalation_id));
        v.push_back(text(f.author));
        return v;
    };
    const std::string mine = "f.clinic_id = $1::uuid AND f.escalation_id = $2::uuid AND f.author = $3::uuid";
    std::vector<param> upsert = keyed();
    for (const std::string* s : {&f.id, &f.verdict, &f.correct_urgency, &f.correct_intent}) upsert.push_back(text(*s));
    std::vector<statement> sts;
    sts.push_back({"INSERT INTO triage_feedback (id, clinic_id, escalation_id, author, verdict, product_urgency, "
                   "correct_urgency, correct_intent) "
                   "SELECT $4::uuid, e.clinic_id, e.id, u.id, $5::text, e.urgency, $6::text, $7::text "
                   "FROM escalations e JOIN staff_users u ON u.clinic_id = e.clinic_id AND u.id = $3::uuid AND u.active "
                   "WHERE e.id = $2::uuid AND e.clinic_id = $1::uuid "
                   "ON CONFLICT (escalation_id, author) DO UPDATE SET verdict = EXCLUDED.verdict, "
                   "product_urgency = EXCLUDED.product_urgency, correct_urgency = EXCLUDED.correct_urgency, "
                   "correct_intent = EXCLUDED.correct_intent, created_at = now()",
                   std::move(upsert)});
    sts.push_back({"INSERT INTO audit_events (clinic_id, actor, action, conversation_id, detail) "
                   "SELECT f.clinic_id, 'staff:' || f.author, 'triage.feedback', e.conversation_id, "
                   "jsonb_build_object('escalation', e.id, 'feedback', f.id, 'verdict', f.verdict, "
                   "'product_urgency', f.product_urgency, 'correct_urgency', f.correct_urgency, "
                   "'correct_intent', f.correct_intent) "
                   "FROM triage_feedback f JOIN escalations e ON e.id = f.escalation_id AND e.clinic_id = f.clinic_id "
                   "WHERE " + mine,
                   keyed()});
    // A review item, once opened, stays until the safety lead closes it, whatever the verdict
    // becomes later; an under-triage given again opens no second one. Audited when opened.
    sts.push_back({"WITH opened AS (INSERT INTO safety_reviews (clinic_id, escalation_id, feedback_id) "
                   "SELECT f.clinic_id, f.escalation_id, f.id FROM triage_feedback f WHERE " + mine +
                       " AND f.verdict = 'under_triaged' ON CONFLICT (feedback_id) DO NOTHING "
                       "RETURNING id, clinic_id, escalation_id, feedback_id) "
                   "INSERT INTO audit_events (clinic_id, actor, action, conversation_id, detail) "
                   "SELECT o.clinic_id, 'staff:' || $3::text, 'safety_review.opened', e.conversation_id, "
                   "jsonb_build_object('escalation', e.id, 'feedback', o.feedback_id, 'review', o.id) "
                   "FROM opened o JOIN escalations e ON e.id = o.escalation_id AND e.clinic_id = o.clinic_id",
                   keyed()});
    sts.push_back({"SELECT f.id, EXISTS (SELECT 1 FROM safety_reviews s WHERE s.feedback_id = f.id) "
                   "FROM triage_feedback f WHERE " + mine,
                   keyed()});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    if (r->at(0).affected == 0 || r->at(3).size() != 1) co_return error_code(errc::not_found);
    co_return triage_feedback_saved{*r->at(3).at(0, 0), r->at(3).at(0, 1).value_or("f") == "t"};
}

asio::awaitable<result<std::vector<triage_feedback>>> staff_store::async_feedback(std::string clinic_id,
                                                                                 std::string escalation_id) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(text(std::move(escalation_id)));
    std::vector<statement> sts;
    sts.push_back({"SELECT f.id, f.escalation_id, f.author, u.display_name, f.verdict, f.product_urgency, "
                   "f.correct_urgency, f.correct_intent, "
                   "to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                   "EXISTS (SELECT 1 FROM safety_reviews s WHERE s.feedback_id = f.id) "
                   "FROM triage_feedback f JOIN staff_users u ON u.id = f.author AND u.clinic_id = f.clinic_id "
                   "WHERE f.clinic_id = $1::uuid AND f.escalation_id = $2::uuid ORDER BY f.created_at, f.id",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    const rows& found = r->at(0);
    std::vector<triage_feedback> out;
    for (std::size_t i = 0; i < found.size(); ++i) {
        triage_feedback f;
        f.id = *found.at(i, 0);
        f.escalation_id = *found.at(i, 1);
        f.author = *found.at(i, 2);
        f.author_name = found.at(i, 3).value_or("");
        f.verdict = *found.at(i, 4);
        f.product_urgency = *found.at(i, 5);
        f.correct_urgency = *found.at(i, 6);
        f.correct_intent = *found.at(i, 7);
        f.created_at = *found.at(i, 8);
        f.safety_review = found.at(i, 9).value_or("f") == "t";
        out.push_back(std::move(f));
    }
    co_return out;
}

asio::awaitable<result<std::vector<feedback_export_row>>> staff_store::async_feedback_export(std::string clinic_id,
                                                                                          std::string since,
                                                                                          std::string actor) {
    // The message that raised an escalation was written in the same transaction, so it is the
    // last patient message at or before the escalation's time.
    const std::string select =
        "WITH latest AS (SELECT DISTINCT ON (f.escalation_id) f.*, "
        "count(*) OVER (PARTITION BY f.escalation_id) AS verdicts FROM triage_feedback f "
        "WHERE f.clinic_id = $1::uuid AND f.created_at >= $2::date ORDER BY f.escalation_id, f.created_at DESC, f.id) "
        "SELECT l.id, l.verdict, l.product_urgency, l.correct_urgency, l.correct_intent, "
        "to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), c.lang, coalesce(e.triage->>'pack', ''), "
        "coalesce(e.triage->'intent'->>'model', ''), l.verdicts, e.conversation_id, m.seq, m.key_id, m.body "
        "FROM latest l JOIN escalations e ON e.id = l.escalation_id AND e.clinic_id = l.clinic_id "
        "JOIN conversations c ON c.id = e.conversation_id "
        "LEFT JOIN LATERAL (SELECT seq, key_id, body FROM messages WHERE conversation_id = e.conversation_id "
        "AND author = 'patient' AND created_at <= e.raised_at ORDER BY seq DESC LIMIT 1) m ON true "
        "ORDER BY l.created_at, l.id";
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(text(since));
    std::vector<param> audit;
    audit.push_back(text(clinic_id));
    audit.push_back(text(since));
    audit.push_back(text(std::move(actor)));
    std::vector<statement> sts;
    sts.push_back({select, std::move(ps)});
    sts.push_back({"INSERT INTO audit_events (clinic_id, actor, action, detail) "
                   "SELECT $1::uuid, $3::text, 'feedback.exported', jsonb_build_object('since', $2::text, 'cases', "
                   "(SELECT count(DISTINCT escalation_id) FROM triage_feedback WHERE clinic_id = $1::uuid "
                   "AND created_at >= $2::date))",
                   std::move(audit)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    const rows& found = r->at(0);
    std::vector<feedback_export_row> out;
    for (std::size_t i = 0; i < found.size(); ++i) {
        feedback_export_row x;
        x.feedback_id = *found.at(i, 0);
        x.verdict = *found.at(i, 1);
        x.product_urgency = *found.at(i, 2);
        x.correct_urgency = *found.at(i, 3);
        x.correct_intent = *found.at(i, 4);
        x.day = *found.at(i, 5);
        x.lang = *found.at(i, 6);
        x.pack = *found.at(i, 7);
        x.intent_model = *found.at(i, 8);
        x.verdicts = std::stoll(*found.at(i, 9));
        x.conversation_id = *found.at(i, 10);
        if (found.at(i, 11)) {
            x.seq = std::stoull(*found.at(i, 11));
            x.key_id = static_cast<std::uint32_t>(std::stoul(*found.at(i, 12)));
            auto body = decode_bytea(*found.at(i, 13));
            if (!body) co_return error_code(errc::pg_query_failed);
            x.sealed_body = std::move(*body);
        }
        out.push_back(std::move(x));
    }
    co_return out;
}

}  // namespace triage::integrations::postgres

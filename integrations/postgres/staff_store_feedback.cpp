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

namespace {

// A verdict is keyed by (escalation or sampled conversation, author): a second one updates the
// first. The statements after the upsert find it by that key: $1 clinic, $2 subject, $3 author.
struct verdict_key {
    std::string clinic, subject, author;
    const char* column;  // escalation_id | conversation_id
    std::vector<param> params() const {
        std::vector<param> v;
        v.push_back(text(clinic));
        v.push_back(text(subject));
        v.push_back(text(author));
        return v;
    }
    std::string mine() const {
        return std::string("f.clinic_id = $1::uuid AND f.") + column + " = $2::uuid AND f.author = $3::uuid";
    }
    // The upsert's parameters: the key, then $4 id, $5 verdict, $6 urgency, $7 intent.
    std::vector<param> upsert_params(const triage_feedback& f) const {
        auto v = params();
        for (const std::string* s : {&f.id, &f.verdict, &f.correct_urgency, &f.correct_intent}) v.push_back(text(*s));
        return v;
    }
    statement saved() const {
        return {"SELECT f.id, EXISTS (SELECT 1 FROM safety_reviews s WHERE s.feedback_id = f.id) "
                "FROM triage_feedback f WHERE " + mine(),
                params()};
    }
};

// The upsert wrote a row and `saved()` (the last statement) read it back.
result<triage_feedback_saved> saved_of(const std::vector<rows>& r) {
    if (r.front().affected == 0 || r.back().size() != 1) return error_code(errc::not_found);
    return triage_feedback_saved{*r.back().at(0, 0), r.back().at(0, 1).value_or("f") == "t"};
}

}  // namespace

asio::awaitable<result<triage_feedback_saved>> staff_store::async_add_feedback(std::string clinic_id, triage_feedback f) {
    const verdict_key key{clinic_id, f.escalation_id, f.author, "escalation_id"};
    const std::string mine = key.mine();
    std::vector<statement> sts;
    sts.push_back({"INSERT INTO triage_feedback (id, clinic_id, escalation_id, author, verdict, product_urgency, "
                   "correct_urgency, correct_intent) "
                   "SELECT $4::uuid, e.clinic_id, e.id, u.id, $5::text, e.urgency, $6::text, $7::text "
                   "FROM escalations e JOIN staff_users u ON u.clinic_id = e.clinic_id AND u.id = $3::uuid AND u.active "
                   "WHERE e.id = $2::uuid AND e.clinic_id = $1::uuid "
                   "ON CONFLICT (escalation_id, author) DO UPDATE SET verdict = EXCLUDED.verdict, "
                   "product_urgency = EXCLUDED.product_urgency, correct_urgency = EXCLUDED.correct_urgency, "
                   "correct_intent = EXCLUDED.correct_intent, created_at = now()",
                   key.upsert_params(f)});
    sts.push_back({"INSERT INTO audit_events (clinic_id, actor, action, conversation_id, detail) "
                   "SELECT f.clinic_id, 'staff:' || f.author, 'triage.feedback', e.conversation_id, "
                   "jsonb_build_object('escalation', e.id, 'feedback', f.id, 'verdict', f.verdict, "
                   "'product_urgency', f.product_urgency, 'correct_urgency', f.correct_urgency, "
                   "'correct_intent', f.correct_intent) "
                   "FROM triage_feedback f JOIN escalations e ON e.id = f.escalation_id AND e.clinic_id = f.clinic_id "
                   "WHERE " + mine,
                   key.params()});
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
                   key.params()});
    sts.push_back(key.saved());
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    co_return saved_of(*r);
}

namespace {

// The verdicts on one escalation or one sampled conversation (`subject` names the column).
statement feedback_query(const std::string& clinic_id, const char* subject, std::string id) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(text(std::move(id)));
    return {std::string("SELECT f.id, coalesce(f.escalation_id::text, ''), f.author, u.display_name, f.verdict, "
                        "f.product_urgency, f.correct_urgency, f.correct_intent, "
                        "to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                        "EXISTS (SELECT 1 FROM safety_reviews s WHERE s.feedback_id = f.id) "
                        "FROM triage_feedback f JOIN staff_users u ON u.id = f.author AND u.clinic_id = f.clinic_id "
                        "WHERE f.clinic_id = $1::uuid AND f.") +
                subject + " = $2::uuid ORDER BY f.created_at, f.id",
            std::move(ps)};
}

std::vector<triage_feedback> feedback_rows(const rows& found) {
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
    return out;
}

}  // namespace

asio::awaitable<result<std::vector<triage_feedback>>> staff_store::async_feedback(std::string clinic_id,
                                                                                 std::string escalation_id) {
    std::vector<statement> sts;
    sts.push_back(feedback_query(clinic_id, "escalation_id", std::move(escalation_id)));
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    co_return feedback_rows(r->at(0));
}

asio::awaitable<result<std::vector<feedback_export_row>>> staff_store::async_feedback_export(std::string clinic_id,
                                                                                          std::string since,
                                                                                          std::string actor) {
    // The message that raised an escalation was written in the same transaction, so it is the
    // last patient message at or before the escalation's time. A sampled conversation has no such
    // message: its longest patient message stands for it (the one most likely to tell the problem).
    const std::string subject = "coalesce(f.escalation_id, f.conversation_id)";
    const std::string last_reading = "(SELECT a.detail FROM audit_events a WHERE a.conversation_id = c.id "
                                     "AND a.action = 'message.received' ORDER BY a.id DESC LIMIT 1)";
    const std::string select =
        "WITH latest AS (SELECT DISTINCT ON (" + subject + ") f.*, "
        "count(*) OVER (PARTITION BY " + subject + ") AS verdicts FROM triage_feedback f "
        "WHERE f.clinic_id = $1::uuid AND f.created_at >= $2::date ORDER BY " + subject + ", f.created_at DESC, f.id) "
        "SELECT l.id, l.verdict, l.product_urgency, l.correct_urgency, l.correct_intent, "
        "to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), c.lang, "
        "coalesce(e.triage->>'pack', " + last_reading + "->>'pack', ''), "
        "coalesce(e.triage->'intent'->>'model', " + last_reading + "->'intent'->>'model', ''), l.verdicts, c.id, "
        "m.seq, m.key_id, m.body "
        "FROM latest l LEFT JOIN escalations e ON e.id = l.escalation_id AND e.clinic_id = l.clinic_id "
        "JOIN conversations c ON c.id = coalesce(e.conversation_id, l.conversation_id) "
        "LEFT JOIN LATERAL (SELECT seq, key_id, body FROM messages WHERE conversation_id = c.id "
        "AND author = 'patient' AND (e.id IS NULL OR created_at <= e.raised_at) "
        "ORDER BY CASE WHEN e.id IS NULL THEN octet_length(body) ELSE 0 END DESC, seq DESC LIMIT 1) m ON true "
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
                   "(SELECT count(DISTINCT coalesce(escalation_id, conversation_id)) FROM triage_feedback WHERE clinic_id = $1::uuid "
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

// ---- the review sample: conversations that raised no escalation ----

namespace {

// $1 clinic. A fixed hash of the id puts a conversation in or out of the sample, the same on
// every instance and every day: the clinic's share of its quiet conversations.
const std::string in_sample =
    "c.clinic_id = $1::uuid AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.conversation_id = c.id) "
    "AND (('x' || substr(md5(c.id::text), 1, 8))::bit(32)::bigint % 100) < "
    "(SELECT review_sample_percent FROM clinics WHERE id = $1::uuid)";
const std::string sampled_columns =
    "SELECT c.id, to_char(c.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), c.lang, "
    "c.highest_urgency, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.author = 'patient'), "
    "(SELECT count(*) FROM triage_feedback f WHERE f.conversation_id = c.id) FROM conversations c WHERE ";

std::vector<sampled_conversation> sampled_rows(const rows& found) {
    std::vector<sampled_conversation> out;
    for (std::size_t i = 0; i < found.size(); ++i)
        out.push_back({*found.at(i, 0), *found.at(i, 1), *found.at(i, 2), found.at(i, 3).value_or("none"),
                       std::stoll(found.at(i, 4).value_or("0")), std::stoll(found.at(i, 5).value_or("0"))});
    return out;
}

}  // namespace

asio::awaitable<result<std::vector<sampled_conversation>>> staff_store::async_review_sample(std::string clinic_id,
                                                                                           int days) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(text(std::to_string(days)));
    std::vector<statement> sts;
    sts.push_back({sampled_columns + in_sample + " AND c.started_at >= now() - make_interval(days => $2::int) "
                   "AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.author = 'patient') "
                   "ORDER BY c.started_at DESC, c.id LIMIT 200",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    co_return sampled_rows(r->at(0));
}

asio::awaitable<result<std::optional<sampled_conversation>>> staff_store::async_sampled_conversation(
    std::string clinic_id, std::string conversation_id) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(text(std::move(conversation_id)));
    std::vector<statement> sts;
    sts.push_back({sampled_columns + in_sample + " AND c.id = $2::uuid", std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    auto found = sampled_rows(r->at(0));
    if (found.empty()) co_return std::optional<sampled_conversation>();
    co_return std::optional<sampled_conversation>(std::move(found.front()));
}

asio::awaitable<result<triage_feedback_saved>> staff_store::async_add_conversation_feedback(std::string clinic_id,
                                                                                            std::string conversation_id,
                                                                                            triage_feedback f) {
    const verdict_key key{clinic_id, conversation_id, f.author, "conversation_id"};
    const std::string mine = key.mine();
    std::vector<statement> sts;
    sts.push_back({"INSERT INTO triage_feedback (id, clinic_id, conversation_id, author, verdict, product_urgency, "
                   "correct_urgency, correct_intent) "
                   "SELECT $4::uuid, c.clinic_id, c.id, u.id, $5::text, coalesce(c.highest_urgency, 'none'), $6::text, $7::text "
                   "FROM conversations c JOIN staff_users u ON u.clinic_id = c.clinic_id AND u.id = $3::uuid AND u.active "
                   "WHERE c.id = $2::uuid AND " + in_sample + " "
                   "ON CONFLICT (conversation_id, author) WHERE conversation_id IS NOT NULL DO UPDATE SET "
                   "verdict = EXCLUDED.verdict, product_urgency = EXCLUDED.product_urgency, "
                   "correct_urgency = EXCLUDED.correct_urgency, correct_intent = EXCLUDED.correct_intent, created_at = now()",
                   key.upsert_params(f)});
    sts.push_back({"INSERT INTO audit_events (clinic_id, actor, action, conversation_id, detail) "
                   "SELECT f.clinic_id, 'staff:' || f.author, 'triage.feedback', f.conversation_id, "
                   "jsonb_build_object('conversation', f.conversation_id, 'sampled', true, 'feedback', f.id, "
                   "'verdict', f.verdict, 'product_urgency', f.product_urgency, 'correct_urgency', f.correct_urgency, "
                   "'correct_intent', f.correct_intent) FROM triage_feedback f WHERE " + mine,
                   key.params()});
    sts.push_back({"WITH opened AS (INSERT INTO safety_reviews (clinic_id, conversation_id, feedback_id) "
                   "SELECT f.clinic_id, f.conversation_id, f.id FROM triage_feedback f WHERE " + mine +
                       " AND f.verdict = 'under_triaged' ON CONFLICT (feedback_id) DO NOTHING "
                       "RETURNING id, clinic_id, conversation_id, feedback_id) "
                   "INSERT INTO audit_events (clinic_id, actor, action, conversation_id, detail) "
                   "SELECT o.clinic_id, 'staff:' || $3::text, 'safety_review.opened', o.conversation_id, "
                   "jsonb_build_object('conversation', o.conversation_id, 'feedback', o.feedback_id, 'review', o.id) "
                   "FROM opened o",
                   key.params()});
    sts.push_back(key.saved());
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    co_return saved_of(*r);
}

asio::awaitable<result<std::vector<triage_feedback>>> staff_store::async_conversation_feedback(
    std::string clinic_id, std::string conversation_id) {
    std::vector<statement> sts;
    sts.push_back(feedback_query(clinic_id, "conversation_id", std::move(conversation_id)));
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    co_return feedback_rows(r->at(0));
}

}  // namespace triage::integrations::postgres

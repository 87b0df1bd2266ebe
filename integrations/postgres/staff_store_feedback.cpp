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

asio::awaitable<error_code> staff_store::async_add_feedback(std::string clinic_id, triage_feedback f) {
    // Each statement gets exactly the parameters it names (PostgreSQL cannot type an unused one).
    auto ps = [&](std::size_t n) {
        std::vector<param> v;
        for (const std::string* s : {&f.id, &clinic_id, &f.escalation_id, &f.author, &f.verdict, &f.correct_urgency,
                                     &f.correct_intent}) {
            if (v.size() == n) break;
            v.push_back(text(*s));
        }
        return v;
    };
    std::vector<statement> sts;
    // A second verdict by the same person replaces the first (and its review item, if any).
    sts.push_back({"DELETE FROM triage_feedback WHERE clinic_id = $1::uuid AND escalation_id = $2::uuid AND author = $3::uuid",
                   [&] {
                       std::vector<param> v;
                       v.push_back(text(clinic_id));
                       v.push_back(text(f.escalation_id));
                       v.push_back(text(f.author));
                       return v;
                   }()});
    sts.push_back({"INSERT INTO triage_feedback (id, clinic_id, escalation_id, author, verdict, product_urgency, "
                   "correct_urgency, correct_intent) "
                   "SELECT $1::uuid, e.clinic_id, e.id, u.id, $5::text, e.urgency, $6::text, $7::text "
                   "FROM escalations e JOIN staff_users u ON u.clinic_id = e.clinic_id AND u.id = $4::uuid AND u.active "
                   "WHERE e.id = $3::uuid AND e.clinic_id = $2::uuid",
                   ps(7)});
    sts.push_back({"INSERT INTO safety_reviews (clinic_id, escalation_id, feedback_id) "
                   "SELECT clinic_id, escalation_id, id FROM triage_feedback "
                   "WHERE id = $1::uuid AND clinic_id = $2::uuid AND verdict = 'under_triaged'",
                   ps(2)});
    sts.push_back({"INSERT INTO audit_events (clinic_id, actor, action, conversation_id, detail) "
                   "SELECT f.clinic_id, 'staff:' || f.author, a.action, e.conversation_id, "
                   "jsonb_build_object('escalation', e.id, 'feedback', f.id, 'verdict', f.verdict, "
                   "'product_urgency', f.product_urgency, 'correct_urgency', f.correct_urgency, "
                   "'correct_intent', f.correct_intent) "
                   "FROM triage_feedback f JOIN escalations e ON e.id = f.escalation_id AND e.clinic_id = f.clinic_id "
                   "CROSS JOIN (VALUES ('triage.feedback'), ('safety_review.opened')) a(action) "
                   "WHERE f.id = $1::uuid AND f.clinic_id = $2::uuid "
                   "AND (a.action = 'triage.feedback' OR f.verdict = 'under_triaged')",
                   ps(2)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    co_return r->at(1).affected == 0 ? error_code(errc::not_found) : error_code{};
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

}  // namespace triage::integrations::postgres

#include "server/staff/feedback.hpp"

#include "dialog/intent.hpp"
#include "integrations/errc.hpp"
#include "server/ids.hpp"
#include "server/metrics/product.hpp"
#include "server/staff/replies.hpp"
#include "triage-rules/assessment.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace asio = boost::asio;
namespace json = boost::json;
namespace pg = triage::integrations::postgres;
using triage::integrations::errc;

namespace triage::server::staff {
namespace {

json::object feedback_json(const pg::triage_feedback& f) {
    return json::object{{"id", f.id},
                        {"author", json::object{{"id", f.author}, {"name", f.author_name}}},
                        {"verdict", f.verdict},
                        {"product_urgency", f.product_urgency},
                        {"urgency", f.correct_urgency},
                        {"intent", f.correct_intent},
                        {"at", f.created_at},
                        {"safety_review", f.safety_review}};
}

}  // namespace

asio::awaitable<api_response> add_feedback(const api_request& r, shared_services& shared, thread_services& local,
                                           const principal& p, const std::string& escalation_id) {
    if (!p.may_act()) co_return error(403, "forbidden");
    std::string bad;
    auto body = body_object(r.body, {"verdict", "urgency", "intent"}, bad);
    if (!body) co_return bad_field(bad);
    auto verdict = string_field(*body, "verdict");
    if (!verdict || (*verdict != "right" && *verdict != "over_triaged" && *verdict != "under_triaged"))
        co_return bad_field("verdict");
    auto urgency = string_field(*body, "urgency");
    auto correct = urgency ? rules::urgency_from_string(*urgency) : std::nullopt;
    if (!correct) co_return bad_field("urgency");
    auto intent = string_field(*body, "intent");
    const auto& intents = dialog::product_intents;
    if (!intent || std::find(intents.begin(), intents.end(), *intent) == intents.end()) co_return bad_field("intent");

    auto e = co_await local.staff->async_escalation(p.clinic_id, escalation_id);
    if (!e) co_return error(503, "unavailable");
    if (!*e) co_return error(404, "not_found");
    // The verdict and the urgency must tell the same story about what the product said.
    auto said = rules::urgency_from_string((*e)->urgency);
    if (said) {
        const bool consistent = *verdict == "right"          ? *correct == *said
                              : *verdict == "over_triaged"   ? *correct < *said
                                                             : *correct > *said;
        if (!consistent)
            co_return reply(400, json::object{{"error", "inconsistent_feedback"},
                                              {"product_urgency", (*e)->urgency},
                                              {"detail", "right means the same urgency, over_triaged a lower one, "
                                                         "under_triaged a higher one"}});
    }
    pg::triage_feedback f;
    f.id = new_uuid();
    f.escalation_id = escalation_id;
    f.author = p.user_id;
    f.verdict = *verdict;
    f.correct_urgency = *urgency;
    f.correct_intent = *intent;
    auto saved = co_await local.staff->async_add_feedback(p.clinic_id, f);
    if (!saved) co_return saved.error() == errc::not_found ? error(404, "not_found") : error(503, "unavailable");
    auto c = shared.clinics.cached_id(p.clinic_id);
    metrics::product().feedback.with({c ? c->slug : std::string("unknown"), f.verdict}).add();
    f.author_name = p.name;
    f.id = saved->id;
    f.product_urgency = (*e)->urgency;
    f.safety_review = saved->safety_review;
    co_return reply(200, json::object{{"feedback", feedback_json(f)}});
}

asio::awaitable<boost::system::result<json::array>> feedback_of(thread_services& local, const std::string& clinic_id,
                                                                const std::string& escalation_id) {
    auto list = co_await local.staff->async_feedback(clinic_id, escalation_id);
    if (!list) co_return list.error();
    json::array out;
    for (const auto& f : *list) out.push_back(feedback_json(f));
    co_return out;
}

}  // namespace triage::server::staff

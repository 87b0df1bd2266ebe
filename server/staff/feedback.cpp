#include "server/staff/feedback.hpp"

#include "dialog/intent.hpp"
#include "integrations/errc.hpp"
#include "server/ids.hpp"
#include "server/metrics/product.hpp"
#include "server/log.hpp"
#include "server/staff/replies.hpp"
#include "server/staff/views.hpp"
#include "triage-rules/assessment.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <variant>

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

// A verdict as the request gives it, checked; or the reply that refuses it.
struct verdict_input {
    std::string verdict, urgency, intent;
};
std::variant<verdict_input, api_response> read_verdict(const api_request& r) {
    std::string bad;
    auto body = body_object(r.body, {"verdict", "urgency", "intent"}, bad);
    if (!body) return bad_field(bad);
    auto verdict = string_field(*body, "verdict");
    if (!verdict || (*verdict != "right" && *verdict != "over_triaged" && *verdict != "under_triaged"))
        return bad_field("verdict");
    auto urgency = string_field(*body, "urgency");
    if (!urgency || !rules::urgency_from_string(*urgency)) return bad_field("urgency");
    auto intent = string_field(*body, "intent");
    const auto& intents = dialog::product_intents;
    if (!intent || std::find(intents.begin(), intents.end(), *intent) == intents.end()) return bad_field("intent");
    return verdict_input{*verdict, *urgency, *intent};
}

// The verdict and the urgency must tell the same story about what the product said.
std::optional<api_response> inconsistent(const verdict_input& v, const std::string& product_urgency) {
    auto said = rules::urgency_from_string(product_urgency);
    auto correct = rules::urgency_from_string(v.urgency);
    if (!said || !correct) return std::nullopt;
    const bool consistent = v.verdict == "right"          ? *correct == *said
                          : v.verdict == "over_triaged"   ? *correct < *said
                                                          : *correct > *said;
    if (consistent) return std::nullopt;
    return reply(400, json::object{{"error", "inconsistent_feedback"},
                                   {"product_urgency", product_urgency},
                                   {"detail", "right means the same urgency, over_triaged a lower one, "
                                              "under_triaged a higher one"}});
}

pg::triage_feedback new_feedback(const principal& p, const verdict_input& v) {
    pg::triage_feedback f;
    f.id = new_uuid();
    f.author = p.user_id;
    f.verdict = v.verdict;
    f.correct_urgency = v.urgency;
    f.correct_intent = v.intent;
    return f;
}

api_response saved_reply(shared_services& shared, const principal& p, pg::triage_feedback f,
                         const pg::triage_feedback_saved& saved, const std::string& product_urgency) {
    auto c = shared.clinics.cached_id(p.clinic_id);
    metrics::product().feedback.with({c ? c->slug : std::string("unknown"), f.verdict}).add();
    f.author_name = p.name;
    f.id = saved.id;
    f.product_urgency = product_urgency;
    f.safety_review = saved.safety_review;
    return reply(200, json::object{{"feedback", feedback_json(f)}});
}

json::object sampled_json(const pg::sampled_conversation& c) {
    return json::object{{"conversation", c.id},       {"started_at", c.started_at},
                        {"lang", c.lang},             {"urgency", c.highest_urgency},
                        {"patient_messages", c.patient_messages}, {"verdicts", c.verdicts}};
}

}  // namespace

asio::awaitable<api_response> add_feedback(const api_request& r, shared_services& shared, thread_services& local,
                                           const principal& p, const std::string& escalation_id) {
    if (!p.may_act()) co_return error(403, "forbidden");
    auto v = read_verdict(r);
    if (auto* refused = std::get_if<api_response>(&v)) co_return std::move(*refused);
    const auto& in = std::get<verdict_input>(v);
    auto e = co_await local.staff->async_escalation(p.clinic_id, escalation_id);
    if (!e) co_return error(503, "unavailable");
    if (!*e) co_return error(404, "not_found");
    if (auto no = inconsistent(in, (*e)->urgency)) co_return std::move(*no);
    auto f = new_feedback(p, in);
    f.escalation_id = escalation_id;
    auto saved = co_await local.staff->async_add_feedback(p.clinic_id, f);
    if (!saved) co_return saved.error() == errc::not_found ? error(404, "not_found") : error(503, "unavailable");
    co_return saved_reply(shared, p, std::move(f), *saved, (*e)->urgency);
}

asio::awaitable<api_response> review_sample(const api_request& r, shared_services& shared, thread_services& local,
                                            const principal& p, const std::string& conversation_id,
                                            std::string_view action) {
    if (conversation_id.empty()) {
        if (r.method != "GET") co_return error(405, "method_not_allowed");
        if (!p.may_open()) co_return error(403, "forbidden");
        if (r.target != "/api/staff/review-sample") co_return reply(400, json::object{{"error", "bad_parameter"},
                                                                                     {"parameter", "query"}});
        auto list = co_await local.staff->async_review_sample(p.clinic_id, 7);
        if (!list) co_return error(503, "unavailable");
        json::array out;
        for (const auto& c : *list) out.push_back(sampled_json(c));
        co_return reply(200, json::object{{"days", 7}, {"conversations", std::move(out)}});
    }
    auto c = co_await local.staff->async_sampled_conversation(p.clinic_id, conversation_id);
    if (!c) co_return error(503, "unavailable");
    if (!*c) co_return error(404, "not_found");
    if (action == "feedback") {
        if (r.method != "POST") co_return error(405, "method_not_allowed");
        if (!p.may_act()) co_return error(403, "forbidden");
        auto v = read_verdict(r);
        if (auto* refused = std::get_if<api_response>(&v)) co_return std::move(*refused);
        const auto& in = std::get<verdict_input>(v);
        if (auto no = inconsistent(in, (*c)->highest_urgency)) co_return std::move(*no);
        auto f = new_feedback(p, in);
        auto saved = co_await local.staff->async_add_conversation_feedback(p.clinic_id, conversation_id, f);
        if (!saved) co_return saved.error() == errc::not_found ? error(404, "not_found") : error(503, "unavailable");
        co_return saved_reply(shared, p, std::move(f), *saved, (*c)->highest_urgency);
    }
    if (!action.empty()) co_return error(404, "not_found");
    if (r.method != "GET") co_return error(405, "method_not_allowed");
    if (!p.may_open()) co_return error(403, "forbidden");
    // Every opening of a transcript is on the record; no audit row, no transcript.
    std::string detail = json::serialize(json::object{{"conversation", conversation_id}, {"sampled", true}, {"user", p.user_id}});
    if (co_await local.store->async_audit(p.clinic_id, "staff:" + p.user_id, "conversation.viewed", std::move(detail)))
        co_return error(503, "unavailable");
    auto entries = co_await local.store->async_transcript_after(p.clinic_id, conversation_id, 0);
    if (!entries) co_return error(503, "unavailable");
    json::array transcript;
    for (const auto& t : *entries) {
        auto body = open_entry(shared, p.clinic_id, conversation_id, t);
        if (!body) {
            log::error("transcript.decrypt_failed", {{"seq", t.seq}});
            continue;
        }
        transcript.push_back(entry_json(t, *body));
    }
    auto given = co_await local.staff->async_conversation_feedback(p.clinic_id, conversation_id);
    if (!given) co_return error(503, "unavailable");
    json::array feedback;
    for (const auto& f : *given) feedback.push_back(feedback_json(f));
    auto o = sampled_json(**c);
    o["transcript"] = std::move(transcript);
    o["feedback"] = std::move(feedback);
    co_return reply(200, std::move(o));
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

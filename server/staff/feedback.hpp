#pragma once
// Clinicians' feedback on the product's triage (docs/staff-api.md, "Triage feedback"): on an
// escalation, staff say whether its urgency was right, over- or under-triaged, and what urgency
// and intent it should have had. An under-triage opens a safety review item. Codes only.

#include "server/services.hpp"
#include "server/staff/api.hpp"
#include "server/staff/principal.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/system/result.hpp>

#include <string>

namespace triage::server::staff {

// POST /api/staff/escalations/{id}/feedback {"verdict", "urgency", "intent"}.
boost::asio::awaitable<api_response> add_feedback(const api_request& r, shared_services& shared, thread_services& local,
                                                  const principal& p, const std::string& escalation_id);

// The review sample (docs/staff-api.md, "Review sample"): GET /api/staff/review-sample lists the
// sampled conversations that raised no escalation (last 7 days); GET .../{conversation} opens one
// (audited) with its verdicts; POST .../{conversation}/feedback gives a verdict on it.
// `conversation_id` is empty for the list; `action` is "" or "feedback".
boost::asio::awaitable<api_response> review_sample(const api_request& r, shared_services& shared, thread_services& local,
                                                   const principal& p, const std::string& conversation_id,
                                                   std::string_view action);

// The verdicts given on one escalation, oldest first, for its detail view.
boost::asio::awaitable<boost::system::result<boost::json::array>> feedback_of(thread_services& local,
                                                                              const std::string& clinic_id,
                                                                              const std::string& escalation_id);

}  // namespace triage::server::staff

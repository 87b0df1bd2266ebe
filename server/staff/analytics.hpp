#pragma once
// GET /api/staff/analytics?from=YYYY-MM-DD&to=YYYY-MM-DD: the clinic's figures for the analytics
// page (web/staff/analytics.html), days in the clinic's zone. Counts and durations only.

#include "server/services.hpp"
#include "server/staff/api.hpp"
#include "server/staff/principal.hpp"

#include <boost/asio/awaitable.hpp>

namespace triage::server::staff {

boost::asio::awaitable<api_response> analytics(const api_request& r, shared_services& shared, thread_services& local,
                                               const principal& p);

// "YYYY-MM-DD" of a real calendar day.
bool valid_day(std::string_view s);

}  // namespace triage::server::staff

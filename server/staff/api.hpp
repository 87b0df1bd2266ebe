#pragma once
// The staff HTTP API (docs/staff-api.md): sign-in and sign-out, the escalation queue, one
// escalation's full view, and the lifecycle actions. Every request is checked against the
// session's role and clinic before anything is read; another clinic's ids answer not_found.

#include "server/services.hpp"
#include "server/staff/principal.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace triage::server::staff {

struct api_response {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;  // Set-Cookie, Location, Retry-After
};

// True for the paths this layer answers: /api/staff/... and /staff/callback.
bool handles(std::string_view path);

// runs on: the connection's I/O thread. Never throws: an internal failure is a 500 with a code.
boost::asio::awaitable<api_response> handle(api_request r, shared_services& shared, thread_services& local);

}  // namespace triage::server::staff

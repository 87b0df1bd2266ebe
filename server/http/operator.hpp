#pragma once
// The operator's endpoints (docs/observability.md), on a listener of their own:
//   GET /metrics                 Prometheus text exposition (ids and codes only, never PHI)
//   GET /log-levels              the configured level and each component's own
//   PUT /log-levels?component=C&level=L   L = debug | info | warn | error | default
// With metrics.token set, every request needs "Authorization: Bearer <token>".

#include "server/services.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <string>
#include <string_view>

namespace triage::server::http {

// runs on: the socket's I/O thread; visits every I/O thread for its gauges. Never throws out.
boost::asio::awaitable<void> serve_operator_connection(boost::asio::ip::tcp::socket socket, shared_services& shared);

// The whole exposition text: the stored metrics and what is measured at scrape time.
boost::asio::awaitable<std::string> metrics_text(shared_services& shared, thread_services& local);

// Constant time; false when no token is configured.
bool operator_token_ok(std::string_view authorization, const std::string& token);

}  // namespace triage::server::http

#pragma once
// One accepted TCP connection: TLS handshake when configured, then HTTP requests until the client
// closes or upgrades to the patient WebSocket.

#include "server/services.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>

namespace triage::server::http {

// runs on: the socket's executor. Never throws out (every failure ends the connection quietly).
boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket, shared_services& shared,
                                              thread_services& local, boost::asio::ssl::context* tls,
                                              std::uint64_t connection_id);

}  // namespace triage::server::http

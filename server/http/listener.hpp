#pragma once
// Accepts TCP connections and serves HTTP (static files, health, readiness) and the patient
// WebSocket on one port, over TLS, or plain on loopback in development mode.

#include "server/services.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <functional>
#include <memory>
#include <vector>

namespace triage::server::http {

// runs on: the acceptor's context for accepting; each connection on the thread it is handed to.
class listener {
public:
    // Connections go round-robin to shared.io_threads (STYLE A1). `operator_endpoints`: serve
    // only the operator's endpoints (server/http/operator.hpp), plain.
    listener(shared_services& shared, boost::asio::ssl::context* tls, bool operator_endpoints = false);

    // Binds and listens; returns the bound port (useful when the configured port is 0).
    unsigned short bind(const std::string& address, unsigned short port);
    // Starts the accept loop on the first I/O thread.
    void start();
    void stop();

private:
    boost::asio::awaitable<void> accept_loop();
    shared_services& shared_;
    boost::asio::ssl::context* tls_;
    bool operator_endpoints_;
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
    std::size_t next_ = 0;
};

}  // namespace triage::server::http

#include "server/http/listener.hpp"

#include "server/http/connection.hpp"
#include "server/http/operator.hpp"
#include "server/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace triage::server::http {

listener::listener(shared_services& shared, asio::ssl::context* tls, bool operator_endpoints)
    : shared_(shared), tls_(tls), operator_endpoints_(operator_endpoints) {}

unsigned short listener::bind(const std::string& address, unsigned short port) {
    acceptor_ = std::make_unique<tcp::acceptor>(*shared_.io_threads.front().first);
    tcp::endpoint ep(asio::ip::make_address(address), port);
    acceptor_->open(ep.protocol());
    acceptor_->set_option(asio::socket_base::reuse_address(true));
    acceptor_->bind(ep);
    acceptor_->listen(asio::socket_base::max_listen_connections);
    return acceptor_->local_endpoint().port();
}

void listener::start() {
    asio::co_spawn(*shared_.io_threads.front().first, accept_loop(), [](std::exception_ptr e) {
        if (e) log::error("listener.stopped_by_exception");
    });
}

void listener::stop() {
    if (acceptor_) {
        boost::system::error_code ignored;
        acceptor_->close(ignored);
    }
}

asio::awaitable<void> listener::accept_loop() {
    std::uint64_t connection_id = 0;
    for (;;) {
        // Round-robin: each connection lives on one I/O thread for life.
        auto [context, services] = shared_.io_threads[next_++ % shared_.io_threads.size()];
        auto [ec, socket] = co_await acceptor_->async_accept(context->get_executor(),
                                                             asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) {
            // EMFILE and friends: keep accepting once descriptors free up.
            log::warn("listener.accept_failed", {{"ec", ec}});
            asio::steady_timer pause(acceptor_->get_executor(), std::chrono::milliseconds(50));
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        auto ex = socket.get_executor();
        if (operator_endpoints_) {
            asio::co_spawn(ex, serve_operator_connection(std::move(socket), shared_), [](std::exception_ptr e) {
                if (e) log::error("operator.connection_stopped_by_exception");
            });
            continue;
        }
        asio::co_spawn(ex, serve_connection(std::move(socket), shared_, *services, tls_, ++connection_id),
                       [](std::exception_ptr e) {
                           if (e) log::error("connection.stopped_by_exception");
                       });
    }
}

}  // namespace triage::server::http

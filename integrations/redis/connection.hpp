#pragma once
// One Redis connection on one executor, with per-command deadlines and automatic reconnection.

#include "integrations/event_sink.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

struct redisAsyncContext;

namespace triage::integrations::redis {

struct reply {
    enum class kind { nil, string, status, integer, array, error };
    kind type = kind::nil;
    std::string str;           // string, status or error text (errors are never logged: G3)
    long long integer = 0;
    std::vector<reply> elements;
};

struct connection_settings {
    std::string address = "127.0.0.1";  // numeric: hiredis 0.14 resolves names with blocking DNS
    unsigned short port = 6379;
    std::chrono::milliseconds command_timeout{500};
    std::chrono::milliseconds connect_timeout{1000};
    // After a failed connect, commands fail fast for this long instead of hammering a dead server.
    std::chrono::milliseconds reconnect_backoff{200};
};

// runs on: the executor given at construction; every member must be called there.
class connection : public std::enable_shared_from_this<connection> {
public:
    connection(boost::asio::any_io_executor ex, connection_settings settings, event_sink& sink);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // Sends one command and waits for its reply. Connects first if needed; while Redis is down,
    // fails with errc::redis_unavailable without waiting. A command past its deadline fails with
    // errc::timeout and the connection is dropped, because the reply stream is no longer in step.
    // A Redis error reply is returned as a value of kind::error, not as a failure.
    boost::asio::awaitable<boost::system::result<reply>> async_command(std::vector<std::string> args);

    bool connected() const noexcept { return connected_; }
    void close() noexcept;

private:
    friend struct connection_callbacks;
    bool start_connect();
    void drop() noexcept;

    boost::asio::any_io_executor ex_;
    connection_settings settings_;
    event_sink& sink_;
    redisAsyncContext* ac_ = nullptr;
    bool connected_ = false;
    std::chrono::steady_clock::time_point last_failure_{};
    std::shared_ptr<void> connect_deadline_;  // steady_timer, type-erased to keep Asio out of the header
};

}  // namespace triage::integrations::redis

#pragma once
// Redis pub/sub, the fan-out between server instances: an escalation raised on one instance
// reaches staff consoles connected to any other within milliseconds. Redis only carries the news
// (ids and codes, never PHI); PostgreSQL is the record, so a subscriber that was disconnected is
// told it resubscribed and its owner catches up from there.
//
// A subscribed connection can do nothing but subscribe, so it is separate from `connection`;
// publishing goes through an ordinary `connection` (`PUBLISH channel payload`).

#include "integrations/event_sink.hpp"
#include "integrations/redis/connection.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

struct redisAsyncContext;

namespace triage::integrations::redis {

// runs on: the executor given at construction; every member must be called there, and the
// handlers are called there.
class subscriber : public std::enable_shared_from_this<subscriber> {
public:
    using message_handler = std::function<void(std::string_view channel, std::string_view payload)>;

    // `on_resubscribed` runs after every reconnection once the channels are subscribed again:
    // messages published meanwhile were lost, and the owner should catch up from the record.
    subscriber(boost::asio::any_io_executor ex, connection_settings settings, event_sink& sink,
               message_handler on_message, std::function<void()> on_resubscribed);
    ~subscriber();
    subscriber(const subscriber&) = delete;
    subscriber& operator=(const subscriber&) = delete;

    // Adds a channel (kept across reconnections). Connects if needed.
    void subscribe(const std::string& channel);
    void unsubscribe(const std::string& channel);
    // True once Redis confirmed every channel asked for (for tests and readiness).
    bool subscribed(const std::string& channel) const { return confirmed_.count(channel) > 0; }
    void close() noexcept;

private:
    friend struct subscriber_callbacks;
    void connect();
    void schedule_reconnect();
    void send(const char* verb, const std::string& channel);
    void drop() noexcept;
    void settled();  // every wanted channel is confirmed on this connection

    boost::asio::any_io_executor ex_;
    connection_settings settings_;
    event_sink& sink_;
    message_handler on_message_;
    std::function<void()> on_resubscribed_;
    redisAsyncContext* ac_ = nullptr;
    bool connected_ = false;
    bool closed_ = false;
    bool ever_connected_ = false;
    bool reconnect_pending_ = false;
    bool resync_due_ = false;          // this connection follows a lost one
    std::set<std::string> channels_;   // wanted
    std::set<std::string> confirmed_;  // acknowledged by Redis on this connection
    std::shared_ptr<void> timer_;      // steady_timer, type-erased to keep Asio out of the header
};

}  // namespace triage::integrations::redis

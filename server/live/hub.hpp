#pragma once
// News between server instances, per I/O thread: one Redis subscriber connection, shared by every
// patient conversation and staff console on the thread. Listeners register for a channel; the hub
// subscribes while at least one listener wants it. News carries ids, codes and sequence numbers
// only: PHI stays in PostgreSQL, sealed, and listeners read it from there (docs/architecture.md,
// "Escalation desk").
//
// Channels:
//   desk_channel(clinic)        escalations raised and changed; staff sessions revoked
//   live_channel(conversation)  a conversation with staff: new transcript entries, typing,
//                               staff joining, handing back, resolving, service-level notices
//
// runs on: its I/O thread; every member, and every listener callback, runs there.

#include "integrations/event_sink.hpp"
#include "integrations/redis/connection.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace triage::integrations::redis {
class subscriber;
}

namespace triage::server::live {

inline std::string desk_channel(const std::string& clinic_id) { return "triage:desk:" + clinic_id; }
inline std::string live_channel(const std::string& conversation_id) { return "triage:live:" + conversation_id; }

class listener {
public:
    virtual ~listener() = default;
    // Must not block or throw; queue the work and return.
    virtual void on_news(std::string_view channel, std::string_view payload) = 0;
    // News may have been lost while Redis was away: catch up from PostgreSQL.
    virtual void on_resync() = 0;
};

class hub {
public:
    hub(boost::asio::any_io_executor ex, integrations::redis::connection_settings settings,
        integrations::event_sink& sink, std::shared_ptr<integrations::redis::connection> publisher);
    ~hub();
    hub(const hub&) = delete;
    hub& operator=(const hub&) = delete;

    void listen(const std::string& channel, listener* l);
    void stop_listening(const std::string& channel, listener* l);
    // True once Redis confirmed the subscription (news published before may be missed).
    bool listening(const std::string& channel) const;

    // PUBLISH; a failure is logged and returned false. News is a hint: the record is PostgreSQL.
    boost::asio::awaitable<bool> publish(std::string channel, std::string payload);

private:
    void deliver(std::string_view channel, std::string_view payload);
    void resync();
    std::shared_ptr<integrations::redis::subscriber> sub_;
    std::shared_ptr<integrations::redis::connection> publisher_;
    std::multimap<std::string, listener*, std::less<>> listeners_;
};

// Keeps a listener registered for as long as it lives.
class subscription {
public:
    subscription() = default;
    subscription(hub& h, std::string channel, listener* l) : hub_(&h), channel_(std::move(channel)), l_(l) {
        hub_->listen(channel_, l_);
    }
    ~subscription() { reset(); }
    subscription(subscription&& o) noexcept : hub_(o.hub_), channel_(std::move(o.channel_)), l_(o.l_) { o.hub_ = nullptr; }
    subscription& operator=(subscription&& o) noexcept {
        if (this != &o) {
            reset();
            hub_ = o.hub_;
            channel_ = std::move(o.channel_);
            l_ = o.l_;
            o.hub_ = nullptr;
        }
        return *this;
    }
    void reset() {
        if (hub_) hub_->stop_listening(channel_, l_);
        hub_ = nullptr;
    }
    const std::string& channel() const { return channel_; }
    bool active() const { return hub_ != nullptr; }

private:
    hub* hub_ = nullptr;
    std::string channel_;
    listener* l_ = nullptr;
};

}  // namespace triage::server::live

#include "integrations/redis/subscriber.hpp"

#include "integrations/errc.hpp"
#include "integrations/redis/asio_adapter.hpp"

#include <boost/asio/steady_timer.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <utility>

namespace asio = boost::asio;
using boost::system::error_code;

namespace triage::integrations::redis {

namespace {
std::string_view text_of(const redisReply* r) {
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) ? std::string_view(r->str, r->len)
                                                                                : std::string_view();
}
}  // namespace

struct subscriber_callbacks {
    static subscriber* self_of(const redisAsyncContext* c) { return c ? static_cast<subscriber*>(c->data) : nullptr; }

    static void on_connect(const redisAsyncContext* c, int status) {
        auto* self = self_of(c);
        if (!self) return;
        if (status != REDIS_OK) {
            // hiredis frees the context after this callback returns.
            self->ac_ = nullptr;
            self->connected_ = false;
            self->sink_.report("redis.subscriber_connect_failed", errc::redis_unavailable);
            self->schedule_reconnect();
            return;
        }
        self->connected_ = true;
        self->sink_.report("redis.subscriber_connected");
        for (const auto& ch : self->channels_) self->send("SUBSCRIBE", ch);
        // Nothing to subscribe to: a reconnection still means messages may have been missed.
        if (self->channels_.empty()) self->settled();
    }

    static void on_disconnect(const redisAsyncContext* c, int status) {
        auto* self = self_of(c);
        if (!self) return;
        self->ac_ = nullptr;
        self->connected_ = false;
        self->confirmed_.clear();
        self->sink_.report("redis.subscriber_disconnected", status == REDIS_OK ? error_code{} : errc::redis_unavailable);
        if (!self->closed_) self->schedule_reconnect();
    }

    // hiredis keeps this callback for the channel: it runs for the confirmation and every message.
    static void on_reply(redisAsyncContext* c, void* r, void*) {
        auto* self = self_of(c);
        auto* reply = static_cast<redisReply*>(r);
        if (!self || !reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
        const std::string_view kind = text_of(reply->element[0]);
        const std::string channel(text_of(reply->element[1]));
        if (kind == "message") {
            if (self->on_message_) self->on_message_(channel, text_of(reply->element[2]));
        } else if (kind == "subscribe") {
            self->confirmed_.insert(channel);
            if (self->confirmed_.size() == self->channels_.size()) self->settled();
        } else if (kind == "unsubscribe") {
            self->confirmed_.erase(channel);
        }
    }
};

subscriber::subscriber(asio::any_io_executor ex, connection_settings settings, event_sink& sink,
                       message_handler on_message, std::function<void()> on_resubscribed)
    : ex_(std::move(ex)), settings_(std::move(settings)), sink_(sink), on_message_(std::move(on_message)),
      on_resubscribed_(std::move(on_resubscribed)) {}

subscriber::~subscriber() { close(); }

void subscriber::settled() {
    ever_connected_ = true;
    if (std::exchange(resync_due_, false) && on_resubscribed_) on_resubscribed_();
}

void subscriber::close() noexcept {
    closed_ = true;
    if (timer_) static_cast<asio::steady_timer*>(timer_.get())->cancel();
    drop();
}

void subscriber::drop() noexcept {
    if (!ac_) return;
    redisAsyncContext* ac = ac_;
    ac->data = nullptr;
    ac_ = nullptr;
    connected_ = false;
    confirmed_.clear();
    redisAsyncFree(ac);
}

void subscriber::send(const char* verb, const std::string& channel) {
    if (!ac_) return;
    redisAsyncCommand(ac_, &subscriber_callbacks::on_reply, nullptr, "%s %b", verb, channel.data(), channel.size());
}

void subscriber::subscribe(const std::string& channel) {
    if (!channels_.insert(channel).second) return;
    if (connected_) send("SUBSCRIBE", channel);
    else if (!ac_ && !reconnect_pending_) connect();
}

void subscriber::unsubscribe(const std::string& channel) {
    if (!channels_.erase(channel)) return;
    if (connected_) send("UNSUBSCRIBE", channel);
}

void subscriber::connect() {
    if (closed_ || ac_) return;
    redisAsyncContext* ac = redisAsyncConnect(settings_.address.c_str(), settings_.port);
    if (!ac) return schedule_reconnect();
    if (ac->err || !attach_asio(ac, ex_)) {
        redisAsyncFree(ac);
        sink_.report("redis.subscriber_connect_failed", errc::redis_unavailable);
        return schedule_reconnect();
    }
    ac->data = this;
    redisAsyncSetConnectCallback(ac, &subscriber_callbacks::on_connect);
    redisAsyncSetDisconnectCallback(ac, &subscriber_callbacks::on_disconnect);
    ac_ = ac;
    // Every connection after the first may have missed messages.
    resync_due_ = ever_connected_;

    // hiredis 0.14 has no connect timeout in its async API.
    auto timer = std::make_shared<asio::steady_timer>(ex_, settings_.connect_timeout);
    timer_ = timer;
    timer->async_wait([weak = weak_from_this(), ac](error_code ec) {
        if (ec) return;
        auto self = weak.lock();
        if (self && self->ac_ == ac && !self->connected_) {
            self->sink_.report("redis.subscriber_connect_timeout", errc::timeout);
            self->drop();
            self->schedule_reconnect();
        }
    });
}

void subscriber::schedule_reconnect() {
    if (closed_ || reconnect_pending_) return;
    reconnect_pending_ = true;
    auto timer = std::make_shared<asio::steady_timer>(ex_, settings_.reconnect_backoff);
    timer_ = timer;
    timer->async_wait([weak = weak_from_this()](error_code ec) {
        auto self = weak.lock();
        if (!self) return;
        self->reconnect_pending_ = false;
        if (!ec && !self->closed_ && !self->ac_) self->connect();
    });
}

}  // namespace triage::integrations::redis

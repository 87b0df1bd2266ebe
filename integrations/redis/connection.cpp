#include "integrations/redis/connection.hpp"

#include "integrations/errc.hpp"
#include "integrations/redis/asio_adapter.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <optional>

namespace asio = boost::asio;
using boost::system::error_code;

namespace triage::integrations::redis {

namespace {

struct pending {
    explicit pending(const asio::any_io_executor& ex) : signal(ex) {}
    asio::steady_timer signal;
    std::optional<reply> result;
    bool done = false;
};

reply convert(const redisReply* r) {
    reply out;
    switch (r->type) {
    case REDIS_REPLY_STRING: out.type = reply::kind::string; out.str.assign(r->str, r->len); break;
    case REDIS_REPLY_STATUS: out.type = reply::kind::status; out.str.assign(r->str, r->len); break;
    case REDIS_REPLY_ERROR: out.type = reply::kind::error; out.str.assign(r->str, r->len); break;
    case REDIS_REPLY_INTEGER: out.type = reply::kind::integer; out.integer = r->integer; break;
    case REDIS_REPLY_ARRAY:
        out.type = reply::kind::array;
        out.elements.reserve(r->elements);
        for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
        break;
    default: out.type = reply::kind::nil; break;
    }
    return out;
}

// hiredis calls this once per command: with the reply, or with null when the connection is gone.
void on_reply(redisAsyncContext*, void* r, void* privdata) {
    auto* holder = static_cast<std::shared_ptr<pending>*>(privdata);
    std::shared_ptr<pending> p = std::move(*holder);
    delete holder;
    if (r) p->result = convert(static_cast<redisReply*>(r));
    p->done = true;
    p->signal.cancel();
}

}  // namespace

struct connection_callbacks {
    static void on_connect(const redisAsyncContext* c, int status) {
        auto* self = static_cast<connection*>(c->data);
        if (!self) return;
        if (self->connect_deadline_) static_cast<asio::steady_timer*>(self->connect_deadline_.get())->cancel();
        if (status != REDIS_OK) {
            // hiredis frees the context after this callback returns.
            self->ac_ = nullptr;
            self->connected_ = false;
            self->last_failure_ = std::chrono::steady_clock::now();
            self->sink_.report("redis.connect_failed", errc::redis_unavailable);
            return;
        }
        self->connected_ = true;
        self->sink_.report("redis.connected");
    }
    static void on_disconnect(const redisAsyncContext* c, int status) {
        auto* self = static_cast<connection*>(c->data);
        if (!self) return;
        self->ac_ = nullptr;
        self->connected_ = false;
        self->last_failure_ = std::chrono::steady_clock::now();
        self->sink_.report("redis.disconnected", status == REDIS_OK ? error_code{} : errc::redis_unavailable);
    }
};

connection::connection(asio::any_io_executor ex, connection_settings settings, event_sink& sink)
    : ex_(std::move(ex)), settings_(std::move(settings)), sink_(sink) {}

connection::~connection() { close(); }

void connection::close() noexcept { drop(); }

void connection::drop() noexcept {
    if (!ac_) return;
    redisAsyncContext* ac = ac_;
    ac->data = nullptr;  // our callbacks must not touch us during the free
    ac_ = nullptr;
    connected_ = false;
    // Runs every pending reply callback with null, so their waiters wake with redis_unavailable.
    redisAsyncFree(ac);
}

bool connection::start_connect() {
    auto now = std::chrono::steady_clock::now();
    if (last_failure_ != std::chrono::steady_clock::time_point{} &&
        now - last_failure_ < settings_.reconnect_backoff)
        return false;
    redisAsyncContext* ac = redisAsyncConnect(settings_.address.c_str(), settings_.port);
    if (!ac) return false;
    if (ac->err || !attach_asio(ac, ex_)) {
        redisAsyncFree(ac);
        last_failure_ = now;
        sink_.report("redis.connect_failed", errc::redis_unavailable);
        return false;
    }
    ac->data = this;
    redisAsyncSetConnectCallback(ac, &connection_callbacks::on_connect);
    redisAsyncSetDisconnectCallback(ac, &connection_callbacks::on_disconnect);
    ac_ = ac;

    // hiredis 0.14 has no connect timeout in its async API.
    auto timer = std::make_shared<asio::steady_timer>(ex_, settings_.connect_timeout);
    connect_deadline_ = timer;
    timer->async_wait([weak = weak_from_this(), ac](error_code ec) {
        if (ec) return;
        auto self = weak.lock();
        if (self && self->ac_ == ac && !self->connected_) {
            self->sink_.report("redis.connect_timeout", errc::timeout);
            self->drop();
            self->last_failure_ = std::chrono::steady_clock::now();
        }
    });
    return true;
}

asio::awaitable<boost::system::result<reply>> connection::async_command(std::vector<std::string> args) {
    // Keeps us alive across the suspension even if the owner lets go.
    auto self = shared_from_this();
    // Commands issued while the connection is still being set up are buffered by hiredis and
    // written as soon as it is established.
    if (!ac_ && !start_connect()) co_return error_code(errc::redis_unavailable);

    std::vector<const char*> argv;
    std::vector<size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    auto p = std::make_shared<pending>(ex_);
    p->signal.expires_after(settings_.command_timeout);
    auto* holder = new std::shared_ptr<pending>(p);
    if (redisAsyncCommandArgv(ac_, &on_reply, holder, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
        delete holder;
        co_return error_code(errc::redis_unavailable);
    }
    if (!p->done) co_await p->signal.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!p->done) {
        sink_.report("redis.command_timeout", errc::timeout);
        drop();
        co_return error_code(errc::timeout);
    }
    if (!p->result) co_return error_code(errc::redis_unavailable);
    co_return std::move(*p->result);
}

}  // namespace triage::integrations::redis

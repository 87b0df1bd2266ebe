#include "integrations/postgres/connection.hpp"

#include "integrations/errc.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <libpq-fe.h>

#include <cstring>

namespace asio = boost::asio;
using boost::system::error_code;

namespace triage::integrations::postgres {

std::optional<std::string> decode_bytea(const std::string& t) {
    if (t.size() < 2 || t[0] != '\\' || t[1] != 'x' || (t.size() % 2) != 0) return std::nullopt;
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve((t.size() - 2) / 2);
    for (std::size_t i = 2; i < t.size(); i += 2) {
        int hi = hex(t[i]), lo = hex(t[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return out;
}

struct connection::impl {
    impl(asio::any_io_executor e, connection_settings s, event_sink& k)
        : ex(std::move(e)), settings(std::move(s)), sink(k), fd(ex), deadline(ex) {}

    asio::any_io_executor ex;
    connection_settings settings;
    event_sink& sink;
    PGconn* conn = nullptr;
    asio::posix::stream_descriptor fd;
    int wrapped_socket = -1;
    asio::steady_timer deadline;
    bool timed_out = false;
    bool broken = true;

    void unwrap() {
        if (wrapped_socket >= 0) {
            error_code ignored;
            fd.cancel(ignored);
            fd.release();  // libpq owns the socket
            wrapped_socket = -1;
        }
    }
    bool rewrap() {
        int s = PQsocket(conn);
        if (s < 0) return false;
        if (s == wrapped_socket) return true;
        unwrap();
        error_code ec;
        fd.assign(s, ec);
        if (ec) return false;
        wrapped_socket = s;
        return true;
    }
    void finish() {
        unwrap();
        if (conn) PQfinish(conn);
        conn = nullptr;
        broken = true;
    }
    void arm_deadline(std::chrono::milliseconds d) {
        timed_out = false;
        deadline.expires_after(d);
        deadline.async_wait([this](error_code ec) {
            if (ec) return;
            timed_out = true;
            error_code ignored;
            fd.cancel(ignored);
        });
    }
    // Waits for the socket; false on timeout or error (the caller then closes the connection).
    asio::awaitable<bool> wait(asio::posix::stream_descriptor::wait_type w) {
        auto [ec] = co_await fd.async_wait(w, asio::as_tuple(asio::use_awaitable));
        co_return !ec && !timed_out;
    }
    error_code fail(errc e, const char* event) {
        sink.report(event, e);
        finish();
        return e;
    }

    asio::awaitable<error_code> flush() {
        for (;;) {
            int r = PQflush(conn);
            if (r == 0) co_return error_code{};
            if (r < 0) co_return fail(errc::pg_unavailable, "pg.flush_failed");
            if (!co_await wait(asio::posix::stream_descriptor::wait_write))
                co_return fail(timed_out ? errc::timeout : errc::pg_unavailable, "pg.flush_timeout");
        }
    }

    // Waits until PQgetResult will not block. After success, PQgetResult(conn) returning null
    // means the end of a statement's results.
    asio::awaitable<error_code> result_ready() {
        while (PQisBusy(conn)) {
            bool readable = co_await wait(asio::posix::stream_descriptor::wait_read);
            if (!readable) {
                error_code ec = fail(timed_out ? errc::timeout : errc::pg_unavailable, "pg.read_timeout");
                co_return ec;
            }
            if (!PQconsumeInput(conn)) {
                error_code ec = fail(errc::pg_unavailable, "pg.read_failed");
                co_return ec;
            }
        }
        co_return error_code{};
    }

    error_code classify(PGresult* res) {
        const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        std::string_view sqlstate = state ? state : "";
        sink.report("pg.query_failed", errc::pg_query_failed, sqlstate);
        if (sqlstate == "23505") return errc::pg_unique_violation;
        // Class 08 (connection exception) and 57P (operator intervention: shutdown) mean the
        // connection is gone.
        if (sqlstate.starts_with("08") || sqlstate.starts_with("57P")) {
            finish();
            return errc::pg_unavailable;
        }
        return errc::pg_query_failed;
    }

    static rows take(PGresult* res) {
        rows out;
        int n = PQntuples(res), m = PQnfields(res);
        out.values.resize(static_cast<std::size_t>(n));
        for (int r = 0; r < n; ++r) {
            auto& row = out.values[static_cast<std::size_t>(r)];
            row.reserve(static_cast<std::size_t>(m));
            for (int c = 0; c < m; ++c) {
                if (PQgetisnull(res, r, c)) row.emplace_back(std::nullopt);
                else row.emplace_back(std::string(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c))));
            }
        }
        const char* affected = PQcmdTuples(res);
        if (affected && *affected) out.affected = std::strtoull(affected, nullptr, 10);
        return out;
    }

    bool send(const statement& st) {
        std::vector<const char*> values;
        std::vector<int> lengths, formats;
        for (const auto& p : st.params) {
            values.push_back(p.value ? p.value->data() : nullptr);
            lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
            formats.push_back(p.binary ? 1 : 0);
        }
        return PQsendQueryParams(conn, st.sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                                 lengths.data(), formats.data(), 0) == 1;
    }
};

connection::connection(asio::any_io_executor ex, connection_settings settings, event_sink& sink)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(settings), sink)) {}

connection::~connection() { impl_->finish(); }

bool connection::usable() const noexcept { return impl_->conn && !impl_->broken && PQstatus(impl_->conn) == CONNECTION_OK; }

void connection::close() noexcept { impl_->finish(); }

asio::awaitable<error_code> connection::async_connect() {
    auto& d = *impl_;
    d.finish();
    std::string port = std::to_string(d.settings.port);
    const char* keys[] = {"hostaddr", "port", "dbname", "user", "password", "application_name", nullptr};
    const char* vals[] = {d.settings.hostaddr.c_str(), port.c_str(), d.settings.dbname.c_str(),
                          d.settings.user.c_str(), d.settings.password.c_str(), "triaged", nullptr};
    d.conn = PQconnectStartParams(keys, vals, 0);
    if (!d.conn || PQstatus(d.conn) == CONNECTION_BAD) co_return d.fail(errc::pg_unavailable, "pg.connect_failed");
    d.arm_deadline(d.settings.connect_timeout);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    for (;;) {
        // The socket can change during connect (e.g. trying another address), so wrap it anew.
        if (!d.rewrap()) { d.deadline.cancel(); co_return d.fail(errc::pg_unavailable, "pg.connect_failed"); }
        auto w = st == PGRES_POLLING_READING ? asio::posix::stream_descriptor::wait_read
                                             : asio::posix::stream_descriptor::wait_write;
        if (!co_await d.wait(w)) {
            d.deadline.cancel();
            co_return d.fail(d.timed_out ? errc::timeout : errc::pg_unavailable, "pg.connect_timeout");
        }
        st = PQconnectPoll(d.conn);
        if (st == PGRES_POLLING_OK) break;
        if (st == PGRES_POLLING_FAILED) { d.deadline.cancel(); co_return d.fail(errc::pg_unavailable, "pg.connect_failed"); }
    }
    d.deadline.cancel();
    if (PQsetnonblocking(d.conn, 1) != 0 || !d.rewrap()) co_return d.fail(errc::pg_unavailable, "pg.connect_failed");
    d.broken = false;
    d.sink.report("pg.connected");
    co_return error_code{};
}

asio::awaitable<boost::system::result<rows>> connection::async_query(statement st) {
    auto& d = *impl_;
    if (!usable()) co_return error_code(errc::pg_unavailable);
    if (!d.send(st)) co_return d.fail(errc::pg_unavailable, "pg.send_failed");
    d.arm_deadline(d.settings.query_timeout);
    if (auto ec = co_await d.flush()) co_return ec;
    std::optional<rows> out;
    error_code failure;
    for (;;) {
        if (auto ec = co_await d.result_ready()) co_return ec;
        PGresult* res = PQgetResult(d.conn);
        if (!res) break;
        auto status = PQresultStatus(res);
        if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
            if (!out) out = impl::take(res);
        } else if (!failure) {
            failure = d.classify(res);
        }
        PQclear(res);
        if (!d.conn) break;
    }
    d.deadline.cancel();
    if (failure) co_return failure;
    if (!out) co_return error_code(errc::pg_query_failed);
    co_return std::move(*out);
}

asio::awaitable<boost::system::result<std::vector<rows>>> connection::async_transaction(std::vector<statement> sts) {
    auto& d = *impl_;
    if (!usable()) co_return error_code(errc::pg_unavailable);
    if (PQenterPipelineMode(d.conn) != 1) co_return d.fail(errc::pg_unavailable, "pg.pipeline_failed");
    for (const auto& st : sts)
        if (!d.send(st)) co_return d.fail(errc::pg_unavailable, "pg.send_failed");
    // Without an explicit BEGIN, everything up to the sync runs as one implicit transaction.
    if (PQpipelineSync(d.conn) != 1) co_return d.fail(errc::pg_unavailable, "pg.send_failed");
    d.arm_deadline(d.settings.query_timeout);
    if (auto ec = co_await d.flush()) co_return ec;

    std::vector<rows> out;
    error_code failure;
    for (std::size_t i = 0; i < sts.size(); ++i) {
        std::optional<rows> one;
        for (;;) {
            if (auto ec = co_await d.result_ready()) co_return ec;
            PGresult* res = PQgetResult(d.conn);
            if (!res) break;
            auto status = PQresultStatus(res);
            if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
                if (!one) one = impl::take(res);
            } else if (status != PGRES_PIPELINE_ABORTED && !failure) {
                failure = d.classify(res);
            }
            PQclear(res);
            if (!d.conn) co_return failure ? failure : error_code(errc::pg_unavailable);
        }
        out.push_back(one ? std::move(*one) : rows{});
    }
    if (auto ec = co_await d.result_ready()) co_return ec;
    PGresult* sync = PQgetResult(d.conn);
    bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    if (sync) PQclear(sync);
    d.deadline.cancel();
    if (!synced || PQexitPipelineMode(d.conn) != 1) co_return d.fail(errc::pg_unavailable, "pg.pipeline_failed");
    if (failure) co_return failure;
    co_return out;
}

asio::awaitable<error_code> connection::async_script(std::string sql) {
    auto& d = *impl_;
    if (!usable()) co_return error_code(errc::pg_unavailable);
    if (PQsendQuery(d.conn, sql.c_str()) != 1) co_return d.fail(errc::pg_unavailable, "pg.send_failed");
    d.arm_deadline(d.settings.query_timeout * 10);
    if (auto ec = co_await d.flush()) co_return ec;
    error_code failure;
    for (;;) {
        if (auto ec = co_await d.result_ready()) co_return ec;
        PGresult* res = PQgetResult(d.conn);
        if (!res) break;
        auto status = PQresultStatus(res);
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && !failure) failure = d.classify(res);
        PQclear(res);
        if (!d.conn) break;
    }
    d.deadline.cancel();
    co_return failure;
}

// ---- pool ----

struct pool::waiters {
    std::deque<std::shared_ptr<asio::steady_timer>> queue;
};

pool::pool(asio::any_io_executor ex, connection_settings settings, event_sink& sink, std::size_t max_size)
    : ex_(std::move(ex)), settings_(std::move(settings)), sink_(sink), max_size_(max_size),
      waiters_(std::make_unique<waiters>()) {}

pool::~pool() = default;

pool::lease::~lease() {
    if (pool_ && conn_) pool_->give_back(std::move(conn_));
}

void pool::give_back(std::unique_ptr<connection> c) {
    if (c->usable()) idle_.push_back(std::move(c));
    else --open_;
    // Wake the oldest waiter that has not given up yet.
    auto now = std::chrono::steady_clock::now();
    while (!waiters_->queue.empty()) {
        auto t = std::move(waiters_->queue.front());
        waiters_->queue.pop_front();
        if (t->expiry() > now) {
            t->cancel();
            break;
        }
    }
}

asio::awaitable<boost::system::result<pool::lease>> pool::async_acquire() {
    auto give_up_at = std::chrono::steady_clock::now() + settings_.query_timeout;
    for (;;) {
        while (!idle_.empty()) {
            auto c = std::move(idle_.back());
            idle_.pop_back();
            if (c->usable()) co_return lease(this, std::move(c), true);
            --open_;
        }
        if (open_ < max_size_) {
            auto now = std::chrono::steady_clock::now();
            // During an outage, fail fast rather than making every patient wait for a timeout.
            if (last_failure_ != std::chrono::steady_clock::time_point{} &&
                now - last_failure_ < settings_.reconnect_backoff)
                co_return error_code(errc::pg_unavailable);
            ++open_;
            auto c = std::make_unique<connection>(ex_, settings_, sink_);
            if (auto ec = co_await c->async_connect()) {
                --open_;
                last_failure_ = std::chrono::steady_clock::now();
                co_return ec;
            }
            last_failure_ = {};
            co_return lease(this, std::move(c), false);
        }
        auto t = std::make_shared<asio::steady_timer>(ex_, give_up_at);
        waiters_->queue.push_back(t);
        auto [ec] = co_await t->async_wait(asio::as_tuple(asio::use_awaitable));
        if (!ec) co_return error_code(errc::timeout);  // the deadline passed, not a wake-up
    }
}

asio::awaitable<boost::system::result<rows>> pool::async_query(statement st) {
    for (int attempt = 0;; ++attempt) {
        auto l = co_await async_acquire();
        if (!l) co_return l.error();
        auto r = co_await (*l)->async_query(st);
        if (!r && r.error() == errc::pg_unavailable && l->reused() && attempt == 0) continue;
        co_return r;
    }
}

asio::awaitable<boost::system::result<std::vector<rows>>> pool::async_transaction(std::vector<statement> sts) {
    for (int attempt = 0;; ++attempt) {
        auto l = co_await async_acquire();
        if (!l) co_return l.error();
        auto r = co_await (*l)->async_transaction(sts);
        if (!r && r.error() == errc::pg_unavailable && l->reused() && attempt == 0) continue;
        co_return r;
    }
}

}  // namespace triage::integrations::postgres

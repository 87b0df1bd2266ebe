#pragma once
// PostgreSQL over libpq in non-blocking mode, driven by Asio (STYLE A8). No call here blocks the
// I/O thread: connecting uses PQconnectPoll with hostaddr (no DNS), queries use PQsend* with
// PQflush/PQconsumeInput, and a query past its deadline closes the connection instead of calling
// the blocking PQcancel.

#include "integrations/event_sink.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace triage::integrations::postgres {

struct connection_settings {
    std::string hostaddr = "127.0.0.1";  // numeric address only
    unsigned short port = 5432;
    std::string dbname = "triage";
    std::string user = "triage";
    std::string password;                // secret: never logged
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds query_timeout{2000};
    std::chrono::milliseconds reconnect_backoff{200};
};

struct param {
    std::optional<std::string> value;  // nullopt is SQL NULL
    bool binary = false;               // true for bytea
};
inline param text(std::string v) { return {std::move(v), false}; }
inline param bytes(std::string v) { return {std::move(v), true}; }
inline param null() { return {std::nullopt, false}; }

struct statement {
    std::string sql;
    std::vector<param> params;
};

// Text-format result of one statement.
struct rows {
    std::vector<std::vector<std::optional<std::string>>> values;
    std::size_t affected = 0;  // from PQcmdTuples
    std::size_t size() const { return values.size(); }
    const std::optional<std::string>& at(std::size_t r, std::size_t c) const { return values.at(r).at(c); }
};

// Decodes the text form of a bytea ("\x0a1b...").
std::optional<std::string> decode_bytea(const std::string& text);

// runs on: the executor given at construction. One operation at a time (the pool ensures it).
class connection {
public:
    connection(boost::asio::any_io_executor ex, connection_settings settings, event_sink& sink);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    boost::asio::awaitable<boost::system::error_code> async_connect();

    // Runs one statement. Errors: errc::pg_unavailable, errc::timeout (connection closed),
    // errc::pg_unique_violation, errc::pg_query_failed. Server messages are never kept: they can
    // quote row values (STYLE G3); the SQLSTATE goes to the event sink.
    boost::asio::awaitable<boost::system::result<rows>> async_query(statement st);

    // Runs the statements in one pipeline, as one implicit transaction: all or nothing, and a
    // single commit however many there are.
    boost::asio::awaitable<boost::system::result<std::vector<rows>>> async_transaction(std::vector<statement> sts);

    // Runs a multi-statement SQL script with the simple query protocol (migrations only).
    boost::asio::awaitable<boost::system::error_code> async_script(std::string sql);

    bool usable() const noexcept;
    void close() noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// A few connections per I/O thread. async_acquire hands out an idle usable connection, connecting
// a new one if needed (up to max_size), or fails fast with errc::pg_unavailable during an outage.
// runs on: one executor.
class pool {
public:
    pool(boost::asio::any_io_executor ex, connection_settings settings, event_sink& sink, std::size_t max_size);
    ~pool();

    class lease {
    public:
        lease() = default;
        lease(pool* p, std::unique_ptr<connection> c, bool reused) : pool_(p), conn_(std::move(c)), reused_(reused) {}
        lease(lease&&) noexcept = default;
        lease& operator=(lease&&) noexcept = default;
        ~lease();
        connection* operator->() const { return conn_.get(); }
        connection& operator*() const { return *conn_; }
        // True when the connection was idle in the pool: it may have died unnoticed (server restart).
        bool reused() const { return reused_; }
    private:
        pool* pool_ = nullptr;
        std::unique_ptr<connection> conn_;
        bool reused_ = false;
    };

    boost::asio::awaitable<boost::system::result<lease>> async_acquire();

    // Convenience: acquire, run, release. A connection that turns out dead after idling in the pool
    // (the server restarted) is replaced and the statement retried once; our writes are guarded by
    // unique constraints, so a retry after an unknown outcome cannot store anything twice.
    boost::asio::awaitable<boost::system::result<rows>> async_query(statement st);
    boost::asio::awaitable<boost::system::result<std::vector<rows>>> async_transaction(std::vector<statement> sts);

private:
    void give_back(std::unique_ptr<connection> c);
    struct waiters;
    boost::asio::any_io_executor ex_;
    connection_settings settings_;
    event_sink& sink_;
    std::size_t max_size_;
    std::size_t open_ = 0;
    std::vector<std::unique_ptr<connection>> idle_;
    std::unique_ptr<waiters> waiters_;
    std::chrono::steady_clock::time_point last_failure_{};
};

}  // namespace triage::integrations::postgres

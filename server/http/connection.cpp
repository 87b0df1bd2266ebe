#include "server/http/connection.hpp"

#include "server/http/operator.hpp"
#include "server/http/static_files.hpp"
#include "server/live/inbox.hpp"
#include "server/metrics/product.hpp"
#include "server/log.hpp"
#include "server/patient/patient_session.hpp"
#include "server/staff/api.hpp"
#include "server/staff/console_session.hpp"
#include "server/protocol/limits.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>

#include <deque>
#include <optional>
#include <utility>
#include <boost/url/parse.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace json = boost::json;
using boost::system::error_code;
using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<bhttp::string_body>;

namespace triage::server::http {
namespace {

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

std::string_view path_of(std::string_view target) {
    auto q = target.find('?');
    return q == std::string_view::npos ? target : target.substr(0, q);
}

// A Host header we may echo into connect-src: a host name or address and an optional port.
bool sane_host(std::string_view host) {
    return !host.empty() && host.size() <= 260 &&
           host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
               std::string_view::npos;
}

// Who may frame a page: the staff console and its API nobody ('none'), a clinic's chat page that
// clinic's registered portal origins (set by the caller), everything else only ourselves.
std::string default_ancestors(std::string_view path) {
    return path.starts_with("/staff") || path.starts_with("/api/staff") ? "'none'" : "'self'";
}

// connect-src names our own origin only, so a page of ours cannot be made to open a socket to
// another host; the ws(s) form is spelled out for browsers where 'self' does not cover it.
void security_headers(bhttp::fields& h, bool tls, std::string_view host, std::string_view ancestors) {
    h.set(bhttp::field::server, "triaged");
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Referrer-Policy", "no-referrer");
    std::string connect = "'self'";
    if (sane_host(host)) connect += std::string(tls ? " wss://" : " ws://") + std::string(host);
    h.set("Content-Security-Policy", "default-src 'self'; connect-src " + connect +
                                         "; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                         "frame-ancestors " + std::string(ancestors) +
                                         "; base-uri 'none'; form-action 'self'");
    // For browsers without frame-ancestors; it cannot name a list, so where CSP allows other
    // origins it is left out and CSP decides.
    h.erase("X-Frame-Options");
    if (ancestors == "'none'") h.set("X-Frame-Options", "DENY");
    else if (ancestors == "'self'") h.set("X-Frame-Options", "SAMEORIGIN");
    if (tls) h.set(bhttp::field::strict_transport_security, "max-age=31536000");
}

void security_headers(bhttp::fields& h, bool tls, const request& req) {
    security_headers(h, tls, req[bhttp::field::host], default_ancestors(path_of(req.target())));
}

response make_response(const request& req, bhttp::status st, std::string body, std::string_view type, bool tls) {
    response res{st, req.version()};
    security_headers(res.base(), tls, req);
    res.set(bhttp::field::content_type, type);
    res.set(bhttp::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

response json_response(const request& req, bhttp::status st, const json::object& o, bool tls) {
    return make_response(req, st, json::serialize(o), "application/json", tls);
}

response error_response(const request& req, bhttp::status st, std::string_view code, bool tls) {
    return json_response(req, st, json::object{{"error", code}}, tls);
}

// Every value a query parameter is given, in order ("" for a bare "?name"): a patient socket
// names exactly one clinic.
std::vector<std::string> query_values(std::string_view target, std::string_view name) {
    std::vector<std::string> out;
    auto u = boost::urls::parse_origin_form(target);
    if (!u) return out;
    for (const auto& p : u->params()) {
        if (p.key == name) out.emplace_back(p.has_value ? std::string(p.value) : std::string());
    }
    return out;
}

bool read_file(const std::string& path, std::string& out) {
    // Static files are small and read at most once per request; readiness and patient turns
    // never touch the file system.
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    char buf[16384];
    std::size_t n;
    out.clear();
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
        out.append(buf, n);
        if (out.size() > (8u << 20)) break;
    }
    std::fclose(f);
    return true;
}

asio::awaitable<response> readiness(const request& req, thread_services& local, bool tls) {
    auto redis = co_await local.sessions->async_ping();
    auto pg = co_await local.store->async_ping();
    bool ok = redis && !pg;
    co_return json_response(req, ok ? bhttp::status::ok : bhttp::status::service_unavailable,
                            json::object{{"status", ok ? "ready" : "not_ready"},
                                         {"redis", redis ? "ok" : "unavailable"},
                                         {"postgres", pg ? "unavailable" : "ok"}},
                            tls);
}

response static_file(const request& req, const shared_services& shared, bool tls) {
    if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head)
        return error_response(req, bhttp::status::method_not_allowed, "method_not_allowed", tls);
    auto path = resolve_static_path(shared.cfg.web_root, path_of(req.target()));
    if (!path) return error_response(req, bhttp::status::bad_request, "bad_path", tls);
    std::string body;
    if (!read_file(*path, body)) {
        // A directory without a trailing slash: redirect so relative URLs in its page work.
        std::string index;
        if (read_file(*path + "/index.html", index)) {
            response res{bhttp::status::moved_permanently, req.version()};
            security_headers(res.base(), tls, req);
            std::string loc = std::string(path_of(req.target())) + "/";
            auto q = req.target().find('?');
            if (q != std::string_view::npos) loc += std::string(req.target().substr(q));
            res.set(bhttp::field::location, loc);
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            return res;
        }
        return error_response(req, bhttp::status::not_found, "not_found", tls);
    }
    auto res = make_response(req, bhttp::status::ok, std::move(body), mime_type(*path), tls);
    res.set(bhttp::field::cache_control, "no-cache");
    if (req.method() == bhttp::verb::head) res.body().clear();
    return res;
}

// Cross-site WebSocket hijacking: a browser always sends Origin, and a page of another site
// cannot forge it. Accept the clinic's own portal origins and our own origin.
bool origin_allowed(const request& req, const clinic& c, bool tls) {
    auto origin = req[bhttp::field::origin];
    if (origin.empty()) return false;
    for (const auto& o : c.allowed_origins)
        if (o == origin) return true;
    auto host = req[bhttp::field::host];
    return !host.empty() && origin == std::string(tls ? "https://" : "http://") + std::string(host);
}

// Reads one whole message of at most `max` bytes into `buffer`. Beast's own limit
// (read_message_max) sends the 1009 close frame and then tears the socket down after a single
// read (Beast 1.81's teardown ignores how much it read): whatever the client is still sending
// stays unread, the kernel answers it with a reset, and the reset destroys the close frame
// before the client reads it. So we count ourselves and close politely: async_close drains the
// rest of the frame and waits for the client's close (bounded by the handshake timeout).
template <class Stream>
asio::awaitable<error_code> read_message(websocket::stream<Stream>& ws, beast::flat_buffer& buffer, std::size_t max) {
    for (;;) {
        // One byte more than allowed is enough to know the message is too big.
        const std::size_t room = max + 1 - buffer.size();
        auto [ec, n] = co_await ws.async_read_some(buffer, std::min<std::size_t>(room, 64 * 1024), use_nothrow);
        if (ec) co_return ec;
        if (buffer.size() > max) {
            buffer.consume(buffer.size());
            co_await ws.async_close(websocket::close_code::too_big, use_nothrow);
            co_return websocket::error::message_too_big;
        }
        if (ws.is_message_done()) co_return error_code{};
    }
}

struct connection_count {
    std::atomic<std::size_t>& n;
    ~connection_count() { --n; }
};

// The open WebSocket gauge, by kind ("patient", "staff"), while the socket is open.
struct socket_gauge {
    metrics::gauge& g;
    explicit socket_gauge(std::string_view kind) : g(metrics::product().websockets.with({kind})) { g.add(1); }
    ~socket_gauge() { g.add(-1); }
};

template <class Stream>
void configure_websocket(websocket::stream<Stream>& ws, const shared_services& shared) {
    websocket::stream_base::timeout t;
    t.handshake_timeout = std::chrono::seconds(shared.cfg.limits.handshake_timeout_s);
    t.idle_timeout = std::chrono::seconds(shared.cfg.limits.idle_timeout_s);
    t.keep_alive_pings = true;
    ws.set_option(t);
    // read_message enforces the size limit; Beast's own would lose the 1009 close frame.
    ws.read_message_max(0);
    ws.auto_fragment(false);
    ws.text(true);
    ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(bhttp::field::server, "triaged");
    }));
}

// Beast allows one write at a time. Frames come from the handler and, for an early emergency
// notice, from the reader: the first caller writes, later ones queue behind it, in order.
template <class Stream>
class ws_sender final : public frame_sender {
public:
    explicit ws_sender(websocket::stream<Stream>& ws) : ws_(ws) {}
    asio::awaitable<bool> send(std::string frame) override {
        if (closed_) co_return false;
        queue_.push_back(std::move(frame));
        if (writing_) co_return true;  // the writer running now sends it
        writing_ = true;
        while (!queue_.empty() && !closed_) {
            std::string next = std::move(queue_.front());
            queue_.pop_front();
            auto [ec, n] = co_await ws_.async_write(asio::buffer(next), use_nothrow);
            if (ec) closed_ = true;
        }
        queue_.clear();
        writing_ = false;
        co_return !closed_;
    }

private:
    websocket::stream<Stream>& ws_;
    std::deque<std::string> queue_;
    bool writing_ = false;
    bool closed_ = false;
};

template <class Stream>
asio::awaitable<void> run_patient_websocket(websocket::stream<Stream> ws, request req, shared_services& shared,
                                            thread_services& local, std::shared_ptr<const clinic> c,
                                            std::uint64_t connection_id) {
    // Counted by the caller before the upgrade; given back however this ends.
    connection_count counted{shared.connections};
    configure_websocket(ws, shared);
    auto [aec] = co_await ws.async_accept(req, use_nothrow);
    if (aec) co_return;
    socket_gauge open_socket("patient");

    log::info("patient.connected", {{"conn", connection_id}});
    ws_sender<Stream> sender(ws);
    live::inbox inbox(co_await asio::this_coro::executor);
    // `c` stays alive for the whole conversation, whatever a refresh of the clinics does.
    patient_session session(shared, local, *c, connection_id, sender, inbox);
    // The reader only reads; everything that touches the conversation, and every write, happens
    // in the handler below, one item at a time (so one writer, as Beast requires).
    auto reader = [&]() -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        for (;;) {
            co_await inbox.wait_for_space();
            auto ec = co_await read_message(ws, buffer, shared.cfg.limits.max_message_bytes);
            if (ec) {
                // The connection is already closed with the right code (1009 for a message too
                // big, 1007 for invalid UTF-8); we only record why.
                if (ec == websocket::error::message_too_big)
                    log::info("patient.closed_too_large", {{"conn", connection_id}});
                else if (ec == websocket::error::bad_frame_payload)
                    log::info("patient.closed_invalid_utf8", {{"conn", connection_id}});
                break;
            }
            if (!ws.got_text()) {
                buffer.consume(buffer.size());
                inbox.push(live::inbox_item::kind::transport_error, "binary_not_supported");
                continue;
            }
            std::string frame = beast::buffers_to_string(buffer.data());
            buffer.consume(buffer.size());
            // The handler may be waiting on the EHR for an earlier message: a red flag in this one
            // gets the safety instruction now, not after that wait.
            if (session.busy())
                if (auto notice = session.early_safety_notice(frame)) {
                    auto arrived = std::chrono::steady_clock::now();
                    co_await sender.send(std::move(*notice));
                    metrics::product().red_flag_latency.observe(metrics::seconds_since(arrived));
                }
            inbox.push(live::inbox_item::kind::frame, std::move(frame));
        }
        inbox.push(live::inbox_item::kind::closed);
    };
    auto handler = [&]() -> asio::awaitable<void> {
        for (;;) {
            auto item = co_await inbox.pop(std::chrono::seconds(60));
            using k = live::inbox_item::kind;
            if (item.what == k::closed) break;
            if (item.what == k::frame) co_await session.on_text(std::move(item.text), item.arrived);
            else if (item.what == k::transport_error) co_await session.on_transport_error(std::move(item.text));
            else if (item.what == k::news) co_await session.on_live(std::move(item.text));
            else if (item.what == k::resync) co_await session.on_live_resync();
        }
    };
    {
        using namespace asio::experimental::awaitable_operators;
        co_await (reader() && handler());
    }
    co_await session.on_disconnect();
    log::info("patient.disconnected", {{"conn", connection_id}});
}

template <class Stream>
asio::awaitable<void> run_staff_websocket(websocket::stream<Stream> ws, request req, shared_services& shared,
                                          thread_services& local, staff::principal who, std::uint64_t connection_id) {
    connection_count counted{shared.connections};
    configure_websocket(ws, shared);
    auto [aec] = co_await ws.async_accept(req, use_nothrow);
    if (aec) co_return;
    socket_gauge open_socket("staff");
    log::info("staff.console_connected", {{"conn", connection_id}, {"user", log::safe_id(who.user_id)}});
    ws_sender<Stream> sender(ws);
    live::inbox inbox(co_await asio::this_coro::executor);
    staff::console_session console(shared, local, std::move(who), sender, inbox, connection_id);
    bool open = true;
    auto reader = [&]() -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        while (open) {
            co_await inbox.wait_for_space();
            // Console frames are small (watch, typing, ping).
            auto ec = co_await read_message(ws, buffer, 16 * 1024);
            if (ec) break;
            if (ws.got_text()) inbox.push(live::inbox_item::kind::frame, beast::buffers_to_string(buffer.data()));
            buffer.consume(buffer.size());
        }
        inbox.push(live::inbox_item::kind::closed);
    };
    auto handler = [&]() -> asio::awaitable<void> {
        open = co_await console.start();
        while (open) {
            auto item = co_await inbox.pop(std::chrono::seconds(30));
            using k = live::inbox_item::kind;
            if (item.what == k::closed) break;
            if (item.what == k::frame) open = co_await console.on_text(std::move(item.text));
            else if (item.what == k::news) open = co_await console.on_live(std::move(item.text));
            else if (item.what == k::resync) open = co_await console.on_live_resync();
            else if (item.what == k::tick) open = co_await console.on_tick();
        }
        if (!open) {
            // 4401: the session ended; the console shows the sign-in screen.
            websocket::close_reason why(static_cast<websocket::close_code>(4401), "signed_out");
            co_await ws.async_close(why, use_nothrow);
        }
    };
    {
        using namespace asio::experimental::awaitable_operators;
        co_await (reader() && handler());
    }
    log::info("staff.console_disconnected", {{"conn", connection_id}});
}

staff::api_request api_request_of(const request& req, bool tls, const std::string& peer) {
    staff::api_request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.body = req.body();
    r.cookie = std::string(req[bhttp::field::cookie]);
    r.csrf = std::string(req["X-CSRF-Token"]);
    r.origin = std::string(req[bhttp::field::origin]);
    r.host = std::string(req[bhttp::field::host]);
    r.peer = peer;
    r.tls = tls;
    return r;
}

response from_api(const request& req, staff::api_response a, bool tls) {
    response res{static_cast<bhttp::status>(a.status), req.version()};
    security_headers(res.base(), tls, req);
    res.set(bhttp::field::content_type, a.content_type);
    res.set(bhttp::field::cache_control, "no-store");
    for (auto& [k, v] : a.headers) res.insert(k, v);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(a.body);
    res.prepare_payload();
    return res;
}

// The chat page of `?clinic=SLUG` may be framed by that clinic's registered portal origins, so a
// clinic can put the chat in its portal; any other page, and the chat of an unknown clinic, only
// by ourselves.
asio::awaitable<void> allow_clinic_framing(response& res, const request& req, shared_services& shared,
                                           thread_services& local, bool tls) {
    const auto slugs = query_values(req.target(), "clinic");
    if (slugs.size() != 1 || slugs.front().empty()) co_return;
    auto lookup = co_await find_clinic_by_slug(shared, local, slugs.front());
    if (!lookup.found) co_return;
    std::string ancestors = "'self'";
    for (const auto& o : lookup.found->allowed_origins)
        if (valid_origin(o)) ancestors += " " + o;
    security_headers(res.base(), tls, req[bhttp::field::host], ancestors);
}

// The answer to a request the parser refused, if one is owed: none when the client simply went
// away (end of stream, a timeout, a reset).
std::optional<std::pair<bhttp::status, std::string_view>> refusal_for(const error_code& ec) {
    if (ec == bhttp::error::header_limit)
        return std::pair{bhttp::status::request_header_fields_too_large, std::string_view("headers_too_large")};
    if (ec == bhttp::error::body_limit)
        return std::pair{bhttp::status::payload_too_large, std::string_view("body_too_large")};
    if (ec.category() == make_error_code(bhttp::error::header_limit).category() && ec != bhttp::error::end_of_stream &&
        ec != bhttp::error::partial_message)
        return std::pair{bhttp::status::bad_request, std::string_view("bad_request")};
    return std::nullopt;
}

// Closing a socket that still holds unread bytes makes the kernel send a reset, which can destroy
// the answer we just wrote before the client reads it (a refused oversized body is exactly that
// case). So: stop sending, then read and discard until the client closes, for a bounded time.
asio::awaitable<void> linger_close(beast::tcp_stream& tcp) {
    error_code ignored;
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    tcp.expires_after(std::chrono::seconds(2));
    char sink[16 * 1024];
    for (std::size_t total = 0; total < (16u << 20);) {
        auto [ec, n] = co_await tcp.async_read_some(asio::buffer(sink), use_nothrow);
        if (ec) break;
        total += n;
    }
}

template <class Stream>
asio::awaitable<void> serve_http(Stream& stream, shared_services& shared, thread_services& local, bool tls,
                                 std::uint64_t connection_id, beast::flat_buffer& buffer, bool& upgraded,
                                 request& upgrade_request, std::shared_ptr<const clinic>& upgrade_clinic,
                                 std::optional<staff::principal>& upgrade_staff) {
    std::string peer;
    {
        error_code pec;
        auto ep = beast::get_lowest_layer(stream).socket().remote_endpoint(pec);
        if (!pec) peer = ep.address().to_string();
    }
    for (;;) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(limits::max_http_body_bytes);
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(shared.cfg.limits.handshake_timeout_s));
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow);
        if (ec) {
            // A request we will not read gets a status saying why, not a bare close; the caller
            // drains what the client is still sending so the answer is not lost to a reset.
            if (auto refusal = refusal_for(ec)) {
                request nothing{bhttp::verb::get, "/", 11};
                nothing.keep_alive(false);
                auto res = error_response(nothing, refusal->first, refusal->second, tls);
                co_await bhttp::async_write(stream, res, use_nothrow);
            }
            co_return;
        }
        request req = parser.release();
        std::string_view path = path_of(req.target());

        if (websocket::is_upgrade(req) && path == "/ws/staff") {
            auto r = api_request_of(req, tls, peer);
            response res;
            // Cross-site WebSocket hijacking: the cookie alone must never open a console.
            if (!staff::same_origin(r)) {
                res = error_response(req, bhttp::status::forbidden, "origin_not_allowed", tls);
            } else {
                auto a = co_await staff::authenticate(r, shared, local, false);
                if (!a.who) {
                    res = error_response(req, a.failure == staff::auth_failure::unavailable
                                                  ? bhttp::status::service_unavailable
                                                  : bhttp::status::unauthorized,
                                         a.failure == staff::auth_failure::unavailable ? "unavailable" : "signed_out",
                                         tls);
                } else if (shared.connections.load() >= shared.cfg.limits.max_connections) {
                    res = error_response(req, bhttp::status::service_unavailable, "too_many_connections", tls);
                } else {
                    ++shared.connections;
                    upgraded = true;
                    upgrade_request = std::move(req);
                    upgrade_staff = std::move(a.who);
                    co_return;
                }
            }
            res.keep_alive(false);
            co_await bhttp::async_write(stream, res, use_nothrow);
            co_return;
        }
        if (websocket::is_upgrade(req)) {
            if (path != "/ws/patient") {
                auto res = error_response(req, bhttp::status::not_found, "not_found", tls);
                co_await bhttp::async_write(stream, res, use_nothrow);
                co_return;
            }
            // No default clinic: a socket without one would silently open a conversation at a
            // clinic the patient never chose.
            const auto slugs = query_values(req.target(), "clinic");
            response res;
            clinic_lookup lookup;
            if (slugs.size() == 1 && !slugs.front().empty())
                lookup = co_await find_clinic_by_slug(shared, local, slugs.front());
            if (slugs.size() > 1) {
                res = error_response(req, bhttp::status::bad_request, "clinic_repeated", tls);
            } else if (slugs.empty() || slugs.front().empty()) {
                res = error_response(req, bhttp::status::bad_request, "clinic_required", tls);
            } else if (lookup.unavailable) {
                res = error_response(req, bhttp::status::service_unavailable, "unavailable", tls);
            } else if (!lookup.found) {
                res = error_response(req, bhttp::status::not_found, "unknown_clinic", tls);
            } else if (!origin_allowed(req, *lookup.found, tls)) {
                log::warn("patient.origin_refused", {{"conn", connection_id}});
                res = error_response(req, bhttp::status::forbidden, "origin_not_allowed", tls);
            } else if (shared.connections.load() >= shared.cfg.limits.max_connections) {
                log::warn("patient.too_many_connections", {{"conn", connection_id}});
                res = error_response(req, bhttp::status::service_unavailable, "too_many_connections", tls);
            } else {
                ++shared.connections;
                upgraded = true;
                upgrade_request = std::move(req);
                upgrade_clinic = std::move(lookup.found);
                co_return;
            }
            res.keep_alive(false);
            co_await bhttp::async_write(stream, res, use_nothrow);
            co_return;
        }

        response res;
        if (path == "/healthz") {
            res = json_response(req, bhttp::status::ok, json::object{{"status", "alive"}}, tls);
        } else if (path == "/readyz") {
            res = co_await readiness(req, local, tls);
        } else if (path == "/metrics") {
            // The operator's scraper, with its token; without a token configured metrics are
            // only on their own listener (server/http/operator.hpp).
            if (!operator_token_ok(req[bhttp::field::authorization], shared.cfg.metrics.token)) {
                res = error_response(req, shared.cfg.metrics.token.empty() ? bhttp::status::not_found
                                                                           : bhttp::status::unauthorized,
                                     shared.cfg.metrics.token.empty() ? "not_found" : "unauthenticated", tls);
            } else {
                res = response{bhttp::status::ok, req.version()};
                security_headers(res.base(), tls, req);
                res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
                res.set(bhttp::field::cache_control, "no-store");
                res.body() = co_await metrics_text(shared, local);
                res.keep_alive(req.keep_alive());
                res.prepare_payload();
            }
        } else if (staff::handles(path)) {
            auto a = co_await staff::handle(api_request_of(req, tls, peer), shared, local);
            res = from_api(req, std::move(a), tls);
        } else {
            res = static_file(req, shared, tls);
            if (path.starts_with("/chat/") && res.result() == bhttp::status::ok &&
                res[bhttp::field::content_type].starts_with("text/html"))
                co_await allow_clinic_framing(res, req, shared, local, tls);
        }
        bool keep = res.keep_alive();
        auto [wec, wn] = co_await bhttp::async_write(stream, res, use_nothrow);
        if (wec || !keep) co_return;
    }
}

template <class Stream>
asio::awaitable<void> serve_stream(Stream stream, shared_services& shared, thread_services& local, bool tls,
                                   std::uint64_t connection_id, beast::flat_buffer buffer) {
    bool upgraded = false;
    request upgrade_request;
    std::shared_ptr<const clinic> c;
    std::optional<staff::principal> who;
    co_await serve_http(stream, shared, local, tls, connection_id, buffer, upgraded, upgrade_request, c, who);
    if (!upgraded) {
        if constexpr (requires { stream.async_shutdown(use_nothrow); }) {
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
            co_await stream.async_shutdown(use_nothrow);
        }
        co_await linger_close(beast::get_lowest_layer(stream));
        co_return;
    }
    // The WebSocket has its own timeouts.
    beast::get_lowest_layer(stream).expires_never();
    websocket::stream<Stream> ws(std::move(stream));
    // A WebSocket client sends nothing before our 101 answer, so the HTTP buffer is empty here.
    if (who)
        co_await run_staff_websocket(std::move(ws), std::move(upgrade_request), shared, local, std::move(*who),
                                     connection_id);
    else
        co_await run_patient_websocket(std::move(ws), std::move(upgrade_request), shared, local, std::move(c),
                                       connection_id);
}

}  // namespace

asio::awaitable<void> serve_connection(asio::ip::tcp::socket socket, shared_services& shared, thread_services& local,
                                       asio::ssl::context* tls, std::uint64_t connection_id) {
    beast::tcp_stream tcp(std::move(socket));
    beast::flat_buffer buffer;
    if (!tls) {
        co_await serve_stream(std::move(tcp), shared, local, false, connection_id, std::move(buffer));
        co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), *tls);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(shared.cfg.limits.handshake_timeout_s));
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_nothrow);
    if (ec) co_return;
    co_await serve_stream(std::move(stream), shared, local, true, connection_id, std::move(buffer));
}

}  // namespace triage::server::http

#include "integrations/http/client.hpp"

#include "integrations/errc.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <tuple>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace triage::integrations::http {

std::string response::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (k.size() == name.size() &&
            std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
            return v;
        }
    }
    return {};
}

namespace {

struct target {
    bool https = false;
    std::string host, port, path;
};

boost::system::result<target> parse(const std::string& url) {
    auto u = boost::urls::parse_uri(url);
    if (!u) return errc::http_bad_url;
    target t;
    t.https = u->scheme() == "https";
    if (!t.https && u->scheme() != "http") return errc::http_bad_url;
    t.host = std::string(u->host_address());
    if (t.host.empty()) return errc::http_bad_url;
    t.port = u->has_port() ? std::string(u->port()) : (t.https ? "443" : "80");
    t.path = std::string(u->encoded_path());
    if (t.path.empty()) t.path = "/";
    if (u->has_query()) t.path += "?" + std::string(u->encoded_query());
    return t;
}

template <class Stream>
asio::awaitable<boost::system::result<response>> exchange(Stream& stream, const target& t, const request& req) {
    bhttp::request<bhttp::string_body> r{bhttp::string_to_verb(req.method), t.path, 11};
    // The port belongs in Host unless it is the scheme's default: servers build absolute URLs
    // (issuers, token audiences, paging links) from it.
    const bool default_port = t.port == (t.https ? "443" : "80");
    const std::string host = t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host;
    r.set(bhttp::field::host, default_port ? host : host + ":" + t.port);
    r.set(bhttp::field::user_agent, "triaged");
    for (const auto& [k, v] : req.headers) r.set(k, v);
    r.body() = req.body;
    r.prepare_payload();
    // Named results, not structured bindings: GCC 12 miscompiles bindings of awaited tuples.
    auto written = co_await bhttp::async_write(stream, r, asio::as_tuple(asio::use_awaitable));
    if (std::get<0>(written)) co_return errc::http_failed;
    beast::flat_buffer buf;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(req.max_response_bytes);
    auto read = co_await bhttp::async_read(stream, buf, parser, asio::as_tuple(asio::use_awaitable));
    if (std::get<0>(read)) co_return errc::http_failed;
    response out;
    out.status = static_cast<int>(parser.get().result_int());
    for (const auto& f : parser.get()) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    out.body = std::move(parser.get().body());
    co_return out;
}

}  // namespace

asio::awaitable<boost::system::result<response>> async_fetch(asio::any_io_executor ex, asio::ssl::context* tls, request req) {
    auto t = parse(req.url);
    if (!t) co_return t.error();
    if (t->https && tls == nullptr) co_return errc::http_bad_url;
    try {
        asio::ip::tcp::resolver resolver(ex);
        auto resolved = co_await resolver.async_resolve(t->host, t->port, asio::as_tuple(asio::use_awaitable));
        if (std::get<0>(resolved)) co_return errc::http_failed;
        const auto endpoints = std::get<1>(resolved);
        if (t->https) {
            beast::ssl_stream<beast::tcp_stream> stream(ex, *tls);
            beast::get_lowest_layer(stream).expires_after(req.timeout);
            if (!SSL_set_tlsext_host_name(stream.native_handle(), t->host.c_str())) co_return errc::http_failed;
            stream.set_verify_callback(asio::ssl::host_name_verification(t->host));
            auto connected = co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
            if (std::get<0>(connected)) co_return errc::http_failed;
            auto shaken = co_await stream.async_handshake(asio::ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
            if (std::get<0>(shaken)) co_return errc::http_failed;
            auto r = co_await exchange(stream, *t, req);
            co_return r;
        }
        beast::tcp_stream stream(ex);
        stream.expires_after(req.timeout);
        auto connected = co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
        if (std::get<0>(connected)) co_return errc::http_failed;
        auto r = co_await exchange(stream, *t, req);
        beast::error_code ignored;
        stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        co_return r;
    } catch (...) {
        co_return errc::http_failed;
    }
}

}  // namespace triage::integrations::http

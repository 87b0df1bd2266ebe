#include "integrations/remote_intent/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <tuple>
#include <cctype>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

namespace triage::integrations::remote_intent {

const char* to_string(outcome o) noexcept {
    switch (o) {
    case outcome::answered: return "answered";
    case outcome::ignored: return "ignored";
    case outcome::failed: return "failed";
    case outcome::breaker_open: return "breaker_open";
    }
    return "failed";
}

namespace {

constexpr std::size_t max_response_bytes = 64 * 1024;
constexpr std::array<std::string_view, 5> urgencies{"none", "self_care", "routine", "urgent", "emergency"};

std::string clean(std::string s) {
    std::string out;
    for (char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace

struct client::impl {
    asio::any_io_executor ex;
    settings s;
    asio::ssl::context* tls;
    event_sink& sink;
    bool https = false;
    std::string host, port, target;
    bool url_ok = false;
    int failures = 0;
    std::chrono::steady_clock::time_point open_until{};

    impl(asio::any_io_executor e, settings st, asio::ssl::context* t, event_sink& k)
        : ex(std::move(e)), s(std::move(st)), tls(t), sink(k) {
        auto u = boost::urls::parse_uri(s.url);
        if (!u) return;
        https = u->scheme() == "https";
        if (!https && u->scheme() != "http") return;
        host = std::string(u->host_address());
        port = u->has_port() ? std::string(u->port()) : (https ? "443" : "80");
        std::string path(u->encoded_path());
        while (!path.empty() && path.back() == '/') path.pop_back();
        target = path + "/chat/completions";
        url_ok = !host.empty() && (!https || tls != nullptr);
    }

    template <class Stream>
    asio::awaitable<std::optional<std::string>> exchange(Stream& stream, const std::string& body) {
        http::request<http::string_body> req{http::verb::post, target, 11};
        req.set(http::field::host, host);
        req.set(http::field::content_type, "application/json");
        req.set(http::field::user_agent, "triaged");
        if (!s.api_key.empty()) req.set(http::field::authorization, "Bearer " + s.api_key);
        req.body() = body;
        req.prepare_payload();
        // Named results, not structured bindings: GCC 12 miscompiles bindings of awaited tuples.
        auto written = co_await http::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
        if (std::get<0>(written)) co_return std::nullopt;
        beast::flat_buffer buf;
        http::response_parser<http::string_body> parser;
        parser.body_limit(max_response_bytes);
        auto read = co_await http::async_read(stream, buf, parser, asio::as_tuple(asio::use_awaitable));
        if (std::get<0>(read) || parser.get().result() != http::status::ok) co_return std::nullopt;
        co_return parser.get().body();
    }

    asio::awaitable<std::optional<std::string>> post(const std::string& body) {
        asio::ip::tcp::resolver resolver(ex);
        auto resolved = co_await resolver.async_resolve(host, port, asio::as_tuple(asio::use_awaitable));
        if (std::get<0>(resolved)) co_return std::nullopt;
        const auto endpoints = std::get<1>(resolved);
        if (https) {
            beast::ssl_stream<beast::tcp_stream> stream(ex, *tls);
            beast::get_lowest_layer(stream).expires_after(s.timeout);
            if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str())) co_return std::nullopt;
            stream.set_verify_callback(asio::ssl::host_name_verification(host));
            auto connected = co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
            if (std::get<0>(connected)) co_return std::nullopt;
            auto shaken = co_await stream.async_handshake(asio::ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
            if (std::get<0>(shaken)) co_return std::nullopt;
            auto r = co_await exchange(stream, body);
            co_return r;
        }
        beast::tcp_stream stream(ex);
        stream.expires_after(s.timeout);
        auto connected = co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
        if (std::get<0>(connected)) co_return std::nullopt;
        auto r = co_await exchange(stream, body);
        beast::error_code ignored;
        stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        co_return r;
    }
};

client::client(asio::any_io_executor ex, settings s, asio::ssl::context* tls, event_sink& sink)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(s), tls, sink)) {}
client::~client() = default;

std::string client::request_body(const settings& s, const std::string& redacted_text) {
    std::string list;
    for (const auto& i : s.intents) list += (list.empty() ? "" : ", ") + i;
    const std::string system =
        "You classify messages that patients send to a medical clinic's chat. Personal details have been replaced "
        "by placeholders in square brackets. Answer with JSON only: {\"intent\": one of [" + list +
        "], \"urgency\": one of [none, self_care, routine, urgent, emergency]}.";
    json::array messages;
    messages.push_back(json::object{{"role", "system"}, {"content", system}});
    messages.push_back(json::object{{"role", "user"}, {"content", redacted_text}});
    return json::serialize(json::object{{"model", s.model},
                                        {"temperature", 0},
                                        {"max_tokens", 40},
                                        {"messages", std::move(messages)}});
}

std::optional<answer> client::parse_response(const settings& s, std::string_view body) {
    try {
        json::error_code ec;
        auto v = json::parse(body, ec);
        if (ec) return std::nullopt;
        const auto* choices = v.is_object() ? v.as_object().if_contains("choices") : nullptr;
        if (!choices || !choices->is_array() || choices->as_array().empty()) return std::nullopt;
        const auto& first = choices->as_array().front();
        const auto* message = first.is_object() ? first.as_object().if_contains("message") : nullptr;
        const auto* content = message && message->is_object() ? message->as_object().if_contains("content") : nullptr;
        if (!content || !content->is_string()) return std::nullopt;
        std::string text(content->as_string());
        answer a;
        auto inner = json::parse(text, ec);
        if (!ec && inner.is_object()) {
            const auto& o = inner.as_object();
            if (auto* i = o.if_contains("intent"); i && i->is_string()) a.intent = clean(std::string(i->as_string()));
            if (auto* u = o.if_contains("urgency"); u && u->is_string()) a.urgency = clean(std::string(u->as_string()));
        } else {
            a.intent = clean(text);  // a bare intent name
        }
        if (std::find(s.intents.begin(), s.intents.end(), a.intent) == s.intents.end()) return std::nullopt;
        if (!a.urgency.empty() && std::find(urgencies.begin(), urgencies.end(), a.urgency) == urgencies.end()) a.urgency.clear();
        return a;
    } catch (...) {
        return std::nullopt;
    }
}

asio::awaitable<result> client::async_classify(std::string redacted_text) {
    auto& d = *impl_;
    const auto now = std::chrono::steady_clock::now();
    if (d.failures >= d.s.failures_to_open) {
        if (now < d.open_until) co_return result{outcome::breaker_open, std::nullopt};
        d.failures = d.s.failures_to_open - 1;  // half-open: one trial call
    }
    std::optional<std::string> body;
    if (d.url_ok) {
        try {
            std::string request = request_body(d.s, redacted_text);
            body = co_await d.post(request);
        } catch (...) {
            body.reset();
        }
    }
    if (!body) {
        if (++d.failures >= d.s.failures_to_open) {
            d.open_until = std::chrono::steady_clock::now() + d.s.open_for;
            d.sink.report("remote_intent.breaker_open");
        } else {
            d.sink.report("remote_intent.failed");
        }
        co_return result{outcome::failed, std::nullopt};
    }
    d.failures = 0;
    auto a = parse_response(d.s, *body);
    if (!a) {
        d.sink.report("remote_intent.ignored");
        co_return result{outcome::ignored, std::nullopt};
    }
    co_return result{outcome::answered, std::move(a)};
}

}  // namespace triage::integrations::remote_intent

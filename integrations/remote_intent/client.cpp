#include "integrations/remote_intent/client.hpp"

#include "integrations/circuit_breaker.hpp"
#include "integrations/http/client.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace asio = boost::asio;
namespace http = triage::integrations::http;
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
    std::string endpoint;  // base URL + /chat/completions
    circuit_breaker breaker;

    impl(asio::any_io_executor e, settings st, asio::ssl::context* t, event_sink& k)
        : ex(std::move(e)), s(std::move(st)), tls(t), sink(k), breaker(s.failures_to_open, s.open_for) {
        std::string base = s.url;
        while (!base.empty() && base.back() == '/') base.pop_back();
        endpoint = base + "/chat/completions";
    }

    asio::awaitable<std::optional<std::string>> post(const std::string& body) {
        http::request req;
        req.method = "POST";
        req.url = endpoint;
        req.timeout = s.timeout;
        req.max_response_bytes = max_response_bytes;
        req.headers.emplace_back("Content-Type", "application/json");
        if (!s.api_key.empty()) req.headers.emplace_back("Authorization", "Bearer " + s.api_key);
        req.body = body;
        auto r = co_await http::async_fetch(ex, tls, std::move(req));
        if (!r || r->status != 200) co_return std::nullopt;
        co_return std::move(r->body);
    }
};

client::client(asio::any_io_executor ex, settings s, asio::ssl::context* tls, event_sink& sink)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(s), tls, sink)) {}
client::~client() = default;

bool client::breaker_open() const noexcept { return !impl_->breaker.allow(); }

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
    if (!d.breaker.allow()) co_return result{outcome::breaker_open, std::nullopt};
    std::optional<std::string> body;
    try {
        std::string request = request_body(d.s, redacted_text);
        body = co_await d.post(request);
    } catch (...) {
        body.reset();
    }
    if (!body) {
        if (d.breaker.failed()) {
            d.sink.report("remote_intent.breaker_open");
        } else {
            d.sink.report("remote_intent.failed");
        }
        co_return result{outcome::failed, std::nullopt};
    }
    d.breaker.succeeded();
    auto a = parse_response(d.s, *body);
    if (!a) {
        d.sink.report("remote_intent.ignored");
        co_return result{outcome::ignored, std::nullopt};
    }
    co_return result{outcome::answered, std::move(a)};
}

}  // namespace triage::integrations::remote_intent

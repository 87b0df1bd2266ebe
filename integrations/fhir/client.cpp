#include "integrations/fhir/client.hpp"

#include "integrations/errc.hpp"
#include "integrations/http/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <random>

namespace asio = boost::asio;
namespace json = boost::json;

namespace triage::integrations::fhir {

const char* to_string(failure_kind k) noexcept {
    switch (k) {
    case failure_kind::none: return "none";
    case failure_kind::unavailable: return "unavailable";
    case failure_kind::breaker_open: return "breaker_open";
    case failure_kind::timeout_or_network: return "timeout_or_network";
    case failure_kind::http_error: return "http_error";
    case failure_kind::bad_response: return "bad_response";
    }
    return "unavailable";
}

std::vector<const json::value*> bundle_resources(const json::value& bundle) {
    std::vector<const json::value*> out;
    const json::object* b = bundle.if_object();
    const json::value* entries = b ? b->if_contains("entry") : nullptr;
    if (!entries || !entries->is_array()) return out;
    for (const auto& e : entries->as_array()) {
        const json::object* eo = e.if_object();
        const json::value* res = eo ? eo->if_contains("resource") : nullptr;
        if (res) out.push_back(res);
    }
    return out;
}

std::string outcome_codes(const json::value& v) {
    const json::object* o = v.if_object();
    if (!o) return {};
    const json::value* type = o->if_contains("resourceType");
    if (!type || !type->is_string() || type->as_string() != "OperationOutcome") return {};
    std::string out;
    if (const json::value* issues = o->if_contains("issue"); issues && issues->is_array()) {
        for (const auto& i : issues->as_array()) {
            const json::object* io = i.if_object();
            const json::value* code = io ? io->if_contains("code") : nullptr;
            if (code && code->is_string()) {
                const std::string c(code->as_string());
                // Issue codes are a fixed FHIR value set: short lower-case words.
                if (c.size() < 32 && c.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") == std::string::npos &&
                    out.find(c) == std::string::npos) {
                    out += (out.empty() ? "" : ",") + c;
                }
            }
        }
    }
    return out;
}

client::client(asio::any_io_executor ex, asio::ssl::context* tls, settings s, event_sink& sink,
               auth::backend_token_source* smart)
    : ex_(std::move(ex)), tls_(tls), s_(std::move(s)), sink_(sink), smart_(smart),
      breaker_(s_.failures_to_open, s_.open_for) {
    while (!s_.base_url.empty() && s_.base_url.back() == '/') s_.base_url.pop_back();
}

bool client::breaker_open() const noexcept { return !breaker_.allow(); }

asio::awaitable<outcome<reply>> client::async_request(std::string method, std::string path, std::string body,
                                                      std::vector<std::pair<std::string, std::string>> headers,
                                                      bool idempotent) {
    outcome<reply> result;
    const std::string what = "FHIR " + method + " " + path.substr(0, path.find_first_of("?/"));
    if (breaker_open()) {
        result.error = {failure_kind::breaker_open, 0, {}, what + ": not called, the EHR failed recently"};
        co_return result;
    }
    const int attempts = (idempotent || method == "GET") ? std::max(1, s_.max_attempts) : 1;
    std::minstd_rand jitter(static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
    bool renewed = false;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
        http::request req;
        req.method = method;
        req.url = path.starts_with("http://") || path.starts_with("https://") ? path : s_.base_url + "/" + path;
        req.timeout = s_.timeout;
        req.headers = headers;
        req.headers.emplace_back("Accept", "application/fhir+json");
        if (!body.empty()) req.headers.emplace_back("Content-Type", "application/fhir+json");
        req.body = body;
        if (smart_) {
            auto token = co_await smart_->async_token();
            if (!token) {
                result.error = {failure_kind::unavailable, 0, {}, what + ": no access token (" + smart_->last_failure() + ")"};
                break;
            }
            req.headers.emplace_back("Authorization", "Bearer " + *token);
        } else if (!s_.static_token.empty()) {
            req.headers.emplace_back("Authorization", "Bearer " + s_.static_token);
        }
        auto r = co_await http::async_fetch(ex_, tls_, std::move(req));
        bool retry = false;
        if (!r) {
            result.error = {failure_kind::timeout_or_network, 0, {}, what + ": no answer in time"};
            retry = true;
        } else if (r->status == 401 && smart_ && !renewed) {
            // The token may have been revoked or expired early: one fresh token, once.
            smart_->invalidate();
            renewed = true;
            --attempt;
            continue;
        } else {
            json::error_code ec;
            json::value v = r->body.empty() ? json::value(nullptr) : json::parse(r->body, ec);
            if (ec) {
                result.error = {failure_kind::bad_response, r->status, {}, what + ": HTTP " + std::to_string(r->status) + " with a body that is not JSON"};
                retry = r->status >= 500;
            } else if (r->status >= 200 && r->status < 300) {
                result.value = reply{r->status, std::move(v), r->header("ETag"), r->header("Location")};
                result.error = {};
                breaker_.succeeded();
                co_return result;
            } else {
                const std::string codes = outcome_codes(v);
                result.error = {failure_kind::http_error, r->status, codes,
                                what + ": HTTP " + std::to_string(r->status) + (codes.empty() ? "" : " (" + codes + ")")};
                // 4xx is an answer about the request, not about the EHR's health.
                if (r->status < 500 && r->status != 429) {
                    breaker_.succeeded();
                    co_return result;
                }
                retry = true;
            }
        }
        if (!retry || attempt == attempts) break;
        const auto base = s_.backoff * (1 << (attempt - 1));
        const auto delay = base + std::chrono::milliseconds(jitter() % static_cast<unsigned>(base.count() / 2 + 1));
        asio::steady_timer t(ex_, delay);
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (breaker_.failed()) {
        sink_.report("fhir.breaker_open");
    } else {
        sink_.report("fhir.request_failed");
    }
    co_return result;
}

asio::awaitable<outcome<reply>> client::async_capabilities() {
    // Named arguments, not braced temporaries: GCC 12 destroys those twice inside co_await.
    std::vector<std::pair<std::string, std::string>> none;
    auto r = co_await async_request("GET", "metadata", std::string(), none, true);
    co_return r;
}

asio::awaitable<outcome<reply>> client::async_read(std::string type, std::string id) {
    std::vector<std::pair<std::string, std::string>> none;
    auto r = co_await async_request("GET", type + "/" + id, std::string(), none, true);
    co_return r;
}

asio::awaitable<outcome<std::vector<json::value>>> client::async_search(
    std::string type, std::string query, std::function<bool(const std::vector<json::value>&)> enough) {
    outcome<std::vector<json::value>> out;
    out.value.emplace();
    std::string next = type + (query.empty() ? "" : "?" + query);
    for (std::size_t page = 0; !next.empty(); ++page) {
        if (enough && (page == s_.max_pages || enough(*out.value))) break;
        if (page == s_.max_pages) {
            out.value.reset();
            out.error = {failure_kind::bad_response, 0, {}, "FHIR search " + type + ": more than " + std::to_string(s_.max_pages) + " pages"};
            co_return out;
        }
        std::vector<std::pair<std::string, std::string>> none;
        auto r = co_await async_request("GET", next, std::string(), none, true);
        if (!r) {
            out.value.reset();
            out.error = r.error;
            co_return out;
        }
        next.clear();
        const json::object* bundle = r.value->resource.if_object();
        if (!bundle) break;
        if (const json::value* entries = bundle->if_contains("entry"); entries && entries->is_array()) {
            for (const auto& e : entries->as_array()) {
                const json::object* eo = e.if_object();
                const json::value* res = eo ? eo->if_contains("resource") : nullptr;
                const json::value* search = eo ? eo->if_contains("search") : nullptr;
                const json::value* mode = search && search->is_object() ? search->as_object().if_contains("mode") : nullptr;
                // Included resources are not matches.
                if (res && !(mode && mode->is_string() && mode->as_string() != "match")) out.value->push_back(*res);
            }
        }
        if (const json::value* links = bundle->if_contains("link"); links && links->is_array()) {
            for (const auto& l : links->as_array()) {
                const json::object* lo = l.if_object();
                if (!lo) continue;
                const json::value* rel = lo->if_contains("relation");
                const json::value* url = lo->if_contains("url");
                if (rel && rel->is_string() && rel->as_string() == "next" && url && url->is_string()) next = std::string(url->as_string());
            }
        }
        // A `next` link leads back to the same server, never elsewhere (it is the server's
        // word, and our token goes with the request).
        if (!next.empty() && !next.starts_with(s_.base_url + "/") && !next.starts_with(s_.base_url + "?")) {
            out.value.reset();
            out.error = {failure_kind::bad_response, 0, {}, "FHIR search " + type + ": a next link to another server"};
            co_return out;
        }
    }
    co_return out;
}

std::string string_field(const json::value& v, std::string_view key) {
    const json::object* o = v.if_object();
    const json::value* x = o ? o->if_contains(key) : nullptr;
    return x && x->is_string() ? std::string(x->as_string()) : std::string();
}

const json::array* array_field(const json::value& v, std::string_view key) {
    const json::object* o = v.if_object();
    const json::value* x = o ? o->if_contains(key) : nullptr;
    return x ? x->if_array() : nullptr;
}

std::string query_value(std::string_view v) { return boost::urls::encode(v, boost::urls::unreserved_chars); }

}  // namespace triage::integrations::fhir

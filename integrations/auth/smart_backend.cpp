#include "integrations/auth/smart_backend.hpp"

#include "integrations/errc.hpp"
#include "integrations/http/client.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <openssl/rand.h>
#include <sodium.h>

namespace json = boost::json;
namespace asio = boost::asio;

namespace triage::integrations::auth {

namespace {

std::string form_value(std::string_view v) { return boost::urls::encode(v, boost::urls::unreserved_chars); }

std::string random_id() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
    char hex[sizeof bytes * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
    return hex;
}

}  // namespace

backend_token_source::backend_token_source(asio::any_io_executor ex, asio::ssl::context* tls, backend_settings s,
                                           signing_key key)
    : ex_(std::move(ex)), tls_(tls), s_(std::move(s)), key_(std::move(key)) {}

std::optional<std::string> backend_token_source::assertion(std::chrono::system_clock::time_point now) const {
    const std::string jti = random_id();
    if (jti.empty()) return std::nullopt;
    const auto t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    json::object claims{{"iss", s_.client_id}, {"sub", s_.client_id}, {"aud", s_.token_url},
                        {"jti", jti}, {"iat", t}, {"exp", t + s_.assertion_lifetime.count()}};
    return key_.sign(claims);
}

asio::awaitable<boost::system::result<std::string>> backend_token_source::async_token() {
    if (!token_.empty() && std::chrono::steady_clock::now() < valid_until_) co_return token_;
    auto signed_assertion = assertion(std::chrono::system_clock::now());
    if (!signed_assertion) co_return errc::token_unavailable;
    http::request req;
    req.method = "POST";
    req.url = s_.token_url;
    req.timeout = s_.timeout;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.headers.emplace_back("Accept", "application/json");
    req.body = "grant_type=client_credentials&scope=" + form_value(s_.scope) +
               "&client_assertion_type=" + form_value("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
               "&client_assertion=" + form_value(*signed_assertion);
    const auto asked = std::chrono::steady_clock::now();
    auto r = co_await http::async_fetch(ex_, tls_, std::move(req));
    if (!r) {
        last_failure_ = "unreachable";
        co_return errc::token_unavailable;
    }
    json::error_code ec;
    auto v = json::parse(r->body, ec);
    const json::object* o = ec ? nullptr : v.if_object();
    if (r->status != 200) {
        last_failure_ = "HTTP " + std::to_string(r->status);
        if (const json::value* e = o ? o->if_contains("error") : nullptr; e && e->is_string()) {
            // An OAuth error code is a short fixed word; anything else is not repeated.
            const std::string code(e->as_string());
            if (code.size() < 40 && code.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos) last_failure_ += " " + code;
        }
        co_return errc::token_unavailable;
    }
    const json::value* token = o ? o->if_contains("access_token") : nullptr;
    const json::value* expires = o ? o->if_contains("expires_in") : nullptr;
    if (!token || !token->is_string() || token->as_string().empty()) {
        last_failure_ = "no access_token in the answer";
        co_return errc::token_unavailable;
    }
    last_failure_.clear();
    long long lifetime = 300;
    if (expires && expires->is_int64()) lifetime = expires->as_int64();
    token_ = std::string(token->as_string());
    // Counted from when we asked, not when the answer came: the token may be older than it looks.
    valid_until_ = asked + std::chrono::seconds(std::max<long long>(0, lifetime - s_.renew_before.count()));
    co_return token_;
}

}  // namespace triage::integrations::auth

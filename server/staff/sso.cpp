#include "server/staff/sso.hpp"

#include "integrations/errc.hpp"
#include "integrations/http/client.hpp"
#include "server/log.hpp"

#include <boost/json.hpp>

namespace asio = boost::asio;
namespace json = boost::json;
using triage::integrations::errc;
namespace http = triage::integrations::http;

namespace triage::server::staff {

namespace {
constexpr std::chrono::seconds pending_lifetime{600};
constexpr std::string_view pending_aad = "staff.sso.pending";
}  // namespace

sign_in_provider::sign_in_provider(const config& cfg, asio::ssl::context* tls, const integrations::phi::keyring& keys)
    : cfg_(cfg), tls_(tls), sealer_(keys) {}

asio::awaitable<std::optional<oidc_provider>> sign_in_provider::provider(asio::any_io_executor ex) {
    {
        std::lock_guard lock(mu_);
        if (provider_) co_return provider_;
    }
    std::string issuer = cfg_.staff_sso.issuer;
    while (!issuer.empty() && issuer.back() == '/') issuer.pop_back();
    http::request req;
    req.url = issuer + "/.well-known/openid-configuration";
    req.headers.push_back({"Accept", "application/json"});
    auto r = co_await http::async_fetch(ex, tls_, std::move(req));
    if (!r || r->status != 200) {
        log::warn("staff.sso_discovery_failed", {{"status", r ? r->status : 0}});
        co_return std::nullopt;
    }
    std::string why;
    auto p = parse_discovery(r->body, cfg_.staff_sso.issuer, &why);
    if (!p) {
        log::warn("staff.sso_discovery_invalid", {{"why", log::field_value::code(why)}});
        co_return std::nullopt;
    }
    std::lock_guard lock(mu_);
    provider_ = *p;
    co_return provider_;
}

asio::awaitable<std::shared_ptr<const integrations::auth::key_set>> sign_in_provider::keys(asio::any_io_executor ex,
                                                                                         bool refresh) {
    {
        std::lock_guard lock(mu_);
        if (keys_ && !refresh) co_return keys_;
    }
    auto p = co_await provider(ex);
    if (!p) co_return nullptr;
    http::request req;
    req.url = p->jwks_uri;
    auto r = co_await http::async_fetch(ex, tls_, std::move(req));
    if (!r || r->status != 200) co_return nullptr;
    auto set = integrations::auth::key_set::from_jwks(r->body);
    if (!set) co_return nullptr;
    auto shared = std::make_shared<const integrations::auth::key_set>(std::move(*set));
    std::lock_guard lock(mu_);
    keys_ = shared;
    co_return shared;
}

asio::awaitable<boost::system::result<sso_start>> sign_in_provider::start(asio::any_io_executor ex,
                                                                           bool secure_cookie) {
    auto p = co_await provider(ex);
    if (!p) co_return boost::system::error_code(errc::token_unavailable);
    auto a = make_authorization_request(*p, cfg_.staff_sso.client_id, cfg_.staff_sso.redirect_uri,
                                        cfg_.staff_sso.scopes);
    auto issued = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    std::string plain = json::serialize(json::object{
        {"state", a.state}, {"nonce", a.nonce}, {"verifier", a.code_verifier}, {"issued", issued}});
    auto sealed = sealer_.seal(plain, pending_aad);
    std::string value = std::to_string(sealed.key_id) + "." + integrations::auth::base64url_encode(sealed.bytes);
    // Lax, not Strict: the provider's redirect back to us is a cross-site navigation, and the
    // cookie must come with it. It opens nothing by itself (it only proves this browser started).
    std::string cookie = std::string(sso_cookie_name) + "=" + value + "; Path=/staff/callback; HttpOnly; SameSite=Lax; Max-Age=" +
                         std::to_string(pending_lifetime.count()) + (secure_cookie ? "; Secure" : "");
    co_return sso_start{a.url, cookie};
}

std::string sign_in_provider::clear_cookie(bool secure_cookie) const {
    return std::string(sso_cookie_name) + "=; Path=/staff/callback; HttpOnly; SameSite=Lax; Max-Age=0" +
           (secure_cookie ? "; Secure" : "");
}

asio::awaitable<boost::system::result<staff_identity>> sign_in_provider::finish(asio::any_io_executor ex,
                                                                                 std::string code, std::string state,
                                                                                 std::string pending,
                                                                                 std::string& why) {
    auto fail = [&](const char* w) {
        why = w;
        return boost::system::result<staff_identity>(boost::system::error_code(errc::token_invalid));
    };
    auto dot = pending.find('.');
    if (dot == std::string::npos) co_return fail("no_pending_sign_in");
    auto bytes = integrations::auth::base64url_decode(std::string_view(pending).substr(dot + 1));
    if (!bytes) co_return fail("pending_unreadable");
    auto key_id = static_cast<std::uint32_t>(std::strtoul(pending.substr(0, dot).c_str(), nullptr, 10));
    auto plain = sealer_.open(key_id, *bytes, pending_aad);
    if (!plain) co_return fail("pending_unreadable");
    boost::system::error_code ec;
    json::value v = json::parse(*plain, ec);
    if (ec || !v.is_object()) co_return fail("pending_unreadable");
    const auto& o = v.as_object();
    auto str = [&](const char* k) {
        auto* x = o.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    auto now = std::chrono::system_clock::now();
    auto issued = o.contains("issued") && o.at("issued").is_int64() ? o.at("issued").as_int64() : 0;
    auto age = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() - issued;
    if (age < 0 || age > pending_lifetime.count()) co_return fail("pending_expired");
    // The state binds the provider's answer to the browser that started (login CSRF).
    if (state.empty() || state != str("state")) co_return fail("state_mismatch");
    auto p = co_await provider(ex);
    if (!p) co_return fail("provider_unavailable");
    auto tr = make_token_request(code, cfg_.staff_sso.redirect_uri, str("verifier"), cfg_.staff_sso.client_id,
                                 cfg_.staff_sso.client_secret);
    http::request req;
    req.method = "POST";
    req.url = p->token_endpoint;
    req.body = std::move(tr.body);
    req.headers.push_back({"Authorization", std::move(tr.authorization)});
    req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    req.headers.push_back({"Accept", "application/json"});
    req.timeout = std::chrono::milliseconds(5000);
    auto r = co_await http::async_fetch(ex, tls_, std::move(req));
    if (!r) co_return fail("token_endpoint_unreachable");
    if (r->status != 200) co_return fail("token_refused");
    std::string nonce = str("nonce");
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto set = co_await keys(ex, attempt > 0);
        if (!set) co_return fail("jwks_unavailable");
        std::string w;
        auto id = verify_token_response(r->body, *set, *p, cfg_.staff_sso.client_id, nonce, now, &w);
        if (id) co_return id;
        // A key the provider rotated in since we fetched: fetch once more, then give up.
        if (attempt == 0 && w.find("kid") != std::string::npos) continue;
        why = "id_token_invalid";
        log::warn("staff.sso_token_invalid", {{"why", log::field_value::code(w)}});
        co_return boost::system::error_code(errc::token_invalid);
    }
    co_return fail("id_token_invalid");
}

std::string sign_in_provider::logout_url(const std::string& id_token_hint) {
    std::lock_guard lock(mu_);
    if (!provider_) return {};
    return staff::logout_url(*provider_, id_token_hint, cfg_.staff_sso.post_logout_redirect_uri,
                             cfg_.staff_sso.client_id);
}

}  // namespace triage::server::staff

#include "server/staff/oidc.hpp"

#include "server/staff/credentials.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <utility>

namespace json = boost::json;

namespace triage::server::staff {

namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "triage.staff.oidc"; }
    std::string message(int ev) const override {
        switch (static_cast<oidc_errc>(ev)) {
        case oidc_errc::ok: return "ok";
        case oidc_errc::bad_discovery: return "unacceptable OpenID discovery document";
        case oidc_errc::bad_token_response: return "unacceptable token endpoint response";
        case oidc_errc::id_token_invalid: return "ID token failed verification";
        }
        return "unknown";
    }
};

// Only unreserved characters stay as they are. That is stricter than RFC 3986 needs for a query,
// but '+', '&' and '=' must be encoded in form values and query parameters alike ('+' reads as a
// space to a form decoder), and encoding everything else too costs nothing.
std::string encode(std::string_view v) { return boost::urls::encode(v, boost::urls::unreserved_chars); }

using params = std::initializer_list<std::pair<std::string_view, std::string_view>>;

std::string form(params ps) {
    std::string out;
    for (const auto& [k, v] : ps) {
        if (!out.empty()) out += '&';
        out += encode(k);
        out += '=';
        out += encode(v);
    }
    return out;
}

// Endpoints were checked to have no fragment, so the query is the end of the string.
std::string with_query(std::string_view endpoint, std::string_view query) {
    std::string out(endpoint);
    if (query.empty()) return out;
    if (out.find('?') == std::string::npos)
        out += '?';
    else if (out.back() != '?' && out.back() != '&')
        out += '&';
    out += query;
    return out;
}

std::string base64(std::string_view bytes) {
    std::string out = integrations::auth::base64url_encode(bytes);
    std::replace(out.begin(), out.end(), '-', '+');
    std::replace(out.begin(), out.end(), '_', '/');
    out.append((4 - out.size() % 4) % 4, '=');
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        return lower(x) == lower(y);
    });
}

bool space_separated_has(std::string_view list, std::string_view word) {
    std::size_t i = 0;
    while (i < list.size()) {
        const std::size_t end = std::min(list.find(' ', i), list.size());
        if (list.substr(i, end - i) == word) return true;
        i = end + 1;
    }
    return false;
}

// ok=false: present but not a string. Absent reads as an empty string.
struct claim_text {
    bool ok = true;
    std::string value;
};
claim_text optional_string(const json::object& o, std::string_view name) {
    const json::value* v = o.if_contains(name);
    if (!v) return {};
    if (!v->is_string()) return {false, {}};
    return {true, std::string(v->as_string())};
}

}  // namespace

const boost::system::error_category& oidc_category() noexcept {
    static const category c;
    return c;
}

bool acceptable_endpoint(std::string_view url) {
    auto u = boost::urls::parse_absolute_uri(url);
    if (!u || !u->has_authority() || u->encoded_host().empty() || u->has_userinfo() || u->has_fragment()) return false;
    // Boost.URL 1.81 reads "http://127.0.0.1.evil.example/" as host 127.0.0.1 and path
    // ".evil.example/", where a browser sees the host 127.0.0.1.evil.example. After an authority
    // RFC 3986 allows only an empty path or one starting with '/', so that reading is refused.
    if (const auto path = u->encoded_path(); !path.empty() && path.front() != '/') return false;
    if (u->scheme_id() == boost::urls::scheme::https) return true;
    if (u->scheme_id() != boost::urls::scheme::http) return false;
    switch (u->host_type()) {
    case boost::urls::host_type::ipv4: return u->host_ipv4_address().is_loopback();
    case boost::urls::host_type::ipv6: return u->host_ipv6_address().is_loopback();
    case boost::urls::host_type::name: {
        const auto host = u->encoded_host();
        return iequals(std::string_view(host.data(), host.size()), "localhost");
    }
    default: return false;
    }
}

boost::system::result<oidc_provider> parse_discovery(std::string_view text, std::string_view expected_issuer,
                                                     std::string* why) {
    auto fail = [&](std::string reason) -> boost::system::result<oidc_provider> {
        if (why) *why = std::move(reason);
        return oidc_errc::bad_discovery;
    };
    json::error_code ec;
    const json::value doc = json::parse(text, ec);
    const json::object* o = ec ? nullptr : doc.if_object();
    if (!o) return fail("not a JSON object");

    auto endpoint = [&](std::string_view name, std::string& out, bool required) -> std::optional<std::string> {
        const auto c = optional_string(*o, name);
        if (!c.ok) return std::string(name) + " is not a string";
        if (c.value.empty()) {
            if (required) return std::string(name) + " missing";
            return std::nullopt;
        }
        if (!acceptable_endpoint(c.value)) return std::string(name) + " is not an https URL (http only on loopback)";
        out = c.value;
        return std::nullopt;
    };
    oidc_provider p;
    const auto issuer = optional_string(*o, "issuer");
    if (!issuer.ok || issuer.value.empty()) return fail("issuer missing");
    if (issuer.value != expected_issuer) return fail("issuer does not match the configured issuer");
    if (auto e = endpoint("issuer", p.issuer, true)) return fail(*e);
    if (auto e = endpoint("authorization_endpoint", p.authorization_endpoint, true)) return fail(*e);
    if (auto e = endpoint("token_endpoint", p.token_endpoint, true)) return fail(*e);
    if (auto e = endpoint("jwks_uri", p.jwks_uri, true)) return fail(*e);
    if (auto e = endpoint("end_session_endpoint", p.end_session_endpoint, false)) return fail(*e);

    // Absent lists are taken on trust (both are optional in the discovery document); a list that
    // is there must offer what this client uses.
    auto lists = [&](std::string_view name, std::string_view wanted) -> std::optional<bool> {
        const json::value* v = o->if_contains(name);
        if (!v) return std::nullopt;
        const json::array* a = v->if_array();
        return a && std::any_of(a->begin(), a->end(), [&](const json::value& x) {
                   return x.is_string() && x.as_string() == wanted;
               });
    };
    if (lists("response_types_supported", "code") == false) return fail("response type code not supported");
    if (lists("code_challenge_methods_supported", "S256") == false) return fail("PKCE S256 not supported");
    return p;
}

std::string pkce_challenge(std::string_view verifier) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(verifier.data(), verifier.size(), digest, &len, EVP_sha256(), nullptr) != 1) return {};
    return integrations::auth::base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

authorization_request make_authorization_request(const oidc_provider& p, std::string_view client_id,
                                                 std::string_view redirect_uri, std::string_view scopes) {
    authorization_request r{new_token(), new_token(), new_token(), {}};
    std::string scope(scopes);
    if (!space_separated_has(scope, "openid")) scope = scope.empty() ? "openid" : "openid " + scope;
    const std::string challenge = pkce_challenge(r.code_verifier);
    r.url = with_query(p.authorization_endpoint, form({
                                                     {"response_type", "code"},
                                                     {"client_id", client_id},
                                                     {"redirect_uri", redirect_uri},
                                                     {"scope", scope},
                                                     {"state", r.state},
                                                     {"nonce", r.nonce},
                                                     {"code_challenge", challenge},
                                                     {"code_challenge_method", "S256"},
                                                 }));
    return r;
}

token_request make_token_request(std::string_view code, std::string_view redirect_uri, std::string_view code_verifier,
                                 std::string_view client_id, std::string_view client_secret) {
    token_request t;
    t.body = form({
        {"grant_type", "authorization_code"},
        {"code", code},
        {"redirect_uri", redirect_uri},
        {"code_verifier", code_verifier},
    });
    // RFC 6749 2.3.1 form-encodes both parts before Base64, so a ':' in the client id cannot be
    // mistaken for the separator. %20 rather than '+' for a space: every decoder reads %20.
    t.authorization = "Basic " + base64(encode(client_id) + ":" + encode(client_secret));
    return t;
}

boost::system::result<staff_identity> verify_token_response(std::string_view token_json,
                                                            const integrations::auth::key_set& keys,
                                                            const oidc_provider& p, std::string_view client_id,
                                                            std::string_view expected_nonce,
                                                            std::chrono::system_clock::time_point now,
                                                            std::string* why) {
    auto fail = [&](oidc_errc code, std::string reason) -> boost::system::result<staff_identity> {
        if (why) *why = std::move(reason);
        return code;
    };
    json::error_code ec;
    const json::value doc = json::parse(token_json, ec);
    const json::object* o = ec ? nullptr : doc.if_object();
    if (!o) return fail(oidc_errc::bad_token_response, "token response is not a JSON object");
    const auto token_type = optional_string(*o, "token_type");
    if (!token_type.ok || (o->contains("token_type") && !iequals(token_type.value, "bearer")))
        return fail(oidc_errc::bad_token_response, "token_type is not Bearer");
    const auto id_token = optional_string(*o, "id_token");
    if (!id_token.ok || id_token.value.empty()) return fail(oidc_errc::bad_token_response, "no id_token");
    // Without an expected nonce, a missing nonce claim would compare equal to nothing at all.
    if (expected_nonce.empty()) return fail(oidc_errc::id_token_invalid, "no expected nonce");

    integrations::auth::verify_options opts;
    opts.algorithms = {"RS256", "ES256"};
    opts.issuer = p.issuer;
    opts.audience = std::string(client_id);
    opts.now = now;
    opts.leeway = std::chrono::seconds(60);
    opts.nonce = std::string(expected_nonce);
    std::string reason;
    auto verified = integrations::auth::verify_jwt(id_token.value, keys, opts, &reason);
    if (!verified) return fail(oidc_errc::id_token_invalid, reason);
    const json::object& claims = verified->claims;

    // verify_jwt checks iat only when present; an ID token must carry it (Core 2).
    const json::value* iat = claims.if_contains("iat");
    if (!iat || !iat->is_number()) return fail(oidc_errc::id_token_invalid, "no iat");
    // With several audiences the token may have been issued to another client and merely lists us;
    // azp names the one it was issued to (Core 3.1.3.7, items 4 and 5).
    const json::value* aud = claims.if_contains("aud");
    const bool several = aud && aud->is_array() && aud->as_array().size() > 1;
    const auto azp = optional_string(claims, "azp");
    if (!azp.ok) return fail(oidc_errc::id_token_invalid, "azp is not a string");
    if (several && !claims.contains("azp")) return fail(oidc_errc::id_token_invalid, "several audiences and no azp");
    if (claims.contains("azp") && azp.value != client_id) return fail(oidc_errc::id_token_invalid, "wrong azp");

    staff_identity id;
    id.issuer = p.issuer;
    const auto sub = optional_string(claims, "sub");
    if (!sub.ok || sub.value.empty()) return fail(oidc_errc::id_token_invalid, "no sub");
    id.subject = sub.value;
    for (auto [name, out] :
         {std::pair{"name", &id.name}, std::pair{"email", &id.email}, std::pair{"clinic", &id.clinic}}) {
        auto c = optional_string(claims, name);
        if (!c.ok) return fail(oidc_errc::id_token_invalid, std::string(name) + " is not a string");
        *out = std::move(c.value);
    }
    // A malformed roles claim is refused rather than read as "no roles": better no sign-in than a
    // silently different set of permissions.
    if (const json::value* roles = claims.if_contains("roles")) {
        const json::array* a = roles->if_array();
        if (!a) return fail(oidc_errc::id_token_invalid, "roles is not an array");
        for (const auto& r : *a) {
            if (!r.is_string()) return fail(oidc_errc::id_token_invalid, "roles holds a non-string");
            id.roles.emplace_back(r.as_string());
        }
    }
    id.id_token = id_token.value;
    return id;
}

std::string logout_url(const oidc_provider& p, std::string_view id_token_hint,
                       std::string_view post_logout_redirect_uri, std::string_view client_id) {
    if (p.end_session_endpoint.empty()) return {};
    std::string query;
    for (const auto& [k, v] : {std::pair{"id_token_hint", id_token_hint},
                               std::pair{"post_logout_redirect_uri", post_logout_redirect_uri},
                               std::pair{"client_id", client_id}}) {
        if (v.empty()) continue;
        if (!query.empty()) query += '&';
        query += k;
        query += '=';
        query += encode(v);
    }
    return with_query(p.end_session_endpoint, query);
}

}  // namespace triage::server::staff

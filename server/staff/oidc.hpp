#pragma once
// OpenID Connect staff sign-in, the relying party's pure pieces: reading the provider's discovery
// document, building the authorization redirect (code flow with PKCE S256, state and nonce), the
// token request, checking the token endpoint's answer and its ID token, and the RP-initiated
// logout URL. Nothing here touches the network or a clock: the server fetches with
// integrations::http::async_fetch and passes `now`.
//
// Why each check (OpenID Connect Core 1.0, section 3.1.3.7; RFC 9700 "OAuth 2.0 Security BCP"):
// - the discovery `issuer` must equal the configured one exactly, else a document served by one
//   provider could name another's endpoints (mix-up, OpenID Discovery section 4.3);
// - endpoints are HTTPS; plain HTTP only on loopback, for the test provider;
// - ID tokens: only RS256 and ES256, so "none", the HMAC algorithms (a public key used as a shared
//   secret) and anything the provider was not configured for are refused; `iss`, `aud` (with `azp`
//   when there are several audiences, or whenever present), `exp`, `iat`, `nonce` (ties the token to
//   this browser's redirect, against replay and injection) and `sub`.
// - state and the PKCE verifier are the caller's to compare and send: state against the callback's
//   `state` (same_token), the verifier in the token request.
//
// runs on: any thread. make_authorization_request needs sodium_init() to have run.

#include "integrations/auth/jwt.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace triage::server::staff {

enum class oidc_errc {
    ok = 0,
    bad_discovery = 1,   // the discovery document failed a check
    bad_token_response,  // not a JSON object, no id_token, or a token_type other than Bearer
    id_token_invalid,    // the ID token failed verification or a claim check
};

const boost::system::error_category& oidc_category() noexcept;

inline boost::system::error_code make_error_code(oidc_errc e) noexcept {
    return {static_cast<int>(e), oidc_category()};
}

// From the discovery document; checked by parse_discovery.
struct oidc_provider {
    std::string issuer;
    std::string authorization_endpoint;
    std::string token_endpoint;
    std::string jwks_uri;
    std::string end_session_endpoint;  // empty when the provider has none
};

// True for an absolute https URL with a host, or http whose host is a loopback address
// (127.0.0.0/8, [::1]) or localhost; never with a fragment or user info.
bool acceptable_endpoint(std::string_view url);

// Parses /.well-known/openid-configuration. Requires a JSON object whose `issuer` equals
// expected_issuer byte for byte, and acceptable_endpoint() for issuer, authorization_endpoint,
// token_endpoint, jwks_uri and (when present) end_session_endpoint. When the document lists
// response_types_supported it must include "code"; when it lists
// code_challenge_methods_supported it must include "S256". oidc_errc::bad_discovery otherwise;
// `why` (if given) names the problem, for logs.
boost::system::result<oidc_provider> parse_discovery(std::string_view json, std::string_view expected_issuer,
                                                     std::string* why = nullptr);

// What the server keeps between the redirect and the callback (sealed, in a short-lived cookie).
struct authorization_request {
    std::string state;          // new_token(): 43 base64url characters
    std::string nonce;          // idem
    std::string code_verifier;  // idem; 43 is the RFC 7636 minimum length, 256 bits of entropy
    std::string url;            // the authorization URL to redirect the browser to
};

// authorization_endpoint plus response_type=code, client_id, redirect_uri, scope, state, nonce,
// code_challenge and code_challenge_method=S256, every value percent-encoded (RFC 3986 unreserved
// characters only kept). A query already in the endpoint is kept. `scopes` is space-separated;
// "openid" is put first when it is missing, since without it there is no ID token.
authorization_request make_authorization_request(const oidc_provider& p, std::string_view client_id,
                                                 std::string_view redirect_uri, std::string_view scopes);

// BASE64URL(SHA-256(verifier)), RFC 7636 section 4.2.
std::string pkce_challenge(std::string_view verifier);

// The token endpoint call for the authorization code (RFC 6749 section 4.1.3), with
// client_secret_basic (section 2.3.1): POST `body` with Content-Type
// application/x-www-form-urlencoded and the header `Authorization: <authorization>`.
struct token_request {
    std::string body;           // grant_type=authorization_code&code=…&redirect_uri=…&code_verifier=…
    std::string authorization;  // "Basic " + base64(urlencode(client_id) ":" urlencode(client_secret))
};
token_request make_token_request(std::string_view code, std::string_view redirect_uri, std::string_view code_verifier,
                                 std::string_view client_id, std::string_view client_secret);

struct staff_identity {
    std::string issuer, subject;  // together, the stable key of the user (never the email)
    std::string name, email;      // empty when the token has none
    std::string clinic;           // the `clinic` claim, empty when absent
    std::vector<std::string> roles;
    std::string id_token;         // kept as the id_token_hint for logout
};

// Checks the token endpoint's JSON answer and its `id_token` against `keys` (the provider's JWKS):
// RS256 or ES256 only, iss == p.issuer, aud contains client_id, azp == client_id when aud has
// several entries or azp is present, exp (60 s leeway), iat present and not in the future beyond
// the leeway, nonce == expected_nonce (an empty expected nonce is refused), sub a non-empty string;
// name, email and clinic must be strings and roles an array of strings when present. token_type,
// when present, must be Bearer (any case). oidc_errc::bad_token_response or ::id_token_invalid;
// `why` (if given) says which check failed, never the token.
boost::system::result<staff_identity> verify_token_response(std::string_view token_json,
                                                            const integrations::auth::key_set& keys,
                                                            const oidc_provider& p, std::string_view client_id,
                                                            std::string_view expected_nonce,
                                                            std::chrono::system_clock::time_point now,
                                                            std::string* why = nullptr);

// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): end_session_endpoint with
// id_token_hint, post_logout_redirect_uri and client_id; an empty argument is left out. Empty
// when the provider has no end_session_endpoint.
std::string logout_url(const oidc_provider& p, std::string_view id_token_hint,
                       std::string_view post_logout_redirect_uri, std::string_view client_id);

}  // namespace triage::server::staff

template <>
struct boost::system::is_error_code_enum<triage::server::staff::oidc_errc> : std::true_type {};

#pragma once
// JSON Web Tokens with OpenSSL 3, written for two jobs: signing SMART Backend Services client
// assertions (RS384, ES384), and verifying tokens from an identity provider against its JWKS
// (RS256, RS384, ES256, ES384). Deliberately narrow: the caller lists the algorithms it accepts,
// an algorithm must match its key's type, and "none" and the HMAC algorithms are never accepted,
// so a token "signed" with a public key as an HMAC secret (algorithm confusion) is refused.

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triage::integrations::auth {

std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// A private key for signing (PEM: PKCS#8 or traditional RSA/EC).
class signing_key {
public:
    // `alg`: RS256, RS384, ES256 or ES384, and it must fit the key. Empty on any problem.
    static std::optional<signing_key> from_pem(std::string_view pem, std::string alg, std::string kid = {});
    ~signing_key();
    signing_key(signing_key&&) noexcept;
    signing_key& operator=(signing_key&&) noexcept;

    const std::string& alg() const noexcept { return alg_; }
    const std::string& kid() const noexcept { return kid_; }

    // header: {"alg", "typ": "JWT", "kid" (if any)} plus `extra_header`. Empty on failure.
    std::optional<std::string> sign(const boost::json::object& claims, const boost::json::object& extra_header = {}) const;

private:
    signing_key() = default;
    struct impl;
    std::unique_ptr<impl> impl_;
    std::string alg_, kid_;
};

// Public keys from a JWKS document (RSA and EC P-256/P-384 keys; others are skipped).
class key_set {
public:
    static boost::system::result<key_set> from_jwks(std::string_view json);
    ~key_set();
    key_set(key_set&&) noexcept;
    key_set& operator=(key_set&&) noexcept;
    std::size_t size() const noexcept;
    bool has_kid(std::string_view kid) const;

private:
    key_set();
    friend boost::system::result<struct verified_token> verify_jwt(std::string_view, const key_set&,
                                                                  const struct verify_options&, std::string*);
    struct impl;
    std::unique_ptr<impl> impl_;
};

struct verify_options {
    std::vector<std::string> algorithms;       // accepted "alg" values, e.g. {"RS256", "ES256"}
    std::string issuer;                        // required "iss"
    std::string audience;                      // must be "aud" or one of its entries
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
    std::chrono::seconds leeway{60};           // clock skew allowed on exp, nbf, iat
    std::optional<std::string> nonce;          // required "nonce" (ID tokens)
    std::optional<std::string> typ;            // required header "typ" (e.g. "at+jwt")
};

struct verified_token {
    boost::json::object header;
    boost::json::object claims;
};

// errc::token_invalid for any failure; `why` (if given) says which check failed, for logs
// (never the token itself).
boost::system::result<verified_token> verify_jwt(std::string_view token, const key_set& keys, const verify_options& o,
                                                 std::string* why = nullptr);

}  // namespace triage::integrations::auth

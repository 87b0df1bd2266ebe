#pragma once
// Local staff sign-in, the pure pieces: password hashing (Argon2id, libsodium), session and CSRF
// tokens, the session cookie, and the session timing policy. Nothing here touches the database,
// the network or a clock: callers pass `now` and store what they are handed (staff_store).
//
// Password policy (NIST SP 800-63B, section 5.1.1.2 "memorized secret verifiers"):
// - at least 12 characters, counted as Unicode code points (a UTF-8 lead byte counts one), and at
//   most 1024 bytes; any character is allowed, spaces included, and nothing is trimmed;
// - no composition rules (no "one digit, one symbol"): they make passwords harder to remember and
//   barely harder to guess;
// - refused when it is a well-known password (a short list, compared ignoring ASCII case). The
//   classic "top 20" (123456, password, qwerty, ...) are all shorter than 12 and fall to the length
//   rule already, so the list holds frequently breached passwords of 12 characters or more.
// - not done here: Unicode normalisation (NFKC) before hashing, a check against a large breach
//   corpus, refusing context words (the clinic name, the user's email).
//
// runs on: any thread. hash_password, verify_password and verify_against_dummy burn about 64 MiB and
// tens of milliseconds each with the default parameters: never call them on an I/O thread
// (STYLE A4); use the async_ wrappers with the worker pool.

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace boost::asio {
class thread_pool;
}

namespace triage::server::staff {

enum class password_errc {
    ok = 0,
    too_short = 1,  // fewer than min_password_chars code points
    too_long,       // more than max_password_bytes bytes
    too_common,     // on the well-known list
    hash_failed,    // libsodium could not hash (out of memory)
};

const boost::system::error_category& password_category() noexcept;

inline boost::system::error_code make_error_code(password_errc e) noexcept {
    return {static_cast<int>(e), password_category()};
}

inline constexpr std::size_t min_password_chars = 12;
inline constexpr std::size_t max_password_bytes = 1024;

// Argon2id cost. The defaults are libsodium's crypto_pwhash_OPSLIMIT_INTERACTIVE and
// crypto_pwhash_MEMLIMIT_INTERACTIVE (checked against sodium.h in credentials.cpp); tests pass
// the _MIN values to run fast.
struct hash_params {
    unsigned long long opslimit = 2;
    std::size_t memlimit = 64u * 1024u * 1024u;
    friend bool operator==(const hash_params&, const hash_params&) = default;
};

// The policy above, without hashing. password_errc::ok when acceptable.
password_errc check_password(std::string_view password) noexcept;

// An Argon2id string ("$argon2id$v=19$m=...,t=...,p=1$salt$hash", salt random) for storage.
// Fails with password_errc::too_short / too_long / too_common / hash_failed.
boost::system::result<std::string> hash_password(std::string_view password, const hash_params& params = {});

// True when `password` matches `hash`. Constant-time in libsodium. False (never throws) for a
// malformed or non-Argon2 hash and for a password longer than max_password_bytes, which is
// refused before any hashing work. The policy is not applied: an old password that passed an
// older policy still signs in.
bool verify_password(std::string_view hash, std::string_view password) noexcept;

// True when `hash` was made with other parameters or another algorithm, or is malformed: after a
// successful sign-in the caller re-hashes the password it just verified and stores the new hash.
bool needs_rehash(std::string_view hash, const hash_params& params = {}) noexcept;

// For a sign-in with an unknown email (or a user without a local password): does the same Argon2id
// work as verify_password against a real hash with `params`, so the response time does not tell
// whether the email exists. Always returns false. The dummy hash is made on the first call with
// given params (one extra hash then; call it once at start-up to keep even that from showing).
bool verify_against_dummy(std::string_view password, const hash_params& params = {}) noexcept;

// Run the work above on `pool` and resume the awaiting coroutine on its own executor. The
// arguments are taken by value because the caller's buffers may be gone by the time the pool
// thread runs. Exceptions (only std::bad_alloc) are rethrown in the caller.
boost::asio::awaitable<bool> async_verify_password(boost::asio::thread_pool& pool, std::string hash,
                                                   std::string password);
boost::asio::awaitable<bool> async_verify_against_dummy(boost::asio::thread_pool& pool, std::string password,
                                                        hash_params params = {});
boost::asio::awaitable<boost::system::result<std::string>> async_hash_password(boost::asio::thread_pool& pool,
                                                                               std::string password,
                                                                               hash_params params = {});

// ---- tokens ----

inline constexpr std::size_t token_chars = 43;  // 32 bytes in base64url without padding
using token_digest = std::array<unsigned char, 32>;

// 32 random bytes (randombytes_buf), base64url without padding: 43 characters, safe in a cookie
// and a header as they are. For session and CSRF tokens alike.
std::string new_token();
// True for 43 characters of the base64url alphabet: a cheap filter before any lookup.
bool looks_like_token(std::string_view token) noexcept;
// Unkeyed BLAKE2b-256 (crypto_generichash) of the token, which is what the database stores. No key
// is needed: a token has 256 random bits, so a leaked hash cannot be turned back into a token.
token_digest token_hash(std::string_view token) noexcept;
// Constant-time comparison (sodium_memcmp) for equal lengths; different lengths compare false
// at once (a token's length is no secret).
bool same_token(std::string_view a, std::string_view b) noexcept;

// ---- cookies ----

inline constexpr std::string_view session_cookie_name = "__Host-triage_staff";

// "__Host-triage_staff=<token>; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=<N>".
// The __Host- prefix makes browsers refuse the cookie unless it is Secure, has Path=/ and no Domain,
// so a sibling subdomain cannot plant or overwrite it.
// REQUIRES: looks_like_token(token) (anything else could inject attributes); a token that is not
// gives the cleared cookie instead. A negative max_age counts as 0.
std::string session_cookie(std::string_view token, std::chrono::seconds max_age);
// The same cookie emptied with Max-Age=0: the browser deletes it.
std::string clear_session_cookie();

// The value of cookie `name` in a Cookie request header ("a=1; b=2"). Names compare exactly
// (case-sensitive). Pairs are separated by ';' with optional spaces or tabs around them; a
// pair without '=' or with an invalid name is skipped. The first pair with `name` decides: its
// value, with one pair of surrounding double quotes removed, must consist of RFC 6265
// cookie-octets, else nullopt. An empty value is returned as "". Several Cookie headers (HTTP/2)
// must be joined with "; " first.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

// ---- session timing ----

enum class session_state { valid, idle_expired, absolute_expired, revoked };

// A session is valid while now < created + absolute_timeout and now < last_seen + idle_timeout;
// at the exact boundary it has expired. Revocation wins over expiry, and absolute expiry over
// idle expiry (the more final reason is reported).
session_state check_session(std::chrono::system_clock::time_point created,
                            std::chrono::system_clock::time_point last_seen, bool revoked,
                            std::chrono::system_clock::time_point now, std::chrono::seconds idle_timeout,
                            std::chrono::seconds absolute_timeout) noexcept;

}  // namespace triage::server::staff

template <>
struct boost::system::is_error_code_enum<triage::server::staff::password_errc> : std::true_type {};

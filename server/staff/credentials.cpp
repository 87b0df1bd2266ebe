#include "server/staff/credentials.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sodium.h>

#include <algorithm>
#include <mutex>

namespace triage::server::staff {
namespace asio = boost::asio;

static_assert(hash_params{}.opslimit == crypto_pwhash_OPSLIMIT_INTERACTIVE);
static_assert(hash_params{}.memlimit == crypto_pwhash_MEMLIMIT_INTERACTIVE);
static_assert(token_chars == sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1);

namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "triage.staff.password"; }
    std::string message(int ev) const override {
        switch (static_cast<password_errc>(ev)) {
        case password_errc::ok: return "ok";
        case password_errc::too_short: return "password too short";
        case password_errc::too_long: return "password too long";
        case password_errc::too_common: return "password too common";
        case password_errc::hash_failed: return "password hashing failed";
        }
        return "unknown";
    }
};

// sodium_init is idempotent and thread-safe; calling it here keeps these functions usable before
// (or without) keyring::init, e.g. from triagectl and tests.
bool sodium_ready() noexcept {
    static const bool ok = sodium_init() >= 0;
    return ok;
}

// Frequently breached passwords that are long enough to pass the length rule (public breach
// lists), lower-case; the comparison ignores ASCII case so "Password1234" is caught too.
constexpr std::string_view well_known[] = {
    "000000000000",     "111111111111",  "123123123123",        "123456123456",
    "123456789012",     "1234567890123", "1q2w3e4r5t6y",        "1qaz2wsx3edc",
    "123qweasdzxc",     "qazwsxedcrfv",  "qwerty123456",        "qwertyuiop123",
    "qwertyuiopasdfghjkl", "qwertyuiopasdfghjklzxcvbnm", "password1234", "password123!",
    "passwordpassword", "p@ssw0rd1234",  "administrator",       "iloveyou1234",
};

bool is_well_known(std::string_view password) noexcept {
    for (std::string_view w : well_known) {
        if (w.size() != password.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < w.size() && same; ++i) {
            char c = password[i];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            same = c == w[i];
        }
        if (same) return true;
    }
    return false;
}

std::size_t code_points(std::string_view s) noexcept {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

struct dummy_cache {
    std::mutex mutex;
    std::optional<hash_params> params;
    std::string hash;
};

// The hash is of a random password nobody knows, so verifying against it always fails, and it is
// a real Argon2id string with the same parameters, so it costs what a real verification costs.
std::string dummy_hash_for(const hash_params& params) {
    static dummy_cache cache;
    {
        std::lock_guard lock(cache.mutex);
        if (cache.params == params) return cache.hash;
    }
    // Hashed outside the lock: two first callers may both hash; either result serves.
    auto made = hash_password(new_token(), params);
    if (!made) return {};
    std::lock_guard lock(cache.mutex);
    cache.params = params;
    cache.hash = *made;
    return cache.hash;
}

asio::awaitable<bool> verify_on_pool(std::string hash, std::string password) {
    co_return verify_password(hash, password);
}

asio::awaitable<bool> verify_dummy_on_pool(std::string password, hash_params params) {
    co_return verify_against_dummy(password, params);
}

asio::awaitable<boost::system::result<std::string>> hash_on_pool(std::string password, hash_params params) {
    co_return hash_password(password, params);
}

bool is_tchar(unsigned char c) noexcept {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// RFC 6265 4.1.1: no CTLs, whitespace, DQUOTE, comma, semicolon or backslash.
bool is_cookie_octet(unsigned char c) noexcept {
    return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) || (c >= 0x3C && c <= 0x5B) ||
           (c >= 0x5D && c <= 0x7E);
}

std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

constexpr std::string_view cookie_attributes = "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=";

}  // namespace

const boost::system::error_category& password_category() noexcept {
    static const category c;
    return c;
}

password_errc check_password(std::string_view password) noexcept {
    if (password.size() > max_password_bytes) return password_errc::too_long;
    if (code_points(password) < min_password_chars) return password_errc::too_short;
    if (is_well_known(password)) return password_errc::too_common;
    return password_errc::ok;
}

boost::system::result<std::string> hash_password(std::string_view password, const hash_params& params) {
    if (auto problem = check_password(password); problem != password_errc::ok) return make_error_code(problem);
    if (!sodium_ready()) return make_error_code(password_errc::hash_failed);
    char out[crypto_pwhash_STRBYTES];
    // The algorithm is named rather than left to crypto_pwhash_str's default, so a libsodium
    // that changed its default could not silently change what we store.
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), params.opslimit, params.memlimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return make_error_code(password_errc::hash_failed);
    return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) noexcept {
    if (password.size() > max_password_bytes || hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
    if (!sodium_ready()) return false;
    char stored[crypto_pwhash_STRBYTES] = {};  // libsodium reads a NUL-terminated string
    std::copy(hash.begin(), hash.end(), stored);
    return crypto_pwhash_str_verify(stored, password.data(), password.size()) == 0;
}

bool needs_rehash(std::string_view hash, const hash_params& params) noexcept {
    if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES || !sodium_ready()) return true;
    char stored[crypto_pwhash_STRBYTES] = {};
    std::copy(hash.begin(), hash.end(), stored);
    // -1 (malformed, or Argon2i rather than Argon2id) also asks for a new hash.
    return crypto_pwhash_str_needs_rehash(stored, params.opslimit, params.memlimit) != 0;
}

bool verify_against_dummy(std::string_view password, const hash_params& params) noexcept {
    try {
        std::string hash = dummy_hash_for(params);
        // The password is not checked against the policy here: a real user's verification
        // does not check it either, and an early "too short" would come back faster.
        (void)verify_password(hash, password);
    } catch (...) {
        // Only std::bad_alloc can get here; the answer is the same either way.
    }
    return false;
}

asio::awaitable<bool> async_verify_password(asio::thread_pool& pool, std::string hash, std::string password) {
    // co_spawn's completion is dispatched to the handler's executor, and use_awaitable's handler
    // carries the awaiting coroutine's executor: the caller resumes on its own thread.
    auto work = verify_on_pool(std::move(hash), std::move(password));
    bool ok = co_await asio::co_spawn(pool, std::move(work), asio::use_awaitable);
    co_return ok;
}

asio::awaitable<bool> async_verify_against_dummy(asio::thread_pool& pool, std::string password, hash_params params) {
    auto work = verify_dummy_on_pool(std::move(password), params);
    bool ok = co_await asio::co_spawn(pool, std::move(work), asio::use_awaitable);
    co_return ok;
}

asio::awaitable<boost::system::result<std::string>> async_hash_password(asio::thread_pool& pool,
                                                                        std::string password, hash_params params) {
    auto work = hash_on_pool(std::move(password), params);
    boost::system::result<std::string> made = co_await asio::co_spawn(pool, std::move(work), asio::use_awaitable);
    co_return made;
}

std::string new_token() {
    unsigned char bytes[32];
    randombytes_buf(bytes, sizeof bytes);
    char out[token_chars + 1];
    sodium_bin2base64(out, sizeof out, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(bytes, sizeof bytes);
    return std::string(out, token_chars);
}

bool looks_like_token(std::string_view token) noexcept {
    if (token.size() != token_chars) return false;
    return std::all_of(token.begin(), token.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

token_digest token_hash(std::string_view token) noexcept {
    token_digest out{};
    crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                       nullptr, 0);
    return out;
}

bool same_token(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string session_cookie(std::string_view token, std::chrono::seconds max_age) {
    // Fails safe rather than by assert: a value with ';' or CR/LF would become header injection.
    if (!looks_like_token(token)) return clear_session_cookie();
    std::string out;
    out.reserve(session_cookie_name.size() + 1 + token.size() + cookie_attributes.size() + 20);
    out.append(session_cookie_name).append("=").append(token).append(cookie_attributes);
    out.append(std::to_string(std::max<std::chrono::seconds::rep>(max_age.count(), 0)));
    return out;
}

std::string clear_session_cookie() {
    std::string out(session_cookie_name);
    out.append("=").append(cookie_attributes).append("0");
    return out;
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        auto semi = header.find(';');
        std::string_view pair = trim_ows(header.substr(0, semi));
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);

        auto eq = pair.find('=');
        if (eq == std::string_view::npos) continue;
        std::string_view key = trim_ows(pair.substr(0, eq));
        if (key.empty() || !std::all_of(key.begin(), key.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); }))
            continue;
        if (key != name) continue;

        std::string_view value = trim_ows(pair.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        // The first cookie of this name decides, even when it is malformed: falling through to a
        // later one would let whoever can add a cookie choose which one we read.
        if (!std::all_of(value.begin(), value.end(), [](char c) { return is_cookie_octet(static_cast<unsigned char>(c)); }))
            return std::nullopt;
        return std::string(value);
    }
    return std::nullopt;
}

session_state check_session(std::chrono::system_clock::time_point created,
                            std::chrono::system_clock::time_point last_seen, bool revoked,
                            std::chrono::system_clock::time_point now, std::chrono::seconds idle_timeout,
                            std::chrono::seconds absolute_timeout) noexcept {
    if (revoked) return session_state::revoked;
    if (now >= created + absolute_timeout) return session_state::absolute_expired;
    if (now >= last_seen + idle_timeout) return session_state::idle_expired;
    return session_state::valid;
}

}  // namespace triage::server::staff

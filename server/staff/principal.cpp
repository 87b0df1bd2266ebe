#include "server/staff/principal.hpp"

#include "integrations/auth/jwt.hpp"
#include "integrations/errc.hpp"
#include "server/staff/credentials.hpp"

namespace asio = boost::asio;

namespace triage::server::staff {

std::string_view cookie_name(bool tls) { return tls ? session_cookie_name : std::string_view("triage_staff"); }

std::string make_session_cookie(std::string_view token, std::chrono::seconds max_age, bool tls) {
    if (tls) return session_cookie(token, max_age);
    if (!looks_like_token(token)) return clear_cookie(false);
    return "triage_staff=" + std::string(token) + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
           std::to_string(std::max<long long>(0, max_age.count()));
}

std::string clear_cookie(bool tls) {
    if (tls) return clear_session_cookie();
    return "triage_staff=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
}

std::optional<std::string> session_token(const api_request& r) {
    auto v = cookie_value(r.cookie, cookie_name(r.tls));
    if (!v || !looks_like_token(*v)) return std::nullopt;
    return v;
}

std::string csrf_of(const shared_services& shared, std::string_view session_token) {
    return integrations::auth::base64url_encode(shared.keys.blind_index(session_token, "staff.csrf"));
}

bool same_origin(const api_request& r) {
    if (r.origin.empty() || r.host.empty()) return false;
    return r.origin == std::string(r.tls ? "https://" : "http://") + r.host;
}

asio::awaitable<auth_result> recheck(std::string token_hash, shared_services& shared, thread_services& local,
                                     bool touch) {
    auth_result out;
    auto found = co_await local.staff->async_find_session(token_hash);
    if (!found) {
        out.failure = auth_failure::unavailable;
        co_return out;
    }
    if (!*found) {
        out.reason = "revoked";  // or expired: the store no longer tells them apart
        co_return out;
    }
    const auto& s = **found;
    if (s.idle >= std::chrono::seconds(shared.cfg.staff.idle_timeout_s)) {
        // Ended for good: a later request must not revive it.
        co_await local.staff->async_revoke_session(s.clinic_id, token_hash);
        out.reason = "idle";
        co_return out;
    }
    if (touch) co_await local.staff->async_touch_session(s.clinic_id, token_hash);
    // A session made on another instance may belong to a clinic added since we started: read it
    // in, so the console and the API can name it.
    co_await find_clinic_by_id(shared, local, s.clinic_id);
    principal p;
    p.user_id = s.user_id;
    p.clinic_id = s.clinic_id;
    p.role = s.role;
    p.name = s.display_name;
    p.email = s.email;
    p.kind = s.kind;
    p.token_hash = std::move(token_hash);
    p.idp_session_hint = s.idp_session_hint;
    p.expires_in = s.expires_in;
    out.who = std::move(p);
    co_return out;
}

asio::awaitable<auth_result> authenticate(const api_request& r, shared_services& shared, thread_services& local,
                                          bool state_changing) {
    auth_result out;
    auto token = session_token(r);
    if (!token) {
        out.reason = "unauthenticated";  // nothing was revoked: no session was presented
        co_return out;
    }
    auto digest = token_hash(*token);
    std::string hash(reinterpret_cast<const char*>(digest.data()), digest.size());
    if (state_changing) {
        // Checked before the database: a forged request costs us nothing.
        if (!same_origin(r) || !same_token(r.csrf, csrf_of(shared, *token))) {
            out.failure = auth_failure::csrf_failed;
            co_return out;
        }
    }
    out = co_await recheck(std::move(hash), shared, local, true);
    co_return out;
}

}  // namespace triage::server::staff

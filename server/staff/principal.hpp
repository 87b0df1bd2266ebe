#pragma once
// Who is asking: the staff session behind a request's cookie, checked for every staff HTTP
// request and WebSocket action (docs/staff-api.md, "Sessions, cookies and CSRF").

#include "server/services.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace triage::server::staff {

// The parts of an HTTP request the staff layer reads (kept free of Beast types).
struct api_request {
    std::string method;   // GET, POST, PUT...
    std::string target;   // path and query
    std::string body;
    std::string cookie;   // the Cookie header
    std::string csrf;     // X-CSRF-Token
    std::string origin;   // Origin
    std::string host;     // Host
    std::string peer;     // the client's address, for login throttling
    bool tls = false;
};

struct principal {
    std::string user_id;
    std::string clinic_id;
    std::string role;  // front_desk | nurse | clinic_admin | auditor
    std::string name;
    std::string email;
    std::string kind;  // local | oidc
    std::string token_hash;  // bytes, of this session
    std::optional<std::string> idp_session_hint;
    std::chrono::seconds expires_in{0};

    bool may_open() const { return role == "front_desk" || role == "nurse" || role == "clinic_admin"; }
    bool may_act() const { return may_open(); }
    bool admin() const { return role == "clinic_admin"; }
    bool may_audit() const { return role == "clinic_admin" || role == "auditor"; }
};

enum class auth_failure { signed_out, csrf_failed, unavailable };

struct auth_result {
    std::optional<principal> who;
    auth_failure failure = auth_failure::signed_out;
    std::string reason;  // signed_out: idle | expired | revoked (for the console)
};

// Over TLS the cookie is `__Host-triage_staff` (Secure); over plain HTTP, which the server only
// serves on loopback in development, browsers drop Secure cookies, so it is `triage_staff`.
std::string_view cookie_name(bool tls);
std::string make_session_cookie(std::string_view token, std::chrono::seconds max_age, bool tls);
std::string clear_cookie(bool tls);
std::optional<std::string> session_token(const api_request& r);

// The CSRF token of a session: a keyed hash of the session token, so every tab of the session
// can ask for it and the server never stores it.
std::string csrf_of(const shared_services& shared, std::string_view session_token);

// `state_changing`: also require the CSRF header and our own Origin.
boost::asio::awaitable<auth_result> authenticate(const api_request& r, shared_services& shared, thread_services& local,
                                                 bool state_changing);
// The same check for a WebSocket action or a periodic re-check, from the session's token hash.
boost::asio::awaitable<auth_result> recheck(std::string token_hash, shared_services& shared, thread_services& local,
                                            bool touch);

bool same_origin(const api_request& r);

}  // namespace triage::server::staff

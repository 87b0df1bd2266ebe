#pragma once
// SMART Backend Services (HL7 SMART App Launch, "client credentials with a signed JWT"): the
// server authenticates to an EHR's token endpoint with a short-lived assertion signed by its own
// private key (RS384 or ES384), and uses the access token until shortly before it expires.

#include "integrations/auth/jwt.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace triage::integrations::auth {

struct backend_settings {
    std::string token_url;   // the EHR's token endpoint (from its SMART configuration)
    std::string client_id;   // registered with the EHR along with our public key
    std::string scope;       // e.g. "system/Slot.read system/Appointment.write"
    std::chrono::milliseconds timeout{3000};
    std::chrono::seconds assertion_lifetime{300};  // SMART: at most five minutes
    std::chrono::seconds renew_before{60};         // fetch a new token this long before expiry
};

// runs on: one I/O thread (its cache is not shared).
class backend_token_source {
public:
    backend_token_source(boost::asio::any_io_executor ex, boost::asio::ssl::context* tls, backend_settings s,
                         signing_key key);

    // A valid access token, from the cache or the token endpoint. errc::token_unavailable when
    // the endpoint refuses or cannot be reached (the reason is never the token or the key).
    boost::asio::awaitable<boost::system::result<std::string>> async_token();

    // The signed assertion for one token request (exposed for tests and diagnostics).
    std::optional<std::string> assertion(std::chrono::system_clock::time_point now) const;

    // Forget the cached token (after the EHR answered 401 with it).
    void invalidate() noexcept { token_.clear(); }

    // Why the last request failed, for the operator: "HTTP 400 invalid_client", "unreachable".
    // Holds only the status and the OAuth error code, never a token or a key.
    const std::string& last_failure() const noexcept { return last_failure_; }

private:
    boost::asio::any_io_executor ex_;
    boost::asio::ssl::context* tls_;
    backend_settings s_;
    signing_key key_;
    std::string token_;
    std::string last_failure_;
    std::chrono::steady_clock::time_point valid_until_{};
};

}  // namespace triage::integrations::auth

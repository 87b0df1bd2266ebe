#pragma once
// Staff sign-in through the clinic's OpenID provider (docs/identity.md): authorization code with
// PKCE, the ID token verified against the provider's JWKS (oidc.hpp). The discovery document and
// the keys are fetched when first needed and kept; unknown key ids trigger one refresh (key
// rotation). Between the redirect and the callback the state, nonce and PKCE verifier travel in a
// short-lived cookie sealed with the server's key, so any instance can finish the sign-in.
//
// runs on: any I/O thread (shared; the cache is locked).

#include "integrations/phi/keyring.hpp"
#include "server/config.hpp"
#include "server/staff/oidc.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace triage::server::staff {

inline constexpr std::string_view sso_cookie_name = "triage_sso";

struct sso_start {
    std::string redirect_url;
    std::string cookie;  // a Set-Cookie value
};

class sign_in_provider {
public:
    sign_in_provider(const config& cfg, boost::asio::ssl::context* tls, const integrations::phi::keyring& keys);

    boost::asio::awaitable<boost::system::result<sso_start>> start(boost::asio::any_io_executor ex, bool secure_cookie);
    // `pending` is the value of the sso cookie. why: a short code for the log.
    boost::asio::awaitable<boost::system::result<staff_identity>> finish(boost::asio::any_io_executor ex,
                                                                         std::string code, std::string state,
                                                                         std::string pending, std::string& why);
    std::string clear_cookie(bool secure_cookie) const;
    // Empty when the provider has no end_session_endpoint (or discovery never succeeded).
    std::string logout_url(const std::string& id_token_hint);
    const std::string& issuer() const { return cfg_.staff_sso.issuer; }

private:
    boost::asio::awaitable<std::optional<oidc_provider>> provider(boost::asio::any_io_executor ex);
    boost::asio::awaitable<std::shared_ptr<const integrations::auth::key_set>> keys(boost::asio::any_io_executor ex,
                                                                                  bool refresh);
    const config& cfg_;
    boost::asio::ssl::context* tls_;
    const integrations::phi::keyring& sealer_;
    std::mutex mu_;
    std::optional<oidc_provider> provider_;
    std::shared_ptr<const integrations::auth::key_set> keys_;
};

}  // namespace triage::server::staff

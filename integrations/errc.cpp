#include "integrations/errc.hpp"

#include <string>

namespace triage::integrations {
namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "integrations"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::ok: return "ok";
        case errc::timeout: return "timeout";
        case errc::redis_unavailable: return "redis unavailable";
        case errc::redis_protocol: return "redis protocol error";
        case errc::pg_unavailable: return "postgresql unavailable";
        case errc::pg_query_failed: return "postgresql query failed";
        case errc::pg_unique_violation: return "postgresql unique violation";
        case errc::version_conflict: return "version conflict";
        case errc::not_found: return "not found";
        case errc::decrypt_failed: return "decryption failed";
        case errc::shutting_down: return "shutting down";
        case errc::http_bad_url: return "bad URL";
        case errc::http_failed: return "HTTP exchange failed";
        case errc::token_invalid: return "token invalid";
        case errc::token_unavailable: return "no access token";
        }
        return "unknown";
    }
};

}  // namespace

const boost::system::error_category& integrations_category() noexcept {
    static const category c;
    return c;
}

}  // namespace triage::integrations

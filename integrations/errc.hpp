#pragma once
// Error codes of the integrations layer. Compare codes, never message text (STYLE E2).

#include <boost/system/error_code.hpp>

namespace triage::integrations {

enum class errc {
    ok = 0,
    timeout = 1,
    redis_unavailable,
    redis_protocol,
    pg_unavailable,
    pg_query_failed,
    pg_unique_violation,
    version_conflict,   // optimistic concurrency check lost
    not_found,
    decrypt_failed,
    shutting_down,
    http_bad_url,
    http_failed,        // connection, TLS, deadline or protocol
    token_invalid,      // a JWT that failed verification
    token_unavailable,  // no access token could be obtained
};

const boost::system::error_category& integrations_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), integrations_category()};
}

}  // namespace triage::integrations

template <>
struct boost::system::is_error_code_enum<triage::integrations::errc> : std::true_type {};

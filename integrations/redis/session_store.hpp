#pragma once
// Live conversation state in Redis, sealed by the caller (it holds PHI) and updated with an
// optimistic version check so that two writers can never overwrite each other.

#include "integrations/redis/connection.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace triage::integrations::redis {

struct stored_session {
    std::uint64_t version = 0;   // 0 means "not stored yet"
    std::string sealed_state;    // opaque bytes (already encrypted by the caller)
};

// runs on: the executor of its connection.
class session_store {
public:
    session_store(std::shared_ptr<connection> conn, std::string key_prefix, std::chrono::seconds ttl);

    // Empty optional when the session does not exist (never stored or expired).
    boost::asio::awaitable<boost::system::result<std::optional<stored_session>>> async_load(
        std::string conversation_id);

    // Stores `sealed_state` as version expected_version + 1 if the stored version is still
    // `expected_version` (0: must not exist yet), and refreshes the TTL.
    // Fails with errc::version_conflict when another writer got there first.
    boost::asio::awaitable<boost::system::result<std::uint64_t>> async_save(
        std::string conversation_id, std::uint64_t expected_version, std::string sealed_state);

    boost::asio::awaitable<boost::system::result<void>> async_ping();

private:
    std::string key(const std::string& conversation_id) const { return prefix_ + conversation_id; }
    std::shared_ptr<connection> conn_;
    std::string prefix_;
    std::chrono::seconds ttl_;
};

}  // namespace triage::integrations::redis

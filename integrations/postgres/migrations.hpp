#pragma once
// Schema migrations, compiled into the binary from integrations/postgres/migrations/*.sql.

#include "integrations/postgres/connection.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <string_view>
#include <vector>

namespace triage::integrations::postgres {

struct migration {
    int version;
    std::string_view name;
    std::string_view sql;
};

const std::vector<migration>& all_migrations();

// Applies every migration not yet recorded, each in its own transaction, under an advisory lock
// so that two instances starting together do not race. Returns how many were applied.
boost::asio::awaitable<boost::system::result<int>> async_migrate(connection& conn);

// The highest applied version, 0 for an empty database.
boost::asio::awaitable<boost::system::result<int>> async_schema_version(connection& conn);

}  // namespace triage::integrations::postgres

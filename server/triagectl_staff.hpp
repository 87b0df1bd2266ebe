#pragma once
// triagectl's escalation-desk commands: staff users, a clinic's service levels, canned replies.

#include "integrations/postgres/connection.hpp"
#include "server/config.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace triage::server {

// `args` starts with the command word ("staff", "clinic" with "sla", "canned-reply"). Returns the
// exit code, or -1 when `args` is not one of these commands.
// The database connection the tool uses: the server's, with a longer deadline (migrations).
integrations::postgres::connection_settings tool_postgres_settings(const config& c);

// The id of the clinic with this slug; nullopt after telling the operator why (PostgreSQL not
// reachable, schema not migrated, no such clinic).
boost::asio::awaitable<std::optional<std::string>> tool_clinic_id(integrations::postgres::pool& pool,
                                                                  const std::string& slug);

int desk_command(const config& cfg, const std::vector<std::string>& args);

}  // namespace triage::server

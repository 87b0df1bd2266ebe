#pragma once
// triagectl's escalation-desk commands: staff users, a clinic's service levels, canned replies.

#include "server/config.hpp"

#include <string>
#include <vector>

namespace triage::server {

// `args` starts with the command word ("staff", "clinic" with "sla", "canned-reply"). Returns the
// exit code, or -1 when `args` is not one of these commands.
int desk_command(const config& cfg, const std::vector<std::string>& args);

}  // namespace triage::server

#pragma once
// The composition root (STYLE L5): the only place that builds integrations and wires them to
// the dialog engine, the rules and the listener.

#include "server/config.hpp"

#include <string>

namespace triage::server {

// Loads flows, rules and keys, connects to PostgreSQL and Redis, serves until SIGINT/SIGTERM.
// Returns the process exit code; prints problems for operators on standard error.
int run(const config& cfg);

// Reads a whole file; empty optional if it cannot be read. For start-up and tools only.
std::optional<std::string> read_text_file(const std::string& path);

// The master key from TRIAGE_MASTER_KEY or cfg.master_key_file; error text names the source.
std::optional<std::string> load_master_key_hex(const config& cfg, std::string& error);

}  // namespace triage::server

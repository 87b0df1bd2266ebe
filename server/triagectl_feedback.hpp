#pragma once
// `triagectl feedback export`: clinicians' verdicts as a de-identified corpus for retraining.

#include "server/config.hpp"

#include <string>
#include <vector>

namespace triage::server {

// Runs `feedback ...`; returns -1 when `args` is not a feedback command.
int feedback_command(const config& cfg, const std::vector<std::string>& args);

}  // namespace triage::server

#pragma once
// Parses and validates a flow file. Never throws: every problem is a diagnostic with the file,
// line and column, and the flow is returned only when there is no error.

#include "dialog/flow.hpp"
#include "triage-rules/rule_pack.hpp"  // diagnostic

#include <optional>
#include <string_view>
#include <vector>

namespace triage::dialog {

using rules::diagnostic;

struct flow_load_result {
    std::optional<flow> loaded;
    std::vector<diagnostic> diagnostics;
};

// Checks: duplicate state ids, unknown transition targets, states unreachable from `start`,
// prompts missing a translation, dead ends (a state with no transition and no close),
// unknown keys, wrong types.
flow_load_result load_flow(std::string_view yaml_text, std::string_view file_name);

}  // namespace triage::dialog

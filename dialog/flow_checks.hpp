#pragma once
// Internal to triage_dialog: the checks that need the whole flow (targets, reachability, dead
// ends, loops without input). load_flow runs them after parsing; they only add diagnostics.

#include "dialog/flow.hpp"
#include "triage-rules/rule_pack.hpp"  // diagnostic

#include <string_view>
#include <vector>

namespace triage::dialog::detail {

struct position {
    int line = 0;    // 1-based; 0 when unknown
    int column = 0;
};

struct flow_positions {
    position start;     // of the `start` value
    position fallback;  // of the `fallback` value
    position misunderstood;  // of the `misunderstood` value
};

void check_graph(const flow& f, const flow_positions& at, std::string_view file,
                 std::vector<rules::diagnostic>& out);

}  // namespace triage::dialog::detail

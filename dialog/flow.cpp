#include "dialog/flow.hpp"

namespace triage::dialog {

const flow_state* flow::find(const std::string& state_id) const {
    // Flows have tens of states and the engine looks up a handful per message: a linear scan
    // keeps `states` in file order (for diagnostics and docs) without a second index to keep in sync.
    for (const auto& s : states)
        if (s.id == state_id) return &s;
    return nullptr;
}

}  // namespace triage::dialog

#include "dialog/flow.hpp"

namespace triage::dialog {

const flow_state* flow::find(const std::string& state_id) const {
    // Flows have tens of states and the engine looks up a handful per message: a linear scan
    // keeps `states` in file order (for diagnostics and docs) without a second index to keep in sync.
    for (const auto& s : states)
        if (s.id == state_id) return &s;
    return nullptr;
}

const std::vector<call_spec>& known_calls() {
    // "unavailable" everywhere: the EHR can always be down, and every flow must say what then.
    static const std::vector<call_spec> calls = {
        {"find_patient", {"matched", "ambiguous", "not_found", "unavailable"}, {"identified"}},
        {"find_slots", {"found", "none", "unavailable"}, {"slots_day", "slots_same_day"}},
        {"hold_slot", {"held", "taken", "unavailable"}, {"chosen_when"}},
        {"release_hold", {"done", "unavailable"}, {}},
        {"book_slot", {"booked", "taken", "unavailable"}, {"appointment_when", "appointment_place", "appointment_ref"}},
        {"find_appointments", {"found", "none", "unavailable"}, {}},
        {"cancel_appointment", {"cancelled", "not_theirs", "unavailable"}, {"cancelled_when"}},
    };
    return calls;
}

const call_spec* find_call(std::string_view name) {
    for (const auto& c : known_calls())
        if (c.name == name) return &c;
    return nullptr;
}

}  // namespace triage::dialog

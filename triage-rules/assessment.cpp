#include "triage-rules/assessment.hpp"

namespace triage::rules {

std::string_view to_string(urgency u) noexcept {
    switch (u) {
    case urgency::none: return "none";
    case urgency::self_care: return "self_care";
    case urgency::routine: return "routine";
    case urgency::urgent: return "urgent";
    case urgency::emergency: return "emergency";
    }
    return "none";
}

std::optional<urgency> urgency_from_string(std::string_view s) noexcept {
    for (auto u : {urgency::none, urgency::self_care, urgency::routine, urgency::urgent, urgency::emergency})
        if (to_string(u) == s) return u;
    return std::nullopt;
}

}  // namespace triage::rules

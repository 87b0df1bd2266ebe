#include "triage-rules/assessment.hpp"

#include <array>

namespace triage::rules {

namespace {

// Indexed by the enum's value; these spellings are also the YAML and wire vocabulary.
constexpr std::array<std::string_view, 5> urgency_names{"none", "self_care", "routine", "urgent",
                                                        "emergency"};

}  // namespace

std::string_view to_string(urgency u) noexcept {
    auto i = static_cast<std::size_t>(u);
    return i < urgency_names.size() ? urgency_names[i] : std::string_view{"unknown"};
}

bool is_complaint(const finding& f) noexcept {
    return f.category == "sign" || f.category == "symptom" || f.category == "exposure";
}

std::optional<urgency> urgency_from_string(std::string_view s) noexcept {
    for (std::size_t i = 0; i < urgency_names.size(); ++i) {
        if (urgency_names[i] == s) return static_cast<urgency>(i);
    }
    return std::nullopt;
}

}  // namespace triage::rules

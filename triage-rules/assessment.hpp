#pragma once
// The outcome of running the red-flag rules over one patient message.
// Pure values: no I/O, safe to copy between threads.

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triage::rules {

// Ordered from least to most urgent so that std::max picks the more urgent one.
enum class urgency { none = 0, self_care = 1, routine = 2, urgent = 3, emergency = 4 };

std::string_view to_string(urgency u) noexcept;
std::optional<urgency> urgency_from_string(std::string_view s) noexcept;

// Byte offsets [begin, end) into the original (not normalised) message text.
struct text_span {
    std::size_t begin = 0;
    std::size_t end = 0;
    friend bool operator==(const text_span&, const text_span&) = default;
};

// One rule that matched somewhere in the message.
struct finding {
    std::string rule_id;
    std::string category;
    urgency level = urgency::none;
    bool escalate = false;
    text_span span;
    // Context modifiers applied to this match, e.g. "negated". A finding with a modifier that
    // cancels it is kept in `assessment::suppressed`, never silently dropped, so staff and the
    // audit trail can see why a rule did not fire.
    std::vector<std::string> modifiers;
};

// What the learned urgency model (urgency_model.hpp) said about the message.
struct model_opinion {
    std::string version;                 // the model card's version
    std::array<double, 5> probability{}; // per urgency level, indexed by its value
    urgency level = urgency::none;       // after the card's thresholds
    bool raised = false;                 // it raised the rules' urgency (or escalated)
    bool failed = false;                 // the model could not be run: it raised nothing
    // It read an emergency where the rules had read the alarming words in context (a question,
    // an idiom, a pet) and found nothing current: it raised to urgent at most.
    bool capped = false;
    std::size_t words = 0;               // words it read
};

// A finding of a sign, symptom or exposure: what makes a message clinical (never "none"). A person
// or a history ("my diabetes", "an infant") is not a complaint.
bool is_complaint(const finding& f) noexcept;

struct assessment {
    urgency level = urgency::none;
    bool escalate = false;          // a human is alerted at once
    std::vector<finding> findings;  // rules that fired, in message order
    std::vector<finding> suppressed;// rules that matched but were cancelled by context
    std::string rationale;          // for staff: why, in plain words (never shown to patients)
    std::string pack_version;       // "core@2026.11.1+clinic@3"
    // Extra patient-facing advice from fired rules (e.g. a crisis line), per language key.
    std::vector<std::string> advice_en;
    std::vector<std::string> advice_es;
    // True when the engine could not evaluate the message (internal error, budget exceeded).
    // Callers treat it exactly like an escalation: fail towards a human.
    bool evaluation_failed = false;
    // Clinical findings recognised in the message (the findings layer: pallor, ingestion, an
    // infant, sudden onset...), current and not negated, whatever rules they fed. They carry no
    // urgency of their own; a clinical message is never "none".
    std::vector<finding> clinical_findings;
    // The learned model's part, when one is loaded.
    std::optional<model_opinion> model;
};

}  // namespace triage::rules

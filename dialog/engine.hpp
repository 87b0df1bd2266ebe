#pragma once
// The conversation state machine: a pure function of (flow, state, event, now).
// The server carries out the returned actions and may feed their outcomes back as events.

#include "dialog/conversation_state.hpp"
#include "dialog/flow.hpp"
#include "dialog/intent.hpp"
#include "triage-rules/assessment.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace triage::dialog {

struct quick_reply {
    std::string label;  // shown to the patient
    std::string value;  // sent back as the message text when tapped
    friend bool operator==(const quick_reply&, const quick_reply&) = default;
};

struct bot_reply {
    std::string text;
    std::vector<quick_reply> quick_replies;
    std::string state;  // flow state that produced it
};

struct action {
    action_kind kind = action_kind::escalate;
    std::string reason;
    rules::urgency level = rules::urgency::none;
};

// Events
// `language_chosen`: the patient picked `lang` themselves (the widget's language button), so what
// they write does not switch it.
struct conversation_started {
    std::string lang = "en";
    bool language_chosen = false;
};
struct patient_said {
    std::string text;
    rules::assessment assessment;
    intent_guess intent;
    // The language the message is written in ("en", "es") and the language model's confidence;
    // empty when no language model is loaded. See docs/flows.md, "The patient's language".
    std::string language;
    double language_confidence = 0;
};
// The server carried out the `call` a step asked for. `values` fill slots (call_spec::fills);
// `offers`, when set, replace the conversation's offers.
struct call_finished {
    std::string call;
    std::string outcome;   // one of the call's outcomes (call_spec)
    std::map<std::string, std::string> values;
    std::optional<std::vector<offer>> offers;
};
// A staff member handed the conversation back to the bot, to continue at `state` (one that
// can_resume_at accepts): the conversation is open again and that state's prompt is said.
struct handed_back {
    std::string state;
};
using event = std::variant<conversation_started, patient_said, call_finished, handed_back>;

// A state staff may hand a conversation back to: it asks the patient something, so the bot has
// a question to continue with (not a closing state, not a service call).
bool can_resume_at(const flow_state& s);

struct step {
    conversation_state state;
    std::vector<bot_reply> replies;
    std::vector<action> actions;
    // An urgent message that also asked for something else ("I need a refill and my chest hurts"):
    // the other request's intent, noted for staff and for later; empty otherwise.
    std::string noted_intent;
    // The message's intent was too unsure to act on and the patient was asked to pick.
    bool clarified = false;
    // Set when the conversation stopped at a state with a `call`: the server carries it out and
    // continues with a call_finished event. Empty otherwise.
    std::string call;
};

// Never throws. If the flow cannot be followed (unknown state in `state`, step budget exceeded),
// the result goes to the flow's fallback state and carries an escalate action.
// Pure: the same arguments give the same step, on any thread. `now` is only used to read relative
// dates ("tomorrow", in UTC). An ended conversation is returned unchanged with no replies. The
// order of evaluation (interrupts, answers, retries, rule escalations) is in docs/flows.md.
step advance(const flow& f, const conversation_state& state, const event& e,
             std::chrono::system_clock::time_point now);

// Maximum number of states entered in one step without waiting for input (cycle guard).
inline constexpr int max_states_per_step = 50;

}  // namespace triage::dialog

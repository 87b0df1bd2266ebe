#pragma once
// The in-memory model of a clinic's dialog flow (authoring format: docs/flows.md).

#include "triage-rules/assessment.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triage::dialog {

// follow_up: the state asks the complaint's red-flag questions (flow::follow_up) one at a time
// and then follows `next` with the urgency they raised.
enum class input_kind { none, free_text, choice, yes_no, date, phone, follow_up };
enum class action_kind { escalate, request_booking, handoff, close };

using translations = std::map<std::string, std::string>;  // language -> text

struct choice_option {
    std::string value;     // what the answer is stored as, e.g. "book"
    translations label;    // shown on the quick-reply button
    std::vector<std::string> synonyms;  // extra words a patient may type instead (any language)
    // Classifier intents that also select this option when the patient types free text
    // ("I need to move my visit" -> reschedule_appointment). An intent equal to `value` always does.
    std::vector<std::string> intents;
};

// All set members must hold for the condition to match; an empty condition always matches.
// `urgency_at_least` compares with the rules' level for the message being processed (not the
// conversation's highest); `answer` is the interpreted answer to the current state and is
// compared after text::fold on both sides.
struct condition {
    std::optional<std::string> intent;
    std::optional<rules::urgency> urgency_at_least;
    std::optional<std::string> answer;
    std::optional<std::pair<std::string, std::string>> slot_equals;  // name, value
    // Only in the `next` of a state with a `call`: how the call ended (see call_spec).
    std::optional<std::string> outcome;
};

struct transition {
    condition when;
    std::string target;
    int line = 0;  // where it was written, for diagnostics
    int column = 0;  // of the `to` value, 1-based; 0 when built in code
};

struct flow_action {
    action_kind kind = action_kind::escalate;
    std::string reason;
};

struct flow_state {
    std::string id;
    translations say;            // prompt, may contain {var} placeholders from flow::vars
    input_kind input = input_kind::none;
    std::string slot;            // where the answer is stored (optional)
    std::vector<choice_option> choices;
    std::vector<flow_action> actions;
    std::vector<transition> next;
    bool close = false;          // the conversation ends after this state's prompt
    // A service the server carries out on entering the state (book a slot, find the patient's
    // record); the conversation waits for its outcome, then follows `next` on it.
    std::string call;
    // A choice state that also offers what the last call found (free times, the patient's
    // appointments), before its own choices.
    bool offers = false;
    int line = 0;                // of the state id, 1-based; 0 when built in code
    int column = 0;
    // Said instead of `say` when the answer was not understood (optional): the question alone,
    // without the introduction around it.
    translations reprompt;
    // For `input: date`: which dates answer it. A preferred day is today or later, a birth date
    // is in the past; another date is refused with the reason ("That date has passed").
    enum class date_range : std::uint8_t { any, future, past } dates = date_range::any;
};

// A red-flag question asked before a non-urgent symptom is booked ("Is this the worst headache
// of your life?"), as nurse triage does. "Yes", "not sure" and anything that is not a plain "no"
// raise the conversation to `yes`: the safer branch.
struct follow_up_question {
    translations ask;
    rules::urgency yes = rules::urgency::urgent;
};

// Asking rather than guessing when the intent classifier is unsure (docs/flows.md, "Clarifying").
struct clarify_settings {
    // Below this confidence a guess is not acted on: intent interrupts do not fire, and a choice
    // that only the classifier picked is asked about instead. 0 turns clarifying off.
    double below = 0.0;
    translations say;    // the question; the candidates are offered as quick replies
    // Said after the safety instruction when an urgent message also asked for something else
    // ("I need a refill and my chest hurts"); {request} is that choice's label.
    translations noted;
    // Said before the question again when a patient answers a yes/no question with a request
    // ("I want to book a visit" to "Would you like to continue?"); {request} is the label of the
    // choice that request will pick later. The request is carried to the next choice state.
    translations carried;
};

struct flow {
    std::string id;
    std::string version;
    std::vector<std::string> languages;   // every prompt must exist in each
    std::string start;
    std::map<std::string, std::string> vars;
    // Checked on every patient message before the current state's own transitions, so that
    // "talk to a person" and red flags work at any point.
    std::vector<transition> interrupts;
    std::vector<flow_state> states;       // in file order
    // Where the engine goes when something cannot be evaluated (fail towards a human).
    std::string fallback_state;
    // Where the engine goes after two answers it could not understand at one state (optional;
    // `fallback` when empty). It must not end the conversation (check-flow refuses that): offer a
    // person and a way back. A transition to the reserved target `back` returns to the state the
    // patient was stuck at.
    std::string misunderstood_state;
    clarify_settings clarify;
    // Red-flag questions per complaint: a rule category ("headache") or a finding ("fever") of the
    // message that brought the patient to a follow_up state; "default" when none matches.
    std::map<std::string, std::vector<follow_up_question>> follow_up;

    const flow_state* find(const std::string& state_id) const;
};

// The reserved transition target that returns to the state where answers were misunderstood.
inline constexpr std::string_view back_target = "back";

// The services a flow can call, what each can answer and which slots it fills. The server
// implements them (docs/flows.md, "Booking"); the loader rejects any other name or outcome.
struct call_spec {
    std::string_view name;
    std::vector<std::string_view> outcomes;
    std::vector<std::string_view> fills;  // slots set on success, usable as {placeholders}
};
const std::vector<call_spec>& known_calls();
const call_spec* find_call(std::string_view name);

}  // namespace triage::dialog

#pragma once
// `triagectl conversations test`: plays scripted patients (tests/corpus/conversations/) against
// the flow engine with the server's own assessment (rules, urgency, intent and language models),
// no network. A scripted patient has an opening message, a profile of facts it gives when asked,
// its own words for yes, no and "not sure", and extra messages it types along the way; the drill
// answers the service calls a flow asks for (find the patient, find and book a slot, find and
// cancel an appointment) as an EHR with free times would. Control plane only.

#include "dialog/flow.hpp"
#include "dialog/intent.hpp"
#include "triage-rules/engine.hpp"
#include "triage-rules/urgency_model.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace triage::server {

struct scripted_noise {
    int after_turn = 0;
    std::string text;
    std::string kind;
};

struct scripted_patient {
    std::string id;
    std::string lang;
    std::string task;
    std::string opening;
    std::map<std::string, std::string> profile;  // name, birth_date, phone, preferred_day, reason, medication, ...
    std::map<std::string, std::string> answers;  // yes, no, not_sure, choice
    std::vector<scripted_noise> noise;
    std::string outcome;
};

struct conversation_corpus {
    std::vector<scripted_patient> patients;
    std::vector<std::string> errors;  // "file:line: message"
};
conversation_corpus parse_conversation_corpus(std::string_view jsonl, std::string_view file_name);

// For each outcome, the flow states whose words show it was reached ("booked": booking_done).
// From a JSON object {"outcome": ["state", ...]}; errors as one line.
struct outcome_map {
    std::map<std::string, std::vector<std::string>> states;
    std::string error;
};
outcome_map parse_outcome_map(std::string_view json_text);

struct drill_services {
    const dialog::flow& flow;
    const rules::engine& rules;
    const rules::urgency_model* urgency = nullptr;
    const dialog::intent_classifier& intents;
    const dialog::intent_classifier* language = nullptr;
    const outcome_map& outcomes;
};

struct conversation_result {
    std::string id, lang, task, outcome;
    bool completed = false;  // the expected outcome was reached
    bool dead_end = false;   // ended or stalled with neither the outcome nor a person reached
    bool person = false;     // a person was offered or took over
    int patient_turns = 0;   // messages until the outcome (or the end)
    int misunderstood = 0;   // answers the assistant asked again for
    std::string final_language;
    std::string reached;     // the outcome the conversation did reach, if another
    std::vector<std::string> transcript;  // "> patient" and "< bot [state]" lines, for the report
};

conversation_result play(const drill_services& s, const scripted_patient& p);

}  // namespace triage::server

#pragma once
// Everything the engine needs to continue a conversation. Serialisable to JSON so that any
// server instance can pick it up from the session store (sealed there: slots hold PHI).

#include "triage-rules/assessment.hpp"

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace triage::dialog {

// Something a service call found for the patient to choose from (a free time, one of their
// appointments). `value` and `label` become a choice; `data` is the server's own record of it
// (opaque here).
struct offer {
    std::string value;
    std::string label;
    std::string data;
    friend bool operator==(const offer&, const offer&) = default;
};

struct conversation_state {
    std::string flow_id;
    std::string flow_version;
    std::string current_state;   // id of the state waiting for the patient's input
    std::string lang = "en";     // "en" or "es"
    std::map<std::string, std::string> slots;  // slot name -> value (PHI)
    int retries = 0;             // failed attempts to answer the current state
    int turns = 0;               // patient messages processed
    bool ended = false;
    rules::urgency highest_urgency = rules::urgency::none;
    std::uint64_t next_seq = 1;  // next transcript sequence number (owned by the server)
    std::vector<offer> offers;   // from the last call that found some (PHI: appointment times)
    // The red-flag questions being asked (flow::follow_up): their complaint, how many were
    // asked, and the urgency so far (the complaint's own, raised by the answers).
    std::string follow_up_topic;
    int follow_up_asked = 0;
    rules::urgency follow_up_level = rules::urgency::none;
    // A request made where it could not be acted on yet (at the consent question): the next
    // choice state that offers it takes it as its answer.
    std::string carried_intent;
    // When the carried request is a symptom description: how urgent the rules found it and its
    // red-flag question topic, so that the symptom path goes on from it instead of asking again.
    rules::urgency carried_level = rules::urgency::none;
    std::string carried_topic;
    // The state whose answers were not understood, for the `back` target of `misunderstood`.
    std::string stuck_at;
    // The patient asked for a language ("español"): what they write no longer switches it.
    bool language_chosen = false;

    friend bool operator==(const conversation_state&, const conversation_state&) = default;
};

boost::json::value to_json(const conversation_state& s);
// Rejects missing or wrong-typed fields instead of guessing. Errors are boost::json::error codes:
// not_object, not_found (missing field), not_string, not_bool, not_number, not_exact (negative,
// fractional or out of range; next_seq below 1), unknown_name (unknown field or urgency name).
// `offers` may be missing (states saved before it existed).
boost::system::result<conversation_state> conversation_state_from_json(const boost::json::value& v);

}  // namespace triage::dialog

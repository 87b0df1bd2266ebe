#pragma once
// The assessment of one patient message, shared by the server's patient turn and
// `triagectl classify`, so that the command line shows exactly what the server decides.

#include "dialog/intent.hpp"
#include "triage-rules/engine.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

namespace triage::server {

struct message_assessment {
    rules::assessment triage;
    dialog::intent_guess intent;
};

// Control plane: loads rule packs and the intent classifier from files, printing every problem
// (file:line:col) to standard error. Empty on any error; the caller stops.
// The word lists a default configuration uses (config::rule_dictionaries).
const std::vector<std::string>& default_dictionaries();
// A missing dictionary is reported and skipped: it only protects against false alarms.
std::optional<rules::engine> load_rule_engine(const std::vector<std::string>& files,
                                              const std::vector<std::string>& dictionaries = default_dictionaries());
// The intent classifier: the trained model when `model_file` is set (its card, MODEL.card.json
// beside it, must name the model's SHA-256), else the keyword matcher from `keywords_file`.
// Errors are returned as one line for the operator; nothing is printed.
struct intents_load_result {
    std::shared_ptr<const dialog::intent_classifier> classifier;
    std::string error;
};
intents_load_result load_intents(const std::string& model_file, const std::string& keywords_file);

// Never throws: the rules fail towards escalation and a failing classifier counts as "other".
message_assessment assess_message(const rules::engine& rules, const dialog::intent_classifier& intents,
                                  std::string_view text) noexcept;

// One line of `triagectl classify` output (docs/rules.md). `explain` adds the suppressed findings,
// the rationale and the pack version after the fields of the interface.
std::string classify_json_line(std::string_view id, const message_assessment& a, bool explain = false);

}  // namespace triage::server

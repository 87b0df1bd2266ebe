#pragma once
// The assessment of one patient message, shared by the server's patient turn and
// `triagectl classify`, so that the command line shows exactly what the server decides.

#include "dialog/intent.hpp"
#include "triage-rules/engine.hpp"
#include "triage-rules/urgency_model.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

namespace triage::server {

struct message_assessment {
    rules::assessment triage;
    dialog::intent_guess intent;
    // The language the message is written in and how sure the language model is; empty when no
    // language model is loaded (docs/flows.md, "The patient's language").
    std::string language;
    double language_confidence = 0;
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
// The language model (`triagectl model train --label lang`): a classifier whose labels are
// languages. Empty `model_file`: none (the conversation keeps the widget's language).
intents_load_result load_language_model(const std::string& model_file);

// The learned urgency model and its card (MODEL.card.json beside it: model_sha256, version,
// thresholds). Empty `model_file`: no model (the rules decide alone). Errors as one line.
struct urgency_model_load_result {
    std::shared_ptr<const rules::urgency_model> model;
    std::string error;
};
urgency_model_load_result load_urgency_model(const std::string& model_file);

// Seconds spent in each part of assess_message (for the turn's metrics).
struct assessment_timings {
    double rules_s = 0, urgency_model_s = 0, intent_s = 0, language_s = 0;
};

// Never throws: the rules fail towards escalation and a failing classifier counts as "other".
// `urgency` (may be null) can only raise what the rules found. A message the assessment finds
// clinical is never given an administrative intent: that intent is kept as the first alternative.
message_assessment assess_message(const rules::engine& rules, const rules::urgency_model* urgency,
                                  const dialog::intent_classifier& intents, std::string_view text,
                                  const dialog::intent_classifier* language = nullptr,
                                  assessment_timings* took = nullptr) noexcept;

// One line of `triagectl classify` output (docs/rules.md). `explain` adds the clinical findings,
// the suppressed matches, the model's part, the rationale and the pack version after the fields
// of the interface.
std::string classify_json_line(std::string_view id, const message_assessment& a, bool explain = false);

}  // namespace triage::server

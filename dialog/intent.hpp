#pragma once
// What the patient wants, as proposed by a classifier. The flow routes on it; the rules'
// urgency always takes precedence.

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace triage::dialog {

// The product's intents (docs/intents.md): what a model, a keyword file, a remote answer or a
// clinician's correction may name.
inline constexpr std::array<std::string_view, 12> product_intents{
    "symptom_report", "book_appointment", "reschedule_appointment", "cancel_appointment",
    "prescription_refill", "test_results", "billing",              "clinic_info",
    "speak_to_human", "greeting",     "goodbye",                "other"};

struct intent_alternative {
    std::string intent;
    double confidence = 0.0;
    friend bool operator==(const intent_alternative&, const intent_alternative&) = default;
};

struct intent_guess {
    std::string intent = "other";
    double confidence = 0.0;  // 0..1
    // The next most likely intents, most likely first (a model gives up to three; the keyword
    // matcher none). The flow builds its clarifying question from them.
    std::vector<intent_alternative> alternatives;
};

// Why the classifier chose its intent: a word of the message (byte span of the text as sent) and
// how much the chosen intent's confidence drops without it. Shown to staff beside the message;
// never stored as text (the words are PHI), only as spans.
struct word_contribution {
    std::size_t begin = 0;
    std::size_t end = 0;
    double weight = 0.0;
};

// runs on: any thread; implementations are immutable after construction.
class intent_classifier {
public:
    virtual ~intent_classifier() = default;
    virtual intent_guess classify(std::string_view text) const = 0;
    virtual std::string version() const = 0;
    // The words that mattered most for classify(text).intent, strongest first. Optional.
    virtual std::vector<word_contribution> explain(std::string_view text) const {
        (void)text;
        return {};
    }
};

// A keyword matcher, loaded from YAML text (dialog/intents.yaml), standing in until the trained
// model lands. Returns "other" with confidence 0 when nothing matches.
struct keyword_intents_load_result;
class keyword_intent_classifier final : public intent_classifier {
public:
    struct keyword_set { std::string intent; std::vector<std::string> phrases; };
    explicit keyword_intent_classifier(std::vector<keyword_set> sets, std::string version);
    intent_guess classify(std::string_view text) const override;
    std::string version() const override { return version_; }

private:
    std::vector<keyword_set> sets_;  // phrases are stored normalised
    std::string version_;
};

struct keyword_intents_load_result {
    std::unique_ptr<keyword_intent_classifier> classifier;
    std::vector<std::string> errors;  // "file:line:col: message"
};
keyword_intents_load_result load_keyword_intents(std::string_view yaml_text, std::string_view file_name);

}  // namespace triage::dialog

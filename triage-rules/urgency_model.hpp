#pragma once
// The learned urgency model: a fastText classifier (supervised, word and character n-grams, so
// misspellings and obfuscation still land near their class) over the five urgency levels,
// trained by `triagectl rules model train` on the labelled triage corpus (docs/rules.md). It runs
// beside the rules and may only raise what they found (apply_model): a missed emergency is far
// worse than a false alarm, and the rules stay the deterministic floor.
// Loading takes the model's bytes and its thresholds: the caller reads the file and its card.

#include "triage-rules/assessment.hpp"

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace fasttext {
class FastText;
}

namespace triage::rules {

// The model's level is the highest L whose cumulative probability P(urgency >= L) reaches
// threshold[L]. Chosen on out-of-fold predictions for recall first (the model card says how).
struct urgency_thresholds {
    double self_care = 0.5;
    double routine = 0.5;
    double urgent = 0.5;
    double emergency = 0.5;
};

// The text the model sees: the deobfuscated, normalised words joined by single spaces.
// Training and estimation both use it.
std::string urgency_model_input(std::string_view text);

// Cumulative thresholds applied to per-level probabilities (indexed by urgency value).
urgency level_for(const std::array<double, 5>& probability, const urgency_thresholds& t) noexcept;

class urgency_model {
public:
    struct load_result {
        std::unique_ptr<urgency_model> model;
        std::string error;  // set when model is empty
    };
    // Never throws. `version` names the model in assessments and audit records (from its card).
    static load_result load(std::string_view model_bytes, std::string version, urgency_thresholds thresholds);

    ~urgency_model();

    // Never throws: on any internal failure the opinion says so (failed) and raises nothing;
    // the rules' own failure path covers messages that cannot be read.
    model_opinion estimate(std::string_view text) const noexcept;
    // The same on text already prepared with urgency_model_input (training and evaluation).
    std::array<double, 5> probabilities(std::string_view prepared) const;

    const std::string& version() const noexcept { return version_; }
    const urgency_thresholds& thresholds() const noexcept { return thresholds_; }

private:
    urgency_model() = default;
    std::unique_ptr<fasttext::FastText> model_;
    std::string version_;
    urgency_thresholds thresholds_;
};

// Raises the assessment to the model's level when that is higher, never lowers it; a model
// emergency also escalates. Records the model's part (probabilities, level, whether it raised).
void apply_model(assessment& a, model_opinion opinion);

}  // namespace triage::rules

#pragma once
// The trained intent classifier: a fastText model (supervised, subword n-grams, so typos and
// inflections still land near their intent), trained by `triagectl model train` from
// dialog/intents/corpus.jsonl and served in-process. Loading takes the model's bytes: the caller
// reads the file and checks its checksum against the model card.

#include "dialog/intent.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fasttext {
class FastText;
}

namespace triage::dialog {

// The text a model sees: normalised words (rules::normalize: case, accents, punctuation and
// look-alikes folded) joined by single spaces. Training and classification both use it.
std::string model_input(std::string_view text);

class model_intent_classifier final : public intent_classifier {
public:
    struct load_result {
        std::unique_ptr<model_intent_classifier> classifier;
        std::string error;  // set when classifier is empty
    };
    // Never throws. `version` names the model in audit records (from its card).
    static load_result load(std::string_view model_bytes, std::string version);

    ~model_intent_classifier() override;

    intent_guess classify(std::string_view text) const override;
    std::vector<word_contribution> explain(std::string_view text) const override;
    std::string version() const override { return version_; }

    // Every intent the model knows, sorted.
    const std::vector<std::string>& intents() const noexcept { return intents_; }

    // Probabilities of every intent for already prepared input (model_input), most likely first.
    std::vector<intent_alternative> predict(std::string_view prepared) const;

private:
    model_intent_classifier() = default;
    std::unique_ptr<fasttext::FastText> model_;
    std::vector<std::string> intents_;
    std::string version_;
};

}  // namespace triage::dialog

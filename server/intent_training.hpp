#pragma once
// Training the intent model (`triagectl model train`): reads the labelled corpus, trains a
// fastText model deterministically (one thread, fixed seed, fixed example order), measures it by
// stratified k-fold cross-validation and on an optional held-out split, and describes it all in a
// model card. Control plane only: it writes files and takes seconds.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triage::server {

struct intent_example {
    std::string text;
    std::string intent;
    std::string lang;  // en, es
    // Generated or borrowed examples: always trained on, never measured on, so that near-copies
    // cannot inflate the cross-validation or the held-out figures.
    bool train_only = false;
};

struct intent_corpus {
    std::vector<intent_example> examples;
    std::vector<std::string> errors;    // "file:line: message"; any error stops training
    std::vector<std::string> warnings;  // skipped lines: duplicates after normalisation, no words
};
intent_corpus parse_intent_corpus(std::string_view jsonl, std::string_view file_name);

// The intents that are requests to the clinic's front desk (the 95% accuracy target).
bool is_admin_intent(std::string_view intent);

struct training_options {
    int seed = 1;
    int folds = 5;
    int epoch = 40;
    double lr = 0.5;
    int dim = 32;
    int word_ngrams = 3;
    int minn = 3;
    int maxn = 6;
    int bucket = 20000;  // PEERS.md: the default makes a 160 MB model
    int holdout_percent = 0;  // >0: that share of the corpus (by a hash of the text) is never trained on
    std::string version_prefix = "intents-";  // "language-" for the language model (labels en, es)
};

struct intent_metrics {
    std::vector<std::string> intents;                    // sorted
    std::vector<std::vector<std::size_t>> confusion;     // [true][predicted], indices into intents
    std::map<std::string, double> precision, recall, f1; // per intent
    std::map<std::string, std::pair<std::size_t, std::size_t>> admin_by_language;  // lang -> (right, total)
    std::size_t right = 0, total = 0;

    void add(const std::string& truth, const std::string& predicted, const std::string& lang);
    void finish();  // computes precision, recall and F1
};

struct training_report {
    std::string model_path;
    std::string model_sha256;
    std::size_t model_bytes = 0;
    std::string version;
    std::string corpus_sha256;
    std::size_t trained_on = 0;
    intent_metrics cross_validation;
    std::optional<intent_metrics> holdout;
    std::string card_json;      // the model card, also written next to the model
    std::string card_markdown;
};

struct training_result {
    std::optional<training_report> report;
    std::string error;
};

// The card beside a model: "dialog/intents/model.bin" -> "dialog/intents/model.card.json" (".md").
std::string card_path(const std::string& model_path, std::string_view extension);

// Writes MODEL_PATH and its card (card_path: JSON for the server, Markdown for people).
// `corpus_bytes` is the corpus file as read (its checksum goes into the card). `progress` gets a
// line per stage.
training_result train_intent_model(const intent_corpus& corpus, std::string_view corpus_bytes,
                                   const training_options& options, const std::string& model_path,
                                   const std::string& version, void (*progress)(const std::string&));

// Hex SHA-256 (libsodium).
std::string sha256_hex(std::string_view bytes);

}  // namespace triage::server

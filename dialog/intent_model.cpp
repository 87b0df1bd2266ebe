#include "dialog/intent_model.hpp"

#include "triage-rules/normalize.hpp"

#include <fasttext/fasttext.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <sstream>

namespace triage::dialog {

namespace {

constexpr std::string_view label_prefix = "__label__";
constexpr std::size_t alternatives_kept = 3;
constexpr std::size_t max_explained_words = 60;  // leave-one-out costs one prediction per word

struct word {
    std::string_view text;
    std::size_t begin = 0;  // byte span in the original message
    std::size_t end = 0;
};

std::vector<word> words_of(std::string_view original, const rules::normalized_text& n) {
    std::vector<word> out;
    std::size_t i = 0;
    while (i < n.text.size()) {
        std::size_t e = n.text.find(' ', i);
        if (e == std::string::npos) e = n.text.size();
        if (e > i) out.push_back({std::string_view(n.text).substr(i, e - i), n.origin[i], n.origin_end[e - 1]});
        i = e + 1;
    }
    (void)original;
    return out;
}

}  // namespace

std::string model_input(std::string_view text) { return rules::normalize(text).text; }

model_intent_classifier::load_result model_intent_classifier::load(std::string_view model_bytes, std::string version) {
    load_result r;
    try {
        std::unique_ptr<model_intent_classifier> c(new model_intent_classifier());
        c->model_ = std::make_unique<fasttext::FastText>();
        // FastText::loadModel(istream) expects the header (magic number and file format version)
        // already read, as its file-name overload does before calling it.
        constexpr std::int32_t magic = 793712314;  // FASTTEXT_FILEFORMAT_MAGIC_INT32 in fastText 0.9
        constexpr std::int32_t format_version = 12;
        std::int32_t header[2] = {0, 0};
        if (model_bytes.size() < sizeof header) {
            r.error = "not a fastText model (too short)";
            return r;
        }
        std::memcpy(header, model_bytes.data(), sizeof header);
        if (header[0] != magic || header[1] > format_version) {
            r.error = "not a fastText model of a version this build reads";
            return r;
        }
        std::istringstream in{std::string(model_bytes.substr(sizeof header))};
        c->model_->loadModel(in);
        const auto dict = c->model_->getDictionary();
        for (std::int32_t i = 0; i < dict->nlabels(); ++i) {
            std::string label = dict->getLabel(i);
            if (label.starts_with(label_prefix)) label.erase(0, label_prefix.size());
            c->intents_.push_back(std::move(label));
        }
        std::sort(c->intents_.begin(), c->intents_.end());
        if (c->intents_.empty()) {
            r.error = "the model has no intents";
            return r;
        }
        c->version_ = std::move(version);
        r.classifier = std::move(c);
    } catch (const std::exception& e) {
        r.error = std::string("not a fastText model: ") + e.what();
    } catch (...) {
        r.error = "not a fastText model";
    }
    return r;
}

model_intent_classifier::~model_intent_classifier() = default;

std::vector<intent_alternative> model_intent_classifier::predict(std::string_view prepared) const {
    std::vector<intent_alternative> out;
    std::string line(prepared);
    line += '\n';
    std::istringstream in(line);
    std::vector<std::pair<fasttext::real, std::string>> predictions;
    model_->predictLine(in, predictions, static_cast<std::int32_t>(intents_.size()), 0.0);
    for (auto& [p, label] : predictions) {
        if (label.starts_with(label_prefix)) label.erase(0, label_prefix.size());
        out.push_back({std::move(label), std::clamp(static_cast<double>(p), 0.0, 1.0)});
    }
    return out;
}

intent_guess model_intent_classifier::classify(std::string_view text) const {
    intent_guess g;
    const std::string prepared = model_input(text);
    if (prepared.empty()) return g;  // nothing to go on: "other", confidence 0
    auto ranked = predict(prepared);
    if (ranked.empty()) return g;
    g.intent = ranked.front().intent;
    g.confidence = ranked.front().confidence;
    for (std::size_t i = 1; i < ranked.size() && g.alternatives.size() < alternatives_kept; ++i) {
        g.alternatives.push_back(std::move(ranked[i]));
    }
    return g;
}

std::vector<word_contribution> model_intent_classifier::explain(std::string_view text) const {
    const auto n = rules::normalize(text);
    const auto words = words_of(text, n);
    if (words.empty()) return {};
    const auto full = predict(n.text);
    if (full.empty()) return {};
    const std::string& chosen = full.front().intent;
    const double base = full.front().confidence;
    std::vector<word_contribution> out;
    for (std::size_t skip = 0; skip < words.size() && skip < max_explained_words; ++skip) {
        std::string without;
        for (std::size_t k = 0; k < words.size(); ++k) {
            if (k == skip) continue;
            if (!without.empty()) without += ' ';
            without += words[k].text;
        }
        double p = 0.0;
        for (const auto& a : predict(without)) {
            if (a.intent == chosen) p = a.confidence;
        }
        out.push_back({words[skip].begin, words[skip].end, base - p});
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.weight > b.weight; });
    return out;
}

}  // namespace triage::dialog

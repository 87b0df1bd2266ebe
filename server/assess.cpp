#include "server/assess.hpp"

#include "server/app.hpp"
#include "server/config.hpp"

#include "dialog/intent_model.hpp"
#include "server/intent_training.hpp"

#include <boost/json.hpp>
#include <algorithm>
#include <chrono>

#include <cmath>
#include <filesystem>

#include <cstdio>

namespace json = boost::json;

namespace triage::server {

const std::vector<std::string>& default_dictionaries() {
    static const std::vector<std::string> d = config{}.rule_dictionaries;
    return d;
}

std::optional<rules::engine> load_rule_engine(const std::vector<std::string>& files,
                                              const std::vector<std::string>& dictionaries) {
    std::vector<rules::rule_pack> packs;
    for (const auto& file : files) {
        auto text = read_text_file(file);
        if (!text) {
            std::fprintf(stderr, "rule_packs: cannot read %s\n", file.c_str());
            return std::nullopt;
        }
        auto p = rules::load_rule_pack(*text, file);
        for (const auto& d : p.diagnostics) std::fprintf(stderr, "%s\n", rules::to_string(d).c_str());
        if (!p.pack) return std::nullopt;
        packs.push_back(std::move(*p.pack));
    }
    auto problems = rules::check_pack_set(packs, files);
    for (const auto& d : problems) std::fprintf(stderr, "%s\n", rules::to_string(d).c_str());
    if (!problems.empty()) return std::nullopt;
    std::vector<std::string> words;
    for (const auto& file : dictionaries) {
        auto text = read_text_file(file);
        if (!text) {
            std::fprintf(stderr, "rule_dictionaries: cannot read %s; real words near red-flag words may raise false alarms\n",
                         file.c_str());
            continue;
        }
        std::size_t start = 0;
        while (start < text->size()) {
            std::size_t end = text->find('\n', start);
            if (end == std::string::npos) end = text->size();
            if (end > start) words.emplace_back(text->substr(start, end - start));
            start = end + 1;
        }
    }
    return rules::engine(std::move(packs), words);
}

namespace {

// A fastText classifier (intents or languages) and its card (MODEL.card.json beside it, which
// must name the model's SHA-256). `key` names the configuration key in errors.
intents_load_result load_classifier_with_card(const std::string& model_file, const std::string& key) {
    intents_load_result r;
    const std::string card_file = card_path(model_file, ".json");
    auto card_text = read_text_file(card_file);
    if (!card_text) {
        r.error = key + ": cannot read its card " + card_file + " (written by `triagectl model train`)";
        return r;
    }
    json::error_code ec;
    auto card = json::parse(*card_text, ec);
    const json::object* c = ec ? nullptr : card.if_object();
    const json::value* sha = c ? c->if_contains("model_sha256") : nullptr;
    const json::value* version = c ? c->if_contains("version") : nullptr;
    if (!sha || !sha->is_string() || !version || !version->is_string()) {
        r.error = key + ": " + card_file + " is not a model card (no model_sha256 or version)";
        return r;
    }
    auto bytes = read_text_file(model_file);
    if (!bytes) {
        r.error = key + ": cannot read " + model_file;
        return r;
    }
    if (sha256_hex(*bytes) != sha->as_string()) {
        r.error = key + ": " + model_file + " does not match the SHA-256 in " + card_file +
                  " (retrain with `triagectl model train`, or restore the file)";
        return r;
    }
    auto m = dialog::model_intent_classifier::load(*bytes, std::string(version->as_string()));
    if (!m.classifier) {
        r.error = key + ": " + model_file + ": " + m.error;
        return r;
    }
    r.classifier = std::move(m.classifier);
    return r;
}

}  // namespace

intents_load_result load_intents(const std::string& model_file, const std::string& keywords_file) {
    intents_load_result r;
    if (model_file.empty()) {
        auto text = read_text_file(keywords_file);
        if (!text) {
            r.error = "intents_file: cannot read " + keywords_file;
            return r;
        }
        auto k = dialog::load_keyword_intents(*text, keywords_file);
        if (!k.errors.empty()) {
            r.error = k.errors.front();
            return r;
        }
        r.classifier = std::move(k.classifier);
        return r;
    }
    return load_classifier_with_card(model_file, "intent_model");
}

intents_load_result load_language_model(const std::string& model_file) {
    if (model_file.empty()) return {};
    return load_classifier_with_card(model_file, "language_model");
}

urgency_model_load_result load_urgency_model(const std::string& model_file) {
    urgency_model_load_result r;
    if (model_file.empty()) return r;
    const std::string card_file = card_path(model_file, ".json");
    auto card_text = read_text_file(card_file);
    if (!card_text) {
        r.error = "urgency_model: cannot read its card " + card_file + " (written by `triagectl rules model train`)";
        return r;
    }
    json::error_code ec;
    auto card = json::parse(*card_text, ec);
    const json::object* c = ec ? nullptr : card.if_object();
    const json::value* sha = c ? c->if_contains("model_sha256") : nullptr;
    const json::value* version = c ? c->if_contains("version") : nullptr;
    const json::value* th = c ? c->if_contains("thresholds") : nullptr;
    auto number = [&](const char* name) -> double {
        const json::value* v = th && th->is_object() ? th->as_object().if_contains(name) : nullptr;
        return v && v->is_number() ? v->to_number<double>() : -1.0;
    };
    rules::urgency_thresholds t{number("self_care"), number("routine"), number("urgent"), number("emergency")};
    if (!sha || !sha->is_string() || !version || !version->is_string() || !th || !th->is_object()) {
        r.error = "urgency_model: " + card_file + " is not an urgency model card (no model_sha256, version or thresholds)";
        return r;
    }
    auto bytes = read_text_file(model_file);
    if (!bytes) {
        r.error = "urgency_model: cannot read " + model_file;
        return r;
    }
    if (sha256_hex(*bytes) != sha->as_string()) {
        r.error = "urgency_model: " + model_file + " does not match the SHA-256 in " + card_file +
                  " (retrain with `triagectl rules model train`, or restore the file)";
        return r;
    }
    auto m = rules::urgency_model::load(*bytes, std::string(version->as_string()), t);
    if (!m.model) {
        r.error = "urgency_model: " + model_file + ": " + m.error;
        return r;
    }
    r.model = std::move(m.model);
    return r;
}

namespace {

// A visit asked for a named condition or a vaccination (rules of category `visit_request`, such
// as "need to book my diabetes follow up") is routine clinical work but still a request to book:
// it keeps its front-desk intent unless something else in the message is clinical.
bool only_a_visit_request(const rules::assessment& a) {
    if (a.findings.empty() || (a.model && a.model->raised)) return false;
    // A person or a history ("my diabetes") is not a complaint; a sign, symptom or exposure is.
    const bool complaint = std::any_of(a.clinical_findings.begin(), a.clinical_findings.end(), rules::is_complaint);
    return !complaint && std::all_of(a.findings.begin(), a.findings.end(),
                                     [](const rules::finding& f) { return f.category == "visit_request"; });
}

}  // namespace

message_assessment assess_message(const rules::engine& rules, const rules::urgency_model* urgency,
                                  const dialog::intent_classifier& intents, std::string_view text,
                                  const dialog::intent_classifier* language, assessment_timings* took) noexcept {
    using clock = std::chrono::steady_clock;
    auto since = [](clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); };
    message_assessment out;
    auto t = clock::now();
    out.triage = rules.assess(text);
    if (took) took->rules_s = since(t);
    if (urgency) {
        t = clock::now();
        try {
            rules::apply_model(out.triage, urgency->estimate(text));
        } catch (...) {
            // Only allocation can fail here; the rules' assessment stands.
        }
        if (took) took->urgency_model_s = since(t);
    }
    t = clock::now();
    try {
        out.intent = intents.classify(text);
        // Clinical content wins over the front-desk request it came with ("need to book, there's
        // blood in my pee"): the request stays as the first alternative for the flow to note.
        if (out.triage.level >= rules::urgency::self_care && out.intent.intent != "symptom_report" &&
            out.intent.intent != "speak_to_human" && !only_a_visit_request(out.triage)) {
            out.intent.alternatives.insert(out.intent.alternatives.begin(), {out.intent.intent, out.intent.confidence});
            out.intent.intent = "symptom_report";
        }
    } catch (...) {
        out.intent = {};
    }
    if (took) took->intent_s = since(t);
    if (language) {
        t = clock::now();
        try {
            auto guess = language->classify(text);
            out.language = std::move(guess.intent);
            out.language_confidence = guess.confidence;
        } catch (...) {
            // Only allocation can fail: the conversation keeps its language.
        }
        if (took) took->language_s = since(t);
    }
    return out;
}

std::string classify_json_line(std::string_view id, const message_assessment& a, bool explain) {
    auto findings = [](const std::vector<rules::finding>& list) {
        json::array out;
        for (const auto& f : list) {
            json::array mods;
            for (const auto& m : f.modifiers) mods.emplace_back(m);
            out.push_back(json::object{{"id", f.rule_id}, {"span", json::array{f.span.begin, f.span.end}}, {"modifiers", std::move(mods)}});
        }
        return out;
    };
    json::object line{{"id", id},
                      {"urgency", rules::to_string(a.triage.level)},
                      {"escalate", a.triage.escalate},
                      {"intent", a.intent.intent},
                      {"intent_confidence", a.intent.confidence},
                      {"rules", findings(a.triage.findings)}};
    if (!a.language.empty()) {
        line["language"] = a.language;
        line["language_confidence"] = a.language_confidence;
    }
    if (explain) {
        line["findings"] = findings(a.triage.clinical_findings);
        line["suppressed"] = findings(a.triage.suppressed);
        if (a.triage.model) {
            const auto& m = *a.triage.model;
            json::object p;
            for (std::size_t i = 0; i < m.probability.size(); ++i)
                p[rules::to_string(static_cast<rules::urgency>(i))] = std::round(m.probability[i] * 1000.0) / 1000.0;
            line["model"] = json::object{{"version", m.version}, {"urgency", rules::to_string(m.level)},
                                         {"probability", std::move(p)}, {"raised", m.raised}, {"capped", m.capped}, {"failed", m.failed}};
        }
        line["rationale"] = a.triage.rationale;
        line["pack"] = a.triage.pack_version;
        line["evaluation_failed"] = a.triage.evaluation_failed;
    }
    return json::serialize(line);
}

}  // namespace triage::server

#include "dialog/intent.hpp"

#include "dialog/text.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

namespace triage::dialog {

namespace {

struct match {
    std::size_t set = 0;    // index into sets_ (file order breaks ties)
    std::size_t first = 0;  // first word
    std::size_t length = 0; // in words
};

}  // namespace

keyword_intent_classifier::keyword_intent_classifier(std::vector<keyword_set> sets, std::string version)
    : version_(std::move(version)) {
    for (auto& s : sets) {
        keyword_set folded{std::move(s.intent), {}};
        for (const auto& p : s.phrases) {
            std::string f = text::fold(p);
            if (!f.empty() && std::find(folded.phrases.begin(), folded.phrases.end(), f) == folded.phrases.end())
                folded.phrases.push_back(std::move(f));
        }
        sets_.push_back(std::move(folded));
    }
}

intent_guess keyword_intent_classifier::classify(std::string_view input) const {
    const std::string folded = text::fold(input);
    const auto words = text::words(folded);
    if (words.empty()) return {};

    std::vector<match> found;
    for (std::size_t si = 0; si < sets_.size(); ++si) {
        for (const auto& phrase : sets_[si].phrases) {
            const auto pw = text::words(phrase);
            if (pw.empty() || pw.size() > words.size()) continue;
            for (std::size_t i = 0; i + pw.size() <= words.size(); ++i)
                if (std::equal(pw.begin(), pw.end(), words.begin() + static_cast<std::ptrdiff_t>(i)))
                    found.push_back({si, i, pw.size()});
        }
    }
    if (found.empty()) return {};

    // Longer phrases claim their words first, so "change my appointment" (reschedule) is not also
    // counted as "appointment" (book). Each intent then scores the words it kept.
    std::stable_sort(found.begin(), found.end(), [](const match& a, const match& b) {
        return a.length != b.length ? a.length > b.length : a.set < b.set;
    });
    std::vector<bool> taken(words.size(), false);
    std::vector<std::size_t> score(sets_.size(), 0);
    for (const auto& m : found) {
        auto begin = taken.begin() + static_cast<std::ptrdiff_t>(m.first);
        auto end = begin + static_cast<std::ptrdiff_t>(m.length);
        if (std::any_of(begin, end, [](bool b) { return b; })) continue;
        std::fill(begin, end, true);
        score[m.set] += m.length;
    }
    std::size_t best = 0;
    for (std::size_t i = 1; i < score.size(); ++i)
        if (score[i] > score[best]) best = i;
    std::size_t runner_up = 0;
    for (std::size_t i = 0; i < score.size(); ++i)
        if (i != best && sets_[i].intent != sets_[best].intent) runner_up = std::max(runner_up, score[i]);

    // A heuristic, not a probability: more matched words means more confidence; a competing
    // intent lowers it. Kept within 0.6..0.9 so that nothing downstream mistakes it for certainty.
    double confidence = std::min(0.9, 0.6 + 0.1 * static_cast<double>(score[best] - 1));
    if (runner_up > 0) confidence = std::max(0.6, confidence - 0.1 * static_cast<double>(runner_up));
    return {sets_[best].intent, confidence};
}

namespace {

std::string where(std::string_view file, const YAML::Mark& m) {
    if (m.is_null() || m.line < 0) return std::string(file) + ":0:0";
    return std::string(file) + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

void read_phrases(const YAML::Node& v, const YAML::Mark& key_mark, const std::string& intent, std::string_view file,
                  std::vector<std::string>& phrases, std::vector<std::string>& errors) {
    if (!v.IsSequence()) {
        errors.push_back(where(file, v.IsNull() ? key_mark : v.Mark()) + ": phrases of intent '" + intent +
                         "' must be a list of strings");
        return;
    }
    for (const auto& p : v) {
        if (p.IsScalar() && !text::fold(p.Scalar()).empty()) phrases.push_back(p.Scalar());
        else errors.push_back(where(file, p.Mark()) + ": intent '" + intent + "' has an empty or non-string phrase");
    }
}

}  // namespace

keyword_intents_load_result load_keyword_intents(std::string_view yaml_text, std::string_view file_name) {
    keyword_intents_load_result result;
    auto& errors = result.errors;
    try {
        YAML::Node root = YAML::Load(std::string(yaml_text));
        if (!root.IsMap()) {
            errors.push_back(std::string(file_name) + ":1:1: an intents file must be a map with `version` and `intents`");
            return result;
        }
        std::string version;
        std::vector<keyword_intent_classifier::keyword_set> sets;
        std::set<std::string> seen_top;
        for (auto it = root.begin(); it != root.end(); ++it) {
            // Copies: `it->first` lives in a temporary proxy, so a reference to it would dangle.
            const YAML::Node k = it->first;
            const YAML::Node v = it->second;
            std::string key = k.IsScalar() ? k.Scalar() : std::string();
            if (!seen_top.insert(key).second) {
                errors.push_back(where(file_name, k.Mark()) + ": duplicate key '" + key + "'");
                continue;
            }
            if (key == "version") {
                if (v.IsScalar() && !v.Scalar().empty()) version = v.Scalar();
                else errors.push_back(where(file_name, k.Mark()) + ": `version` must be a string");
            } else if (key == "intents") {
                if (!v.IsMap()) {
                    errors.push_back(where(file_name, k.Mark()) + ": `intents` must be a map of intent names");
                    continue;
                }
                for (auto in = v.begin(); in != v.end(); ++in) {
                    const YAML::Node name_node = in->first;
                    const YAML::Node phrases = in->second;
                    std::string name = name_node.IsScalar() ? name_node.Scalar() : std::string();
                    const auto mark = name_node.Mark();
                    if (name.empty() || name == "other") {
                        errors.push_back(where(file_name, mark) + ": '" + name +
                                         "' cannot be an intent name (\"other\" means no match)");
                        continue;
                    }
                    if (std::any_of(sets.begin(), sets.end(), [&](const auto& s) { return s.intent == name; })) {
                        errors.push_back(where(file_name, mark) + ": duplicate intent '" + name + "'");
                        continue;
                    }
                    keyword_intent_classifier::keyword_set set{name, {}};
                    const std::size_t errors_before = errors.size();
                    if (phrases.IsMap()) {
                        for (auto lang = phrases.begin(); lang != phrases.end(); ++lang) {
                            const YAML::Node lang_key = lang->first;
                            read_phrases(lang->second, lang_key.Mark(), name, file_name, set.phrases, errors);
                        }
                    } else {
                        read_phrases(phrases, mark, name, file_name, set.phrases, errors);
                    }
                    if (set.phrases.empty() && errors.size() == errors_before)
                        errors.push_back(where(file_name, mark) + ": intent '" + name + "' has no phrases");
                    sets.push_back(std::move(set));
                }
            } else {
                errors.push_back(where(file_name, k.Mark()) + ": unknown key '" + key +
                                 "'; expected one of: version, intents");
            }
        }
        if (version.empty() && !seen_top.count("version"))
            errors.push_back(std::string(file_name) + ":1:1: missing required key 'version'");
        if (sets.empty() && !seen_top.count("intents"))
            errors.push_back(std::string(file_name) + ":1:1: missing required key 'intents'");
        if (errors.empty())
            result.classifier = std::make_unique<keyword_intent_classifier>(std::move(sets), std::move(version));
    } catch (const YAML::Exception& e) {
        errors.push_back(where(file_name, e.mark) + ": invalid YAML: " + e.msg);
    } catch (const std::exception& e) {
        errors.push_back(std::string(file_name) + ":0:0: cannot load intents: " + e.what());
    }
    return result;
}

}  // namespace triage::dialog

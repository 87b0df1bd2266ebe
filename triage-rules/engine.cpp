#include "triage-rules/engine.hpp"

#include "triage-rules/normalize.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

namespace triage::rules {
namespace {

struct token {
    std::string text;
    std::size_t begin;  // offsets in the normalised text
    std::size_t end;
};

std::vector<token> tokenize(const std::string& s) {
    std::vector<token> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ') ++i;
        std::size_t b = i;
        while (i < s.size() && s[i] != ' ') ++i;
        if (i > b) out.push_back({s.substr(b, i - b), b, i});
    }
    return out;
}

std::vector<std::string> words(std::string_view phrase) {
    std::vector<std::string> out;
    for (auto& t : tokenize(normalize(phrase).text))
        if (t.text != "|") out.push_back(t.text);
    return out;
}

struct compiled_pattern {
    std::vector<std::string> words;
    std::size_t rule;  // index into impl::rules
};

// Words that end a negation's scope: "no fever but crushing chest pain" is an emergency.
const std::set<std::string> scope_breaks = {"|", "but", "however", "although", "though", "yet", "except",
                                            "pero", "aunque", "sino", "excepto", "embargo"};

const std::map<std::string, std::vector<std::string>> default_negation = {
    {"en", {"no", "not", "dont have", "doesnt have", "denies", "deny", "without", "never", "no sign of", "free of", "negative for"}},
    {"es", {"no", "sin", "nunca", "no tengo", "niega", "ningun", "ninguna"}},
};

// How far back a negation cue reaches (NegEx uses a window of about five words).
constexpr std::size_t negation_window = 5;

}  // namespace

struct engine::impl {
    std::vector<red_flag_rule> rules;
    std::unordered_map<std::string, std::vector<compiled_pattern>> by_first_word;
    std::vector<std::vector<std::string>> negation_cues;
    std::string version;
};

engine::engine(std::vector<rule_pack> packs) : impl_(std::make_unique<impl>()) {
    std::map<std::string, std::size_t> index_of;
    std::set<std::string> cue_texts;
    bool any_cues = false;
    for (auto& pack : packs) {
        impl_->version += (impl_->version.empty() ? "" : "+") + pack.name + "@" + pack.version;
        for (auto& [lang, cues] : pack.negation) {
            any_cues = true;
            cue_texts.insert(cues.begin(), cues.end());
        }
        for (auto& rule : pack.rules) {
            auto it = index_of.find(rule.id);
            if (it != index_of.end()) {
                // A later pack may raise a rule's urgency, never lower it.
                auto& existing = impl_->rules[it->second];
                if (rule.level >= existing.level) existing = std::move(rule);
                continue;
            }
            index_of[rule.id] = impl_->rules.size();
            impl_->rules.push_back(std::move(rule));
        }
    }
    if (!any_cues)
        for (auto& [lang, cues] : default_negation) cue_texts.insert(cues.begin(), cues.end());
    for (const auto& c : cue_texts) impl_->negation_cues.push_back(words(c));
    for (std::size_t r = 0; r < impl_->rules.size(); ++r)
        for (const auto& [lang, phrases] : impl_->rules[r].patterns)
            for (const auto& p : phrases) {
                auto w = words(p);
                if (!w.empty()) impl_->by_first_word[w.front()].push_back({std::move(w), r});
            }
}

engine::~engine() = default;
engine::engine(engine&&) noexcept = default;
engine& engine::operator=(engine&&) noexcept = default;

const std::string& engine::version() const noexcept { return impl_->version; }

assessment engine::assess(std::string_view message) const noexcept {
    assessment a;
    try {
        a.pack_version = impl_->version;
        normalized_text norm = normalize(message);
        std::vector<token> toks = tokenize(norm.text);
        std::set<std::string> fired_ids;
        for (std::size_t i = 0; i < toks.size(); ++i) {
            auto it = impl_->by_first_word.find(toks[i].text);
            if (it == impl_->by_first_word.end()) continue;
            for (const auto& pat : it->second) {
                if (i + pat.words.size() > toks.size()) continue;
                bool match = true;
                for (std::size_t k = 0; k < pat.words.size() && match; ++k) match = toks[i + k].text == pat.words[k];
                if (!match) continue;
                const red_flag_rule& rule = impl_->rules[pat.rule];
                finding f;
                f.rule_id = rule.id;
                f.category = rule.category;
                f.level = rule.level;
                f.escalate = rule.escalate;
                const token& last = toks[i + pat.words.size() - 1];
                f.span = {norm.origin[toks[i].begin], norm.origin_end[last.end - 1]};
                // Negation: a cue ending within the window before the match, in the same clause.
                std::size_t lo = i >= negation_window ? i - negation_window : 0;
                for (std::size_t j = i; j-- > lo;) {
                    if (scope_breaks.contains(toks[j].text)) break;
                    for (const auto& cue : impl_->negation_cues) {
                        if (cue.size() > j + 1) continue;
                        std::size_t start = j + 1 - cue.size();
                        bool hit = start >= lo;
                        for (std::size_t k = 0; k < cue.size() && hit; ++k) hit = toks[start + k].text == cue[k];
                        if (hit) {
                            f.modifiers = {"negated"};
                            break;
                        }
                    }
                    if (!f.modifiers.empty()) break;
                }
                if (!f.modifiers.empty()) {
                    a.suppressed.push_back(std::move(f));
                    continue;
                }
                if (!fired_ids.insert(rule.id).second) continue;  // one finding per rule
                a.level = std::max(a.level, rule.level);
                a.escalate = a.escalate || rule.escalate;
                if (!a.rationale.empty()) a.rationale += " ";
                a.rationale += rule.rationale;
                auto add_advice = [](std::vector<std::string>& v, const std::map<std::string, std::string>& m, const char* l) {
                    auto adv = m.find(l);
                    if (adv != m.end() && std::find(v.begin(), v.end(), adv->second) == v.end()) v.push_back(adv->second);
                };
                add_advice(a.advice_en, rule.advice, "en");
                add_advice(a.advice_es, rule.advice, "es");
                a.findings.push_back(std::move(f));
            }
        }
    } catch (...) {
        // Fail towards a human: an unevaluated message is never "no finding".
        a = assessment{};
        a.pack_version = impl_ ? impl_->version : "";
        a.level = urgency::urgent;
        a.escalate = true;
        a.evaluation_failed = true;
        a.rationale = "rule evaluation failed";
    }
    return a;
}

}  // namespace triage::rules

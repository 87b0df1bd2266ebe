#include "triage-rules/engine.hpp"

#include "triage-rules/negation.hpp"
#include "triage-rules/normalize.hpp"
#include "triage-rules/phrase_index.hpp"

#include <algorithm>
#include <cstdint>
#include <set>
#include <unordered_map>

namespace triage::rules {

namespace {

struct pattern_info {
    std::uint32_t rule = 0;
    bool negatable = true;
};

struct match {
    std::uint32_t rule = 0;
    std::size_t first = 0;  // word index
    std::size_t words = 0;
    bool negated = false;
};

// Two packs defining the same rule id can only make it stricter: the higher urgency wins (the
// later pack on a tie), escalation is kept if either asks for it, and patterns are merged so
// that a clinic pack cannot narrow what the core pack catches.
void merge_into(red_flag_rule& kept, red_flag_rule&& later) {
    const bool escalate = kept.escalate || later.escalate;
    auto patterns = std::move(kept.patterns);
    auto later_patterns = std::move(later.patterns);
    if (later.level >= kept.level) kept = std::move(later);
    for (auto& [lang, list] : later_patterns) {
        auto& to = patterns[lang];
        for (auto& p : list) {
            if (std::find(to.begin(), to.end(), p) == to.end()) to.push_back(std::move(p));
        }
    }
    kept.patterns = std::move(patterns);
    kept.escalate = escalate;
}

std::vector<std::string> negation_cues(const std::vector<rule_pack>& packs) {
    std::vector<std::string> cues;
    for (auto lang : pack_languages) {
        bool listed = false;
        for (const auto& p : packs) {
            auto it = p.negation.find(std::string(lang));
            if (it == p.negation.end()) continue;
            listed = true;
            for (const auto& c : it->second) cues.push_back(normalize(c).text);
        }
        if (!listed) {
            const auto& d = default_negation_cues(lang);
            cues.insert(cues.end(), d.begin(), d.end());
        }
    }
    return cues;
}

void add_unique(std::vector<std::string>& to, const std::string& s) {
    if (!s.empty() && std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
}

assessment failed_assessment(const std::string& version) {
    assessment a;
    a.level = urgency::urgent;
    a.escalate = true;
    a.evaluation_failed = true;
    a.rationale = "rule evaluation failed";
    a.pack_version = version;
    return a;
}

}  // namespace

struct engine::impl {
    std::vector<red_flag_rule> rules;
    std::vector<pattern_info> patterns;
    detail::phrase_index index{true};
    detail::negation_scope negation;
    std::string version;

    explicit impl(std::vector<rule_pack>& packs) : negation(negation_cues(packs)) {
        std::unordered_map<std::string, std::size_t> by_id;
        for (auto& pack : packs) {
            if (!version.empty()) version += '+';
            version += pack.name + "@" + pack.version;
            for (auto& rule : pack.rules) {
                auto [it, fresh] = by_id.emplace(rule.id, rules.size());
                if (fresh) {
                    rules.push_back(std::move(rule));
                } else {
                    merge_into(rules[it->second], std::move(rule));
                }
            }
        }
        for (std::uint32_t r = 0; r < rules.size(); ++r) {
            std::set<std::string> seen;
            for (const auto& [lang, list] : rules[r].patterns) {
                for (const auto& p : list) {
                    // Packs built in code may hold text as written; normalising again is a no-op
                    // for text that the loader already normalised.
                    auto text = normalize(p).text;
                    if (text.empty() || !seen.insert(text).second) continue;
                    pattern_info info{r, true};
                    for (auto w : detail::split_words(text)) {
                        if (detail::is_negative_word(w)) info.negatable = false;
                    }
                    index.add(text, static_cast<std::uint32_t>(patterns.size()));
                    patterns.push_back(info);
                }
            }
        }
    }

    assessment assess(std::string_view message) const {
        if (rules.empty()) {
            auto a = failed_assessment(version);
            a.rationale = "no rules loaded";
            return a;
        }
        const normalized_text norm = normalize(message);
        if (norm.failed) return failed_assessment(version);

        const auto words = detail::split_words(norm.text);
        std::vector<text_span> spans;
        spans.reserve(words.size());
        for (auto w : words) {
            const auto b = static_cast<std::size_t>(w.data() - norm.text.data());
            spans.push_back({norm.origin[b], norm.origin_end[b + w.size() - 1]});
        }
        const auto scope = negation.analyse(message, words, spans);

        // One finding per rule: its first unnegated match, else its first negated one (kept for
        // the audit trail).
        std::vector<std::ptrdiff_t> fired(rules.size(), -1), suppressed(rules.size(), -1);
        std::vector<match> matches;
        for (std::size_t i = 0; i < words.size(); ++i) {
            index.match_at(words, i, [&](std::uint32_t id, std::size_t n) {
                const auto& info = patterns[id];
                if (!detail::negation_scope::same_sentence(scope, i, i + n - 1)) return;
                const bool negated = info.negatable && detail::negation_scope::negated(scope, i);
                auto& slot = negated ? suppressed[info.rule] : fired[info.rule];
                if (slot >= 0) {
                    // Overlapping phrases of one rule ("crushing chest" + "chest pain") give one
                    // span over both.
                    auto& m = matches[static_cast<std::size_t>(slot)];
                    if (i < m.first + m.words) m.words = std::max(m.words, i + n - m.first);
                    return;
                }
                slot = static_cast<std::ptrdiff_t>(matches.size());
                matches.push_back({info.rule, i, n, negated});
            });
        }

        assessment a;
        a.pack_version = version;
        for (const auto& m : matches) {
            if (m.negated && fired[m.rule] >= 0) continue;
            const auto& rule = rules[m.rule];
            finding f;
            f.rule_id = rule.id;
            f.category = rule.category;
            f.level = rule.level;
            f.escalate = rule.escalate;
            f.span = {spans[m.first].begin, spans[m.first + m.words - 1].end};
            if (m.negated) {
                f.modifiers.push_back("negated");
                a.suppressed.push_back(std::move(f));
                continue;
            }
            a.level = std::max(a.level, rule.level);
            a.escalate = a.escalate || rule.escalate;
            std::string why = rule.rationale;
            if (!rule.guideline.empty()) why += " (" + rule.guideline + ")";
            if (a.rationale.find(why) == std::string::npos) a.rationale += (a.rationale.empty() ? "" : " ") + why;
            if (auto it = rule.advice.find("en"); it != rule.advice.end()) add_unique(a.advice_en, it->second);
            if (auto it = rule.advice.find("es"); it != rule.advice.end()) add_unique(a.advice_es, it->second);
            a.findings.push_back(std::move(f));
        }
        return a;
    }
};

engine::engine(std::vector<rule_pack> packs) : impl_(std::make_unique<impl>(packs)) {}
engine::~engine() = default;
engine::engine(engine&&) noexcept = default;
engine& engine::operator=(engine&&) noexcept = default;

assessment engine::assess(std::string_view message) const noexcept {
    static const std::string no_version;
    try {
        if (!impl_) return failed_assessment(no_version);
        return impl_->assess(message);
    } catch (...) {
        // Fail towards a human: a message we could not read may hold a red flag.
        try {
            return failed_assessment(impl_ ? impl_->version : no_version);
        } catch (...) {
            assessment a;
            a.level = urgency::urgent;
            a.escalate = true;
            a.evaluation_failed = true;
            return a;
        }
    }
}

const std::string& engine::version() const noexcept {
    static const std::string no_version;
    return impl_ ? impl_->version : no_version;
}

}  // namespace triage::rules

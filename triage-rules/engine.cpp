#include "triage-rules/engine.hpp"

#include "triage-rules/context.hpp"
#include "triage-rules/deobfuscate.hpp"
#include "triage-rules/negation.hpp"
#include "triage-rules/normalize.hpp"
#include "triage-rules/pattern.hpp"
#include "triage-rules/phrase_index.hpp"
#include "triage-rules/spelling.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <unordered_set>

namespace triage::rules {

namespace {

// The protocol caps patient messages far below this; anything larger was not meant for us and is
// handed to a human rather than read partially.
constexpr std::size_t max_message_bytes = 1 << 20;
// Matching is linear in the message; this bound on phrase hits per word is only reached if
// something is badly wrong (a pathological pack), and then a human reads the message.
constexpr std::size_t hits_per_word_budget = 64;
constexpr std::size_t hits_budget_floor = 4096;

// Run-together forms ("heartattack") are indexed for phrases of two or three words when long
// enough not to collide with real words.
constexpr std::size_t min_joined_length = 8;
// A single-word pattern tolerates a typo only from this length ("siezure", "anafilaxis").
constexpr std::size_t min_single_typo_length = 7;

constexpr std::int32_t main_pattern = -1;

constexpr std::uint32_t not_proximity = UINT32_MAX;

struct pattern_info {
    std::uint32_t rule = 0;
    std::int32_t group = main_pattern;  // index into requires_all, or main_pattern
    bool negatable = true;
    bool typo_ok = false;
    bool joined = false;
    std::uint32_t proximity = not_proximity;  // index into impl::proximities
    std::uint32_t part = 0;
    bool any_time = false;  // history does not cancel it (an exposure or person in a requires group)
};

constexpr std::string_view any_time_marker = "~";

struct proximity_pattern {
    std::uint32_t rule = 0;
    std::int32_t group = main_pattern;
    std::size_t parts = 0;
    bool any_time = false;
};

// Where a phrase (or one part of a proximity pattern) was found.
struct hit {
    std::size_t first = 0;  // word index
    std::size_t words = 0;
    bool negated = false;
    bool negatable = true;  // false when the phrase holds its own negation ("no puede + respirar")
    std::uint8_t context = 0;
    std::size_t typos = 0;
    bool joined = false;
};

struct match {
    std::uint32_t rule = 0;
    std::size_t first = 0;  // word index
    std::size_t words = 0;
    bool cancelled = false;
    std::vector<std::string> modifiers;
};

// Two packs defining the same rule id can only make it stricter: the higher urgency wins (the
// later pack on a tie), escalation is kept if either asks for it, and patterns are merged so
// that a clinic pack cannot narrow what the core pack catches. Requirements are never added by a
// later pack for the same reason; the earlier pack's stay.
void merge_into(red_flag_rule& kept, red_flag_rule&& later) {
    const bool escalate = kept.escalate || later.escalate;
    const bool asked_counts = kept.asked_counts || later.asked_counts;
    const bool names_medicines = kept.names_medicines || later.names_medicines;
    auto patterns = std::move(kept.patterns);
    auto later_patterns = std::move(later.patterns);
    auto requirements = std::move(kept.requires_all);
    if (later.level >= kept.level) kept = std::move(later);
    for (auto& [lang, list] : later_patterns) {
        auto& to = patterns[lang];
        for (auto& p : list) {
            if (std::find(to.begin(), to.end(), p) == to.end()) to.push_back(std::move(p));
        }
    }
    kept.patterns = std::move(patterns);
    kept.requires_all = std::move(requirements);
    kept.escalate = escalate;
    kept.asked_counts = asked_counts;
    kept.names_medicines = names_medicines;
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

assessment failed_assessment(const std::string& version, std::string why) {
    assessment a;
    a.level = urgency::urgent;
    a.escalate = true;
    a.evaluation_failed = true;
    a.rationale = std::move(why);
    a.pack_version = version;
    return a;
}

// A part of a proximity pattern ("chest" in "chest + tight|pressure") is never alone: the other
// part must match too, with no typo of its own.
constexpr std::size_t min_part_typo_length = 5;

bool typo_tolerant(const std::vector<std::string_view>& words, bool proximity_part) {
    if (words.size() == 1) {
        return words.front().size() >= (proximity_part ? min_part_typo_length : min_single_typo_length);
    }
    return std::count_if(words.begin(), words.end(), [](std::string_view w) { return w.size() >= 4; }) >= 2;
}

}  // namespace

struct engine::impl {
    std::vector<red_flag_rule> rules;  // the packs' rules, then one per finding (from first_finding_rule)
    std::vector<red_flag_rule> public_rules;  // as the packs wrote them, for listings
    std::size_t first_finding_rule = 0;
    std::vector<bool> disabled;
    std::vector<pattern_info> patterns;
    std::vector<proximity_pattern> proximities;
    detail::word_table table;  // before everything that interns words into it
    detail::phrase_index index{table, true};
    detail::spelling_index spelling{table};
    detail::negation_scope negation;
    detail::context_scope context;
    std::string version;
    std::vector<applied_override> overrides;

    // Dictionary words one typo away from the vocabulary: only these matter, so only these are kept.
    std::unordered_set<std::string, detail::text_hash, std::equal_to<>> lookalikes;
    // Patterns of two or three words also indexed run together ("heartattack"): not words.
    std::unordered_set<std::string, detail::text_hash, std::equal_to<>> run_together;

    impl(std::vector<rule_pack>& packs, const std::vector<std::string>& dictionary)
        : negation(negation_cues(packs), table), context(packs, table) {
        std::unordered_map<std::string, std::size_t> by_id;
        for (auto& pack : packs) {
            if (!version.empty()) version += '+';
            const std::string name = pack.name + "@" + pack.version;
            version += name;
            for (auto& rule : pack.rules) {
                auto [it, fresh] = by_id.emplace(rule.id, rules.size());
                if (fresh) {
                    rules.push_back(std::move(rule));
                } else {
                    merge_into(rules[it->second], std::move(rule));
                }
            }
            for (auto& o : pack.overrides) overrides.push_back({name, o});
        }
        public_rules = rules;
        add_findings(packs);
        disabled.assign(rules.size(), false);
        for (const auto& o : overrides) {
            if (auto it = by_id.find(o.what.rule_id); it != by_id.end()) disabled[it->second] = true;
        }
        for (std::uint32_t r = 0; r < rules.size(); ++r) {
            // Typos are tolerated for what must not be missed, not for self-care advice; findings
            // feed emergency rules, so they are read as tolerantly.
            const bool tolerant_rule = rules[r].level >= urgency::urgent || r >= first_finding_rule;
            add_phrases(r, main_pattern, rules[r].patterns, tolerant_rule);
            for (std::size_t g = 0; g < rules[r].requires_all.size(); ++g) {
                add_phrases(r, static_cast<std::int32_t>(g), rules[r].requires_all[g], tolerant_rule);
            }
        }
        spelling.finalize();
        std::vector<std::uint32_t> near;
        for (const auto& raw : dictionary) {
            std::string w = normalize(raw).text;
            // A pattern word is a lookalike too when it is one edit from another: "swallow" is not
            // a typo of "shallow".
            if (w.find(' ') != std::string::npos) continue;
            near.clear();
            spelling.near(w, near);
            if (!near.empty()) lookalikes.insert(std::move(w));
        }
    }

    // Expands the findings named in rules ("@findings") into their phrases, and adds one rule of
    // urgency none per finding so that every finding is reported on its own.
    void add_findings(const std::vector<rule_pack>& packs) {
        std::vector<finding_definition> defs;
        for (const auto& pack : packs) {
            for (const auto& f : pack.findings) {
                auto it = std::find_if(defs.begin(), defs.end(), [&](const finding_definition& d) { return d.id == f.id; });
                if (it == defs.end()) {
                    defs.push_back(f);
                    continue;
                }
                // A later pack extends a finding; it cannot narrow it.
                for (const auto& [lang, list] : f.patterns) {
                    auto& to = it->patterns[lang];
                    for (const auto& p : list)
                        if (std::find(to.begin(), to.end(), p) == to.end()) to.push_back(p);
                }
            }
        }
        auto expand = [&](std::map<std::string, std::vector<std::string>>& m) {
            auto it = m.find(std::string(findings_key));
            if (it == m.end()) return;
            const auto names = std::move(it->second);
            m.erase(it);
            for (const auto& name : names) {
                auto d = std::find_if(defs.begin(), defs.end(), [&](const finding_definition& x) { return x.id == name; });
                if (d == defs.end()) continue;  // reported by check_pack_set
                // An exposure, a person or a history counts however long ago it was ("a tick bite
                // last week", "surgery in May"): those phrases are marked for add_phrases.
                const bool any_time = d->kind == "exposure" || d->kind == "person" || d->kind == "history" || d->kind == "substance";
                for (const auto& [lang, list] : d->patterns) {
                    auto& to = m[lang];
                    for (const auto& p : list) {
                        std::string phrase = any_time ? std::string(any_time_marker) + p : p;
                        if (std::find(to.begin(), to.end(), phrase) == to.end()) to.push_back(std::move(phrase));
                    }
                }
            }
        };
        for (auto& rule : rules) {
            expand(rule.patterns);
            for (auto& g : rule.requires_all) expand(g);
        }
        first_finding_rule = rules.size();
        for (auto& d : defs) {
            red_flag_rule r;
            r.id = d.id;
            r.category = d.kind;
            r.level = urgency::none;
            r.rationale = d.label;
            r.patterns = std::move(d.patterns);
            rules.push_back(std::move(r));
        }
    }

    void add_phrases(std::uint32_t rule, std::int32_t group,
                     const std::map<std::string, std::vector<std::string>>& by_language, bool tolerant_rule) {
        std::set<std::string> seen;
        for (const auto& [lang, list] : by_language) {
            for (const auto& written : list) {
                std::string_view p = written;
                const bool any_time = p.starts_with(any_time_marker);
                if (any_time) p.remove_prefix(any_time_marker.size());
                // Packs built in code may hold text as written; parsing again is a no-op for text
                // that the loader already parsed.
                auto parsed = parse_pattern(p);
                if (!parsed.error.empty() || !seen.insert(parsed.canonical).second) continue;
                if (parsed.parts.size() == 1) {
                    pattern_info info{rule, group};
                    info.any_time = any_time;
                    add_phrase(parsed.parts[0][0], info, tolerant_rule, seen);
                    continue;
                }
                const auto id = static_cast<std::uint32_t>(proximities.size());
                proximities.push_back({rule, group, parsed.parts.size(), any_time});
                for (std::uint32_t k = 0; k < parsed.parts.size(); ++k) {
                    for (const auto& alt : parsed.parts[k]) {
                        pattern_info info{rule, group};
                        info.any_time = any_time;
                        info.proximity = id;
                        info.part = k;
                        add_phrase(alt, info, tolerant_rule, seen);
                    }
                }
            }
        }
    }

    void add_phrase(const std::string& text, pattern_info info, bool tolerant_rule, std::set<std::string>& seen) {
        const auto words = detail::split_words(text);
        if (words.empty()) return;
        info.typo_ok = tolerant_rule && typo_tolerant(words, info.proximity != not_proximity);
        for (auto w : words) {
            if (detail::is_negative_word(w)) info.negatable = false;
        }
        add_pattern(text, info);
        if (words.size() != 2 && words.size() != 3) return;
        std::string joined;
        for (auto w : words) {
            if (w.back() == '*') return;
            joined += w;
        }
        if (joined.size() >= min_joined_length && (info.proximity != not_proximity || seen.insert(joined).second)) {
            info.joined = true;
            info.typo_ok = tolerant_rule;
            add_pattern(joined, info);
            run_together.insert(joined);
        }
    }

    void add_pattern(const std::string& text, const pattern_info& info) {
        index.add(text, static_cast<std::uint32_t>(patterns.size()));
        patterns.push_back(info);
        if (!info.typo_ok) return;
        for (auto w : detail::split_words(text)) {
            if (w.back() != '*') spelling.add(w);
        }
    }

    assessment assess(std::string_view message) const {
        if (rules.empty()) return failed_assessment(version, "no rules loaded");
        if (message.size() > max_message_bytes) return failed_assessment(version, "message too long to evaluate");
        const normalized_text norm = normalize(message);
        if (norm.failed) return failed_assessment(version, "rule evaluation failed");
        assessment a = assess_view(message, norm);
        if (a.evaluation_failed) return a;
        // The obfuscation-proof reading can only add: a rule it finds that the plain reading did
        // not is counted, marked "obfuscated".
        const auto second =
            deobfuscate(message, norm, [this](std::string_view w) {
                return table.find(w) != detail::word_table::unknown && run_together.find(w) == run_together.end();
            });
        if (!second.changed) return a;
        if (second.text.failed) return failed_assessment(version, "rule evaluation failed");
        assessment b = assess_view(message, second.text);
        if (b.evaluation_failed) return b;
        auto has = [](const std::vector<finding>& list, const std::string& id) {
            return std::any_of(list.begin(), list.end(), [&](const finding& f) { return f.rule_id == id; });
        };
        for (auto& f : b.findings) {
            if (has(a.findings, f.rule_id)) continue;
            f.modifiers.emplace_back("obfuscated");
            a.level = std::max(a.level, f.level);
            a.escalate = a.escalate || f.escalate;
            a.findings.push_back(std::move(f));
        }
        for (auto& f : b.suppressed) {
            if (!has(a.suppressed, f.rule_id) && !has(a.findings, f.rule_id)) a.suppressed.push_back(std::move(f));
        }
        for (auto& f : b.clinical_findings) {
            if (has(a.clinical_findings, f.rule_id)) continue;
            f.modifiers.emplace_back("obfuscated");
            a.clinical_findings.push_back(std::move(f));
        }
        a.level = std::max(a.level, b.level);
        a.escalate = a.escalate || b.escalate;
        for (auto& x : b.advice_en) add_unique(a.advice_en, x);
        for (auto& x : b.advice_es) add_unique(a.advice_es, x);
        if (!b.rationale.empty() && a.rationale.find(b.rationale) == std::string::npos) {
            a.rationale += (a.rationale.empty() ? "" : " ") + ("Read without obfuscation: " + b.rationale);
        }
        std::stable_sort(a.findings.begin(), a.findings.end(),
                         [](const finding& x, const finding& y) { return x.span.begin < y.span.begin; });
        return a;
    }

    // One reading of the message (the plain one or the deobfuscated one).
    assessment assess_view(std::string_view message, const normalized_text& norm) const {
        const detail::message_words words(detail::split_words(norm.text), table);
        std::vector<text_span> spans;
        spans.reserve(words.size());
        for (auto w : words.text) {
            const auto b = static_cast<std::size_t>(w.data() - norm.text.data());
            spans.push_back({norm.origin[b], norm.origin_end[b + w.size() - 1]});
        }
        const auto clauses = negation.analyse(message, words, spans);
        const auto ctx = context.analyse(words, clauses);
        std::vector<std::vector<std::uint32_t>> near(words.size());
        for (std::size_t i = 0; i < words.size(); ++i) spelling.near(words, i, near[i]);

        // Pass 1: every phrase hit. Plain patterns become candidate matches at once; parts of
        // proximity patterns are collected and paired up afterwards.
        std::vector<match> candidates;
        std::vector<std::uint64_t> groups_met(rules.size(), 0);
        struct part_hit {
            std::uint32_t proximity;
            std::uint32_t part;
            hit where;
        };
        std::vector<part_hit> part_hits;
        const std::size_t budget = std::max(hits_budget_floor, words.size() * hits_per_word_budget);
        std::size_t hits_seen = 0;
        for (std::size_t i = 0; i < words.size(); ++i) {
            index.match_tolerant_at(words, near, i, [&](std::uint32_t id, std::size_t n, std::size_t typos) {
                ++hits_seen;
                const auto& info = patterns[id];
                if (typos > 0 && (!info.typo_ok || (n == 1 && lookalikes.find(words.text[i]) != lookalikes.end()))) return;
                if (!detail::negation_scope::same_sentence(clauses, i, i + n - 1)) return;
                hit h{i, n, info.negatable && detail::negation_scope::negated(clauses, i), info.negatable, ctx[i], typos,
                      info.joined};
                if (info.proximity != not_proximity) {
                    part_hits.push_back({info.proximity, info.part, h});
                    return;
                }
                consider(info.rule, info.group, {&h, 1}, candidates, groups_met, info.any_time);
            });
            if (hits_seen > budget) return failed_assessment(version, "rule evaluation exceeded its budget");
        }
        // Group the parts' hits by pattern; most patterns have hits for one part only and are
        // skipped before anything is allocated for them.
        std::stable_sort(part_hits.begin(), part_hits.end(), [](const part_hit& a, const part_hit& b) {
            return a.proximity != b.proximity ? a.proximity < b.proximity : a.part < b.part;
        });
        for (std::size_t from = 0; from < part_hits.size();) {
            std::size_t to = from;
            std::size_t distinct_parts = 0;
            while (to < part_hits.size() && part_hits[to].proximity == part_hits[from].proximity) {
                if (to == from || part_hits[to].part != part_hits[to - 1].part) ++distinct_parts;
                ++to;
            }
            const auto& prox = proximities[part_hits[from].proximity];
            if (distinct_parts == prox.parts) {
                std::vector<std::vector<hit>> parts(prox.parts);
                for (std::size_t k = from; k < to; ++k) parts[part_hits[k].part].push_back(part_hits[k].where);
                if (auto combo = pair_up(parts, clauses)) consider(prox.rule, prox.group, *combo, candidates, groups_met, prox.any_time);
            }
            from = to;
        }
        std::stable_sort(candidates.begin(), candidates.end(),
                         [](const match& a, const match& b) { return a.first < b.first; });

        // Pass 2: one finding per rule, its first current match, else its first cancelled one
        // (kept for the audit trail), and only when every required concept is present.
        std::vector<char> has_current(rules.size(), 0), reported(rules.size(), 0);
        for (const auto& m : candidates) {
            if (!m.cancelled) has_current[m.rule] = 1;
        }
        assessment a;
        a.pack_version = version;
        std::string not_counted;
        for (auto& m : candidates) {
            if (reported[m.rule] || (m.cancelled && has_current[m.rule])) continue;
            const auto& rule = rules[m.rule];
            if (m.rule >= first_finding_rule) {
                if (m.cancelled) continue;
                reported[m.rule] = 1;
                a.clinical_findings.push_back(finding{rule.id, rule.category, urgency::none, false,
                                                      {spans[m.first].begin, spans[m.first + m.words - 1].end},
                                                      std::move(m.modifiers)});
                continue;
            }
            const std::size_t groups = rule.requires_all.size();
            if (groups > 0 && groups_met[m.rule] != (std::uint64_t{1} << groups) - 1) continue;
            reported[m.rule] = 1;
            finding f;
            f.rule_id = rule.id;
            f.category = rule.category;
            f.level = rule.level;
            f.escalate = rule.escalate;
            f.span = {spans[m.first].begin, spans[m.first + m.words - 1].end};
            f.modifiers = std::move(m.modifiers);
            if (!m.cancelled && disabled[m.rule]) {
                f.modifiers.emplace_back("disabled_by_clinic");
                m.cancelled = true;
            }
            if (m.cancelled) {
                std::string why;
                for (const auto& mod : f.modifiers) why += (why.empty() ? "" : ", ") + mod;
                not_counted += (not_counted.empty() ? "" : "; ") + rule.id + " (" + why + ")";
                a.suppressed.push_back(std::move(f));
                continue;
            }
            a.level = std::max(a.level, rule.level);
            a.escalate = a.escalate || rule.escalate;
            std::string why = rule.rationale;
            if (!rule.guideline.empty()) why += " (" + rule.guideline + ")";
            if (std::find(f.modifiers.begin(), f.modifiers.end(), "other_person") != f.modifiers.end()) {
                why += " [about someone else]";
            }
            if (a.rationale.find(why) == std::string::npos) a.rationale += (a.rationale.empty() ? "" : " ") + why;
            if (auto it = rule.advice.find("en"); it != rule.advice.end()) add_unique(a.advice_en, it->second);
            if (auto it = rule.advice.find("es"); it != rule.advice.end()) add_unique(a.advice_es, it->second);
            a.findings.push_back(std::move(f));
        }
        if (!not_counted.empty()) a.rationale += (a.rationale.empty() ? "" : " ") + ("Not counted: " + not_counted + ".");
        // A message that describes a sign, symptom or exposure is clinical, whatever else it asks.
        if (a.level == urgency::none) {
            for (const auto& f : a.clinical_findings) {
                if (is_complaint(f)) {
                    a.level = urgency::self_care;
                    a.rationale += (a.rationale.empty() ? "" : " ") + ("A clinical finding (" + f.rule_id + ") makes it at least self-care.");
                    break;
                }
            }
        }
        return a;
    }

    // The earliest combination of one hit per part, all within the proximity window of each
    // other, in one sentence, with at most one typo among them. Part counts are tiny (at most
    // three parts, a few hits each), so trying every combination is cheap.
    static std::optional<std::vector<hit>> pair_up(const std::vector<std::vector<hit>>& parts,
                                                   const detail::negation_scope::analysis& clauses) {
        for (const auto& p : parts) {
            if (p.empty()) return std::nullopt;
        }
        std::optional<std::vector<hit>> best;
        std::vector<std::size_t> pick(parts.size(), 0);
        for (;;) {
            std::vector<hit> combo;
            std::size_t lo = SIZE_MAX, hi = 0, typos = 0;
            for (std::size_t k = 0; k < parts.size(); ++k) {
                const hit& h = parts[k][pick[k]];
                combo.push_back(h);
                lo = std::min(lo, h.first);
                hi = std::max(hi, h.first);
                typos += h.typos;
            }
            bool overlapping = false;
            for (std::size_t x = 0; x < combo.size(); ++x) {
                for (std::size_t y = x + 1; y < combo.size(); ++y) {
                    if (combo[x].first == combo[y].first) overlapping = true;
                }
            }
            if (!overlapping && typos <= 1 && hi - lo <= proximity_window &&
                clauses.sentence[lo] == clauses.sentence[hi] && (!best || lo < best->front().first)) {
                std::sort(combo.begin(), combo.end(), [](const hit& a, const hit& b) { return a.first < b.first; });
                best = std::move(combo);
            }
            std::size_t k = 0;
            while (k < parts.size() && ++pick[k] == parts[k].size()) pick[k++] = 0;
            if (k == parts.size()) break;
        }
        return best;
    }

    // Records hits (one, or one per part of a proximity pattern, in message order) for a rule.
    void consider(std::uint32_t rule, std::int32_t group, std::span<const hit> hits, std::vector<match>& candidates,
                  std::vector<std::uint64_t>& groups_met, bool any_time) const {
        bool negated = false;
        bool self_negative = false;
        std::uint8_t flags = 0;
        std::size_t typos = 0;
        bool joined = false;
        for (const auto& h : hits) {
            negated = negated || h.negated;
            self_negative = self_negative || !h.negatable;
            flags |= h.context;
            typos += h.typos;
            joined = joined || h.joined;
        }
        // A part that carries its own negation ("no he sentido + que se mueva") is where the
        // other parts' "negation" comes from: the pattern means it, so it does not cancel.
        if (self_negative) negated = false;
        std::uint8_t cancelling = any_time ? (detail::ctx_cancelling & ~detail::ctx_historical) : detail::ctx_cancelling;
        if (rules[rule].asked_counts) cancelling &= static_cast<std::uint8_t>(~detail::ctx_hypothetical);
        if (rules[rule].names_medicines) cancelling &= static_cast<std::uint8_t>(~detail::ctx_harmless);
        const bool cancelled = negated || (flags & cancelling) != 0;
        if (group != main_pattern) {
            if (!cancelled) groups_met[rule] |= std::uint64_t{1} << group;
            return;
        }
        match m{rule, hits.front().first, hits.back().first + hits.back().words - hits.front().first, cancelled, {}};
        if (negated) m.modifiers.emplace_back("negated");
        for (auto name : detail::context_modifier_names(flags)) m.modifiers.emplace_back(name);
        if (typos > 0) m.modifiers.emplace_back("typo");
        if (joined) m.modifiers.emplace_back("run_together");
        // Overlapping phrases of one rule ("crushing chest" + "chest pain") give one span over both.
        for (auto& other : candidates) {
            if (other.rule == rule && other.cancelled == cancelled && m.first < other.first + other.words &&
                other.first < m.first + m.words) {
                const std::size_t end = std::max(other.first + other.words, m.first + m.words);
                other.first = std::min(other.first, m.first);
                other.words = end - other.first;
                return;
            }
        }
        candidates.push_back(std::move(m));
    }
};

engine::engine(std::vector<rule_pack> packs, const std::vector<std::string>& dictionary)
    : impl_(std::make_unique<impl>(packs, dictionary)) {}
engine::~engine() = default;
engine::engine(engine&&) noexcept = default;
engine& engine::operator=(engine&&) noexcept = default;

assessment engine::assess(std::string_view message) const noexcept {
    static const std::string no_version;
    try {
        if (!impl_) return failed_assessment(no_version, "rule evaluation failed");
        return impl_->assess(message);
    } catch (...) {
        // Fail towards a human: a message we could not read may hold a red flag.
        try {
            return failed_assessment(impl_ ? impl_->version : no_version, "rule evaluation failed");
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

const std::vector<engine::applied_override>& engine::overrides() const noexcept {
    static const std::vector<applied_override> none;
    return impl_ ? impl_->overrides : none;
}

const std::vector<red_flag_rule>& engine::rules() const noexcept {
    static const std::vector<red_flag_rule> none;
    return impl_ ? impl_->public_rules : none;
}

}  // namespace triage::rules

#include "triage-rules/rule_pack.hpp"

#include "triage-rules/normalize.hpp"
#include "triage-rules/pattern.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <initializer_list>
#include <set>

namespace triage::rules {

std::string to_string(const diagnostic& d) {
    return d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.message;
}

namespace {

using keys = std::initializer_list<std::string_view>;

bool is_language(std::string_view s) {
    return std::find(std::begin(pack_languages), std::end(pack_languages), s) != std::end(pack_languages);
}

// Pack names and rule ids end up in audit rows and in "name@version+..." strings.
bool valid_name(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '-' || c == '.';
    });
}

// Reads yaml-cpp nodes, turning every problem into a diagnostic so one pass reports them all.
class pack_reader {
public:
    pack_reader(std::string_view file, std::vector<diagnostic>& out) : file_(file), out_(out) {}

    void error(const YAML::Mark& m, std::string msg) {
        // yaml-cpp marks are 0-based and -1 when unknown.
        int line = m.line >= 0 ? m.line + 1 : 0;
        int column = m.column >= 0 ? m.column + 1 : 0;
        out_.push_back({file_, line, column, std::move(msg)});
    }

    // A null value (`id:` with nothing after it) carries the mark of whatever follows it, so
    // problems with a value are reported at its key.
    static YAML::Mark at(const YAML::Node& key, const YAML::Node& value) {
        return value.IsNull() ? key.Mark() : value.Mark();
    }

    // Visits each pair of `map` once, in file order, after reporting keys that are not scalars,
    // not in `allowed` (empty: any), or repeated: yaml-cpp keeps every duplicate pair and
    // `node[key]` would silently pick the first.
    void each(const YAML::Node& map, keys allowed, const std::string& context,
              const std::function<void(const std::string&, const YAML::Node&, const YAML::Node&)>& fn) {
        std::set<std::string> seen;
        for (const auto& kv : map) {
            const YAML::Node& k = kv.first;
            if (!k.IsScalar()) {
                error(k.Mark(), context + ": keys must be plain names");
                continue;
            }
            const std::string name = k.Scalar();
            if (allowed.size() != 0 &&
                std::find(allowed.begin(), allowed.end(), std::string_view{name}) == allowed.end()) {
                std::string expected;
                for (auto a : allowed) expected += (expected.empty() ? "" : ", ") + std::string(a);
                error(k.Mark(), context + ": unknown key '" + name + "' (expected one of: " + expected + ")");
                continue;
            }
            if (!seen.insert(name).second) {
                error(k.Mark(), context + ": key '" + name + "' appears twice");
                continue;
            }
            fn(name, k, kv.second);
        }
    }

    void require(const YAML::Node& map, keys required, const std::string& context) {
        for (auto r : required) {
            if (!map[std::string(r)]) error(map.Mark(), context + ": missing required key '" + std::string(r) + "'");
        }
    }

    std::optional<std::string> text(const YAML::Node& k, const YAML::Node& v, const std::string& what) {
        if (!v.IsScalar() || v.Scalar().empty()) {
            error(at(k, v), what + " must be a non-empty string");
            return std::nullopt;
        }
        return v.Scalar();
    }

    bool is_map(const YAML::Node& k, const YAML::Node& v, const std::string& what) {
        if (v.IsMap()) return true;
        error(at(k, v), what + " must be a mapping");
        return false;
    }

    bool is_sequence(const YAML::Node& k, const YAML::Node& v, const std::string& what) {
        if (v.IsSequence()) return true;
        error(at(k, v), what + " must be a list");
        return false;
    }

    bool language(const YAML::Node& k, const std::string& name, const std::string& what) {
        if (is_language(name)) return true;
        error(k.Mark(), what + ": unknown language '" + name + "' (expected en or es)");
        return false;
    }

    // A list of phrases, each normalised as messages are so that authors may write accents and
    // capitals. Returns nothing (after reporting) when the list is empty or a phrase is blank.
    std::vector<std::string> phrases(const YAML::Node& k, const YAML::Node& v, const std::string& what) {
        std::vector<std::string> out;
        if (!is_sequence(k, v, what)) return out;
        if (v.size() == 0) {
            error(at(k, v), what + " is empty");
            return out;
        }
        for (const auto& item : v) {
            if (!item.IsScalar()) {
                error(item.Mark(), what + ": each entry must be a string");
                continue;
            }
            auto p = parse_pattern(item.Scalar());
            if (!p.error.empty()) {
                error(item.Mark(), what + ": '" + item.Scalar() + "': " + p.error);
                continue;
            }
            if (std::find(out.begin(), out.end(), p.canonical) == out.end()) out.push_back(std::move(p.canonical));
        }
        return out;
    }

private:
    std::string file_;
    std::vector<diagnostic>& out_;
};

struct rule_reader {
    pack_reader& r;
    const std::vector<diagnostic>& reported;
    std::map<std::string, int> ids;  // rule id -> line of first definition

    std::optional<red_flag_rule> read(const YAML::Node& node) {
        if (!node.IsMap()) {
            r.error(node.Mark(), "each rule must be a mapping");
            return std::nullopt;
        }
        std::string ctx = "rule";
        if (auto id = node["id"]; id && id.IsScalar()) ctx = "rule '" + id.Scalar() + "'";
        const std::size_t errors_before = reported.size();
        red_flag_rule rule;
        r.require(node, {"id", "category", "urgency", "rationale", "patterns"}, ctx);
        r.each(node, {"id", "category", "urgency", "escalate", "asked_counts", "names_medicines", "rationale", "guideline", "patterns", "requires", "advice"},
               ctx,
               [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
                   if (key == "id") return read_id(rule, k, v);
                   if (key == "category") return assign(rule.category, r.text(k, v, ctx + ": category"));
                   if (key == "rationale") return assign(rule.rationale, r.text(k, v, ctx + ": rationale"));
                   if (key == "guideline") return assign(rule.guideline, r.text(k, v, ctx + ": guideline"));
                   if (key == "urgency") return read_urgency(rule, k, v, ctx);
                   if (key == "escalate") return read_flag(rule.escalate, k, v, ctx + ": escalate");
                   if (key == "asked_counts") return read_flag(rule.asked_counts, k, v, ctx + ": asked_counts");
                   if (key == "names_medicines") return read_flag(rule.names_medicines, k, v, ctx + ": names_medicines");
                   if (key == "patterns") return read_patterns(rule, k, v, ctx);
                   if (key == "requires") return read_requires(rule, k, v, ctx);
                   read_advice(rule, k, v, ctx);
               });
        if (reported.size() != errors_before) return std::nullopt;
        return rule;
    }

    static void assign(std::string& to, std::optional<std::string> v) {
        if (v) to = std::move(*v);
    }

    void read_id(red_flag_rule& rule, const YAML::Node& k, const YAML::Node& v) {
        auto id = r.text(k, v, "rule id");
        if (!id) return;
        if (!valid_name(*id)) {
            r.error(v.Mark(), "rule id '" + *id + "' may only use letters, digits, '_', '-' and '.'");
            return;
        }
        auto [it, fresh] = ids.emplace(*id, v.Mark().line + 1);
        if (!fresh) {
            r.error(v.Mark(),
                    "duplicate rule id '" + *id + "' (first defined on line " + std::to_string(it->second) + ")");
            return;
        }
        rule.id = *id;
    }

    void read_urgency(red_flag_rule& rule, const YAML::Node& k, const YAML::Node& v, const std::string& ctx) {
        auto s = r.text(k, v, ctx + ": urgency");
        if (!s) return;
        auto u = urgency_from_string(*s);
        if (!u) {
            r.error(v.Mark(), ctx + ": unknown urgency '" + *s +
                                  "' (expected none, self_care, routine, urgent or emergency)");
            return;
        }
        rule.level = *u;
    }

    void read_flag(bool& to, const YAML::Node& k, const YAML::Node& v, const std::string& what) {
        bool b = false;
        if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) {
            r.error(pack_reader::at(k, v), what + " must be true or false");
            return;
        }
        to = b;
    }

    // Patients write "cannot" and "will not" as often as "cant" and "wont". Pack authors write the
    // contraction; every English phrase with one is also matched spelled out, so that "I cannot
    // stop the bleeding" is caught like "cant stop the bleeding". The spelled-out forms contain
    // "not", so they are self-negating exactly like the contraction.
    static std::vector<std::string> with_spelled_out_negations(std::vector<std::string> phrases) {
        static const std::pair<std::string_view, std::vector<std::string_view>> forms[] = {
            {"cant", {"cannot", "can not"}}, {"wont", {"will not"}},     {"dont", {"do not"}},
            {"doesnt", {"does not"}},        {"didnt", {"did not"}},     {"isnt", {"is not"}},
            {"hasnt", {"has not"}},          {"havent", {"have not"}},   {"couldnt", {"could not"}},
            {"wasnt", {"was not"}},          {"arent", {"are not"}},
        };
        auto is_word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '*'; };
        const std::size_t written = phrases.size();
        for (std::size_t i = 0; i < written; ++i) {
            for (const auto& [contraction, spelled] : forms) {
                for (auto replacement : spelled) {
                    std::string out;
                    bool changed = false;
                    const std::string& p = phrases[i];
                    for (std::size_t at = 0; at < p.size();) {
                        const bool starts = p.compare(at, contraction.size(), contraction) == 0 &&
                                            (at == 0 || !is_word_char(p[at - 1])) &&
                                            (at + contraction.size() == p.size() || !is_word_char(p[at + contraction.size()]));
                        if (starts) {
                            out += replacement;
                            at += contraction.size();
                            changed = true;
                        } else {
                            out += p[at++];
                        }
                    }
                    if (changed && std::find(phrases.begin(), phrases.end(), out) == phrases.end()) phrases.push_back(out);
                }
            }
        }
        return phrases;
    }

    // language -> phrases, as under `patterns` and in each `requires` group.
    std::map<std::string, std::vector<std::string>> read_phrase_map(const YAML::Node& k, const YAML::Node& v,
                                                                    const std::string& what) {
        std::map<std::string, std::vector<std::string>> out;
        if (!r.is_map(k, v, what)) return out;
        if (v.size() == 0) {
            r.error(pack_reader::at(k, v), what + " is empty");
            return out;
        }
        r.each(v, {}, what, [&](const std::string& lang, const YAML::Node& lk, const YAML::Node& lv) {
            if (lang == "findings") {
                std::vector<std::string> names;
                if (!r.is_sequence(lk, lv, what + ".findings")) return;
                for (const auto& item : lv) {
                    if (!item.IsScalar() || !valid_name(item.Scalar())) {
                        r.error(item.Mark(), what + ".findings: each entry must be the id of a finding");
                        continue;
                    }
                    if (std::find(names.begin(), names.end(), item.Scalar()) == names.end()) names.push_back(item.Scalar());
                }
                if (!names.empty()) out[std::string(findings_key)] = std::move(names);
                return;
            }
            if (!r.language(lk, lang, what)) return;
            auto list = r.phrases(lk, lv, what + "." + lang);
            if (lang == "en") list = with_spelled_out_negations(std::move(list));
            if (!list.empty()) out[lang] = std::move(list);
        });
        return out;
    }

    void read_patterns(red_flag_rule& rule, const YAML::Node& k, const YAML::Node& v, const std::string& ctx) {
        rule.patterns = read_phrase_map(k, v, ctx + ": patterns");
    }

    void read_requires(red_flag_rule& rule, const YAML::Node& k, const YAML::Node& v, const std::string& ctx) {
        if (!r.is_sequence(k, v, ctx + ": requires")) return;
        if (v.size() == 0) r.error(pack_reader::at(k, v), ctx + ": requires is empty");
        for (std::size_t i = 0; i < v.size(); ++i) {
            auto group = read_phrase_map(v[i], v[i], ctx + ": requires[" + std::to_string(i + 1) + "]");
            if (!group.empty()) rule.requires_all.push_back(std::move(group));
        }
    }

    void read_advice(red_flag_rule& rule, const YAML::Node& k, const YAML::Node& v, const std::string& ctx) {
        if (!r.is_map(k, v, ctx + ": advice")) return;
        r.each(v, {}, ctx + ": advice", [&](const std::string& lang, const YAML::Node& lk, const YAML::Node& lv) {
            if (!r.language(lk, lang, ctx + ": advice")) return;
            assign(rule.advice[lang], r.text(lk, lv, ctx + ": advice." + lang));
        });
    }
};

// findings:
//   - id: pallor
//     kind: sign
//     label: "pale or grey skin"
//     patterns: { en: ["went grey"], es: ["se puso palido"] }
void read_findings(pack_reader& r, rule_reader& rules, const YAML::Node& k, const YAML::Node& v, rule_pack& pack) {
    if (!r.is_sequence(k, v, "findings")) return;
    std::map<std::string, int> ids;
    for (const auto& node : v) {
        if (!node.IsMap()) {
            r.error(node.Mark(), "each finding must be a mapping");
            continue;
        }
        finding_definition f;
        std::string ctx = "finding";
        if (auto id = node["id"]; id && id.IsScalar()) ctx = "finding '" + id.Scalar() + "'";
        r.require(node, {"id", "kind", "patterns"}, ctx);
        r.each(node, {"id", "kind", "label", "patterns"}, ctx, [&](const std::string& key, const YAML::Node& kk, const YAML::Node& kv) {
            auto text = key == "patterns" ? std::optional<std::string>{} : r.text(kk, kv, ctx + ": " + key);
            if (key == "id" && text) {
                if (!valid_name(*text)) {
                    r.error(kv.Mark(), "finding id '" + *text + "' may only use letters, digits, '_', '-' and '.'");
                } else if (auto [it, fresh] = ids.emplace(*text, kv.Mark().line + 1); !fresh) {
                    r.error(kv.Mark(), "duplicate finding id '" + *text + "' (first defined on line " + std::to_string(it->second) + ")");
                } else {
                    f.id = *text;
                }
            } else if (key == "kind" && text) {
                if (std::find(std::begin(finding_kinds), std::end(finding_kinds), *text) == std::end(finding_kinds)) {
                    r.error(kv.Mark(), ctx + ": unknown kind '" + *text + "' (expected sign, symptom, exposure, substance, person, course or history)");
                } else {
                    f.kind = *text;
                }
            } else if (key == "label" && text) {
                f.label = *text;
            } else if (key == "patterns") {
                f.patterns = rules.read_phrase_map(kk, kv, ctx + ": patterns");
                if (f.patterns.count(std::string(findings_key))) r.error(kv.Mark(), ctx + ": a finding cannot be made of other findings");
            }
        });
        if (!f.id.empty() && !f.kind.empty() && !f.patterns.empty()) pack.findings.push_back(std::move(f));
    }
}

// context:
//   historical:
//     en: ["history of", "<> last year"]
void read_context(pack_reader& r, const YAML::Node& k, const YAML::Node& v, rule_pack& pack) {
    if (!r.is_map(k, v, "context")) return;
    r.each(v, {}, "context", [&](const std::string& kind, const YAML::Node& kk, const YAML::Node& kv) {
        if (std::find(std::begin(context_kinds), std::end(context_kinds), std::string_view{kind}) == std::end(context_kinds)) {
            std::string expected;
            for (auto c : context_kinds) expected += (expected.empty() ? "" : ", ") + std::string(c);
            r.error(kk.Mark(), "context: unknown kind '" + kind + "' (expected one of: " + expected + ")");
            return;
        }
        if (!r.is_map(kk, kv, "context." + kind)) return;
        r.each(kv, {}, "context." + kind, [&](const std::string& lang, const YAML::Node& lk, const YAML::Node& lv) {
            if (!r.language(lk, lang, "context." + kind)) return;
            if (!r.is_sequence(lk, lv, "context." + kind + "." + lang)) return;
            auto& to = pack.context[kind][lang];
            for (const auto& item : lv) {
                if (!item.IsScalar()) {
                    r.error(item.Mark(), "context." + kind + "." + lang + ": each entry must be a string");
                    continue;
                }
                std::string text = item.Scalar();
                std::string marker;
                for (std::string_view m : {"<>", "<", ">"}) {
                    if (std::string_view(text).starts_with(m)) {
                        marker = std::string(m) + " ";
                        text.erase(0, m.size());
                        break;
                    }
                }
                while (!text.empty() && text.front() == ' ') text.erase(0, 1);
                if (!text.empty() && text.front() == '^') {
                    marker += "^ ";
                    text.erase(0, 1);
                }
                auto n = normalize(text);
                if (n.text.empty()) {
                    r.error(item.Mark(), "context." + kind + "." + lang + ": '" + item.Scalar() + "' has no words");
                    continue;
                }
                to.push_back(marker + n.text);
            }
        });
    });
}

// overrides:
//   - {rule: chest_pain, action: disable, reason: "...", approved_by: "..."}
void read_overrides(pack_reader& r, const YAML::Node& k, const YAML::Node& v, rule_pack& pack) {
    if (!r.is_sequence(k, v, "overrides")) return;
    for (const auto& node : v) {
        if (!node.IsMap()) {
            r.error(node.Mark(), "each override must be a mapping");
            continue;
        }
        rule_override o;
        bool ok = true;
        r.require(node, {"rule", "action", "reason", "approved_by"}, "override");
        r.each(node, {"rule", "action", "reason", "approved_by"}, "override",
               [&](const std::string& key, const YAML::Node& ok_, const YAML::Node& ov) {
                   auto s = r.text(ok_, ov, "override: " + key);
                   if (!s) {
                       ok = false;
                   } else if (key == "rule") {
                       o.rule_id = *s;
                   } else if (key == "reason") {
                       o.reason = *s;
                   } else if (key == "approved_by") {
                       o.approved_by = *s;
                   } else if (*s != "disable") {
                       r.error(ov.Mark(), "override: unknown action '" + *s + "' (the only action is disable)");
                       ok = false;
                   }
               });
        if (ok && !o.rule_id.empty() && !o.reason.empty() && !o.approved_by.empty()) {
            pack.overrides.push_back(std::move(o));
        }
    }
}

void read_pack(const YAML::Node& root, pack_reader& r, std::vector<diagnostic>& out, rule_pack& pack) {
    if (!root.IsMap()) {
        r.error(root.Mark(), "a rule pack must be a mapping with pack, version and rules");
        return;
    }
    rule_reader rules{r, out, {}};
    r.require(root, {"pack", "version"}, "rule pack");
    if (!root["rules"] && !root["overrides"]) r.error(root.Mark(), "rule pack: needs rules, overrides or both");
    r.each(root, {"pack", "version", "negation", "context", "findings", "rules", "overrides"}, "rule pack",
           [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
               if (key == "pack" || key == "version") {
                   auto s = r.text(k, v, key);
                   if (!s) return;
                   if (s->find_first_of("@+") != std::string::npos || (key == "pack" && !valid_name(*s))) {
                       r.error(v.Mark(), key + " '" + *s + "' may only use letters, digits, '_', '-' and '.'");
                       return;
                   }
                   (key == "pack" ? pack.name : pack.version) = *s;
               } else if (key == "negation") {
                   if (!r.is_map(k, v, "negation")) return;
                   r.each(v, {}, "negation", [&](const std::string& lang, const YAML::Node& lk, const YAML::Node& lv) {
                       if (!r.language(lk, lang, "negation")) return;
                       auto list = r.phrases(lk, lv, "negation." + lang);
                       if (!list.empty()) pack.negation[lang] = std::move(list);
                   });
               } else if (key == "context") {
                   read_context(r, k, v, pack);
               } else if (key == "findings") {
                   read_findings(r, rules, k, v, pack);
               } else if (key == "overrides") {
                   read_overrides(r, k, v, pack);
               } else if (r.is_sequence(k, v, "rules")) {
                   if (v.size() == 0) r.error(pack_reader::at(k, v), "rules is empty");
                   for (const auto& node : v) {
                       if (auto rule = rules.read(node)) pack.rules.push_back(std::move(*rule));
                   }
               }
           });
}

}  // namespace

std::vector<diagnostic> check_pack_set(const std::vector<rule_pack>& packs, const std::vector<std::string>& files) {
    std::vector<diagnostic> out;
    std::set<std::string> defined;
    for (std::size_t i = 0; i < packs.size(); ++i) {
        const std::string file = i < files.size() ? files[i] : packs[i].name;
        for (const auto& o : packs[i].overrides) {
            if (defined.count(o.rule_id) == 0) {
                out.push_back({file, 0, 0, "override: rule '" + o.rule_id + "' is not defined by an earlier pack"});
            }
        }
        for (const auto& r : packs[i].rules) defined.insert(r.id);
    }
    // Rules may name findings of their own pack or of any pack loaded with it.
    std::set<std::string> findings;
    for (const auto& p : packs)
        for (const auto& f : p.findings) findings.insert(f.id);
    for (std::size_t i = 0; i < packs.size(); ++i) {
        const std::string file = i < files.size() ? files[i] : packs[i].name;
        for (const auto& r : packs[i].rules) {
            auto check = [&](const std::map<std::string, std::vector<std::string>>& m, const std::string& where) {
                auto it = m.find(std::string(findings_key));
                if (it == m.end()) return;
                for (const auto& name : it->second) {
                    if (!findings.count(name)) out.push_back({file, 0, 0, "rule '" + r.id + "': " + where + " names finding '" + name + "', which no loaded pack defines"});
                }
            };
            check(r.patterns, "patterns");
            for (const auto& g : r.requires_all) check(g, "requires");
        }
    }
    return out;
}

rule_pack_load_result load_rule_pack(std::string_view yaml_text, std::string_view file_name) {
    rule_pack_load_result result;
    const std::string file(file_name);
    try {
        pack_reader r(file, result.diagnostics);
        std::vector<YAML::Node> docs = YAML::LoadAll(std::string(yaml_text));
        if (docs.empty()) {
            result.diagnostics.push_back({file, 1, 1, "empty rule pack"});
            return result;
        }
        if (docs.size() > 1) r.error(docs[1].Mark(), "a rule pack file holds exactly one YAML document");
        rule_pack pack;
        read_pack(docs.front(), r, result.diagnostics, pack);
        if (result.diagnostics.empty()) result.pack = std::move(pack);
    } catch (const YAML::Exception& e) {
        // e.msg is yaml-cpp's message without the position prefix that what() adds.
        int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
        int column = e.mark.column >= 0 ? e.mark.column + 1 : 0;
        result.diagnostics.push_back({file, line, column, "invalid YAML: " + e.msg});
        result.pack.reset();
    } catch (const std::exception& e) {
        result.diagnostics.push_back({file, 0, 0, std::string("cannot load rule pack: ") + e.what()});
        result.pack.reset();
    } catch (...) {
        result.diagnostics.push_back({file, 0, 0, "cannot load rule pack"});
        result.pack.reset();
    }
    return result;
}

}  // namespace triage::rules

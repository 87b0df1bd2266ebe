#include "triage-rules/rule_pack.hpp"

#include "triage-rules/normalize.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
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
            auto n = normalize(item.Scalar());
            if (n.text.empty()) {
                error(item.Mark(), what + ": '" + item.Scalar() + "' has no letters or digits");
                continue;
            }
            if (std::find(out.begin(), out.end(), n.text) == out.end()) out.push_back(std::move(n.text));
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
        r.each(node, {"id", "category", "urgency", "escalate", "rationale", "guideline", "patterns", "advice"}, ctx,
               [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
                   if (key == "id") return read_id(rule, k, v);
                   if (key == "category") return assign(rule.category, r.text(k, v, ctx + ": category"));
                   if (key == "rationale") return assign(rule.rationale, r.text(k, v, ctx + ": rationale"));
                   if (key == "guideline") return assign(rule.guideline, r.text(k, v, ctx + ": guideline"));
                   if (key == "urgency") return read_urgency(rule, k, v, ctx);
                   if (key == "escalate") return read_escalate(rule, k, v, ctx);
                   if (key == "patterns") return read_patterns(rule, k, v, ctx);
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

    void read_escalate(red_flag_rule& rule, const YAML::Node& k, const YAML::Node& v, const std::string& ctx) {
        bool b = false;
        if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) {
            r.error(pack_reader::at(k, v), ctx + ": escalate must be true or false");
            return;
        }
        rule.escalate = b;
    }

    void read_patterns(red_flag_rule& rule, const YAML::Node& k, const YAML::Node& v, const std::string& ctx) {
        if (!r.is_map(k, v, ctx + ": patterns")) return;
        if (v.size() == 0) {
            r.error(pack_reader::at(k, v), ctx + ": patterns is empty");
            return;
        }
        r.each(v, {}, ctx + ": patterns", [&](const std::string& lang, const YAML::Node& lk, const YAML::Node& lv) {
            if (!r.language(lk, lang, ctx + ": patterns")) return;
            auto list = r.phrases(lk, lv, ctx + ": patterns." + lang);
            if (!list.empty()) rule.patterns[lang] = std::move(list);
        });
    }

    void read_advice(red_flag_rule& rule, const YAML::Node& k, const YAML::Node& v, const std::string& ctx) {
        if (!r.is_map(k, v, ctx + ": advice")) return;
        r.each(v, {}, ctx + ": advice", [&](const std::string& lang, const YAML::Node& lk, const YAML::Node& lv) {
            if (!r.language(lk, lang, ctx + ": advice")) return;
            assign(rule.advice[lang], r.text(lk, lv, ctx + ": advice." + lang));
        });
    }
};

void read_pack(const YAML::Node& root, pack_reader& r, std::vector<diagnostic>& out, rule_pack& pack) {
    if (!root.IsMap()) {
        r.error(root.Mark(), "a rule pack must be a mapping with pack, version and rules");
        return;
    }
    rule_reader rules{r, out, {}};
    r.require(root, {"pack", "version", "rules"}, "rule pack");
    r.each(root, {"pack", "version", "negation", "rules"}, "rule pack",
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
               } else if (r.is_sequence(k, v, "rules")) {
                   if (v.size() == 0) r.error(pack_reader::at(k, v), "rules is empty");
                   for (const auto& node : v) {
                       if (auto rule = rules.read(node)) pack.rules.push_back(std::move(*rule));
                   }
               }
           });
}

}  // namespace

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

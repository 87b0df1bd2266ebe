#include "triage-rules/rule_pack.hpp"

#include <yaml-cpp/yaml.h>

#include <set>

namespace triage::rules {

std::string to_string(const diagnostic& d) {
    return d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.message;
}

namespace {

struct reader {
    std::string file;
    std::vector<diagnostic> diags;
    void error(const YAML::Node& n, std::string msg) {
        diags.push_back({file, n.Mark().line + 1, n.Mark().column + 1, std::move(msg)});
    }
    void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed, const std::string& where) {
        for (const auto& kv : map) {
            std::string k = kv.first.Scalar();
            if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
                error(kv.first, where + ": unknown key '" + k + "'");
        }
    }
    std::string scalar(const YAML::Node& map, const char* key, const std::string& where, bool required = true) {
        YAML::Node n = map[key];
        if (!n) {
            if (required) error(map, where + ": missing '" + key + "'");
            return {};
        }
        if (!n.IsScalar()) {
            error(n, where + ": '" + key + "' must be a single value");
            return {};
        }
        return n.Scalar();
    }
    std::map<std::string, std::vector<std::string>> phrases(const YAML::Node& n, const std::string& where) {
        std::map<std::string, std::vector<std::string>> out;
        if (!n.IsMap()) { error(n, where + ": must map languages (en, es) to lists of phrases"); return out; }
        for (const auto& kv : n) {
            std::string lang = kv.first.Scalar();
            if (lang != "en" && lang != "es") { error(kv.first, where + ": unknown language '" + lang + "' (en, es)"); continue; }
            if (!kv.second.IsSequence()) { error(kv.second, where + "." + lang + ": must be a list"); continue; }
            for (const auto& p : kv.second) {
                if (!p.IsScalar() || p.Scalar().empty()) { error(p, where + "." + lang + ": empty phrase"); continue; }
                out[lang].push_back(p.Scalar());
            }
        }
        return out;
    }
};

}  // namespace

rule_pack_load_result load_rule_pack(std::string_view yaml_text, std::string_view file_name) {
    rule_pack_load_result result;
    reader r{std::string(file_name), {}};
    try {
        YAML::Node root = YAML::Load(std::string(yaml_text));
        if (!root.IsMap()) {
            r.diags.push_back({r.file, 1, 1, "a rule pack must be a mapping with pack, version and rules"});
            result.diagnostics = std::move(r.diags);
            return result;
        }
        r.check_keys(root, {"pack", "version", "negation", "rules"}, "pack");
        rule_pack pack;
        pack.name = r.scalar(root, "pack", "pack");
        pack.version = r.scalar(root, "version", "pack");
        if (root["negation"]) pack.negation = r.phrases(root["negation"], "negation");
        YAML::Node rules = root["rules"];
        if (!rules || !rules.IsSequence()) {
            r.error(rules ? rules : root, "pack: 'rules' must be a list");
        } else {
            std::set<std::string> ids;
            for (const auto& node : rules) {
                if (!node.IsMap()) { r.error(node, "rule: must be a mapping"); continue; }
                red_flag_rule rule;
                rule.id = r.scalar(node, "id", "rule");
                std::string where = "rule " + (rule.id.empty() ? std::string("?") : rule.id);
                r.check_keys(node, {"id", "category", "urgency", "escalate", "rationale", "guideline", "patterns", "advice"}, where);
                if (!rule.id.empty() && !ids.insert(rule.id).second) r.error(node["id"], where + ": duplicate id");
                rule.category = r.scalar(node, "category", where);
                std::string u = r.scalar(node, "urgency", where);
                if (auto level = urgency_from_string(u)) rule.level = *level;
                else if (!u.empty()) r.error(node["urgency"], where + ": urgency must be none, self_care, routine, urgent or emergency");
                std::string esc = r.scalar(node, "escalate", where, false);
                if (esc == "true") rule.escalate = true;
                else if (!esc.empty() && esc != "false") r.error(node["escalate"], where + ": escalate must be true or false");
                rule.rationale = r.scalar(node, "rationale", where);
                rule.guideline = r.scalar(node, "guideline", where);
                if (!node["patterns"]) r.error(node, where + ": missing 'patterns'");
                else rule.patterns = r.phrases(node["patterns"], where + ".patterns");
                if (node["patterns"] && rule.patterns.empty()) r.error(node["patterns"], where + ": no patterns");
                if (YAML::Node adv = node["advice"]) {
                    if (!adv.IsMap()) r.error(adv, where + ".advice: must map languages to text");
                    else for (const auto& kv : adv) rule.advice[kv.first.Scalar()] = kv.second.Scalar();
                }
                pack.rules.push_back(std::move(rule));
            }
        }
        if (r.diags.empty()) result.pack = std::move(pack);
    } catch (const YAML::Exception& e) {
        r.diags.push_back({r.file, e.mark.line + 1, e.mark.column + 1, e.msg});
    }
    result.diagnostics = std::move(r.diags);
    return result;
}

}  // namespace triage::rules

#pragma once
// Rule packs are YAML files written and reviewed by clinicians (format: docs/rules.md).
// Loading is control-plane work: it reports every problem with file:line:column and never throws.

#include "triage-rules/assessment.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triage::rules {

struct diagnostic {
    std::string file;
    int line = 0;    // 1-based; 0 when unknown
    int column = 0;  // 1-based; 0 when unknown
    std::string message;
};
std::string to_string(const diagnostic& d);  // "file:line:col: message"

struct red_flag_rule {
    std::string id;
    std::string category;
    urgency level = urgency::none;
    bool escalate = false;
    std::string rationale;
    std::string guideline;
    std::map<std::string, std::vector<std::string>> patterns;  // language -> phrases
    std::map<std::string, std::string> advice;                 // language -> patient advice
};

struct rule_pack {
    std::string name;
    std::string version;
    // Negation cues per language ("no", "sin"...); built-in defaults apply when a pack has none.
    std::map<std::string, std::vector<std::string>> negation;
    std::vector<red_flag_rule> rules;
};

struct rule_pack_load_result {
    std::optional<rule_pack> pack;         // empty when diagnostics hold an error
    std::vector<diagnostic> diagnostics;
};

rule_pack_load_result load_rule_pack(std::string_view yaml_text, std::string_view file_name);

}  // namespace triage::rules

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
    std::map<std::string, std::vector<std::string>> patterns;  // language -> phrases (normalised by the loader)
    std::map<std::string, std::string> advice;                 // language -> patient advice
};

// Languages a pack may use for patterns, advice and negation cues.
inline constexpr std::string_view pack_languages[] = {"en", "es"};

struct rule_pack {
    std::string name;     // letters, digits, '_', '-', '.' (it appears in engine::version())
    std::string version;  // anything but '@' and '+'
    // Negation cues per language ("no", "sin"...), normalised by the loader. A language no loaded
    // pack lists uses the built-in cues (negation.hpp); listing it replaces them.
    std::map<std::string, std::vector<std::string>> negation;
    std::vector<red_flag_rule> rules;
};

struct rule_pack_load_result {
    std::optional<rule_pack> pack;         // empty when diagnostics hold an error
    std::vector<diagnostic> diagnostics;
};

// Parses and validates one pack. `file_name` is only used in diagnostics. Every problem found is
// reported (not just the first); `pack` is set only when there is none. Never throws.
rule_pack_load_result load_rule_pack(std::string_view yaml_text, std::string_view file_name);

}  // namespace triage::rules

// Line and column numbers below are counted by hand in the YAML text of each test (1-based).
#include "triage-rules/rule_pack.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace triage::rules {
namespace {

std::vector<std::string> errors_of(std::string_view yaml) {
    auto r = load_rule_pack(yaml, "p.yaml");
    EXPECT_FALSE(r.pack.has_value());
    std::vector<std::string> out;
    for (const auto& d : r.diagnostics) out.push_back(to_string(d));
    return out;
}

// A valid rule whose line 6 (urgency) and line 9 (patterns) tests replace.
std::string pack_with(std::string_view urgency_line, std::string_view patterns_lines, std::string_view extra = "") {
    return "pack: test\n"                 // 1
           "version: \"1\"\n"             // 2
           "rules:\n"                     // 3
           "  - id: a\n"                  // 4
           "    category: c\n"            // 5
           + std::string(urgency_line) +  // 6
           "    rationale: r\n"           // 7
           "    patterns:\n"              // 8
           + std::string(patterns_lines)  // 9...
           + std::string(extra);
}

TEST(rule_pack, diagnostic_prints_as_file_line_column_message) {
    EXPECT_EQ(to_string(diagnostic{"f.yaml", 3, 7, "boom"}), "f.yaml:3:7: boom");
}

TEST(rule_pack, loads_a_valid_pack_and_normalises_phrases) {
    auto r = load_rule_pack(R"(pack: clinic-7
version: "2026.11.1"
negation:
  en: [nope, "Don't have"]
rules:
  - id: chest_pain
    category: cardiac
    urgency: emergency
    escalate: true
    rationale: "Chest pain."
    guideline: "AHA"
    patterns:
      en: ["Chest PAIN", "chest pain", "can't breathe"]
      es: ["Opresión en el pecho"]
    advice:
      en: "Call now."
      es: "Llame ya."
  - id: cold
    category: respiratory
    urgency: self_care
    rationale: r
    patterns: { en: [runny nose] }
)", "clinic.yaml");
    for (const auto& d : r.diagnostics) ADD_FAILURE() << to_string(d);
    ASSERT_TRUE(r.pack.has_value());
    const rule_pack& p = *r.pack;
    EXPECT_EQ(p.name, "clinic-7");
    EXPECT_EQ(p.version, "2026.11.1");
    EXPECT_EQ(p.negation.at("en"), (std::vector<std::string>{"nope", "dont have"}));
    ASSERT_EQ(p.rules.size(), 2u);
    const red_flag_rule& chest = p.rules[0];
    EXPECT_EQ(chest.id, "chest_pain");
    EXPECT_EQ(chest.category, "cardiac");
    EXPECT_EQ(chest.level, urgency::emergency);
    EXPECT_TRUE(chest.escalate);
    EXPECT_EQ(chest.rationale, "Chest pain.");
    EXPECT_EQ(chest.guideline, "AHA");
    // "Chest PAIN" and "chest pain" are one phrase once normalised; an English contraction is also
    // matched spelled out ("I cannot breathe"), Spanish phrases are left as written.
    EXPECT_EQ(chest.patterns.at("en"), (std::vector<std::string>{"chest pain", "cant breathe", "cannot breathe", "can not breathe"}));
    EXPECT_EQ(chest.patterns.at("es"), (std::vector<std::string>{"opresion en el pecho"}));
    EXPECT_EQ(chest.advice.at("es"), "Llame ya.");
    EXPECT_FALSE(p.rules[1].escalate);
    EXPECT_EQ(p.rules[1].level, urgency::self_care);
}

TEST(rule_pack, bad_urgency) {
    EXPECT_EQ(errors_of(pack_with("    urgency: panic\n", "      en: [x]\n")),
              (std::vector<std::string>{"p.yaml:6:14: rule 'a': unknown urgency 'panic' (expected none, self_care, "
                                        "routine, urgent or emergency)"}));
}

TEST(rule_pack, unknown_key) {
    EXPECT_EQ(errors_of(pack_with("    urgency: urgent\n", "      en: [x]\n", "    colour: red\n")),
              (std::vector<std::string>{"p.yaml:10:5: rule 'a': unknown key 'colour' (expected one of: id, category, "
                                        "urgency, escalate, asked_counts, names_medicines, rationale, guideline, patterns, requires, advice)"}));
    EXPECT_EQ(errors_of("pack: x\nversion: \"1\"\nrulez: []\n"),
              (std::vector<std::string>{"p.yaml:1:1: rule pack: needs rules, overrides or both",
                                        "p.yaml:3:1: rule pack: unknown key 'rulez' (expected one of: pack, version, "
                                        "negation, context, findings, rules, overrides)"}));
}

TEST(rule_pack, unknown_language_is_an_unknown_target) {
    EXPECT_EQ(errors_of(pack_with("    urgency: urgent\n", "      fr: [douleur]\n")),
              (std::vector<std::string>{"p.yaml:9:7: rule 'a': patterns: unknown language 'fr' (expected en or es)"}));
}

TEST(rule_pack, duplicate_rule_id) {
    EXPECT_EQ(errors_of("pack: x\n"
                        "version: \"1\"\n"
                        "rules:\n"
                        "  - { id: a, category: c, urgency: urgent, rationale: r, patterns: { en: [x] } }\n"
                        "  - { id: a, category: c, urgency: urgent, rationale: r, patterns: { en: [y] } }\n"),
              (std::vector<std::string>{"p.yaml:5:11: duplicate rule id 'a' (first defined on line 4)"}));
}

TEST(rule_pack, empty_patterns) {
    EXPECT_EQ(errors_of(pack_with("    urgency: urgent\n", "      en: []\n")),
              (std::vector<std::string>{"p.yaml:9:11: rule 'a': patterns.en is empty"}));
    EXPECT_EQ(errors_of(pack_with("    urgency: urgent\n", "      en: [\"ok\", \"!!!\"]\n")),
              (std::vector<std::string>{"p.yaml:9:18: rule 'a': patterns.en: '!!!': no letters or digits"}));
    // `patterns:` with nothing after it: reported at the key (line 8, column 5).
    EXPECT_EQ(errors_of(pack_with("    urgency: urgent\n", "")),
              (std::vector<std::string>{"p.yaml:8:5: rule 'a': patterns must be a mapping"}));
}

TEST(rule_pack, missing_required_key_and_bad_escalate) {
    EXPECT_EQ(errors_of("pack: x\n"
                        "version: \"1\"\n"
                        "rules:\n"
                        "  - id: a\n"
                        "    category: c\n"
                        "    escalate: maybe\n"
                        "    rationale: r\n"
                        "    patterns: { en: [x] }\n"),
              (std::vector<std::string>{"p.yaml:4:5: rule 'a': missing required key 'urgency'",
                                        "p.yaml:6:15: rule 'a': escalate must be true or false"}));
}

TEST(rule_pack, reports_every_problem_in_one_pass) {
    auto errors = errors_of("pack: x\n"
                            "version: \"1\"\n"
                            "rules:\n"
                            "  - { id: a, category: c, urgency: soon, rationale: r, patterns: { en: [x] } }\n"
                            "  - { id: b, category: c, urgency: urgent, rationale: r, patterns: { de: [x] } }\n"
                            "  - { id: c, category: c, urgency: urgent, rationale: r, patterns: { en: [x] },"
                            " typo: 1 }\n");
    EXPECT_EQ(errors.size(), 3u);
}

TEST(rule_pack, malformed_yaml_is_a_diagnostic_not_an_exception) {
    EXPECT_EQ(errors_of("pack: x\nversion: \"1\"\nrules: ]\n"),
              (std::vector<std::string>{"p.yaml:3:8: invalid YAML: illegal flow end"}));
    EXPECT_EQ(errors_of("pack: x\n\tversion: 1\n"),
              (std::vector<std::string>{"p.yaml:2:1: invalid YAML: illegal tab when looking for indentation"}));
    for (const char* hostile : {"", "# nothing\n", "- a\n- b\n", "{{{{", "pack: [unclosed\n", "\xFF\xFE\x00",
                                "&a [*a, *a]", "pack: x\n---\npack: y\n", "pack: !!binary AAAA\n"}) {
        rule_pack_load_result r;
        EXPECT_NO_THROW(r = load_rule_pack(hostile, "p.yaml")) << hostile;
        EXPECT_FALSE(r.pack.has_value()) << hostile;
        EXPECT_FALSE(r.diagnostics.empty()) << hostile;
    }
}

TEST(rule_pack, names_that_would_break_the_version_string_are_rejected) {
    EXPECT_EQ(errors_of("pack: a+b\nversion: \"1@2\"\nrules:\n"
                        "  - { id: a, category: c, urgency: urgent, rationale: r, patterns: { en: [x] } }\n"),
              (std::vector<std::string>{"p.yaml:1:7: pack 'a+b' may only use letters, digits, '_', '-' and '.'",
                                        "p.yaml:2:10: version '1@2' may only use letters, digits, '_', '-' and '.'"}));
}

}  // namespace
}  // namespace triage::rules

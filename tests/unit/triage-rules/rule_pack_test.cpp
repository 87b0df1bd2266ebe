#include "triage-rules/rule_pack.hpp"

#include <gtest/gtest.h>

using namespace triage::rules;

namespace {
std::string first_error(std::string_view yaml) {
    auto r = load_rule_pack(yaml, "p.yaml");
    EXPECT_FALSE(r.pack);
    return r.diagnostics.empty() ? "" : to_string(r.diagnostics[0]);
}
}  // namespace

TEST(rule_pack, errors_name_file_line_and_problem) {
    EXPECT_EQ(first_error("pack: x\nversion: \"1\"\nrules:\n  - id: a\n    category: c\n    urgency: panic\n"
                          "    rationale: r\n    guideline: g\n    patterns: { en: [x] }\n"),
              "p.yaml:6:14: rule a: urgency must be none, self_care, routine, urgent or emergency");
    EXPECT_EQ(first_error("pack: x\nversion: \"1\"\nrules:\n  - id: a\n    category: c\n    urgency: urgent\n"
                          "    rationale: r\n    guideline: g\n    patterns: { en: [x] }\n    colour: red\n"),
              "p.yaml:10:5: rule a: unknown key 'colour'");
    auto dup = first_error("pack: x\nversion: \"1\"\nrules:\n"
                           "  - { id: a, category: c, urgency: urgent, rationale: r, guideline: g, patterns: { en: [x] } }\n"
                           "  - { id: a, category: c, urgency: urgent, rationale: r, guideline: g, patterns: { en: [y] } }\n");
    EXPECT_EQ(dup, "p.yaml:5:11: rule a: duplicate id");
    EXPECT_EQ(first_error("pack: x\nversion: \"1\"\nrules:\n  - { id: a, category: c, urgency: urgent, rationale: r, "
                          "guideline: g, patterns: { fr: [x] } }\n").substr(0, 9), "p.yaml:4:");
    EXPECT_EQ(first_error("pack: [unclosed\n").substr(0, 7), "p.yaml:");
}

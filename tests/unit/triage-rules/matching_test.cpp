// Typos, run-together words, prefixes, proximity, co-occurrence and clinic overrides, on small
// hand-written packs.
#include "test_support.hpp"

#include "triage-rules/pattern.hpp"
#include "triage-rules/spelling.hpp"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

namespace triage::rules {
namespace {

using testing::covered;
using testing::pack_from;

const char* const flags_pack = R"(pack: flags
version: "1"
rules:
  - id: chest
    category: cardiac
    urgency: emergency
    escalate: true
    rationale: "Chest."
    patterns:
      en: ["chest pain", "heart attack", "chest + tight|pressure|squeez*"]
      es: ["dolor de pecho"]
  - id: breathing
    category: respiratory
    urgency: emergency
    escalate: true
    rationale: "Breathing."
    patterns: { en: ["cant breathe"] }
  - id: choking
    category: choking
    urgency: emergency
    escalate: true
    rationale: "Choking."
    patterns: { en: [choking, seizure] }
  - id: bleeding
    category: bleeding
    urgency: emergency
    escalate: true
    rationale: "Bleeding."
    patterns: { en: ["bleed* wont stop"] }
  - id: meningitis
    category: meningitis
    urgency: emergency
    escalate: true
    rationale: "Fever with a stiff neck."
    patterns: { en: ["stiff neck"] }
    requires:
      - { en: [fever, "high temperature"] }
  - id: neck
    category: msk
    urgency: self_care
    rationale: "Stiff neck."
    patterns: { en: ["stiff neck", "sore neck"] }
  - id: shallow_breathing
    category: respiratory
    urgency: emergency
    escalate: true
    rationale: "Shallow breathing."
    patterns: { en: ["breathing + shallow"] }
  - id: swallowing
    category: ent
    urgency: urgent
    rationale: "Swallowing."
    patterns: { en: ["cant swallow"] }
)";

const engine& flags() {
    static const engine e = [] {
        std::vector<rule_pack> packs;
        packs.push_back(pack_from(flags_pack));
        return engine(std::move(packs), {"cooking", "chest", "pain", "breath", "breathe", "seizures", "swallow", "shallow"});
    }();
    return e;
}

std::vector<std::string> modifiers_of(const assessment& a, std::string_view rule) {
    for (const auto& f : a.findings)
        if (f.rule_id == rule) return f.modifiers;
    return {"<not fired>"};
}

bool has(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(spelling, one_edit) {
    using detail::within_one_edit;
    EXPECT_TRUE(within_one_edit("pain", "pian"));      // swap
    EXPECT_TRUE(within_one_edit("breathe", "breath"));  // deletion
    EXPECT_TRUE(within_one_edit("chest", "chesst"));    // insertion
    EXPECT_TRUE(within_one_edit("chest", "chast"));     // substitution
    EXPECT_FALSE(within_one_edit("chest", "chase"));
    EXPECT_FALSE(within_one_edit("pain", "pn"));
}

TEST(spelling, index_finds_neighbours_with_the_same_first_letter) {
    detail::word_table table;
    detail::spelling_index idx(table);
    for (auto w : {"breathe", "pecho", "pain"}) idx.add(w);
    auto near = [&](std::string_view w) {
        std::vector<std::uint32_t> out;
        idx.near(w, out);
        std::vector<std::string> words;
        for (auto id : out) table.each([&](std::string_view s, std::uint32_t i) { if (i == id) words.emplace_back(s); });
        return words;
    };
    EXPECT_EQ(near("brethe"), std::vector<std::string>{"breathe"});
    EXPECT_EQ(near("pian"), std::vector<std::string>{"pain"});
    EXPECT_TRUE(near("hecho").empty());   // "de hecho" (in fact) is not "de pecho"
    EXPECT_TRUE(near("pai").empty());     // too short to guess
    EXPECT_TRUE(near("breathe").empty()); // itself is not a typo
}

TEST(typos, phrases_tolerate_one_typo) {
    auto a = flags().assess("chest pian");
    EXPECT_EQ(a.level, urgency::emergency);
    EXPECT_TRUE(has(modifiers_of(a, "chest"), "typo"));
    EXPECT_EQ(flags().assess("cant breath").level, urgency::emergency);  // "breath" is a real word, but the phrase vouches
    EXPECT_EQ(flags().assess("dolor de pexho").level, urgency::emergency);
    EXPECT_EQ(flags().assess("chset pian").level, urgency::none);        // two typos
    EXPECT_EQ(flags().assess("tengo un dolor de hecho").level, urgency::none);
}

TEST(typos, single_words_only_when_long_and_not_a_real_word) {
    EXPECT_EQ(flags().assess("my son is chocking").level, urgency::emergency);
    EXPECT_EQ(flags().assess("he had a siezure").level, urgency::emergency);
    // "cooking" and "seizures" are in the dictionary given to the engine.
    EXPECT_EQ(flags().assess("I was cooking dinner").level, urgency::none);
    EXPECT_EQ(flags().assess("he had seizures").level, urgency::emergency);  // a plural is not a typo
}

TEST(typos, a_pattern_word_is_not_a_slip_for_another) {
    // "swallow" is a word of the packs and of the dictionary, one letter from "shallow".
    EXPECT_EQ(flags().assess("can swallow fine and breathing normal").level, urgency::none);
    EXPECT_EQ(flags().assess("his breathing is shalow").level, urgency::emergency);
    EXPECT_EQ(flags().assess("his breathing is shallow").level, urgency::emergency);
}

TEST(typos, run_together_words) {
    auto a = flags().assess("i think its a heartattack");
    EXPECT_EQ(a.level, urgency::emergency);
    EXPECT_TRUE(has(modifiers_of(a, "chest"), "run_together"));
    EXPECT_EQ(flags().assess("cantbreathe").level, urgency::emergency);
    EXPECT_EQ(flags().assess("heartatack").level, urgency::emergency);  // run together and a typo
}

TEST(patterns, prefix_words) {
    EXPECT_EQ(flags().assess("the bleeding wont stop").level, urgency::emergency);
    EXPECT_EQ(flags().assess("it bleeds and wont stop").level, urgency::none);
}

TEST(patterns, proximity_any_order_within_the_window_same_sentence) {
    const std::string m = "my chest feels really tight";
    auto a = flags().assess(m);
    EXPECT_EQ(a.level, urgency::emergency);
    ASSERT_EQ(a.findings.size(), 1u);
    EXPECT_EQ(covered(m, a.findings[0].span), "chest feels really tight");
    EXPECT_EQ(flags().assess("squeezing feeling in my chest").level, urgency::emergency);
    EXPECT_EQ(flags().assess("tight band round my chest").level, urgency::emergency);
    EXPECT_EQ(flags().assess("my chest is fine. the lid is tight").level, urgency::none);
    EXPECT_EQ(flags().assess("chest and then one two three four five six seven tight").level, urgency::none);
    EXPECT_EQ(flags().assess("no pressure in my chest").level, urgency::none);
}

TEST(patterns, syntax_errors_are_reported) {
    EXPECT_NE(parse_pattern("chest + ").error, "");
    EXPECT_NE(parse_pattern("a + b + c + d").error, "");
    EXPECT_NE(parse_pattern("ble*").error, "");     // prefix too short
    EXPECT_NE(parse_pattern("chest|pain").error, "");
    EXPECT_EQ(parse_pattern("Chést + Tight|Pressure").canonical, "chest + tight|pressure");
    EXPECT_EQ(parse_pattern("Bleed* wont stop").canonical, "bleed* wont stop");
    auto r = load_rule_pack("pack: x\nversion: \"1\"\nrules:\n  - {id: a, category: c, urgency: urgent, "
                            "rationale: r, patterns: {en: [\"ab*\"]}}\n",
                            "p.yaml");
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_EQ(to_string(r.diagnostics[0]), "p.yaml:4:73: rule 'a': patterns.en: 'ab*': a prefix before '*' needs at least 4 letters");
}

TEST(co_occurrence, every_required_concept_must_be_present_and_current) {
    EXPECT_EQ(flags().assess("stiff neck").level, urgency::self_care);
    auto a = flags().assess("fever and a stiff neck");
    EXPECT_EQ(a.level, urgency::emergency);
    EXPECT_TRUE(a.escalate);
    EXPECT_EQ(flags().assess("stiff neck and a high temperature since last night").level, urgency::emergency);
    EXPECT_EQ(flags().assess("stiff neck, no fever").level, urgency::self_care);
}

TEST(overrides, a_clinic_can_switch_off_a_rule_only_explicitly_and_it_is_visible) {
    std::vector<rule_pack> packs;
    packs.push_back(pack_from(flags_pack));
    packs.push_back(pack_from(R"(pack: clinic
version: "7"
overrides:
  - rule: choking
    action: disable
    reason: "Our speech and swallowing clinic's patients describe choking every day."
    approved_by: "Dr A. Example, medical director"
)"));
    EXPECT_TRUE(check_pack_set(packs, {"flags.yaml", "clinic.yaml"}).empty());
    const engine e(std::move(packs));
    auto a = e.assess("choking");
    EXPECT_EQ(a.level, urgency::none);
    ASSERT_EQ(a.suppressed.size(), 1u);
    EXPECT_TRUE(has(a.suppressed[0].modifiers, "disabled_by_clinic"));
    ASSERT_EQ(e.overrides().size(), 1u);
    EXPECT_EQ(e.overrides()[0].pack, "clinic@7");
    EXPECT_EQ(e.overrides()[0].what.rule_id, "choking");
    EXPECT_EQ(e.assess("chest pain").level, urgency::emergency);  // the rest stays on
}

TEST(overrides, unknown_rule_or_missing_reason_is_an_error) {
    std::vector<rule_pack> packs;
    packs.push_back(pack_from(flags_pack));
    packs.push_back(pack_from("pack: clinic\nversion: \"1\"\noverrides:\n  - {rule: nosuch, action: disable, "
                              "reason: r, approved_by: me}\n"));
    auto problems = check_pack_set(packs, {"flags.yaml", "clinic.yaml"});
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(to_string(problems[0]), "clinic.yaml:0:0: override: rule 'nosuch' is not defined by an earlier pack");
    auto r = load_rule_pack("pack: c\nversion: \"1\"\noverrides:\n  - {rule: chest, action: disable}\n", "c.yaml");
    EXPECT_FALSE(r.pack);
    auto s = load_rule_pack("pack: c\nversion: \"1\"\noverrides:\n  - {rule: chest, action: lower, reason: r, approved_by: m}\n",
                            "c.yaml");
    ASSERT_FALSE(s.pack);
    EXPECT_NE(to_string(s.diagnostics[0]).find("unknown action 'lower'"), std::string::npos);
}

TEST(limits, a_huge_message_goes_to_a_human) {
    std::string huge(2u << 20, 'a');
    auto a = flags().assess(huge);
    EXPECT_TRUE(a.evaluation_failed);
    EXPECT_TRUE(a.escalate);
}

TEST(limits, a_red_flag_at_the_end_of_a_long_message_is_found) {
    std::string text;
    for (int i = 0; i < 2000; ++i) text += "blah blah, nothing to see. ";
    text += "chest pian";
    auto a = flags().assess(text);
    EXPECT_EQ(a.level, urgency::emergency);
    ASSERT_EQ(a.findings.size(), 1u);
    EXPECT_EQ(covered(text, a.findings[0].span), "chest pian");
}

}  // namespace
}  // namespace triage::rules

// The findings layer: findings named once, used by rules, reported on their own; a clinical
// message is never "none".
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace triage::rules {
namespace {

using testing::covered;
using testing::pack_from;

const char* const findings_pack = R"(pack: f
version: "1"
findings:
  - id: pallor
    kind: sign
    label: "pale"
    patterns: { en: ["went grey"], es: ["se puso gris"] }
  - id: sweating
    kind: sign
    patterns: { en: [clammy] }
  - id: tick
    kind: exposure
    patterns: { en: ["tick bite"] }
  - id: fever
    kind: symptom
    patterns: { en: [fever] }
  - id: warfarin
    kind: person
    patterns: { en: [warfarin] }
context:
  historical:
    en: ["<> last week"]
rules:
  - id: shock
    category: cardiac
    urgency: emergency
    escalate: true
    rationale: "Grey and clammy."
    patterns: { findings: [pallor] }
    requires:
      - { findings: [sweating] }
  - id: tick_fever
    category: skin
    urgency: urgent
    rationale: "Fever after a tick bite."
    patterns: { findings: [fever] }
    requires:
      - { findings: [tick] }
)";

engine findings_engine() {
    std::vector<rule_pack> packs;
    packs.push_back(pack_from(findings_pack));
    return engine(std::move(packs));
}

TEST(findings, combine_into_a_rule_in_either_language_and_are_reported_with_spans) {
    const auto e = findings_engine();
    const std::string message = "he went grey and is clammy";
    const auto a = e.assess(message);
    EXPECT_EQ(a.level, urgency::emergency);
    EXPECT_TRUE(a.escalate);
    ASSERT_EQ(a.findings.size(), 1u);
    EXPECT_EQ(a.findings[0].rule_id, "shock");
    ASSERT_EQ(a.clinical_findings.size(), 2u);
    EXPECT_EQ(a.clinical_findings[0].rule_id, "pallor");
    EXPECT_EQ(a.clinical_findings[0].category, "sign");
    EXPECT_EQ(covered(message, a.clinical_findings[0].span), "went grey");
    EXPECT_EQ(a.clinical_findings[1].rule_id, "sweating");
    EXPECT_EQ(e.assess("se puso gris, clammy").level, urgency::emergency);
}

TEST(findings, one_finding_alone_is_not_the_rule_but_makes_the_message_clinical) {
    const auto e = findings_engine();
    const auto a = e.assess("he went grey");
    EXPECT_TRUE(a.findings.empty());
    EXPECT_EQ(a.level, urgency::self_care);
    EXPECT_FALSE(a.escalate);
    // A person on its own is not clinical content.
    EXPECT_EQ(e.assess("I take warfarin, can I book?").level, urgency::none);
    EXPECT_EQ(e.assess("can I book a visit").level, urgency::none);
}

TEST(findings, negated_findings_neither_fire_nor_count) {
    const auto e = findings_engine();
    const auto a = e.assess("went grey for a second but not clammy");
    EXPECT_TRUE(a.findings.empty());
    ASSERT_EQ(a.clinical_findings.size(), 1u);
    EXPECT_EQ(a.clinical_findings[0].rule_id, "pallor");
}

TEST(findings, an_exposure_counts_however_long_ago_but_a_symptom_must_be_current) {
    const auto e = findings_engine();
    EXPECT_EQ(e.assess("tick bite last week. now I have a fever").level, urgency::urgent);
    EXPECT_NE(e.assess("tick bite and a fever last week").level, urgency::urgent);
}

TEST(findings, listings_show_rules_as_written_not_findings) {
    const auto e = findings_engine();
    ASSERT_EQ(e.rules().size(), 2u);
    EXPECT_EQ(e.rules()[0].id, "shock");
}

TEST(findings, loader_reports_bad_findings_and_unknown_references) {
    auto bad = load_rule_pack(R"(pack: f
version: "1"
findings:
  - id: pallor
    kind: colour
    patterns: { en: [grey] }
  - id: pallor
    kind: sign
    patterns: { en: [pale] }
  - id: nested
    kind: sign
    patterns: { findings: [pallor] }
rules:
  - id: r
    category: c
    urgency: urgent
    rationale: "x"
    patterns: { findings: ["not a name!"] }
)", "f.yaml");
    EXPECT_FALSE(bad.pack);
    std::string all;
    for (const auto& d : bad.diagnostics) all += to_string(d) + "\n";
    EXPECT_NE(all.find("f.yaml:5:11: finding 'pallor': unknown kind 'colour'"), std::string::npos) << all;
    EXPECT_NE(all.find("f.yaml:7:9: duplicate finding id 'pallor' (first defined on line 4)"), std::string::npos) << all;
    EXPECT_NE(all.find("a finding cannot be made of other findings"), std::string::npos) << all;
    EXPECT_NE(all.find("each entry must be the id of a finding"), std::string::npos) << all;

    std::vector<rule_pack> packs;
    packs.push_back(pack_from(R"(pack: g
version: "1"
rules:
  - id: r
    category: c
    urgency: urgent
    rationale: "x"
    patterns: { findings: [nowhere] }
)"));
    const auto problems = check_pack_set(packs, {"g.yaml"});
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(to_string(problems[0]), "g.yaml:0:0: rule 'r': patterns names finding 'nowhere', which no loaded pack defines");
}

TEST(findings, core_pack_reads_lay_pictures_from_the_issue) {
    const auto& e = testing::core_engine();
    // Written for the issue as examples of what the rules missed (not from any test set).
    for (const char* message : {"he went grey and clammy and keeps rubbing his chest", "her lips look kind of blue",
                                "my leg went cold and white", "I'd be better off not waking up",
                                "been hurting myself again", "swallowed half a bottle of her pills",
                                "my toddler chewed a laundry pod", "drank a lot and took some sleeping pills",
                                "diabetic, throwing up since last night and his breath smells like nail polish",
                                "gave birth 10 days ago, soaking a pad an hour and feverish",
                                "sudden pain in my side, vomiting and I can't sit still",
                                "my calf is swollen and sore since my hospital stay",
                                "se puso gris y con sudor frio, se agarra el pecho"}) {
        const auto a = e.assess(message);
        EXPECT_EQ(a.level, urgency::emergency) << message;
        EXPECT_TRUE(a.escalate) << message;
    }
}

}  // namespace
}  // namespace triage::rules

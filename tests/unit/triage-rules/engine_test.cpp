// Matching, pack merging and failure behaviour on small hand-written packs.
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace triage::rules {
namespace {

using testing::covered;
using testing::pack_from;

const char* const body_pack = R"(pack: body
version: "1"
rules:
  - id: arm
    category: test
    urgency: urgent
    rationale: "Arm."
    guideline: "G-arm"
    patterns: { en: [arm] }
  - id: stroke
    category: test
    urgency: emergency
    escalate: true
    rationale: "Stroke."
    patterns: { en: [stroke], es: [ictus] }
    advice: { en: "Call 911.", es: "Llame al 911." }
  - id: chest
    category: test
    urgency: emergency
    escalate: true
    rationale: "Chest."
    patterns: { en: ["chest pain"], es: ["dolor de pecho"] }
    advice: { en: "Call 911.", es: "Llame al 911." }
  - id: cold
    category: test
    urgency: self_care
    rationale: "Cold."
    patterns: { en: ["runny nose"] }
)";

engine body_engine() {
    std::vector<rule_pack> packs;
    packs.push_back(pack_from(body_pack));
    return engine(std::move(packs));
}

std::vector<std::string> fired_ids(const assessment& a) {
    std::vector<std::string> ids;
    for (const auto& f : a.findings) ids.push_back(f.rule_id);
    return ids;
}

TEST(matching, whole_words_only) {
    const engine e = body_engine();
    EXPECT_EQ(e.assess("it did no harm").findings.size(), 0u);
    EXPECT_EQ(e.assess("the alarm went off").findings.size(), 0u);
    EXPECT_EQ(e.assess("an armchair").findings.size(), 0u);
    EXPECT_EQ(e.assess("a farmer").findings.size(), 0u);
    EXPECT_EQ(fired_ids(e.assess("my arm hurts")), std::vector<std::string>{"arm"});
    EXPECT_EQ(fired_ids(e.assess("ARM!")), std::vector<std::string>{"arm"});
    EXPECT_EQ(e.assess("strokes of a brush").level, urgency::emergency);  // plural "s" is allowed
    EXPECT_EQ(e.assess("brushstroke").level, urgency::none);
    EXPECT_EQ(e.assess("chest painful").level, urgency::none);
    EXPECT_EQ(e.assess("chest pains").level, urgency::emergency);
    EXPECT_EQ(e.assess("arms").level, urgency::urgent);
}

TEST(matching, phrases_do_not_cross_sentence_punctuation) {
    const engine e = body_engine();
    EXPECT_EQ(e.assess("I hurt my chest. Pain in my leg too").level, urgency::none);
    EXPECT_EQ(e.assess("chest\npain").level, urgency::none);
    EXPECT_EQ(e.assess("chest, pain").level, urgency::emergency);  // a comma is not a sentence end
    EXPECT_EQ(e.assess("chest \u200B pain").level, urgency::emergency);
}

TEST(matching, every_language_is_tried_on_every_message) {
    const engine e = body_engine();
    EXPECT_EQ(fired_ids(e.assess("hola, tengo dolor de pecho and a runny nose")),
              (std::vector<std::string>{"chest", "cold"}));
}

TEST(assessment, level_escalation_order_spans_rationale_and_advice) {
    const engine e = body_engine();
    const std::string msg = "Runny nose, my ARM hurts, and CHEST PAIN. Also ictus? Chest pain again.";
    const assessment a = e.assess(msg);
    EXPECT_EQ(a.level, urgency::emergency);
    EXPECT_TRUE(a.escalate);
    EXPECT_FALSE(a.evaluation_failed);
    ASSERT_EQ(fired_ids(a), (std::vector<std::string>{"cold", "arm", "chest", "stroke"}));
    EXPECT_EQ(covered(msg, a.findings[0].span), "Runny nose");
    EXPECT_EQ(a.findings[0].span, (text_span{0, 10}));
    EXPECT_EQ(covered(msg, a.findings[1].span), "ARM");
    EXPECT_EQ(a.findings[1].span, (text_span{15, 18}));
    EXPECT_EQ(covered(msg, a.findings[2].span), "CHEST PAIN");
    EXPECT_EQ(covered(msg, a.findings[3].span), "ictus");
    EXPECT_EQ(a.findings[2].level, urgency::emergency);
    EXPECT_TRUE(a.findings[2].escalate);
    EXPECT_EQ(a.findings[2].category, "test");
    EXPECT_TRUE(a.findings[2].modifiers.empty());
    EXPECT_EQ(a.rationale, "Cold. Arm. (G-arm) Chest. Stroke.");
    EXPECT_EQ(a.advice_en, std::vector<std::string>{"Call 911."});  // two rules, one line
    EXPECT_EQ(a.advice_es, std::vector<std::string>{"Llame al 911."});
    EXPECT_EQ(a.pack_version, "body@1");
    EXPECT_TRUE(a.suppressed.empty());
}

TEST(assessment, nothing_clinical_is_none) {
    const assessment a = body_engine().assess("Can I book an appointment for Tuesday?");
    EXPECT_EQ(a.level, urgency::none);
    EXPECT_FALSE(a.escalate);
    EXPECT_TRUE(a.findings.empty());
    EXPECT_TRUE(a.rationale.empty());
    EXPECT_EQ(body_engine().assess("").level, urgency::none);
}

TEST(assessment, spans_cover_invisible_and_wide_characters_in_the_original) {
    const engine e = body_engine();
    const std::string msg = "I have ｃｈｅｓｔ pa\u00ADin!";
    const assessment a = e.assess(msg);
    ASSERT_EQ(a.findings.size(), 1u);
    // "I have " is 7 bytes, five 3-byte full-width letters, " pa", a 2-byte soft hyphen, "in".
    EXPECT_EQ(a.findings[0].span, (text_span{7, 7 + 15 + 3 + 2 + 2}));
    EXPECT_EQ(covered(msg, a.findings[0].span), "ｃｈｅｓｔ pa\u00ADin");
}

TEST(packs, version_joins_every_pack) {
    std::vector<rule_pack> packs;
    packs.push_back(pack_from(body_pack));
    packs.push_back(pack_from(R"(pack: clinic
version: "7"
rules: [{ id: x, category: c, urgency: routine, rationale: r, patterns: { en: [xylophone] } }]
)"));
    const engine e(std::move(packs));
    EXPECT_EQ(e.version(), "body@1+clinic@7");
    EXPECT_EQ(e.assess("xylophone").pack_version, "body@1+clinic@7");
    EXPECT_EQ(e.assess("xylophone").level, urgency::routine);
}

TEST(packs, a_later_pack_can_raise_a_rule_but_never_lower_it) {
    const char* lower = R"(pack: clinic
version: "1"
rules:
  - { id: arm, category: c, urgency: self_care, rationale: "lower", patterns: { en: [elbow] } }
  - { id: chest, category: c, urgency: routine, escalate: false, rationale: "lower", patterns: { en: [ribs] } }
)";
    const char* higher = R"(pack: clinic
version: "2"
rules:
  - { id: cold, category: c, urgency: urgent, escalate: true, rationale: "Raised.", patterns: { en: [sniffles] } }
)";
    std::vector<rule_pack> packs;
    packs.push_back(pack_from(body_pack));
    packs.push_back(pack_from(lower));
    packs.push_back(pack_from(higher));
    const engine e(std::move(packs));
    // Lowering is ignored, but the clinic's extra phrases still count at the original level.
    EXPECT_EQ(e.assess("my arm").level, urgency::urgent);
    EXPECT_EQ(e.assess("my elbow").level, urgency::urgent);
    const assessment ribs = e.assess("my ribs");
    EXPECT_EQ(ribs.level, urgency::emergency);
    EXPECT_TRUE(ribs.escalate);
    EXPECT_EQ(ribs.rationale, "Chest.");
    // Raising takes effect, for the original phrases too.
    const assessment nose = e.assess("runny nose");
    EXPECT_EQ(nose.level, urgency::urgent);
    EXPECT_TRUE(nose.escalate);
    EXPECT_EQ(nose.rationale, "Raised.");
}

TEST(packs, rules_built_in_code_are_normalised_too) {
    red_flag_rule r;
    r.id = "x";
    r.category = "c";
    r.level = urgency::urgent;
    r.rationale = "r";
    r.patterns["es"] = {"Opresión en el PECHO"};
    std::vector<rule_pack> packs{rule_pack{"code", "1", {}, {r}}};
    const engine e(std::move(packs));
    EXPECT_EQ(e.assess("opresion en el pecho").level, urgency::urgent);
}

TEST(failure, no_rules_fails_towards_a_human) {
    const engine e(std::vector<rule_pack>{});
    const assessment a = e.assess("chest pain");
    EXPECT_TRUE(a.evaluation_failed);
    EXPECT_TRUE(a.escalate);
    EXPECT_EQ(a.level, urgency::urgent);
}

TEST(failure, a_moved_from_engine_fails_towards_a_human) {
    engine a = body_engine();
    engine b = std::move(a);
    EXPECT_EQ(b.assess("chest pain").level, urgency::emergency);
    const assessment r = a.assess("chest pain");  // NOLINT(bugprone-use-after-move): on purpose
    EXPECT_TRUE(r.evaluation_failed);
    EXPECT_TRUE(r.escalate);
    EXPECT_EQ(r.level, urgency::urgent);
    EXPECT_EQ(r.rationale, "rule evaluation failed");
    EXPECT_EQ(a.version(), "");
}

TEST(urgency_names, round_trip) {
    EXPECT_EQ(to_string(urgency::none), "none");
    EXPECT_EQ(to_string(urgency::self_care), "self_care");
    EXPECT_EQ(to_string(urgency::routine), "routine");
    EXPECT_EQ(to_string(urgency::urgent), "urgent");
    EXPECT_EQ(to_string(urgency::emergency), "emergency");
    EXPECT_EQ(urgency_from_string("emergency"), urgency::emergency);
    EXPECT_EQ(urgency_from_string("self_care"), urgency::self_care);
    EXPECT_EQ(urgency_from_string("Emergency"), std::nullopt);
    EXPECT_EQ(urgency_from_string(""), std::nullopt);
}

}  // namespace
}  // namespace triage::rules

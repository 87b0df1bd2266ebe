// Negation and its scope. Expected urgencies are written by hand from reading each sentence.
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace triage::rules {
namespace {

using testing::core_engine;
using testing::covered;
using testing::pack_from;

std::vector<std::string> ids(const std::vector<finding>& fs) {
    std::vector<std::string> out;
    for (const auto& f : fs) out.push_back(f.rule_id);
    return out;
}

TEST(negation, simple_negation_is_suppressed_not_dropped) {
    const std::string msg = "no chest pain";
    const assessment a = core_engine().assess(msg);
    EXPECT_EQ(a.level, urgency::none);
    EXPECT_FALSE(a.escalate);
    EXPECT_TRUE(a.findings.empty());
    ASSERT_EQ(a.suppressed.size(), 1u);
    EXPECT_EQ(a.suppressed[0].rule_id, "chest_pain");
    EXPECT_EQ(a.suppressed[0].modifiers, std::vector<std::string>{"negated"});
    EXPECT_EQ(covered(msg, a.suppressed[0].span), "chest pain");
    EXPECT_EQ(a.suppressed[0].level, urgency::emergency);
}

TEST(negation, scope_ends_at_a_conjunction) {
    const assessment a = core_engine().assess("no fever but crushing chest pain");
    EXPECT_EQ(a.level, urgency::emergency);
    EXPECT_TRUE(a.escalate);
    EXPECT_EQ(ids(a.findings), std::vector<std::string>{"chest_pain"});
    EXPECT_EQ(ids(a.suppressed), std::vector<std::string>{"fever"});
    EXPECT_EQ(covered("no fever but crushing chest pain", a.findings[0].span), "crushing chest pain");

    EXPECT_EQ(core_engine().assess("no tengo fiebre pero tengo dolor de pecho").level, urgency::emergency);
    EXPECT_EQ(core_engine().assess("no fiebre, aunque me duele el pecho").level, urgency::emergency);
    EXPECT_EQ(core_engine().assess("I have no fever and chest pain").level, urgency::emergency);
    EXPECT_EQ(core_engine().assess("sin embargo tengo dolor de pecho").level, urgency::emergency);
}

TEST(negation, scope_ends_at_sentence_punctuation_in_the_original_text) {
    const assessment a = core_engine().assess("I don't have chest pain. But I can't breathe");
    EXPECT_EQ(a.level, urgency::emergency);
    EXPECT_EQ(ids(a.findings), std::vector<std::string>{"breathing_difficulty"});
    EXPECT_EQ(ids(a.suppressed), std::vector<std::string>{"chest_pain"});
    EXPECT_EQ(core_engine().assess("No fever, crushing chest pain").level, urgency::emergency);
    EXPECT_EQ(core_engine().assess("no fever!\nchest pain").level, urgency::emergency);
    EXPECT_EQ(core_engine().assess("¿fiebre? no. ¡Dolor de pecho!").level, urgency::emergency);
}

TEST(negation, spanish) {
    EXPECT_EQ(core_engine().assess("sin dolor de pecho").level, urgency::none);
    EXPECT_EQ(ids(core_engine().assess("sin dolor de pecho").suppressed), std::vector<std::string>{"chest_pain"});
    EXPECT_EQ(core_engine().assess("no tengo dolor de pecho").level, urgency::none);
    EXPECT_EQ(core_engine().assess("No me duele el pecho").level, urgency::none);
    EXPECT_EQ(core_engine().assess("no tengo fiebre ni dolor de pecho").level, urgency::none);
    EXPECT_EQ(core_engine().assess("niega dolor toracico").level, urgency::none);
}

TEST(negation, english_cues) {
    EXPECT_EQ(core_engine().assess("I do not have any chest pain").level, urgency::none);
    EXPECT_EQ(core_engine().assess("denies chest pain").level, urgency::none);
    EXPECT_EQ(core_engine().assess("no history of any chest pain").level, urgency::none);
    EXPECT_EQ(core_engine().assess("no cough no fever no chest pain").level, urgency::none);
    EXPECT_EQ(core_engine().assess("He doesn't have a seizure disorder").level, urgency::none);
}

TEST(negation, a_phrase_inside_a_cue_is_negated_by_it) {
    // "didnt lose consciousness" is itself a cue; "lose consciousness" inside it must not fire.
    EXPECT_NE(core_engine().assess("he bumped his head but didnt lose consciousness").level, urgency::emergency);
    EXPECT_EQ(core_engine().assess("he bumped his head and lost consciousness").level, urgency::emergency);
}

TEST(negation, no_se_is_i_dont_know_only_before_what_is_not_known) {
    EXPECT_NE(core_engine().assess("mi hijo se trago un chicle, no se atraganto, respira bien").level,
              urgency::emergency);
    EXPECT_EQ(core_engine().assess("no se que le pasa, se atraganto con una uva y no respira").level,
              urgency::emergency);
}

TEST(negation, phrases_that_only_look_negated_still_fire) {
    // The pattern holds its own negation.
    EXPECT_EQ(core_engine().assess("no, I can't breathe").level, urgency::emergency);
    EXPECT_EQ(core_engine().assess("no no puedo respirar").level, urgency::emergency);
    // Pseudo-negations.
    EXPECT_EQ(core_engine().assess("I'm not sure if this is chest pain").level, urgency::emergency);
    EXPECT_EQ(core_engine().assess("no aguanto el dolor de pecho").level, urgency::emergency);
    EXPECT_EQ(core_engine().assess("no se me quita el dolor de pecho").level, urgency::emergency);
    // Double negative.
    EXPECT_EQ(core_engine().assess("I can't walk without chest pain").level, urgency::emergency);
    EXPECT_EQ(core_engine().assess("no puedo caminar sin dolor de pecho").level, urgency::emergency);
    // "never" is not a cue: this is how a new, severe symptom is described.
    EXPECT_EQ(core_engine().assess("I've never had chest pain like this").level, urgency::emergency);
    // The patient moves on to what they do have.
    EXPECT_EQ(core_engine().assess("I'm not feeling well I have chest pain").level, urgency::emergency);
}

TEST(negation, a_rule_negated_once_and_fired_later_is_a_finding_only) {
    const assessment a = core_engine().assess("no chest pain yesterday. Today chest pain again");
    EXPECT_EQ(a.level, urgency::emergency);
    EXPECT_EQ(ids(a.findings), std::vector<std::string>{"chest_pain"});
    EXPECT_TRUE(a.suppressed.empty());
    EXPECT_EQ(a.findings[0].span, (text_span{31, 41}));
}

TEST(negation, window_is_five_words) {
    std::vector<rule_pack> packs;
    packs.push_back(pack_from(R"(pack: w
version: "1"
rules: [{ id: x, category: c, urgency: urgent, rationale: r, patterns: { en: ["red flag"] } }]
)"));
    const engine e(std::move(packs));
    EXPECT_EQ(e.assess("no red flag").level, urgency::none);
    EXPECT_EQ(e.assess("no one two three four red flag").level, urgency::none);      // cue 5th word back
    EXPECT_EQ(e.assess("no one two three four five red flag").level, urgency::urgent);  // 6th word back
}

TEST(negation, a_pack_may_replace_the_cues_of_a_language) {
    std::vector<rule_pack> packs;
    packs.push_back(pack_from(R"(pack: w
version: "1"
negation: { en: [nope], es: [nada] }
rules: [{ id: x, category: c, urgency: urgent, rationale: r, patterns: { en: ["red flag"] } }]
)"));
    const engine e(std::move(packs));
    EXPECT_EQ(e.assess("nope red flag").level, urgency::none);
    EXPECT_EQ(e.assess("no red flag").level, urgency::urgent);
}

TEST(negation, built_in_cues_apply_when_no_pack_lists_a_language) {
    std::vector<rule_pack> packs;
    packs.push_back(pack_from(R"(pack: w
version: "1"
negation: { en: [nope] }
rules: [{ id: x, category: c, urgency: urgent, rationale: r, patterns: { es: ["dolor de pecho"] } }]
)"));
    const engine e(std::move(packs));
    EXPECT_EQ(e.assess("sin dolor de pecho").level, urgency::none);  // Spanish defaults still apply
    EXPECT_EQ(e.assess("nope dolor de pecho").level, urgency::none);
    EXPECT_EQ(e.assess("denies dolor de pecho").level, urgency::urgent);  // English defaults replaced
}

}  // namespace
}  // namespace triage::rules

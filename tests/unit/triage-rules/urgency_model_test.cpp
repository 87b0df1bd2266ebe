// The urgency model's thresholds and the rule that it may only raise.
#include "triage-rules/urgency_model.hpp"

#include <gtest/gtest.h>

namespace triage::rules {
namespace {

TEST(urgency_model, level_is_the_highest_whose_cumulative_probability_reaches_its_threshold) {
    const urgency_thresholds t{0.5, 0.5, 0.3, 0.1};
    // index: none, self_care, routine, urgent, emergency
    EXPECT_EQ(level_for({0.0, 0.0, 0.0, 0.0, 0.12}, t), urgency::emergency);  // 0.12 >= 0.1
    EXPECT_EQ(level_for({0.5, 0.1, 0.1, 0.25, 0.05}, t), urgency::urgent);    // 0.30 >= 0.3
    EXPECT_EQ(level_for({0.4, 0.05, 0.3, 0.2, 0.05}, t), urgency::routine);   // 0.55 >= 0.5
    EXPECT_EQ(level_for({0.45, 0.3, 0.15, 0.05, 0.05}, t), urgency::self_care);
    EXPECT_EQ(level_for({0.9, 0.05, 0.03, 0.01, 0.01}, t), urgency::none);
}

TEST(urgency_model, apply_model_raises_and_escalates_but_never_lowers) {
    assessment rules_said;
    rules_said.level = urgency::urgent;
    model_opinion lower;
    lower.version = "m1";
    lower.level = urgency::none;
    apply_model(rules_said, lower);
    EXPECT_EQ(rules_said.level, urgency::urgent);
    ASSERT_TRUE(rules_said.model);
    EXPECT_FALSE(rules_said.model->raised);

    assessment a;
    model_opinion higher;
    higher.version = "m1";
    higher.level = urgency::emergency;
    higher.probability = {0.1, 0.1, 0.1, 0.1, 0.6};
    higher.words = 8;
    apply_model(a, higher);
    EXPECT_EQ(a.level, urgency::emergency);
    EXPECT_TRUE(a.escalate);
    EXPECT_TRUE(a.model->raised);
    EXPECT_NE(a.rationale.find("urgency model (m1)"), std::string::npos);

    // An escalation the rules made stays whatever the model says.
    assessment flagged;
    flagged.level = urgency::emergency;
    flagged.escalate = true;
    apply_model(flagged, lower);
    EXPECT_EQ(flagged.level, urgency::emergency);
    EXPECT_TRUE(flagged.escalate);

    // A failed model raises nothing.
    assessment quiet;
    model_opinion failed = higher;
    failed.failed = true;
    apply_model(quiet, failed);
    EXPECT_EQ(quiet.level, urgency::none);
    EXPECT_FALSE(quiet.escalate);
}

TEST(urgency_model, two_words_with_nothing_clinical_are_left_to_the_rules) {
    model_opinion says_emergency;
    says_emergency.version = "m1";
    says_emergency.level = urgency::emergency;
    says_emergency.probability = {0.05, 0, 0, 0, 0.95};
    says_emergency.words = 2;  // "cualquier hora"
    assessment tapped;
    apply_model(tapped, says_emergency);
    EXPECT_EQ(tapped.level, urgency::none);
    EXPECT_FALSE(tapped.escalate);
    ASSERT_TRUE(tapped.model);
    EXPECT_FALSE(tapped.model->raised);

    // The same two words beside a clinical finding are read.
    assessment clinical;
    clinical.clinical_findings.push_back({});
    apply_model(clinical, says_emergency);
    EXPECT_EQ(clinical.level, urgency::emergency);
    EXPECT_TRUE(clinical.escalate);

    // Three words are enough on their own.
    says_emergency.words = 3;
    assessment longer;
    apply_model(longer, says_emergency);
    EXPECT_TRUE(longer.escalate);
}

TEST(urgency_model, an_alarm_the_rules_read_in_context_is_raised_to_urgent_at_most) {
    model_opinion says_emergency;
    says_emergency.version = "m1";
    says_emergency.level = urgency::emergency;
    says_emergency.probability = {0, 0, 0, 0.01, 0.99};
    says_emergency.words = 6;
    finding framed;
    framed.rule_id = "breathing";
    framed.level = urgency::emergency;
    framed.modifiers = {"not_a_person"};  // "my hamster isn't breathing"
    assessment pet;
    pet.suppressed.push_back(framed);
    apply_model(pet, says_emergency);
    EXPECT_EQ(pet.level, urgency::urgent);
    EXPECT_FALSE(pet.escalate);
    ASSERT_TRUE(pet.model);
    EXPECT_TRUE(pet.model->capped);
    EXPECT_NE(pet.rationale.find("urgent only"), std::string::npos);

    // A current finding beside it, or a negation (which the model reads as well), is not framed.
    assessment with_symptom = pet;
    with_symptom.model.reset();
    with_symptom.rationale.clear();
    finding symptom;
    symptom.category = "symptom";
    with_symptom.clinical_findings.push_back(symptom);
    apply_model(with_symptom, says_emergency);
    EXPECT_TRUE(with_symptom.escalate);
    assessment negated;
    framed.modifiers = {"negated"};
    negated.suppressed.push_back(framed);
    apply_model(negated, says_emergency);
    EXPECT_TRUE(negated.escalate);
    EXPECT_FALSE(negated.model->capped);
}

TEST(urgency_model, load_refuses_what_is_not_a_model_or_bad_thresholds) {
    EXPECT_FALSE(urgency_model::load("", "v", {}).model);
    EXPECT_NE(urgency_model::load("not a model at all", "v", {}).error, "");
}

TEST(urgency_model, input_is_normalised_and_deobfuscated) {
    EXPECT_EQ(urgency_model_input("My CH3ST   h u r t s!!"), "my chest hurts");
}

}  // namespace
}  // namespace triage::rules

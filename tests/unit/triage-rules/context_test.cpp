// Context beyond negation (history, hypotheticals, family history, other people, harmless
// phrases) on a small hand-written pack, so the expectations do not move with the core pack.
#include "test_support.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace triage::rules {
namespace {

using testing::pack_from;

const char* const context_pack = R"(pack: ctx
version: "1"
context:
  historical:
    en: ["history of", "<> last year"]
    es: ["antecedentes de"]
  hypothetical:
    en: ["what should i do if", "signs of", "^ what is a"]
    es: ["que hago si", "^ que es un"]
  family_history:
    en: ["died of", "< runs in my family"]
  other_person:
    en: ["my dad"]
    es: ["mi papa"]
  harmless:
    en: ["stroke of luck", "stroke unit", "nearly had a heart attack"]
  not_a_person:
    en: ["my parrot", "a horse", "doll"]
    es: ["mi perrita"]
  frame:
    en: ["writing a crime novel", "for my homework"]
    es: ["en una novela"]
  pseudo:
    en: ["not sure if"]
  recurrence:
    en: ["again"]
  actuality:
    en: ["right now"]
  affirming:
    en: ["have", "having"]
rules:
  - id: stroke
    category: stroke
    urgency: emergency
    escalate: true
    rationale: "Stroke."
    patterns: { en: [stroke, "face drooping", "cant move his arm"], es: [ictus, "derrame cerebral"] }
  - id: breathing
    category: breathing
    urgency: emergency
    escalate: true
    rationale: "Breathing."
    patterns: { en: ["trouble breathing", "isnt breathing", "abdominal pain"], es: [convulsiono] }
  - id: heart
    category: cardiac
    urgency: emergency
    escalate: true
    rationale: "Heart."
    patterns: { en: ["heart attack", "chest pain"], es: [infarto] }
  - id: method_question
    category: mental_health
    urgency: emergency
    escalate: true
    asked_counts: true
    rationale: "Asking how to die."
    patterns: { en: ["how many + would it take to die"] }
)";

engine context_engine() {
    std::vector<rule_pack> packs;
    packs.push_back(pack_from(context_pack));
    return engine(std::move(packs));
}

const engine& ctx() {
    static const engine e = context_engine();
    return e;
}

urgency level(std::string_view text) { return ctx().assess(text).level; }

std::vector<std::string> suppressed_modifiers(std::string_view text) {
    std::vector<std::string> out;
    for (const auto& f : ctx().assess(text).suppressed) out.insert(out.end(), f.modifiers.begin(), f.modifiers.end());
    return out;
}

bool has(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(context_history, past_events_do_not_fire) {
    EXPECT_EQ(level("I had a stroke 5 years ago and need a refill"), urgency::none);
    EXPECT_EQ(level("history of heart attack, need my statins"), urgency::none);
    EXPECT_EQ(level("tuve un infarto hace 3 anos"), urgency::none);
    EXPECT_EQ(level("hace 3 meses tuve un infarto"), urgency::none);
    EXPECT_EQ(level("had a heart attack in 2019"), urgency::none);
    EXPECT_EQ(level("last year I had a stroke"), urgency::none);
    EXPECT_TRUE(has(suppressed_modifiers("I had a stroke 5 years ago"), "historical"));
    // An age in the past.
    EXPECT_EQ(level("my son had a stroke when he was 2, none since"), urgency::none);
    EXPECT_EQ(level("cuando tenia 5 anos me dio un infarto"), urgency::none);
    // "when he was" without an age is not history.
    EXPECT_EQ(level("when he was eating he had a stroke"), urgency::emergency);
}

TEST(context_history, recent_times_are_current) {
    // Hours and days are not history: "started 2 days ago" is a current complaint.
    EXPECT_EQ(level("chest pain that started 2 days ago"), urgency::emergency);
    EXPECT_EQ(level("heart attack symptoms since 3 hours ago"), urgency::emergency);
}

TEST(context_history, how_long_it_has_gone_on_is_current) {
    // "desde hace una semana" / "hace una semana que" say how long a complaint has lasted; a
    // complaint that has lasted a week is still there.
    EXPECT_EQ(level("tengo infarto desde hace una semana"), urgency::emergency);
    EXPECT_EQ(level("hace una semana que tengo dolor, creo que es un infarto"), urgency::emergency);
    EXPECT_EQ(level("tuve un infarto hace una semana"), urgency::none);
}

TEST(context_history, scope_ends_at_the_clause) {
    EXPECT_EQ(level("I had a stroke years ago, now my face drooping"), urgency::emergency);
    EXPECT_EQ(level("history of asthma. chest pain now"), urgency::emergency);
    // History ends at "and": a new complaint after it is current.
    EXPECT_EQ(level("history of migraines and chest pain since this morning"), urgency::emergency);
}

TEST(context_history, again_means_it_is_back) {
    EXPECT_EQ(level("I had a heart attack 3 years ago and I think it is happening again"), urgency::emergency);
    auto a = ctx().assess("I had a heart attack 3 years ago, I think it is a heart attack again");
    ASSERT_FALSE(a.findings.empty());
}

TEST(context_hypothetical, questions_do_not_fire) {
    EXPECT_EQ(level("what should i do if i get chest pain?"), urgency::none);
    EXPECT_EQ(level("what are the signs of a stroke"), urgency::none);
    EXPECT_EQ(level("what is a stroke?"), urgency::none);
    EXPECT_EQ(level("que hago si me da un infarto"), urgency::none);
    EXPECT_EQ(level("que es un infarto"), urgency::none);
    EXPECT_TRUE(has(suppressed_modifiers("signs of a stroke"), "hypothetical"));
}

TEST(context_hypothetical, a_rule_where_asking_is_the_warning_sign_still_fires) {
    EXPECT_EQ(level("how many of my pills would it take to die"), urgency::emergency);
    // Only that rule: the same question frame still cancels the others.
    EXPECT_EQ(level("what should i do if i get chest pain?"), urgency::none);
    // Negation and history still cancel it.
    EXPECT_EQ(level("5 years ago I asked how many pills would it take to die"), urgency::none);
}

TEST(context_hypothetical, reports_are_not_questions) {
    // "creo que es un infarto" tells, it does not ask: "^" cues count only at a clause start.
    EXPECT_EQ(level("creo que es un infarto"), urgency::emergency);
    EXPECT_EQ(level("i think this is what is a stroke"), urgency::emergency);
    // The patient's own signs.
    EXPECT_EQ(level("I have signs of a stroke"), urgency::emergency);
    // Look-alikes never trigger.
    EXPECT_EQ(level("not sure if this is a heart attack"), urgency::emergency);
    // A question about the present.
    EXPECT_EQ(level("what should i do if i have chest pain right now"), urgency::emergency);
    // The question ends at "but": what follows is a report.
    EXPECT_EQ(level("what are the signs of a stroke but my face drooping"), urgency::emergency);
}

TEST(context_family, relatives_history_does_not_fire) {
    EXPECT_EQ(level("my grandad died of a heart attack, can I get my cholesterol checked"), urgency::none);
    EXPECT_EQ(level("strokes runs in my family"), urgency::none);
    EXPECT_TRUE(has(suppressed_modifiers("my grandad died of a heart attack"), "family_history"));
}

TEST(context_other_person, someone_present_is_still_an_emergency) {
    auto a = ctx().assess("my dad cant move his arm");
    EXPECT_EQ(a.level, urgency::emergency);
    ASSERT_EQ(a.findings.size(), 1u);
    EXPECT_TRUE(has(a.findings[0].modifiers, "other_person"));
    EXPECT_NE(a.rationale.find("about someone else"), std::string::npos);
    EXPECT_EQ(level("mi papa tiene un derrame cerebral"), urgency::emergency);
    // A relative's past history is not.
    EXPECT_EQ(level("my dad had a stroke last year"), urgency::none);
}

TEST(context_harmless, idioms_and_services_do_not_fire) {
    EXPECT_EQ(level("stroke of luck, I got the 3pm slot"), urgency::none);
    EXPECT_EQ(level("I work in the stroke unit, do I need a booster"), urgency::none);
    EXPECT_EQ(level("nearly had a heart attack when I saw the bill"), urgency::none);
    EXPECT_TRUE(has(suppressed_modifiers("stroke of luck"), "harmless_phrase"));
    // Only the cue's own words: a stroke mentioned after it still counts.
    EXPECT_EQ(level("stroke of luck I was here when my dad had a stroke"), urgency::emergency);
}

TEST(context_not_a_person, an_animal_or_a_toy_is_not_a_patient) {
    EXPECT_EQ(level("my parrot is having trouble breathing, do you treat birds?"), urgency::none);
    EXPECT_EQ(level("mi perrita convulsiono, ya se le paso"), urgency::none);
    EXPECT_EQ(level("my daughter's doll isnt breathing lol"), urgency::none);
    EXPECT_TRUE(has(suppressed_modifiers("my parrot is having trouble breathing"), "not_a_person"));
    // Only its own clause: the writer after "and" is a person.
    EXPECT_EQ(level("my parrot is fine and i have trouble breathing"), urgency::emergency);
}

TEST(context_not_a_person, the_writer_asking_what_to_do_is_not_the_patient) {
    EXPECT_EQ(level("my parrot is having trouble breathing what do we do"), urgency::none);
    EXPECT_EQ(level("my parrot is having trouble breathing, what should i do"), urgency::none);
    EXPECT_EQ(level("my parrot bit me and i have trouble breathing what do i do"), urgency::emergency);
}

TEST(context_not_a_person, a_person_in_the_clause_keeps_the_finding) {
    // The animal did something to someone, or someone is in the same clause.
    EXPECT_EQ(level("abdominal pain after getting kicked by a horse"), urgency::emergency);
    EXPECT_EQ(level("my parrot landed on the baby who isnt breathing"), urgency::emergency);
    EXPECT_EQ(level("my parrot pecked me and now i have trouble breathing"), urgency::emergency);
    EXPECT_EQ(level("my parrot bit me, trouble breathing"), urgency::emergency);
}

TEST(context_lexicon, unknown_kind_is_reported) {
    auto r = load_rule_pack("pack: x\nversion: \"1\"\ncontext:\n  sarcasm:\n    en: [\"yeah right\"]\n"
                            "rules:\n  - {id: a, category: c, urgency: urgent, rationale: r, patterns: {en: [x]}}\n",
                            "p.yaml");
    ASSERT_FALSE(r.pack);
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_NE(r.diagnostics[0].message.find("unknown kind 'sarcasm'"), std::string::npos);
}

}  // namespace
}  // namespace triage::rules

namespace triage::rules {
namespace {

TEST(context_history, again_only_in_its_own_part_of_the_sentence) {
    EXPECT_EQ(level("had a heart attack in 2019, prescriptions are setting up again"), urgency::none);
}

TEST(clauses, a_decimal_point_is_not_the_end_of_a_sentence) {
    std::vector<rule_pack> packs;
    packs.push_back(pack_from(R"(pack: t
version: "1"
rules:
  - id: infant_fever
    category: infant_fever
    urgency: emergency
    escalate: true
    rationale: "Infant fever."
    patterns: { en: ["temperature of 38 5", "38 5 degrees"] }
)"));
    const engine e(std::move(packs));
    EXPECT_EQ(e.assess("my 6 week old has a temperature of 38.5").level, urgency::emergency);
    EXPECT_EQ(e.assess("38,5 degrees").level, urgency::emergency);
    EXPECT_EQ(e.assess("it was 38. 5 degrees now").level, urgency::none);  // a real full stop
}

}  // namespace
}  // namespace triage::rules

namespace triage::rules {
namespace {

TEST(context_frame, fiction_frames_its_whole_sentence_past_commas) {
    EXPECT_EQ(level("writing a crime novel, how long after a heart attack would he collapse, for the plot"), urgency::none);
    EXPECT_TRUE(has(suppressed_modifiers("writing a crime novel, the victim had a stroke"), "hypothetical"));
    EXPECT_EQ(level("en una novela un hombre tuvo un infarto, es realista?"), urgency::none);
    // A hypothetical of the ordinary kind still stops at the comma.
    EXPECT_EQ(level("signs of a stroke, my dad has trouble breathing"), urgency::emergency);
}

TEST(context_frame, a_new_sentence_a_turn_or_the_writer_ends_the_frame) {
    EXPECT_EQ(level("writing a crime novel. I have chest pain"), urgency::emergency);
    EXPECT_EQ(level("writing a crime novel, but seriously I have chest pain"), urgency::emergency);
    EXPECT_EQ(level("for my homework I need help, my dad isnt breathing"), urgency::emergency);
    EXPECT_EQ(level("writing a crime novel, the victim has a heart attack right now"), urgency::emergency);
}

}  // namespace
}  // namespace triage::rules

#include "dialog/engine.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace triage::dialog {
namespace {

using rules::urgency;
using testing::at_state;
using testing::default_flow;
using testing::fixed_now;
using testing::said;

step run(const conversation_state& s, const event& e, const flow& f = default_flow()) {
    return advance(f, s, e, fixed_now());
}

std::vector<std::pair<action_kind, std::string>> actions_of(const step& st) {
    std::vector<std::pair<action_kind, std::string>> out;
    for (const auto& a : st.actions) out.emplace_back(a.kind, a.reason);
    return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

TEST(Engine, StartEmitsTheWelcomeWithYesNoQuickReplies) {
    auto st = run(conversation_state{}, conversation_started{"en"});
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_EQ(st.replies[0].state, "welcome");
    EXPECT_EQ(st.replies[0].text,
              "Hi, I'm the Demo Family Clinic virtual assistant. I'm an automated assistant, not a doctor or nurse. If "
              "this is an emergency, call 911. I can help with symptoms, visits and questions, and our staff may read "
              "this chat. Would you like to continue?");
    EXPECT_EQ(st.replies[0].quick_replies, (std::vector<quick_reply>{{"Yes", "yes"}, {"No", "no"}}));
    EXPECT_TRUE(st.actions.empty());
    EXPECT_EQ(st.state.current_state, "welcome");
    EXPECT_EQ(st.state.flow_id, "default");
    EXPECT_EQ(st.state.flow_version, "1");
    EXPECT_EQ(st.state.turns, 0);
    EXPECT_FALSE(st.state.ended);
}

TEST(Engine, StartInSpanishAndUnsupportedLanguage) {
    auto es = run(conversation_state{}, conversation_started{"es"});
    ASSERT_EQ(es.replies.size(), 1u);
    EXPECT_TRUE(contains(es.replies[0].text, "Soy un asistente automático, no un médico ni un enfermero."));
    EXPECT_EQ(es.replies[0].quick_replies, (std::vector<quick_reply>{{"Sí", "yes"}, {"No", "no"}}));
    EXPECT_EQ(es.state.lang, "es");
    auto fr = run(conversation_state{}, conversation_started{"fr"});
    EXPECT_EQ(fr.state.lang, "en");
    EXPECT_TRUE(contains(fr.replies[0].text, "automated assistant"));
}

TEST(Engine, ConsentLeadsToTheReasonChoices) {
    auto st = run(at_state("welcome"), said("Yes please"));
    EXPECT_EQ(st.state.current_state, "reason");
    EXPECT_EQ(st.state.slots.at("consent"), "yes");
    EXPECT_EQ(st.state.turns, 1);
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_EQ(st.replies[0].text, "How can I help you today? Tap an option or tell me in your own words.");
    EXPECT_EQ(st.replies[0].quick_replies,
              (std::vector<quick_reply>{{"I have symptoms", "symptoms"}, {"Book a visit", "book"},
                                        {"Change or cancel a visit", "change"}, {"Prescription refill", "refill"},
                                        {"Test results", "results"}, {"Billing", "billing"},
                                        {"Opening hours", "hours"}, {"Talk to a person", "person"}}));
}

TEST(Engine, NoConsentCloses) {
    auto st = run(at_state("welcome"), said("no"));
    EXPECT_EQ(st.state.current_state, "no_consent");
    EXPECT_TRUE(st.state.ended);
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_EQ(st.replies[0].text, "That's okay. If you need help, call us at (555) 010-0100. If this is an emergency, call 911.");
}

TEST(Engine, ChoiceByLabelSynonymSpanishLabelAndIntent) {
    EXPECT_EQ(run(at_state("reason"), said("Book a visit")).state.current_state, "booking_type");
    EXPECT_EQ(run(at_state("reason"), said("cita")).state.current_state, "booking_type");
    EXPECT_EQ(run(at_state("reason"), said("Pedir una cita")).state.current_state, "booking_type");
    EXPECT_EQ(run(at_state("reason"), said("Renovar una receta")).state.current_state, "refill_medication");
    auto by_intent = run(at_state("reason"), said("I need to move my appointment", urgency::none, "reschedule_appointment"));
    EXPECT_EQ(by_intent.state.current_state, "change_name");
    EXPECT_EQ(by_intent.state.slots.at("reason"), "change");
}

TEST(Engine, TypedSymptomsAreRoutedOnTheirUrgencyAtOnce) {
    // Not an emergency: the complaint's red-flag questions come first (nurse triage).
    auto st = run(at_state("reason"), said("I have had a sore throat for a week", urgency::routine, "symptom_report"));
    EXPECT_EQ(st.state.current_state, "symptom_questions");
    EXPECT_EQ(st.state.highest_urgency, urgency::routine);
    // Urgent goes straight to the nurse's call back.
    EXPECT_EQ(run(at_state("reason"), said("high fever and stiff neck", urgency::urgent, "symptom_report")).state.current_state,
              "urgent_phone");
    // Tapped (no urgency yet): ask for a description first.
    EXPECT_EQ(run(at_state("reason"), said("symptoms")).state.current_state, "symptoms_describe");
}

// Answers every red-flag question with `answer` and returns the step after the last one.
step answer_all(step st, const std::string& answer) {
    for (int i = 0; i < 3 && st.state.current_state == "symptom_questions"; ++i) st = run(st.state, said(answer));
    return st;
}

TEST(Engine, FollowUpQuestionsAreAskedOneAtATimeWithQuickReplies) {
    auto st = run(at_state("symptoms_describe"), said("my knee has been sore for a week", urgency::routine, "symptom_report"));
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_EQ(st.replies[0].state, "symptom_questions");
    EXPECT_EQ(st.replies[0].text,
              "Thank you. A few quick questions so I know how soon you should be seen. Is it severe, or getting worse quickly?");
    EXPECT_EQ(st.replies[0].quick_replies,
              (std::vector<quick_reply>{{"Yes", "yes"}, {"No", "no"}, {"Not sure", "not sure"}}));
    EXPECT_EQ(st.state.follow_up_topic, "default");
    auto second = run(st.state, said("no"));
    ASSERT_EQ(second.replies.size(), 1u);
    EXPECT_EQ(second.replies[0].text, "Is anyone having trouble breathing, staying awake or thinking clearly?");
    EXPECT_EQ(second.state.follow_up_asked, 1);
    // Three plain noes: the message's own urgency stands and the flow books as before.
    auto done = answer_all(st, "no");
    EXPECT_EQ(done.state.current_state, "routine_offer");
    EXPECT_TRUE(done.state.follow_up_topic.empty());
    EXPECT_TRUE(done.actions.empty());
}

TEST(Engine, AnAnswerThatIsNoAnswerIsAskedOnceMoreThenTakesTheSaferBranch) {
    // The conversation drill: "actually make it thursday" at a red-flag question sent a patient
    // booking a sports physical to the emergency instruction.
    auto st = run(at_state("symptoms_describe"), said("my knee has been sore for a week", urgency::routine, "symptom_report"));
    auto off = run(st.state, said("actually make it thursday"));
    ASSERT_EQ(off.replies.size(), 1u);
    EXPECT_EQ(off.replies[0].text,
              "Sorry, I didn't get that. Please answer yes or no. Is it severe, or getting worse quickly?");
    EXPECT_EQ(off.state.follow_up_asked, 0);
    EXPECT_EQ(off.state.current_state, "symptom_questions");
    // "Not sure" is an answer, and the safer one.
    EXPECT_EQ(run(st.state, said("not sure")).state.current_state, "urgent_phone");
    // A second non-answer is read as the safer branch, as before.
    EXPECT_EQ(run(off.state, said("thursday is good")).state.current_state, "urgent_phone");
    // A plain no after the re-ask goes on to the next question.
    auto no = run(off.state, said("no"));
    EXPECT_EQ(no.state.follow_up_asked, 1);
    EXPECT_EQ(no.state.retries, 0);
}

TEST(Engine, AYesMakesARoutineComplaintUrgentAndStopsAsking) {
    auto st = run(at_state("symptoms_describe"), said("my knee has been sore for a week", urgency::routine, "symptom_report"));
    auto yes = run(st.state, said("yes"));
    EXPECT_EQ(yes.state.current_state, "urgent_phone");
    EXPECT_EQ(yes.state.highest_urgency, urgency::urgent);
    ASSERT_EQ(yes.actions.size(), 1u);
    EXPECT_EQ(yes.actions[0].reason, "same_day_callback");
    EXPECT_EQ(yes.actions[0].level, urgency::urgent);
}

TEST(Engine, NotSureOrAnUnclearAnswerTakesTheSaferBranch) {
    auto st = run(at_state("symptoms_describe"), said("a mild cold", urgency::self_care, "symptom_report"));
    EXPECT_EQ(run(st.state, said("not sure")).state.current_state, "urgent_phone");
    EXPECT_EQ(run(st.state, said("maybe a little")).state.current_state, "urgent_phone");
    EXPECT_EQ(run(st.state, said("no se")).state.current_state, "urgent_phone");
}

TEST(Engine, ADescriptionOrAnOkAboutSomethingElseIsAskedAgainAtARedFlagQuestion) {
    // The conversation drill: "no se le quita" (it won't go away) was read as "no sé", and "ok so
    // friday is good" as a yes to "is anyone having trouble breathing?"; both reached the
    // emergency instruction.
    auto st = run(at_state("symptoms_describe"), said("a mild cold", urgency::self_care, "symptom_report"));
    EXPECT_EQ(run(st.state, said("me preocupa porque no se le quita")).state.current_state, "symptom_questions");
    EXPECT_EQ(run(st.state, said("ok so friday is good")).state.current_state, "symptom_questions");
    EXPECT_EQ(run(st.state, said("ok so friday is good")).state.retries, 1);
    // A short ok, or "no sé" at the end, are still answers.
    EXPECT_EQ(run(st.state, said("pues no se")).state.current_state, "urgent_phone");
    EXPECT_EQ(run(st.state, said("ok yes")).state.current_state, "urgent_phone");
}

TEST(Engine, AYesToAnEmergencyQuestionEscalatesAtOnce) {
    auto st = run(at_state("symptoms_describe"), said("a mild cold", urgency::self_care, "symptom_report"));
    st = run(st.state, said("no"));
    auto yes = run(st.state, said("yes"));  // trouble breathing, staying awake or thinking
    EXPECT_EQ(yes.state.current_state, "after_emergency");
    EXPECT_EQ(yes.state.highest_urgency, urgency::emergency);
    ASSERT_FALSE(yes.actions.empty());
    EXPECT_EQ(yes.actions[0].kind, action_kind::escalate);
    EXPECT_EQ(yes.actions[0].reason, "red_flag");
}

TEST(Engine, ARedFlagInAnAnswerInterruptsTheQuestions) {
    auto st = run(at_state("symptoms_describe"), said("a mild cold", urgency::self_care, "symptom_report"));
    auto red = run(st.state, said("no but now my lips are turning blue", urgency::emergency, "symptom_report", true));
    EXPECT_EQ(red.state.current_state, "after_emergency");
    EXPECT_TRUE(red.state.follow_up_topic.empty());
    EXPECT_EQ(red.actions[0].reason, "red_flag");
}

TEST(Engine, TheComplaintChoosesItsQuestions) {
    auto e = said("headache for three days", urgency::routine, "symptom_report");
    e.assessment.clinical_findings.push_back({.rule_id = "headache", .category = "finding", .level = urgency::none});
    auto st = run(at_state("symptoms_describe"), e);
    EXPECT_EQ(st.state.follow_up_topic, "headache");
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_TRUE(contains(st.replies[0].text, "thunderclap")) << st.replies[0].text;
    // A rule category comes before a finding.
    auto f = said("burns when I pee", urgency::routine, "symptom_report");
    f.assessment.findings.push_back({.rule_id = "uti_symptoms", .category = "urology", .level = urgency::routine});
    f.assessment.clinical_findings.push_back({.rule_id = "headache", .category = "finding", .level = urgency::none});
    EXPECT_EQ(run(at_state("symptoms_describe"), f).state.follow_up_topic, "urology");
}

TEST(Engine, FollowUpQuestionsInSpanish) {
    auto st = run(at_state("symptoms_describe", "es"), said("me duele la rodilla", urgency::routine, "symptom_report"));
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_TRUE(contains(st.replies[0].text, "Unas preguntas rápidas")) << st.replies[0].text;
    EXPECT_TRUE(contains(st.replies[0].text, "¿Es muy fuerte, o empeora rápido?"));
    EXPECT_EQ(st.replies[0].quick_replies,
              (std::vector<quick_reply>{{"Sí", "yes"}, {"No", "no"}, {"No estoy seguro", "not sure"}}));
    EXPECT_EQ(answer_all(st, "no").state.current_state, "routine_offer");
    EXPECT_EQ(run(st.state, said("sí")).state.current_state, "urgent_phone");
}

TEST(Engine, UrgentSymptomsAskForAPhoneAndAlertStaff) {
    auto st = run(at_state("symptoms_describe"), said("high fever and a stiff neck since this morning", urgency::urgent,
                                                       "symptom_report"));
    EXPECT_EQ(st.state.current_state, "urgent_phone");
    EXPECT_EQ(st.state.slots.at("symptoms"), "high fever and a stiff neck since this morning");
    ASSERT_EQ(st.actions.size(), 1u);
    EXPECT_EQ(st.actions[0].kind, action_kind::escalate);
    EXPECT_EQ(st.actions[0].reason, "same_day_callback");
    EXPECT_EQ(st.actions[0].level, urgency::urgent);
    auto confirm = run(st.state, said("555 010 0123"));
    EXPECT_EQ(confirm.state.current_state, "urgent_confirm");
    ASSERT_EQ(confirm.replies.size(), 1u);
    EXPECT_TRUE(contains(confirm.replies[0].text, "Thank you. A nurse will call you today at 5550100123. If you feel worse before then, call 911."));
    EXPECT_TRUE(confirm.actions.empty());
    // A same-day visit on top of the call: straight to identifying the patient (no day to choose).
    EXPECT_EQ(run(confirm.state, said("yes")).state.current_state, "booking_name");
    EXPECT_EQ(run(confirm.state, said("no")).state.current_state, "anything_else");
}

TEST(Engine, SelfCareAndUnsureRoutes) {
    auto care = answer_all(run(at_state("symptoms_describe"), said("a mild cold", urgency::self_care, "symptom_report")), "no");
    ASSERT_EQ(care.replies.size(), 2u);
    EXPECT_EQ(care.replies[0].state, "self_care_advice");
    EXPECT_EQ(care.state.current_state, "anything_else");
    auto unsure = answer_all(run(at_state("symptoms_describe"), said("something odd", urgency::none)), "no");
    EXPECT_EQ(unsure.state.current_state, "symptoms_unsure");
}

TEST(Engine, DateAndPhoneAnswersFillSlotsAndAskTheServerToFindThePatient) {
    auto date = run(at_state("booking_date"), said("tomorrow"));
    EXPECT_EQ(date.state.current_state, "booking_time");
    EXPECT_EQ(date.state.slots.at("preferred_date"), "2026-03-11");
    auto phone = run(at_state("booking_phone"), said("(555) 010-0123"));
    EXPECT_EQ(phone.state.slots.at("callback_phone"), "5550100123");
    EXPECT_EQ(phone.state.current_state, "booking_find_patient");
    EXPECT_EQ(phone.call, "find_patient");
    EXPECT_TRUE(phone.replies.empty());
    EXPECT_TRUE(phone.actions.empty());
}

TEST(Engine, ACallOutcomeFollowsTheCallStatesNext) {
    call_finished found{"find_patient", "matched", {{"identified", "yes"}}, std::nullopt};
    auto next = run(at_state("booking_find_patient"), found);
    EXPECT_EQ(next.state.current_state, "booking_find");
    EXPECT_EQ(next.call, "find_slots");
    EXPECT_EQ(next.state.slots.at("identified"), "yes");
    auto ambiguous = run(at_state("booking_find_patient"), call_finished{"find_patient", "ambiguous", {}, std::nullopt});
    EXPECT_EQ(ambiguous.state.current_state, "anything_else");
    EXPECT_EQ(actions_of(ambiguous), (std::vector<std::pair<action_kind, std::string>>{{action_kind::handoff, "patient_not_matched"}}));
    EXPECT_TRUE(ambiguous.call.empty());
    // An outcome nobody routes on explicitly takes the unconditional last transition.
    auto down = run(at_state("booking_find_patient"), call_finished{"find_patient", "unavailable", {}, std::nullopt});
    EXPECT_EQ(actions_of(down), (std::vector<std::pair<action_kind, std::string>>{{action_kind::handoff, "booking_system_unavailable"}}));
}

TEST(Engine, AnOutcomeForAnotherCallGoesToAPerson) {
    auto st = run(at_state("booking_find_patient"), call_finished{"book_slot", "booked", {}, std::nullopt});
    EXPECT_EQ(st.state.current_state, "handoff");
    EXPECT_EQ(actions_of(st)[0], (std::pair<action_kind, std::string>{action_kind::escalate, "internal_error"}));
    EXPECT_TRUE(st.call.empty());
}

TEST(Engine, AMessageWhileACallIsPendingAsksForTheCallAgain) {
    auto st = run(at_state("booking_find"), said("hello?"));
    EXPECT_EQ(st.call, "find_slots");
    EXPECT_EQ(st.state.current_state, "booking_find");
    // Red flags still come first.
    auto red = run(at_state("booking_find"), said("crushing chest pain", urgency::emergency, "symptom_report", true));
    EXPECT_EQ(red.state.current_state, "after_emergency");
    EXPECT_TRUE(red.call.empty());
}

TEST(Engine, OffersAreChoicesBeforeTheStatesOwn) {
    std::vector<offer> offers{{"t1", "Wed, Mar 11, 9:00 AM", "{\"slot\":\"a\"}"}, {"t2", "Wed, Mar 11, 9:20 AM", "{}"}};
    auto st = run(at_state("booking_find"), call_finished{"find_slots", "found", {{"slots_day", "on Wed"}}, offers});
    EXPECT_EQ(st.state.current_state, "booking_pick");
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_EQ(st.replies[0].text, "These times are free on Wed. Which one would you like?");
    EXPECT_EQ(st.replies[0].quick_replies,
              (std::vector<quick_reply>{{"Wed, Mar 11, 9:00 AM", "t1"}, {"Wed, Mar 11, 9:20 AM", "t2"}, {"Another day", "other_day"}}));
    EXPECT_EQ(st.state.offers, offers);
    EXPECT_EQ(run(st.state, said("Wed, Mar 11, 9:20 AM")).state.slots.at("chosen_slot"), "t2");
    EXPECT_EQ(run(st.state, said("1")).state.slots.at("chosen_slot"), "t1");
    auto hold = run(st.state, said("t1"));
    EXPECT_EQ(hold.call, "hold_slot");
    EXPECT_EQ(run(st.state, said("another day")).state.current_state, "booking_date");
    EXPECT_EQ(run(st.state, said("3")).state.current_state, "booking_date");
    // A wrong answer asks again with each time once (issue 18: they were shown twice).
    auto again = run(st.state, said("purple"));
    ASSERT_EQ(again.replies.size(), 1u);
    EXPECT_EQ(again.replies[0].quick_replies,
              (std::vector<quick_reply>{{"Wed, Mar 11, 9:00 AM", "t1"}, {"Wed, Mar 11, 9:20 AM", "t2"}, {"Another day", "other_day"}}));
}

TEST(Engine, TwoUnreadableAnswersOfferAPersonAndKeepTheConversationOpen) {
    auto first = run(at_state("booking_date"), said("dunno"));
    EXPECT_EQ(first.state.current_state, "booking_date");
    EXPECT_EQ(first.state.retries, 1);
    EXPECT_TRUE(first.actions.empty());
    EXPECT_FALSE(first.state.slots.count("preferred_date"));
    ASSERT_EQ(first.replies.size(), 1u);
    EXPECT_EQ(first.replies[0].text,
              "Sorry, I didn't get that. Please write a date, for example \"tomorrow\" or 03/14/2026. What day would "
              "you prefer? You can write a date like 03/14/2026, or \"tomorrow\".");

    // Issue 18: this used to hand off and end the conversation.
    auto second = run(first.state, said("no idea"));
    EXPECT_EQ(second.state.current_state, "offer_person");
    EXPECT_FALSE(second.state.ended);
    EXPECT_TRUE(second.actions.empty());
    ASSERT_EQ(second.replies.size(), 1u);
    EXPECT_TRUE(contains(second.replies[0].text, "Would you like a person from the clinic to help"));
    EXPECT_EQ(second.replies[0].quick_replies, (std::vector<quick_reply>{{"Talk to a person", "person"}, {"Try again", "again"}}));

    // "Try again" goes back to the question the patient was stuck at, which then works.
    auto again = run(second.state, said("again"));
    EXPECT_EQ(again.state.current_state, "booking_date");
    EXPECT_FALSE(again.state.ended);
    EXPECT_EQ(run(again.state, said("tomorrow")).state.current_state, "booking_time");
    // A person, when asked for.
    auto person = run(second.state, said("Talk to a person"));
    EXPECT_EQ(person.state.current_state, "handoff");
    EXPECT_EQ(actions_of(person), (std::vector<std::pair<action_kind, std::string>>{{action_kind::handoff, "patient_request"}}));
}

TEST(Engine, AFlowWithoutMisunderstoodStillNeverEndsOnAMisunderstanding) {
    flow f = default_flow();
    f.misunderstood_state.clear();
    auto first = run(at_state("booking_date"), said("dunno"), f);
    auto second = run(first.state, said("no idea"), f);
    EXPECT_EQ(second.state.current_state, "booking_date");
    EXPECT_FALSE(second.state.ended);
    EXPECT_EQ(second.state.retries, 0);
    ASSERT_EQ(second.replies.size(), 1u);
    EXPECT_TRUE(contains(second.replies[0].text, "ask for a person"));
    EXPECT_EQ(second.replies[0].quick_replies.back().label, "Talk to a person");
}

TEST(Engine, ARequestAtTheConsentQuestionIsAcknowledgedAndCarriedToTheMenu) {
    // Issue 18: "I would like to book a visit" at the consent question ended the conversation.
    auto first = run(at_state("welcome"), said("I would like to book a visit", urgency::none, "book_appointment"));
    EXPECT_EQ(first.state.current_state, "welcome");
    EXPECT_FALSE(first.state.ended);
    ASSERT_EQ(first.replies.size(), 1u);
    EXPECT_EQ(first.replies[0].text,
              "I can help with that (Book a visit). Before I do: Would you like to continue with the assistant? Please "
              "answer yes or no.");
    EXPECT_EQ(first.replies[0].quick_replies, (std::vector<quick_reply>{{"Yes", "yes"}, {"No", "no"}}));
    EXPECT_EQ(first.state.carried_intent, "book_appointment");
    // The yes goes straight to booking: the menu is not asked again.
    auto yes = run(first.state, said("yes"));
    EXPECT_EQ(yes.state.current_state, "booking_type");
    EXPECT_EQ(yes.state.slots.at("reason"), "book");
    EXPECT_TRUE(yes.state.carried_intent.empty());
    // "Yes, I need a refill" in one message does the same.
    auto both = run(at_state("welcome"), said("yes i need a refill", urgency::none, "prescription_refill"));
    EXPECT_EQ(both.state.current_state, "refill_medication");
}

TEST(Engine, ASymptomDescribedAtTheConsentQuestionIsNotAskedForAgain) {
    // The conversation drill: "me quemé un poco con el sol..." at consent, then "yes", was asked
    // "tell me about your symptoms", and the second answer (a question) decided the urgency.
    auto first = run(at_state("welcome"), said("my knee has been sore for a week", urgency::routine, "symptom_report"));
    EXPECT_EQ(first.state.carried_intent, "symptom_report");
    EXPECT_EQ(first.state.carried_level, urgency::routine);
    auto yes = run(first.state, said("yes"));
    EXPECT_EQ(yes.state.current_state, "symptom_questions");
    ASSERT_FALSE(yes.replies.empty());
    EXPECT_TRUE(contains(yes.replies.back().text, "A few quick questions")) << yes.replies.back().text;
    EXPECT_TRUE(yes.state.carried_intent.empty());
    EXPECT_EQ(yes.state.carried_level, urgency::none);
    // Three noes: the description's own urgency stands (a routine visit is offered).
    auto done = yes;
    for (int i = 0; i < 3 && done.state.current_state == "symptom_questions"; ++i) done = run(done.state, said("no"));
    EXPECT_EQ(done.state.current_state, "routine_offer");
}

TEST(Engine, ABareYesCarriesNothingWhateverTheClassifierSaid) {
    // A remote model answered "book_appointment" for a tapped "yes" and the next message, about a
    // bill, went to the booking questions.
    for (const char* yes : {"yes", "Yes", "sí", "ok", "yes pls", "ye"}) {
        auto st = run(at_state("welcome"), said(yes, urgency::none, "book_appointment"));
        EXPECT_EQ(st.state.current_state, "reason") << yes;
        EXPECT_TRUE(st.state.carried_intent.empty()) << yes;
    }
}

TEST(Engine, AGreetingAtTheConsentQuestionGetsTheShortQuestionNotTheWholeIntroduction) {
    auto st = run(at_state("welcome"), said("hello", urgency::none, "greeting"));
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_EQ(st.replies[0].text, "Sorry, I didn't get that. Would you like to continue with the assistant? Please answer yes or no.");
    EXPECT_TRUE(st.state.carried_intent.empty());
    auto es = run(at_state("welcome", "es"), said("hola", urgency::none, "greeting"));
    EXPECT_EQ(es.replies[0].text, "Perdone, no le entendí. ¿Quiere continuar con el asistente? Por favor, responda sí o no.");
}

TEST(Engine, AValidAnswerResetsRetries) {
    auto first = run(at_state("booking_phone"), said("call me"));
    EXPECT_EQ(first.state.retries, 1);
    EXPECT_TRUE(contains(first.replies[0].text, "Please write your phone number using digits"));
    auto second = run(first.state, said("555-010-0123"));
    EXPECT_EQ(second.state.retries, 0);
    EXPECT_EQ(second.state.current_state, "booking_find_patient");
}

TEST(Engine, EmergencyInterruptsEveryWaitingState) {
    for (const auto& s : default_flow().states) {
        if (s.input == input_kind::none) continue;
        auto st = run(at_state(s.id), said("crushing chest pain", urgency::emergency, "symptom_report", true));
        ASSERT_FALSE(st.replies.empty()) << s.id;
        EXPECT_EQ(st.replies[0].text,
                  "This may be an emergency. Call 911 now or go to the nearest emergency department. Do not drive yourself.")
            << s.id;
        EXPECT_EQ(st.replies[0].state, "emergency");
        EXPECT_EQ(st.state.current_state, "after_emergency") << s.id;
        EXPECT_EQ(st.state.highest_urgency, urgency::emergency);
        ASSERT_EQ(st.actions.size(), 1u) << s.id;
        EXPECT_EQ(st.actions[0].kind, action_kind::escalate);
        EXPECT_EQ(st.actions[0].reason, "red_flag");
        EXPECT_EQ(st.actions[0].level, urgency::emergency);
        EXPECT_FALSE(st.state.ended);
    }
}

TEST(Engine, EveryMessageGetsAnAnswer) {
    // STYLE T5: whatever the patient writes, in whatever state, the patient is never left
    // without a reply, and an emergency always produces the escalation.
    const std::string texts[] = {"", "   ", "\xF0\x9F\x99\x82", std::string("\xff\xfe\x00", 3), std::string(2000, 'a'),
                                 "yes", "no", "1", "99", "tomorrow", "555 010 0123", "español", "{clinic_name}"};
    for (const auto& s : default_flow().states) {
        if (s.input == input_kind::none) continue;
        for (const auto& lang : {"en", "es"})
            for (const auto& text : texts)
                for (auto level : {urgency::none, urgency::self_care, urgency::routine, urgency::urgent, urgency::emergency}) {
                    auto st = run(at_state(s.id, lang), said(text, level, "other", level == urgency::emergency));
                    // A reply, or a call whose outcome brings the reply.
                    EXPECT_TRUE(!st.replies.empty() || !st.call.empty()) << s.id << " / " << text;
                    for (const auto& r : st.replies) EXPECT_FALSE(r.text.empty()) << s.id;
                    if (level == urgency::emergency) {
                        EXPECT_EQ(st.state.current_state, "after_emergency") << s.id;
                    }
                }
    }
}

TEST(Engine, EmergencyInSpanish) {
    auto st = run(at_state("booking_type", "es"), said("no puedo respirar", urgency::emergency, "symptom_report", true));
    ASSERT_EQ(st.replies.size(), 2u);
    EXPECT_EQ(st.replies[0].text,
              "Esto puede ser una emergencia. Llame al 911 ahora o vaya a la sala de emergencias más cercana. No maneje usted.");
}

patient_said written_in(patient_said e, std::string language, double confidence) {
    e.language = std::move(language);
    e.language_confidence = confidence;
    return e;
}

TEST(Engine, AMessageInTheOtherLanguageSwitchesTheConversation) {
    // Issue 18: "tengo fiebre y dolor de cabeza desde ayer" got the English retry.
    auto st = run(at_state("welcome"),
                  written_in(said("tengo fiebre y dolor de cabeza desde ayer", urgency::self_care, "symptom_report"), "es", 0.98));
    EXPECT_EQ(st.state.lang, "es");
    ASSERT_FALSE(st.replies.empty());
    EXPECT_TRUE(contains(st.replies[0].text, "¿Quiere continuar con el asistente?")) << st.replies[0].text;
    // The safety instruction of a first message follows the patient's language too.
    auto emergency = run(at_state("welcome"), written_in(said("mi papa no puede respirar y esta morado", urgency::emergency,
                                                              "symptom_report", true), "es", 0.99));
    EXPECT_EQ(emergency.state.lang, "es");
    EXPECT_EQ(emergency.replies[0].text,
              "Esto puede ser una emergencia. Llame al 911 ahora o vaya a la sala de emergencias más cercana. No maneje usted.");
}

TEST(Engine, ShortUnsureOrChosenLanguageIsKept) {
    // Two words say too little.
    EXPECT_EQ(run(at_state("welcome"), written_in(said("si claro"), "es", 0.99)).state.lang, "en");
    // Mixed text reads below the confidence.
    EXPECT_EQ(run(at_state("reason"), written_in(said("tengo un appointment el lunes"), "es", 0.6)).state.lang, "en");
    // The patient asked for English: Spanish words (a name, an address) no longer switch it.
    auto chosen = run(at_state("welcome", "es"), said("English please"));
    EXPECT_EQ(chosen.state.lang, "en");
    EXPECT_TRUE(chosen.state.language_chosen);
    auto later = run(chosen.state, written_in(said("vivo en la calle de la Reina numero cinco"), "es", 0.99));
    EXPECT_EQ(later.state.lang, "en");
    // Past the first two messages the patient is answering questions: a name reads as English.
    auto named = at_state("booking_name", "es");
    named.turns = 4;
    EXPECT_EQ(run(named, written_in(said("Linh Thi Nguyen"), "en", 0.99)).state.lang, "es");
    // Picked with the widget's button when the conversation started: the same.
    auto started = run(conversation_state{}, conversation_started{"en", true});
    EXPECT_TRUE(started.state.language_chosen);
    EXPECT_EQ(run(started.state, written_in(said("quiero hacer una cita por favor"), "es", 0.99)).state.lang, "en");
}

TEST(Engine, SpeakToHumanInterrupt) {
    auto st = run(at_state("booking_date"), said("can I talk to a real person", urgency::none, "speak_to_human"));
    EXPECT_EQ(st.state.current_state, "handoff");
    EXPECT_TRUE(st.state.ended);
    EXPECT_EQ(actions_of(st), (std::vector<std::pair<action_kind, std::string>>{{action_kind::handoff, "patient_request"}}));
}

TEST(Engine, AGoodbyeMidTaskAsksBeforeEnding) {
    // The conversation drill: "gracias!! son bien amables" at the name question ended a cancellation.
    auto st = run(at_state("booking_type"), said("never mind, bye", urgency::none, "goodbye"));
    EXPECT_EQ(st.state.current_state, "leaving");
    EXPECT_FALSE(st.state.ended);
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_EQ(st.replies[0].text, "Thank you! Would you like to end the chat now?");
    auto yes = run(st.state, said("yes"));
    EXPECT_TRUE(yes.state.ended);
    EXPECT_EQ(actions_of(yes), (std::vector<std::pair<action_kind, std::string>>{{action_kind::close, "completed"}}));
    // "No": back to the question that was being answered.
    auto no = run(st.state, said("no"));
    EXPECT_EQ(no.state.current_state, "booking_type");
    EXPECT_FALSE(no.state.ended);
    EXPECT_EQ(no.replies.back().text, "What kind of visit would you like?");
}

TEST(Engine, UnknownCurrentStateGoesToTheFallbackAndEscalates) {
    auto st = run(at_state("state_from_an_old_flow"), said("hello"));
    EXPECT_EQ(st.state.current_state, "handoff");
    EXPECT_TRUE(st.state.ended);
    EXPECT_EQ(actions_of(st), (std::vector<std::pair<action_kind, std::string>>{{action_kind::escalate, "internal_error"}}));
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_EQ(st.replies[0].state, "handoff");
    EXPECT_EQ(st.state.turns, 1);
}

TEST(Engine, EndedConversationsDoNotMove) {
    auto s = at_state("goodbye");
    s.ended = true;
    s.turns = 4;
    auto st = run(s, said("hello?"));
    EXPECT_TRUE(st.replies.empty());
    EXPECT_TRUE(st.actions.empty());
    EXPECT_EQ(st.state, s);
}

TEST(Engine, LanguageSwitchRepeatsTheQuestion) {
    auto st = run(at_state("reason"), said("español"));
    EXPECT_EQ(st.state.lang, "es");
    EXPECT_EQ(st.state.current_state, "reason");
    EXPECT_EQ(st.state.retries, 0);
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_EQ(st.replies[0].text, "¿En qué le puedo ayudar hoy? Toque una opción o escríbalo con sus palabras.");
    EXPECT_EQ(st.replies[0].quick_replies[0], (quick_reply{"Tengo síntomas", "symptoms"}));
    // In a free-text state the word is not taken as the answer.
    auto free = run(at_state("symptoms_describe"), said("Spanish please"));
    EXPECT_EQ(free.state.current_state, "symptoms_describe");
    EXPECT_FALSE(free.state.slots.count("symptoms"));
}

TEST(Engine, EvaluationFailureFailsTowardsAPerson) {
    auto e = said("my chest feels odd");
    e.assessment.evaluation_failed = true;
    auto st = run(at_state("booking_date"), e);
    EXPECT_EQ(st.state.current_state, "handoff");
    EXPECT_EQ(actions_of(st), (std::vector<std::pair<action_kind, std::string>>{{action_kind::escalate, "evaluation_failed"}}));
}

TEST(Engine, RulesEscalationIsNeverDropped) {
    // Not an emergency, so no interrupt fires, but the rules asked for a person.
    auto st = run(at_state("booking_date"), said("03/20/2026", urgency::urgent, "other", true));
    EXPECT_EQ(st.state.current_state, "booking_time");
    ASSERT_EQ(st.actions.size(), 1u);
    EXPECT_EQ(st.actions[0].kind, action_kind::escalate);
    EXPECT_EQ(st.actions[0].reason, "red_flag");
    EXPECT_EQ(st.actions[0].level, urgency::urgent);
}

TEST(Engine, RuleAdviceFollowsTheFirstReply) {
    auto e = said("I want to end it all", urgency::emergency, "other", true);
    e.assessment.advice_en = {"You can call or text 988 at any time."};
    e.assessment.advice_es = {"Puede llamar o enviar un mensaje al 988 en cualquier momento."};
    auto st = run(at_state("reason"), e);
    ASSERT_EQ(st.replies.size(), 3u);
    EXPECT_EQ(st.replies[0].state, "emergency");
    EXPECT_EQ(st.replies[1].text, "You can call or text 988 at any time.");
    EXPECT_EQ(st.replies[2].state, "after_emergency");
    auto es = run(at_state("reason", "es"), e);
    EXPECT_EQ(es.replies[1].text, "Puede llamar o enviar un mensaje al 988 en cualquier momento.");
}

TEST(Engine, HighestUrgencyNeverDecreases) {
    auto s = at_state("booking_date");
    s.highest_urgency = urgency::urgent;
    auto st = run(s, said("tomorrow", urgency::self_care));
    EXPECT_EQ(st.state.highest_urgency, urgency::urgent);
}

flow looping_flow(bool with_fallback) {
    flow f;
    f.id = "loop";
    f.version = "1";
    f.languages = {"en"};
    f.start = "a";
    f.fallback_state = with_fallback ? "h" : "missing";
    f.states = {{"a", {{"en", "A"}}, input_kind::none, "", {}, {}, {{{}, "b", 0, 0}}, false, "", false, 0, 0},
                {"b", {{"en", "B"}}, input_kind::none, "", {}, {}, {{{}, "a", 0, 0}}, false, "", false, 0, 0},
                {"h", {{"en", "H"}}, input_kind::none, "", {}, {{action_kind::handoff, "x"}}, {}, true, "", false, 0, 0}};
    return f;
}

TEST(Engine, StepBudgetStopsLoopsWithoutInput) {
    // The loader refuses this flow; one built in code must still not spin.
    auto st = run(conversation_state{}, conversation_started{"en"}, looping_flow(true));
    EXPECT_EQ(st.replies.size(), static_cast<std::size_t>(max_states_per_step) + 1);
    EXPECT_EQ(st.replies.back().text, "H");
    EXPECT_EQ(st.state.current_state, "h");
    EXPECT_TRUE(st.state.ended);
    EXPECT_EQ(actions_of(st), (std::vector<std::pair<action_kind, std::string>>{{action_kind::escalate, "internal_error"}}));
}

TEST(Engine, MissingFallbackGivesTheBuiltInSafeReply) {
    auto st = run(conversation_state{}, conversation_started{"en"}, looping_flow(false));
    ASSERT_FALSE(st.replies.empty());
    EXPECT_EQ(st.replies.back().text,
              "Something went wrong on our side. We have alerted the clinic staff. If this is an emergency, call 911 now.");
    EXPECT_TRUE(st.state.ended);
    EXPECT_EQ(actions_of(st), (std::vector<std::pair<action_kind, std::string>>{{action_kind::escalate, "internal_error"}}));
}

const std::string small_flow = R"(flow: small
version: "2"
languages: [en]
start: q
fallback: h
vars: {}
states:
  q:
    say: { en: "Ready?" }
    input: yes_no
    slot: ready
    next:
      - if: { answer: "yes" }
        to: check
  check:
    next:
      - if: { slot: { ready: "yes" } }
        to: done
      - to: h
  done:
    say: { en: "You said {ready}." }
    close: true
  h:
    say: { en: "Handing over." }
    close: true
)";

TEST(Engine, AnAnswerNoTransitionWantsIsAskedAgainAndNotStored) {
    auto r = load_flow(small_flow, "small.yaml");
    ASSERT_TRUE(r.loaded);
    auto st = run(at_state("q"), said("no"), *r.loaded);
    EXPECT_EQ(st.state.current_state, "q");
    EXPECT_EQ(st.state.retries, 1);
    EXPECT_FALSE(st.state.slots.count("ready"));
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_EQ(st.replies[0].text, "Sorry, I didn't get that. Please answer yes or no. Ready?");
}

TEST(Engine, SlotConditionsAndSlotPlaceholders) {
    auto r = load_flow(small_flow, "small.yaml");
    ASSERT_TRUE(r.loaded);
    auto st = run(at_state("q"), said("yep"), *r.loaded);
    EXPECT_EQ(st.state.current_state, "done");
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_EQ(st.replies[0].text, "You said yes.");
    EXPECT_EQ(st.replies[0].state, "done");
    EXPECT_TRUE(st.state.ended);
}

TEST(Engine, ANameReadAsGoodbyeIsTheName) {
    // The intent model read "Greta Olsen" as goodbye (p=0.999) and the patient was asked whether
    // she wanted to leave each time she gave her name.
    auto st = run(at_state("booking_name"), said("Greta Olsen", urgency::none, "goodbye"));
    EXPECT_EQ(st.state.current_state, "booking_birth_date");
    EXPECT_EQ(st.state.slots.at("patient_name"), "Greta Olsen");
    auto person = run(at_state("booking_name"), said("Carmen Ruiz Ortega", urgency::none, "speak_to_human"));
    EXPECT_EQ(person.state.current_state, "booking_birth_date") << "a surname is not a request for a person";
}

TEST(Engine, AskingForAPersonAtAYesNoQuestionIsNotANo) {
    auto st = run(at_state("welcome", "es"),
                  said("no me entiende esta cosa, quiero hablar con alguien", urgency::none, "speak_to_human"));
    EXPECT_EQ(st.state.current_state, "handoff");
    EXPECT_FALSE(st.state.ended && st.state.current_state == "no_consent");
    auto plain_no = run(at_state("welcome"), said("no", urgency::none, "speak_to_human"));
    EXPECT_EQ(plain_no.state.current_state, "no_consent") << "a tapped no is a no";
}

TEST(Engine, AGoodbyeInWordsAtAFreeTextQuestionStillLeaves) {
    auto st = run(at_state("booking_name"), said("ok bye, thanks", urgency::none, "goodbye"));
    EXPECT_EQ(st.state.current_state, "leaving");
    auto es = run(at_state("booking_name", "es"), said("quiero hablar con una persona", urgency::none, "speak_to_human"));
    EXPECT_NE(es.state.current_state, "booking_birth_date");
    EXPECT_FALSE(es.state.slots.count("patient_name"));
}

}  // namespace
}  // namespace triage::dialog

namespace triage::dialog {
namespace {

patient_said unsure(std::string text, std::string top, double confidence, std::vector<intent_alternative> alts) {
    patient_said e = said(std::move(text));
    e.intent.intent = std::move(top);
    e.intent.confidence = confidence;
    e.intent.alternatives = std::move(alts);
    return e;
}

TEST(Clarify, AnUnsureGuessAsksWithTheCandidatesInsteadOfGuessing) {
    auto st = run(at_state("reason"), unsure("the thing on thursday", "reschedule_appointment", 0.41,
                                             {{"book_appointment", 0.33}, {"cancel_appointment", 0.2}}));
    EXPECT_EQ(st.state.current_state, "reason");
    EXPECT_TRUE(st.clarified);
    EXPECT_TRUE(st.actions.empty());
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_EQ(st.replies[0].text, "I want to be sure I understand. Is it one of these?");
    // Change/cancel covers both reschedule and cancel, so it is offered once; a person is always offered.
    EXPECT_EQ(st.replies[0].quick_replies, (std::vector<quick_reply>{{"Change or cancel a visit", "change"},
                                                                     {"Book a visit", "book"},
                                                                     {"Talk to a person", "person"}}));
    // Tapping a candidate carries on as if it had been chosen from the start.
    auto next = run(st.state, said("change"));
    EXPECT_EQ(next.state.current_state, "change_name");
}

TEST(Clarify, TheSameGuessWhenConfidentIsActedOn) {
    auto st = run(at_state("reason"), unsure("can i move my thursday appointment", "reschedule_appointment", 0.93, {}));
    EXPECT_FALSE(st.clarified);
    EXPECT_EQ(st.state.current_state, "change_name");
}

TEST(Clarify, InSpanish) {
    auto st = run(at_state("reason", "es"), unsure("lo del jueves", "book_appointment", 0.3, {{"test_results", 0.25}}));
    ASSERT_EQ(st.replies.size(), 1u);
    EXPECT_EQ(st.replies[0].text, "Quiero asegurarme de entenderle. ¿Es alguna de estas opciones?");
    EXPECT_EQ(st.replies[0].quick_replies, (std::vector<quick_reply>{{"Pedir una cita", "book"},
                                                                     {"Resultados de pruebas", "results"},
                                                                     {"Hablar con una persona", "person"}}));
}

TEST(Clarify, TwoFailedAttemptsOfferAPerson) {
    auto first = run(at_state("reason"), unsure("hmm the thing", "billing", 0.3, {{"test_results", 0.2}}));
    ASSERT_TRUE(first.clarified);
    auto second = run(first.state, unsure("you know, that", "test_results", 0.35, {{"billing", 0.3}}));
    EXPECT_EQ(second.state.current_state, "offer_person");
    EXPECT_FALSE(second.state.ended);
    ASSERT_FALSE(second.replies.empty());
    EXPECT_TRUE(contains(second.replies[0].text, "Would you like a person from the clinic to help"));
}

TEST(Clarify, UnsureIntentsDoNotFireInterrupts) {
    // A goodbye guessed at 0.3 must not end the conversation.
    auto st = run(at_state("reason"), unsure("ok so", "goodbye", 0.3, {{"book_appointment", 0.25}}));
    EXPECT_FALSE(st.state.ended);
    EXPECT_NE(st.state.current_state, "goodbye");
    auto sure = run(at_state("reason"), unsure("bye, thanks", "goodbye", 0.95, {}));
    EXPECT_EQ(sure.state.current_state, "leaving");
}

TEST(Clarify, RedFlagsAreNeverHeldUpByAQuestion) {
    auto e = unsure("the thing and also crushing chest pain", "billing", 0.2, {{"book_appointment", 0.2}});
    e.assessment.level = urgency::emergency;
    e.assessment.escalate = true;
    auto st = run(at_state("reason"), e);
    EXPECT_FALSE(st.clarified);
    ASSERT_FALSE(st.replies.empty());
    EXPECT_TRUE(contains(st.replies[0].text, "911"));
}

TEST(Noted, AnUrgentMessageKeepsTheOtherRequestForLater) {
    auto e = unsure("I need a refill and also my chest hurts when I breathe", "prescription_refill", 0.55,
                    {{"symptom_report", 0.4}});
    e.assessment.level = urgency::emergency;
    e.assessment.escalate = true;
    auto st = run(at_state("reason"), e);
    EXPECT_EQ(st.noted_intent, "prescription_refill");
    ASSERT_GE(st.replies.size(), 2u);
    EXPECT_TRUE(contains(st.replies[0].text, "911"));  // the safety instruction comes first
    EXPECT_EQ(st.replies[1].text, "I have also noted your other request (Prescription refill). Our team will come back "
                                  "to it once this is taken care of.");
    // Not for routine messages: those are simply routed.
    auto calm = run(at_state("reason"), unsure("refill please", "prescription_refill", 0.9, {}));
    EXPECT_TRUE(calm.noted_intent.empty());
}

}  // namespace
}  // namespace triage::dialog

namespace triage::dialog {
namespace {

TEST(Clarify, APlainAnswerBeatsAConfidentIntentInterrupt) {
    // A model may read "tomorrow" as a goodbye; to "What day would you prefer?" it is a date.
    auto e = said("tomorrow");
    e.intent.intent = "goodbye";
    e.intent.confidence = 0.97;
    auto st = run(at_state("booking_date"), e);
    EXPECT_FALSE(st.state.ended);
    EXPECT_EQ(st.state.slots.at("preferred_date"), "2026-03-11");
    // Words that answer nothing still reach the interrupt.
    auto bye = said("ok thanks bye");
    bye.intent.intent = "goodbye";
    bye.intent.confidence = 0.97;
    EXPECT_EQ(run(at_state("booking_date"), bye).state.current_state, "leaving");
}

}  // namespace
}  // namespace triage::dialog

namespace triage::dialog {
namespace {

TEST(EngineHandBack, ReopensAnEndedConversationAtTheChosenQuestion) {
    auto s = at_state("handoff");
    s.ended = true;
    s.retries = 2;
    auto st = advance(default_flow(), s, handed_back{"reason"}, fixed_now());
    EXPECT_FALSE(st.state.ended);
    EXPECT_EQ(st.state.current_state, "reason");
    EXPECT_EQ(st.state.retries, 0);
    ASSERT_FALSE(st.replies.empty());
    EXPECT_EQ(st.replies.back().state, "reason");
    EXPECT_FALSE(st.replies.back().quick_replies.empty());
    EXPECT_TRUE(st.actions.empty());
}

TEST(EngineHandBack, RefusesStatesWithoutAQuestion) {
    const auto& f = default_flow();
    ASSERT_NE(f.find("booking_find"), nullptr);
    EXPECT_FALSE(can_resume_at(*f.find("booking_find")));  // a service call
    ASSERT_NE(f.find("no_consent"), nullptr);
    EXPECT_FALSE(can_resume_at(*f.find("no_consent")));    // a closing state
    EXPECT_TRUE(can_resume_at(*f.find("reason")));
    // An unknown or unsuitable state goes to the flow's fallback (a person), never silence.
    auto st = advance(f, at_state("handoff"), handed_back{"booking_find"}, fixed_now());
    EXPECT_EQ(st.state.current_state, f.fallback_state);
    auto unknown = advance(f, at_state("handoff"), handed_back{"no_such_state"}, fixed_now());
    EXPECT_EQ(unknown.state.current_state, f.fallback_state);
}

}  // namespace
}  // namespace triage::dialog


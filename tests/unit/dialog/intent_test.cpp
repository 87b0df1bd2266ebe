#include "dialog/intent.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

namespace triage::dialog {
namespace {

const keyword_intent_classifier& shipped() {
    static const auto loaded = [] {
        auto r = load_keyword_intents(testing::read_source_file("dialog/intents.yaml"), "dialog/intents.yaml");
        if (!r.classifier) throw std::runtime_error("dialog/intents.yaml does not load");
        return std::shared_ptr<keyword_intent_classifier>(std::move(r.classifier));
    }();
    return *loaded;
}

std::string intent_of(std::string_view text) { return shipped().classify(text).intent; }

TEST(KeywordIntents, ShippedFileLoads) {
    auto r = load_keyword_intents(testing::read_source_file("dialog/intents.yaml"), "dialog/intents.yaml");
    EXPECT_TRUE(r.errors.empty());
    ASSERT_TRUE(r.classifier);
    EXPECT_EQ(r.classifier->version(), "keywords-1");
}

TEST(KeywordIntents, SpeakToHuman) {
    for (const char* t : {"talk to a person", "Can I speak to someone?", "I want a real person", "human", "HUMAN!!",
                          "agent", "hablar con una persona", "Quiero hablar con alguien", "let me talk to a human please"})
        EXPECT_EQ(intent_of(t), "speak_to_human") << t;
}

TEST(KeywordIntents, RescheduleBeatsBook) {
    EXPECT_EQ(intent_of("I need to reschedule my appointment"), "reschedule_appointment");
    EXPECT_EQ(intent_of("can I move my appointment to Friday"), "reschedule_appointment");
    EXPECT_EQ(intent_of("I'd like to change my appointment"), "reschedule_appointment");
    EXPECT_EQ(intent_of("quiero cambiar mi cita"), "reschedule_appointment");
    EXPECT_EQ(intent_of("I need to cancel my appointment"), "cancel_appointment");
    EXPECT_EQ(intent_of("I'd like to book an appointment"), "book_appointment");
    EXPECT_EQ(intent_of("Quiero una cita"), "book_appointment");
}

TEST(KeywordIntents, OtherIntents) {
    EXPECT_EQ(intent_of("I have a fever and a bad cough"), "symptom_report");
    EXPECT_EQ(intent_of("me duele la cabeza"), "symptom_report");
    EXPECT_EQ(intent_of("I need a refill of my prescription"), "prescription_refill");
    EXPECT_EQ(intent_of("are my blood test results in?"), "test_results");
    EXPECT_EQ(intent_of("question about my bill"), "billing");
    EXPECT_EQ(intent_of("what are your opening hours"), "clinic_info");
    EXPECT_EQ(intent_of("¿A qué hora abren?"), "clinic_info");
    EXPECT_EQ(intent_of("hello"), "greeting");
    EXPECT_EQ(intent_of("Buenos días"), "greeting");
    EXPECT_EQ(intent_of("ok bye"), "goodbye");
    EXPECT_EQ(intent_of("adiós"), "goodbye");
}

TEST(KeywordIntents, NoMatchIsOtherWithZeroConfidence) {
    for (const char* t : {"", "   ", "purple elephants", "the weather is nice", "12345"}) {
        auto g = shipped().classify(t);
        EXPECT_EQ(g.intent, "other") << t;
        EXPECT_EQ(g.confidence, 0.0) << t;
    }
}

TEST(KeywordIntents, ConfidenceGrowsWithMatchedWordsAndDropsWithCompetition) {
    keyword_intent_classifier c({{"a", {"alpha", "alpha beta gamma"}}, {"b", {"delta"}}}, "test");
    EXPECT_DOUBLE_EQ(c.classify("alpha").confidence, 0.6);
    EXPECT_DOUBLE_EQ(c.classify("alpha beta gamma").confidence, 0.8);
    EXPECT_DOUBLE_EQ(c.classify("alpha beta gamma delta").confidence, 0.7);
    EXPECT_EQ(c.classify("alpha beta gamma delta").intent, "a");
    EXPECT_DOUBLE_EQ(c.classify("alpha alpha alpha alpha alpha alpha").confidence, 0.9);
    EXPECT_EQ(c.version(), "test");
}

TEST(KeywordIntents, TiesGoToTheIntentListedFirst) {
    keyword_intent_classifier c({{"first", {"x"}}, {"second", {"y"}}}, "t");
    EXPECT_EQ(c.classify("y x").intent, "first");
    EXPECT_EQ(c.classify("Y").intent, "second");
}

TEST(KeywordIntents, LoadErrorsNameFileLineAndColumn) {
    auto r = load_keyword_intents("version: \"1\"\nintents:\n  a: [x]\n  a: [y]\n  other: [z]\n  b: 3\nextra: 1\n", "i.yaml");
    EXPECT_FALSE(r.classifier);
    EXPECT_EQ(r.errors, (std::vector<std::string>{
                            "i.yaml:4:3: duplicate intent 'a'",
                            "i.yaml:5:3: 'other' cannot be an intent name (\"other\" means no match)",
                            "i.yaml:6:6: phrases of intent 'b' must be a list of strings",
                            "i.yaml:7:1: unknown key 'extra'; expected one of: version, intents",
                        }));
    auto bad = load_keyword_intents("intents: [", "i.yaml");
    ASSERT_EQ(bad.errors.size(), 1u);
    EXPECT_EQ(bad.errors[0].rfind("i.yaml:", 0), 0u);
    EXPECT_NE(bad.errors[0].find("invalid YAML"), std::string::npos);
    auto missing = load_keyword_intents("intents: { a: [x] }", "i.yaml");
    EXPECT_EQ(missing.errors, (std::vector<std::string>{"i.yaml:1:1: missing required key 'version'"}));
}

}  // namespace
}  // namespace triage::dialog

#include "dialog/answer.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

namespace triage::dialog {
namespace {

using testing::fixed_now;

flow_state state_with(input_kind k) {
    return flow_state{.id = "q", .say = {}, .input = k, .slot = {}, .choices = {}, .actions = {}, .next = {}};
}

std::optional<std::string> answer(input_kind k, std::string_view text) {
    return interpret_answer(state_with(k), text, "other", fixed_now());
}

TEST(YesNo, EnglishAndSpanishWords) {
    for (const char* yes : {"yes", "Y", "yeah", "Yep!", "sure", "ok", "okay", "Sí", "si", "claro", "De acuerdo",
                            "yes please", "yes, I want to continue", "ajá", "sii", "ye", "sale", "sí señora", "fine yes",
                            "fine", "alright", "ok then sure", "bueno sí", "go ahead", "va", "órale"})
        EXPECT_EQ(answer(input_kind::yes_no, yes), "yes") << yes;
    for (const char* no : {"no", "NO.", "nope", "nah", "no gracias", "No thanks", "no, that's all"})
        EXPECT_EQ(answer(input_kind::yes_no, no), "no") << no;
    for (const char* neither : {"", "maybe", "book", "I don't know", "yes no", "not yes", "I guess not yes",
                                "my son said yes"})
        EXPECT_EQ(answer(input_kind::yes_no, neither), std::nullopt) << neither;
}

flow_state booking_choice() {
    flow_state s = state_with(input_kind::choice);
    s.choices = {
        {"in_person", {{"en", "At the clinic"}, {"es", "En la clínica"}}, {"in person", "office"}, {}},
        {"video", {{"en", "Video visit"}, {"es", "Videollamada"}}, {"online"}, {}},
        {"phone", {{"en", "Phone call"}, {"es", "Llamada telefónica"}}, {"by phone"}, {"phone_intent"}},
    };
    return s;
}

std::optional<std::string> choose(std::string_view text, std::string_view intent = "other") {
    return interpret_answer(booking_choice(), text, intent, fixed_now());
}

TEST(Choice, ByValueLabelSynonymAndNumber) {
    EXPECT_EQ(choose("video"), "video");                    // the quick-reply value
    EXPECT_EQ(choose("Video visit"), "video");              // English label
    EXPECT_EQ(choose("  at the CLINIC! "), "in_person");    // label, folded
    EXPECT_EQ(choose("Llamada telefonica"), "phone");       // Spanish label without the accent
    EXPECT_EQ(choose("videollamada"), "video");
    EXPECT_EQ(choose("online"), "video");                   // synonym
    EXPECT_EQ(choose("2"), "video");                        // option number
    EXPECT_EQ(choose("4"), std::nullopt);
}

TEST(Choice, ByIntentThenByPhraseInsideText) {
    EXPECT_EQ(choose("whatever", "video"), "video");          // intent equal to a value
    EXPECT_EQ(choose("whatever", "phone_intent"), "phone");   // intent listed on the option
    EXPECT_EQ(choose("I would prefer a video visit please"), "video");
    EXPECT_EQ(choose("in person or by phone"), std::nullopt); // two options, equally long: ask again
    EXPECT_EQ(choose("pizza"), std::nullopt);
}

TEST(Date, AcceptedForms) {
    EXPECT_EQ(answer(input_kind::date, "2026-03-14"), "2026-03-14");
    EXPECT_EQ(answer(input_kind::date, "03/14/2026"), "2026-03-14");
    EXPECT_EQ(answer(input_kind::date, "3/4/2026"), "2026-03-04");
    EXPECT_EQ(answer(input_kind::date, "14/03/2026"), "2026-03-14");  // day first is unambiguous
    EXPECT_EQ(answer(input_kind::date, "today"), "2026-03-10");
    EXPECT_EQ(answer(input_kind::date, "Tomorrow"), "2026-03-11");
    EXPECT_EQ(answer(input_kind::date, "hoy"), "2026-03-10");
    EXPECT_EQ(answer(input_kind::date, "mañana"), "2026-03-11");
    EXPECT_EQ(answer(input_kind::date, "pasado mañana"), "2026-03-12");
    // The way people write days (issue 18). "now" is Tuesday 2026-03-10.
    EXPECT_EQ(answer(input_kind::date, "03/14/26"), "2026-03-14");
    EXPECT_EQ(answer(input_kind::date, "3/20"), "2026-03-20");
    EXPECT_EQ(answer(input_kind::date, "3/2"), "2027-03-02");  // gone by this year: the next one
    EXPECT_EQ(answer(input_kind::date, "friday"), "2026-03-13");
    EXPECT_EQ(answer(input_kind::date, "next tuesday"), "2026-03-17");
    EXPECT_EQ(answer(input_kind::date, "el lunes por la mañana"), "2026-03-16");
    EXPECT_EQ(answer(input_kind::date, "mañana por la tarde"), "2026-03-11");
    EXPECT_EQ(answer(input_kind::date, "sorry, I meant Thursday"), "2026-03-12");
    EXPECT_EQ(answer(input_kind::date, "any day next week"), "2026-03-16");
    EXPECT_EQ(answer(input_kind::date, "la semana que viene"), "2026-03-16");
    EXPECT_EQ(answer(input_kind::date, "la otra semana"), "2026-03-16");
    EXPECT_EQ(answer(input_kind::date, "asap"), "2026-03-10");
    EXPECT_EQ(answer(input_kind::date, "cualquier dia"), "2026-03-10");
    EXPECT_EQ(answer(input_kind::date, "March 20"), "2026-03-20");
    EXPECT_EQ(answer(input_kind::date, "20 de marzo"), "2026-03-20");
    EXPECT_EQ(answer(input_kind::date, "November 3 1979"), "1979-11-03");
    EXPECT_EQ(answer(input_kind::date, "14 de marzo de 1980"), "1980-03-14");
    EXPECT_EQ(answer(input_kind::date, "the 22nd of december"), "2026-12-22");
    EXPECT_EQ(answer(input_kind::date, "2 de abril del 2018"), "2018-04-02");
    EXPECT_EQ(answer(input_kind::date, "5-1-92"), "1992-05-01");
    EXPECT_EQ(answer(input_kind::date, "el 20"), "2026-03-20");
    EXPECT_EQ(answer(input_kind::date, "on the 3rd"), "2026-04-03");  // gone by this month: the next
    EXPECT_EQ(answer(input_kind::date, "cualquier tarde"), "2026-03-10");
}

TEST(Date, DatesAQuestionDoesNotTakeAreRefusedWithTheReason) {
    flow_state preferred = state_with(input_kind::date);
    preferred.dates = flow_state::date_range::future;
    flow_state birth = state_with(input_kind::date);
    birth.dates = flow_state::date_range::past;
    const auto now = std::chrono::sys_days{std::chrono::year{2026} / 3 / 10};
    // A birth date typed at "which day would you prefer?" was booked as the preferred day.
    EXPECT_EQ(interpret_answer(preferred, "02/14/1980", "other", now), std::nullopt);
    EXPECT_EQ(date_refusal(preferred, "02/14/1980", now), "past");
    EXPECT_EQ(interpret_answer(preferred, "today", "other", now), "2026-03-10");
    EXPECT_EQ(interpret_answer(birth, "tomorrow", "other", now), std::nullopt);
    EXPECT_EQ(date_refusal(birth, "tomorrow", now), "future");
    EXPECT_EQ(interpret_answer(birth, "02/14/1980", "other", now), "1980-02-14");
    EXPECT_EQ(date_refusal(preferred, "no idea", now), std::nullopt);
}

TEST(Date, RejectedForms) {
    for (const char* bad : {"", "soon", "2026-02-30", "13/13/2026", "2026-3", "2026/03/14", "1-2-3", "1-2-345",
                            "0000-01-01", "2026-03-14-01", "may I come in", "no idea"})
        EXPECT_EQ(answer(input_kind::date, bad), std::nullopt) << bad;
}

TEST(Date, UsesTheUtcDateOfNow) {
    using namespace std::chrono;
    auto late = sys_days{year{2026} / December / 31} + hours{23} + minutes{59};
    EXPECT_EQ(interpret_answer(state_with(input_kind::date), "tomorrow", "other", late), "2027-01-01");
}

TEST(Phone, DigitsAfterRemovingSeparators) {
    EXPECT_EQ(answer(input_kind::phone, "(555) 010-0123"), "5550100123");
    EXPECT_EQ(answer(input_kind::phone, "+1 555.010.0123"), "15550100123");
    EXPECT_EQ(answer(input_kind::phone, "5550100"), "5550100");              // 7 digits
    EXPECT_EQ(answer(input_kind::phone, "123456789012345"), "123456789012345");  // 15 digits
    for (const char* bad : {"", "555010", "1234567890123456", "call me", "555-0100 ext 2", "++5550100123", "555 0100x"})
        EXPECT_EQ(answer(input_kind::phone, bad), std::nullopt) << bad;
}

TEST(FreeText, TrimmedTextOrNothing) {
    EXPECT_EQ(answer(input_kind::free_text, "  my head hurts \n"), "my head hurts");
    EXPECT_EQ(answer(input_kind::free_text, "   "), std::nullopt);
    EXPECT_EQ(answer(input_kind::free_text, "?!"), std::nullopt);
    EXPECT_EQ(answer(input_kind::none, "anything"), std::nullopt);
}

TEST(LanguageRequest, ShortMessagesOnly) {
    EXPECT_EQ(language_request("Español"), "es");
    EXPECT_EQ(language_request("en español por favor"), "es");
    EXPECT_EQ(language_request("Spanish please"), "es");
    EXPECT_EQ(language_request("English"), "en");
    EXPECT_EQ(language_request("inglés"), "en");
    EXPECT_EQ(language_request("my spanish teacher said I should ask"), std::nullopt);
    EXPECT_EQ(language_request("hola"), std::nullopt);
}

}  // namespace
}  // namespace triage::dialog

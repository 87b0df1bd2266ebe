// What leaves the process for a remote model: no names, dates, phone numbers, e-mail addresses,
// street addresses or record numbers, in English or Spanish, typed however patients type them;
// and the request itself still readable.
#include "integrations/remote_intent/redact.hpp"

#include <gtest/gtest.h>

namespace triage::integrations::remote_intent {
namespace {

std::string r(std::string_view s, const std::vector<std::string>& known = {}) { return redact_phi(s, known).text; }

TEST(redact, emails) {
    EXPECT_EQ(r("email me at jane.doe+clinic@example.co.uk please"), "email me at [EMAIL] please");
    EXPECT_EQ(r("mi correo es PEPE_99@correo.es"), "mi correo es [EMAIL]");
}

TEST(redact, phone_numbers_in_many_shapes) {
    for (std::string_view phone : {"555-010-0123", "(555) 010 0123", "+1 555 010 0123", "5550100123", "555.010.0123",
                                   "600 123 456", "+34 600123456", "91 123 45 67"}) {
        const std::string out = r("call me on " + std::string(phone) + " tomorrow");
        EXPECT_EQ(out, "call me on [PHONE] tomorrow") << phone;
    }
}

TEST(redact, dates_and_dates_of_birth) {
    EXPECT_EQ(r("born 03/14/1961"), "born [DATE]");
    EXPECT_EQ(r("dob 1961-03-14"), "dob [DATE]");
    EXPECT_EQ(r("my birthday is March 14th, 1961"), "my birthday is [DATE]");
    EXPECT_EQ(r("nací el 14 de marzo de 1961"), "nací el [DATE]");
    EXPECT_EQ(r("fecha de nacimiento: 14.3.61"), "fecha de nacimiento: [DATE]");
    EXPECT_EQ(r("born in 1961"), "[DATE]");
    EXPECT_EQ(r("can I come on 12/03"), "can I come on 12/03");  // a day and month alone say little, kept
}

TEST(redact, record_numbers) {
    EXPECT_EQ(r("my MRN is 00123456"), "my [ID]");
    EXPECT_EQ(r("member id: XJ-99887766 for the bill"), "[ID] for the bill");
    EXPECT_EQ(r("ssn 123-45-6789"), "[ID]");
    EXPECT_EQ(r("mi número de afiliado es 4455 6677 88"), "mi [ID]");
    EXPECT_EQ(r("expediente 778899"), "[ID]");
    EXPECT_EQ(r("A12345678"), "[ID]");
}

TEST(redact, street_addresses) {
    EXPECT_EQ(r("I live at 1234 Elm Street Apt 5 near the park"), "I live at [ADDRESS] near the park");
    EXPECT_EQ(r("send it to 42 w. maple ave"), "send it to [ADDRESS]");
    EXPECT_EQ(r("vivo en calle Mayor 12, 3º B"), "vivo en [ADDRESS]");
    EXPECT_EQ(r("Avenida de la Constitución num. 45"), "[ADDRESS]");
    EXPECT_EQ(r("zip code 90210"), "[ZIP]");
}

TEST(redact, names_after_introductions) {
    EXPECT_EQ(r("my name is jane doe and I need a refill"), "my name is [NAME] and I need a refill");
    EXPECT_EQ(r("Hi, I'm Jane Doe, can I book"), "Hi, I'm [NAME], can I book");
    EXPECT_EQ(r("this is Maria calling about my bill"), "this is [NAME] calling about my bill");
    EXPECT_EQ(r("me llamo josé luis pérez y quiero una cita"), "me llamo [NAME] y quiero una cita");
    EXPECT_EQ(r("soy Ana María, la mamá de Pedro"), "soy [NAME], la mamá de [NAME]");
    EXPECT_EQ(r("I am the mother of Lily Chen"), "I am the mother of [NAME]");
    EXPECT_EQ(r("my son Jake has a fever"), "my son [NAME] has a fever");
    EXPECT_EQ(r("appointment with Dr. Smith"), "appointment with [NAME]");
    EXPECT_EQ(r("cita con la Dra. García López"), "cita con la [NAME]");
}

TEST(redact, ordinary_words_are_kept) {
    EXPECT_EQ(r("I'm bleeding and I'm scared"), "I'm bleeding and I'm scared");
    EXPECT_EQ(r("soy diabético y necesito insulina"), "soy diabético y necesito insulina");
    EXPECT_EQ(r("can I move my appointment to next tuesday at 3pm"), "can I move my appointment to next tuesday at 3pm");
    EXPECT_EQ(r("I took 2 tablets of 500 mg"), "I took 2 tablets of 500 mg");
}

TEST(redact, known_values_are_replaced_anywhere_in_any_case) {
    auto out = redact_phi("Zorblax here, ZORBLAX needs zorblax's pills", {"Zorblax"});
    EXPECT_EQ(out.text, "[PHI] here, [PHI] needs [PHI]'s pills");
    EXPECT_EQ(out.replaced.at("[PHI]"), 3);
}

TEST(redact, canaries_never_survive) {
    // One message with every kind at once, in both languages.
    const std::string canary = "Quuxley";
    const std::string text = "Hi my name is " + canary + " Smith, born 02/03/1961, phone 555-0100-77, email " + canary +
                             "@example.com, I live at 77 " + canary + " Road, MRN 99887766. Me llamo " + canary +
                             " y vivo en calle " + canary + " 8.";
    const auto out = redact_phi(text);
    for (std::string_view bad : {"Quuxley", "02/03/1961", "555-0100-77", "@example.com", "99887766"}) {
        EXPECT_EQ(out.text.find(bad), std::string::npos) << bad << " in: " << out.text;
    }
}

TEST(redact, hostile_input_is_linear_and_safe) {
    std::string evil(200000, 'a');
    evil += "@";
    const auto out = redact_phi(evil);
    EXPECT_EQ(out.text.size(), evil.size());
    std::string digits(100000, '1');
    EXPECT_EQ(redact_phi(digits).text.find('1'), std::string::npos);
}

}  // namespace
}  // namespace triage::integrations::remote_intent

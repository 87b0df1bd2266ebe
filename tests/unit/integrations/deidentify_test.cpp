// De-identification of exported patient messages (integrations/phi/deidentify.hpp): canary
// identifiers of every Safe Harbor kind a chat holds must be gone; the clinical words must stay.
#include "integrations/phi/deidentify.hpp"

#include <gtest/gtest.h>

namespace triage::integrations::phi {
namespace {

const common_words& dictionary() {
    static const common_words w = [] {
        common_words c;
        for (const char* e : {"my", "name", "is", "i", "have", "crushing", "chest", "pain", "call", "me", "at", "or",
                              "email", "since", "the", "son", "has", "a", "fever", "of", "took", "mg", "and", "tengo",
                              "dolor", "de", "pecho", "me", "llamo", "soy", "diabético", "vivo", "en", "nací", "el",
                              "lives", "on", "he", "was", "born", "years", "old", "saw", "dr", "yesterday", "rose"})
            add_common_word(c, e);
        add_common_word(c, "Maria");  // a proper noun in the dictionary is not a common word
        return c;
    }();
    return w;
}

std::string scrub(std::string_view s) { return deidentify(s, dictionary()); }

TEST(deidentify, removes_canary_identifiers_and_keeps_the_clinical_words) {
    const std::string out = scrub("My name is Zyxandra Quillfeather, I have crushing chest pain. Call me at "
                                  "(555) 201-7788 or email zq.canary@example.org, MRN 4471923");
    for (const char* canary : {"Zyxandra", "Quillfeather", "555", "7788", "zq.canary", "example.org", "4471923"})
        EXPECT_EQ(out.find(canary), std::string::npos) << canary << " in: " << out;
    EXPECT_NE(out.find("crushing chest pain"), std::string::npos) << out;
    EXPECT_NE(out.find("[NAME]"), std::string::npos) << out;
    EXPECT_NE(out.find("[PHONE]"), std::string::npos) << out;
    EXPECT_NE(out.find("[EMAIL]"), std::string::npos) << out;
    EXPECT_NE(out.find("[ID]"), std::string::npos) << out;
}

TEST(deidentify, a_full_name_is_one_tag) {
    EXPECT_EQ(scrub("my name is Ana Lopez Ruiz and I have chest pain"), "my name is [NAME] and I have chest pain");
}

TEST(deidentify, spanish_names_dates_and_addresses) {
    const std::string out = scrub("me llamo quetzalina, soy diabetico, vivo en Calle Olmo 42, naci el 3 de marzo de "
                                  "1961, tengo dolor de pecho");
    for (const char* canary : {"quetzalina", "Olmo", "42", "3 de marzo"})
        EXPECT_EQ(out.find(canary), std::string::npos) << canary << " in: " << out;
    EXPECT_NE(out.find("soy diabetico"), std::string::npos) << out;  // a common word without its accent
    EXPECT_NE(out.find("tengo dolor de pecho"), std::string::npos) << out;
}

TEST(deidentify, dates_addresses_titles_and_great_ages) {
    const std::string out = scrub("he was born 04/12/1931, lives at 12 Birch Lane, saw Dr. Okonkwo yesterday, "
                                  "he is 94 years old");
    for (const char* canary : {"04/12/1931", "Birch", "Okonkwo", "94"})
        EXPECT_EQ(out.find(canary), std::string::npos) << canary << " in: " << out;
    EXPECT_NE(out.find("[DATE]"), std::string::npos) << out;
    EXPECT_NE(out.find("[ADDRESS]"), std::string::npos) << out;
    EXPECT_NE(out.find("90+ years old"), std::string::npos) << out;
}

TEST(deidentify, doses_temperatures_and_abbreviations_stay) {
    EXPECT_EQ(scrub("my son has a fever of 39.5 since 2am, took 400 mg"), "my son has a fever of 39.5 since 2am, took 400 mg");
    EXPECT_EQ(scrub("I have chest pain, ER or COVID?"), "I have chest pain, ER or COVID?");
    EXPECT_EQ(scrub("Maria has chest pain"), "[NAME] has chest pain");  // a capitalised proper noun
}

}  // namespace
}  // namespace triage::integrations::phi

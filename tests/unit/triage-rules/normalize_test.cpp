#include "triage-rules/normalize.hpp"

#include <gtest/gtest.h>

using triage::rules::normalize;

TEST(normalize, case_width_and_accents) {
    EXPECT_EQ(normalize("ＣＨＥＳＴ Pain").text, "chest pain");
    EXPECT_EQ(normalize("Opresión en el PECHO").text, "opresion en el pecho");
    EXPECT_EQ(normalize("ataque al corazón").text, "ataque al corazon");
}

TEST(normalize, invisible_characters_vanish_and_apostrophes_join) {
    EXPECT_EQ(normalize("che\u200Bst pa\u00ADin").text, "chest pain");
    EXPECT_EQ(normalize("I can't breathe").text, "i cant breathe");
    EXPECT_EQ(normalize("I can\u2019t breathe").text, "i cant breathe");
}

TEST(normalize, punctuation_and_clause_breaks) {
    EXPECT_EQ(normalize("pain!!!   (chest)").text, "pain | chest");
    EXPECT_EQ(normalize("no fever. chest pain").text, "no fever | chest pain");
    EXPECT_EQ(normalize("\xF0\x9F\x98\xA2 chest pain").text, "chest pain");
}

TEST(normalize, origin_maps_back_to_input_bytes) {
    std::string in = "Mi PECHO: dolor";
    auto n = normalize(in);
    ASSERT_EQ(n.text, "mi pecho dolor");
    auto pos = n.text.find("dolor");
    EXPECT_EQ(in.substr(n.origin[pos], n.origin_end[pos + 4] - n.origin[pos]), "dolor");
    auto wide = normalize("ＣＨＥＳＴ");
    EXPECT_EQ(wide.origin.front(), 0u);
    EXPECT_EQ(wide.origin_end.back(), 15u);  // five 3-byte characters
}

TEST(normalize, invalid_utf8_is_a_separator_not_a_crash) {
    EXPECT_EQ(normalize("chest\xFF\xFEpain").text, "chest pain");
    EXPECT_EQ(normalize("").text, "");
}

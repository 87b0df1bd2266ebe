#include "dialog/text.hpp"

#include <gtest/gtest.h>

namespace triage::dialog::text {
namespace {

TEST(Fold, LowersStripsAccentsAndPunctuation) {
    EXPECT_EQ(fold("  Sí, ¡CLARO!  "), "si claro");
    EXPECT_EQ(fold("Mañana"), "manana");
    EXPECT_EQ(fold("ÁÉÍÓÚ Ü Ñ ç"), "aeiou u n c");
    EXPECT_EQ(fold("Straße"), "strasse");
    EXPECT_EQ(fold("can't"), "can t");
    EXPECT_EQ(fold("don\xE2\x80\x99t"), "don t");  // curly apostrophe
    EXPECT_EQ(fold("a\xE2\x80\x8B" "b"), "a b");      // zero-width space separates
    EXPECT_EQ(fold("¿Qué tal?"), "que tal");
    EXPECT_EQ(fold(""), "");
    EXPECT_EQ(fold("!!!"), "");
}

TEST(Fold, KeepsOtherScriptsAndInvalidBytes) {
    EXPECT_EQ(fold("Привет"), "Привет");  // not Latin-1: kept byte for byte
    EXPECT_EQ(fold(std::string("a\xC3") ), "a\xC3");
}

TEST(ContainsPhrase, WholeWordsOnly) {
    EXPECT_TRUE(contains_phrase("i want to book a visit", "book"));
    EXPECT_TRUE(contains_phrase("i want to book a visit", "book a visit"));
    EXPECT_FALSE(contains_phrase("booking a visit", "book"));
    EXPECT_FALSE(contains_phrase("ebook", "book"));
    EXPECT_TRUE(contains_phrase("book", "book"));
    EXPECT_FALSE(contains_phrase("book", ""));
}

TEST(Placeholders, FindsNamesAndIgnoresOtherBraces) {
    auto p = placeholders("Call {emergency_number} or {clinic_phone}. {not valid} {} {x");
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0].name, "emergency_number");
    EXPECT_EQ(p[0].begin, 5u);
    EXPECT_EQ(p[0].end, 23u);
    EXPECT_EQ(p[1].name, "clinic_phone");
}

TEST(Trim, RemovesAsciiSpace) {
    EXPECT_EQ(trim(" \t x y \n"), "x y");
    EXPECT_EQ(trim("   "), "");
}

}  // namespace
}  // namespace triage::dialog::text

// Expected texts and byte offsets are worked out by hand from the UTF-8 encodings noted beside them.
#include "triage-rules/normalize.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace triage::rules {
namespace {

using offsets = std::vector<std::size_t>;

TEST(normalize, folds_case_and_full_width_forms) {
    EXPECT_EQ(normalize("ｃｈｅｓｔ ｐａｉｎ").text, "chest pain");
    EXPECT_EQ(normalize("ＣＨＥＳＴ Pain").text, "chest pain");
    EXPECT_EQ(normalize("CHEST PAIN").text, "chest pain");
    EXPECT_EQ(normalize("Straße").text, "strasse");  // full case folding
    EXPECT_EQ(normalize("\xEF\xAC\x81nd").text, "find");  // U+FB01 ligature "fi"
}

TEST(normalize, removes_accents) {
    EXPECT_EQ(normalize("Opresión en el PECHO").text, "opresion en el pecho");
    EXPECT_EQ(normalize("ataque al corazón").text, "ataque al corazon");
    EXPECT_EQ(normalize("el niño, ÑANDÚ").text, "el nino nandu");
    EXPECT_EQ(normalize("cafe\xCC\x81").text, "cafe");  // e + U+0301 combining acute
    EXPECT_EQ(normalize("naïve façade").text, "naive facade");
}

TEST(normalize, drops_invisible_characters_inside_words) {
    EXPECT_EQ(normalize("che\u200Bst pain").text, "chest pain");      // zero-width space
    EXPECT_EQ(normalize("chest pa\u00ADin").text, "chest pain");      // soft hyphen
    EXPECT_EQ(normalize("\uFEFFchest\u200D pain\u2060").text, "chest pain");  // BOM, ZWJ, word joiner
    EXPECT_EQ(normalize("chest\x01pain").text, "chestpain");          // C0 control: dropped, not a space
}

TEST(normalize, drops_apostrophes) {
    EXPECT_EQ(normalize("I can't breathe").text, "i cant breathe");
    EXPECT_EQ(normalize("I don\u2019t have").text, "i dont have");
    EXPECT_EQ(normalize("can\u00B4t, won`t").text, "cant wont");
}

TEST(normalize, punctuation_emoji_and_whitespace_become_one_space) {
    EXPECT_EQ(normalize("pain!!!   (chest)").text, "pain chest");
    EXPECT_EQ(normalize("\xF0\x9F\x98\xA2 chest pain \xF0\x9F\x98\xA2").text, "chest pain");  // U+1F622
    EXPECT_EQ(normalize("  a \t,\n b  ").text, "a b");
    EXPECT_EQ(normalize("self-harm").text, "self harm");
    EXPECT_EQ(normalize("38.5").text, "38 5");
    EXPECT_EQ(normalize("...").text, "");
    EXPECT_EQ(normalize("").text, "");
}

TEST(normalize, invalid_utf8_is_a_separator) {
    EXPECT_EQ(normalize("chest\xFF\xFEpain").text, "chest pain");
    EXPECT_EQ(normalize("abc\xE2\x80").text, "abc");      // truncated 3-byte sequence
    EXPECT_EQ(normalize("\xC0\xAF" "x").text, "x");      // overlong encoding of '/'
    EXPECT_EQ(normalize("a\xED\xA0\x80z").text, "a z");  // encoded surrogate
}

TEST(normalize, origin_maps_each_byte_to_the_input) {
    // "Ｃ" is EF BC A3: three input bytes give one output byte.
    auto wide = normalize("\xEF\xBC\xA3hest");
    EXPECT_EQ(wide.text, "chest");
    EXPECT_EQ(wide.origin, (offsets{0, 3, 4, 5, 6}));
    EXPECT_EQ(wide.origin_end, (offsets{3, 4, 5, 6, 7}));

    // c h e [E2 80 8B] s t ' ' p a i n: the zero-width space occupies bytes 3..5.
    auto zw = normalize("che\u200Bst pain");
    EXPECT_EQ(zw.text, "chest pain");
    EXPECT_EQ(zw.origin, (offsets{0, 1, 2, 6, 7, 8, 9, 10, 11, 12}));
    EXPECT_EQ(zw.origin_end, (offsets{1, 2, 3, 7, 8, 9, 10, 11, 12, 13}));

    // "é" is C3 A9.
    auto cafe = normalize("café");
    EXPECT_EQ(cafe.text, "cafe");
    EXPECT_EQ(cafe.origin, (offsets{0, 1, 2, 3}));
    EXPECT_EQ(cafe.origin_end, (offsets{1, 2, 3, 5}));

    // "ß" (C3 9F) becomes "ss"; both output bytes point at it.
    auto strasse = normalize("Straße");
    EXPECT_EQ(strasse.text, "strasse");
    EXPECT_EQ(strasse.origin, (offsets{0, 1, 2, 3, 4, 4, 6}));
    EXPECT_EQ(strasse.origin_end, (offsets{1, 2, 3, 4, 6, 6, 7}));

    // The space of a collapsed run points at the first separator of the run.
    auto run = normalize("Mi PECHO: dolor");
    EXPECT_EQ(run.text, "mi pecho dolor");
    EXPECT_EQ(run.origin[8], 8u);  // ':'
    EXPECT_EQ(run.origin_end[8], 9u);
    EXPECT_EQ(run.origin[9], 10u);  // 'd'
    EXPECT_EQ(run.origin_end[13], 15u);
}

TEST(normalize, is_idempotent) {
    for (const char* s :
         {"Opresión en el PECHO", "ｃｈｅｓｔ ｐａｉｎ", "Straße", "I can't", "\xEF\xAC\x81nd ①"}) {
        const std::string once = normalize(s).text;
        EXPECT_EQ(normalize(once).text, once) << s;
    }
}

TEST(normalize, never_throws_and_keeps_its_invariants_on_arbitrary_bytes) {
    std::string all;
    for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
    std::string noise;
    std::uint32_t x = 12345;
    for (int i = 0; i < 20000; ++i) {
        x = x * 1664525u + 1013904223u;
        noise.push_back(static_cast<char>(x >> 24));
    }
    for (const std::string& in : {all, noise, all + noise + all}) {
        normalized_text n;
        EXPECT_NO_THROW(n = normalize(in));
        EXPECT_FALSE(n.failed);
        ASSERT_EQ(n.origin.size(), n.text.size());
        ASSERT_EQ(n.origin_end.size(), n.text.size());
        for (std::size_t i = 0; i < n.text.size(); ++i) {
            EXPECT_LT(n.origin[i], n.origin_end[i]);
            EXPECT_LE(n.origin_end[i], in.size());
        }
        EXPECT_EQ(n.text.find("  "), std::string::npos);
        if (!n.text.empty()) {
            EXPECT_NE(n.text.front(), ' ');
            EXPECT_NE(n.text.back(), ' ');
        }
    }
}

}  // namespace
}  // namespace triage::rules

namespace triage::rules {
namespace {

// Found by the fuzzer: a Cyrillic letter whose decomposition leaves a Cyrillic look-alike base
// ("Ё" -> "е" + diaeresis) must end as the Latin letter, or normalising twice differs.
TEST(normalize_look_alikes, other_scripts_read_as_latin_and_stay_idempotent) {
    EXPECT_EQ(normalize("\xD0\x81").text, "e");                     // Ё
    EXPECT_EQ(normalize("ch\xD0\xB5st p\xD0\xB0in").text, "chest pain");  // Cyrillic е and а
    EXPECT_EQ(normalize("\xCE\xBF").text, "o");                     // Greek omicron
    EXPECT_EQ(normalize("burn").text, "burn");                      // "rn" is never "m" in Latin text
    // Found by the fuzzer too: "ŉ" decomposes to a modifier apostrophe and "n".
    EXPECT_EQ(normalize("\xC5\x89").text, "n");
    for (std::string_view s : {"\xD0\x81\xD0\xB9", "\xCE\x86\xCE\xB8", "\xE1\x8F\xA1", "\xC5\x89"}) {
        const auto once = normalize(s).text;
        EXPECT_EQ(normalize(once).text, once);
    }
}

}  // namespace
}  // namespace triage::rules

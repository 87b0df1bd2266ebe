// The obfuscation-proof reading: stand-ins for letters and letters spelled one by one.
#include "triage-rules/deobfuscate.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

namespace triage::rules {
namespace {

TEST(unleet, replaces_stand_ins_between_letters_only) {
    EXPECT_EQ(unleet("ch3st p41n"), "chest pain");
    EXPECT_EQ(unleet("k!ll mys3lf"), "kill myself");
    EXPECT_EQ(unleet("$uicide"), "suicide");
    EXPECT_EQ(unleet("@nxiety"), "anxiety");
}

TEST(unleet, leaves_numbers_times_and_doses_alone) {
    EXPECT_EQ(unleet("38.5 since 2am, took 10mg x3"), "38.5 since 2am, took 10mg x3");
    EXPECT_EQ(unleet("$40 copay"), "$40 copay");
    EXPECT_EQ(unleet("help!"), "help!");
    EXPECT_EQ(unleet("room 101"), "room 101");
}

TEST(join_spelled_letters, joins_runs_of_three_or_more_and_keeps_spans) {
    const std::string message = "my c h e s t hurts";
    const auto n = join_spelled_letters(normalize(message));
    EXPECT_EQ(n.text, "my chest hurts");
    ASSERT_EQ(n.origin.size(), n.text.size());
    // "chest" maps back to the spelled-out letters as the patient wrote them.
    const auto at = n.text.find("chest");
    EXPECT_EQ(message.substr(n.origin[at], n.origin_end[at + 4] - n.origin[at]), "c h e s t");
}

TEST(join_spelled_letters, leaves_ordinary_one_letter_words) {
    EXPECT_EQ(join_spelled_letters(normalize("i have a cough")).text, "i have a cough");
    EXPECT_EQ(join_spelled_letters(normalize("vitamin b and c")).text, "vitamin b and c");
}

TEST(deobfuscate, dotted_and_spaced_letters_are_read) {
    const std::string message = "s.u.i.c.i.d.e";
    const auto d = deobfuscate(message, normalize(message));
    EXPECT_TRUE(d.changed);
    EXPECT_EQ(d.text.text, "suicide");
    const std::string plain = "I have a cough";
    EXPECT_FALSE(deobfuscate(plain, normalize(plain)).changed);
}

TEST(deobfuscate, a_wider_gap_between_spelled_letters_ends_a_word) {
    const std::string message = "m y  l e g  w e n t  c o l d";
    EXPECT_EQ(deobfuscate(message, normalize(message)).text.text, "my leg went cold");
    const std::string even = "c o l d";
    EXPECT_EQ(deobfuscate(even, normalize(even)).text.text, "cold");
}

TEST(join_spelled_letters, a_stand_in_digit_belongs_to_the_run) {
    EXPECT_EQ(join_spelled_letters(normalize("k 1 l l")).text, "kill");
    EXPECT_EQ(join_spelled_letters(normalize("room 1 2 3")).text, "room 1 2 3");  // digits alone are numbers
}

TEST(join_spelled_letters, an_evenly_spelled_run_is_cut_into_known_words) {
    const known_word known = [](std::string_view w) {
        return w == "i" || w == "want" || w == "to" || w == "kill" || w == "myself" || w == "chest" || w == "pain";
    };
    EXPECT_EQ(join_spelled_letters(normalize("i w a n t t o k 1 l l m y s e l f"), known).text,
              "i want to kill myself");
    EXPECT_EQ(join_spelled_letters(normalize("c h e s t"), known).text, "chest");  // known whole
    EXPECT_EQ(join_spelled_letters(normalize("x q z w v b"), known).text, "xqzwvb");  // no cut: left whole
    const std::string message = "c h e s t p a i n";
    const auto n = join_spelled_letters(normalize(message), known);
    ASSERT_EQ(n.text, "chest pain");
    ASSERT_EQ(n.origin.size(), n.text.size());
    const auto at = n.text.find("pain");
    EXPECT_EQ(message.substr(n.origin[at], n.origin_end[at + 3] - n.origin[at]), "p a i n");
}

TEST(deobfuscate, the_core_pack_reads_obfuscated_red_flags) {
    const auto& e = testing::core_engine();
    for (const char* message : {"c h e s t  p a i n", "i w4nt t0 k!ll mys3lf", "cant br3athe", "s u i c i d a l",
                                "i w a n t t o k 1 l l m y s e l f"}) {
        const auto a = e.assess(message);
        EXPECT_EQ(a.level, urgency::emergency) << message;
        EXPECT_TRUE(a.escalate) << message;
        ASSERT_FALSE(a.findings.empty()) << message;
        const auto& mods = a.findings.front().modifiers;
        EXPECT_NE(std::find(mods.begin(), mods.end(), "obfuscated"), mods.end()) << message;
    }
}

}  // namespace
}  // namespace triage::rules

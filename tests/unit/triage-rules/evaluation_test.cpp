// `triagectl rules test` arithmetic on a tiny pack and hand-labelled cases whose expected figures
// were worked out by hand below.
#include "test_support.hpp"

#include "triage-rules/evaluation.hpp"

#include <gtest/gtest.h>

namespace triage::rules {
namespace {

using testing::pack_from;

const char* const tiny_pack = R"(pack: tiny
version: "1"
rules:
  - id: chest
    category: cardiac
    urgency: emergency
    escalate: true
    rationale: "Chest."
    patterns: { en: ["chest pain"], es: ["dolor de pecho"] }
  - id: cold
    category: cold
    urgency: self_care
    rationale: "Cold."
    patterns: { en: ["runny nose"] }
)";

// Six cases:
//   e1 emergency/cardiac en  "chest pain"            -> emergency (caught)
//   e2 emergency/cardiac es  "dolor de pecho"        -> emergency (caught)
//   e3 emergency/stroke  en  "my face is drooping"   -> none      (MISSED)
//   h1 hard_negative none    "chest pain jokes"      -> emergency (over-triage, false alarm)
//   h2 hard_negative none    "no chest pain"         -> none      (exact)
//   s1 self_care             "runny nose"            -> self_care (exact)
const char* const cases_jsonl =
    R"({"id":"e1","lang":"en","text":"chest pain","urgency":"emergency","category":"cardiac","kind":"emergency"})" "\n"
    R"({"id":"e2","lang":"es","text":"dolor de pecho","urgency":"emergency","category":"cardiac","kind":"emergency"})" "\n"
    "\n"
    R"({"id":"e3","lang":"en","text":"my face is drooping","urgency":"emergency","category":"stroke","kind":"emergency"})" "\n"
    R"({"id":"h1","lang":"en","text":"chest pain jokes","urgency":"none","kind":"hard_negative","tags":["idiom"]})" "\n"
    R"({"id":"h2","lang":"en","text":"no chest pain","urgency":"none","kind":"hard_negative","tags":["negation"]})" "\n"
    R"({"id":"s1","lang":"en","text":"runny nose","urgency":"self_care","kind":"self_care"})";

TEST(evaluation, figures) {
    auto parsed = parse_cases(cases_jsonl, "cases.jsonl");
    ASSERT_TRUE(parsed.errors.empty()) << parsed.errors.front();
    ASSERT_EQ(parsed.cases.size(), 6u);
    std::vector<rule_pack> packs;
    packs.push_back(pack_from(tiny_pack));
    const engine e(std::move(packs));
    const auto ev = evaluate(e, parsed.cases);

    EXPECT_EQ(ev.emergency_recall.hits, 2u);
    EXPECT_EQ(ev.emergency_recall.total, 3u);
    EXPECT_EQ(ev.recall_by_language.at("en").hits, 1u);
    EXPECT_EQ(ev.recall_by_language.at("en").total, 2u);
    EXPECT_EQ(ev.recall_by_language.at("es").hits, 1u);
    EXPECT_EQ(ev.recall_by_category.at("stroke").hits, 0u);
    EXPECT_EQ(ev.recall_by_category.at("cardiac").hits, 2u);
    ASSERT_EQ(ev.missed_emergencies.size(), 1u);
    EXPECT_EQ(ev.missed_emergencies[0].c->id, "e3");

    EXPECT_EQ(ev.over_triage.hits, 1u);  // h1
    EXPECT_EQ(ev.over_triage.total, 3u); // h1, h2, s1
    EXPECT_EQ(ev.hard_negative_over_triage.hits, 1u);
    EXPECT_EQ(ev.hard_negative_over_triage.total, 2u);
    EXPECT_DOUBLE_EQ(ev.hard_negative_over_triage.percent(), 50.0);
    EXPECT_EQ(ev.false_alarms.hits, 1u);
    EXPECT_EQ(ev.exact.hits, 4u);        // e1, e2, h2, s1
    EXPECT_EQ(ev.safe.hits, 5u);         // all but e3
    EXPECT_EQ(ev.confusion[static_cast<int>(urgency::emergency)][static_cast<int>(urgency::none)], 1u);
    EXPECT_EQ(ev.confusion[static_cast<int>(urgency::none)][static_cast<int>(urgency::emergency)], 1u);

    const std::string report = format_report(ev, e.version());
    EXPECT_NE(report.find("MISSED EMERGENCIES (1)"), std::string::npos);
    EXPECT_NE(report.find("e3 [en stroke] label emergency, assessed none: my face is drooping"), std::string::npos);
    EXPECT_NE(report.find("on hard negatives:      50.0% (1/2)"), std::string::npos);
}

TEST(evaluation, bad_lines_are_reported_with_their_line_numbers) {
    const char* bad =
        "not json\n"
        R"({"id":"a","lang":"fr","text":"x","urgency":"none"})" "\n"
        R"({"id":"b","lang":"en","text":"x","urgency":"panic"})" "\n"
        R"({"id":"c","lang":"en","text":"x","urgency":"emergency"})" "\n"
        R"({"id":"d","lang":"en","text":5,"urgency":"none"})" "\n"
        R"({"id":"e","lang":"en","text":"x","urgency":"none"})" "\n"
        R"({"id":"e","lang":"en","text":"y","urgency":"none"})" "\n";
    auto parsed = parse_cases(bad, "bad.jsonl");
    EXPECT_EQ(parsed.cases.size(), 1u);
    EXPECT_EQ(parsed.errors, (std::vector<std::string>{
                                 "bad.jsonl:1: not a JSON object",
                                 "bad.jsonl:2: unknown lang 'fr' (expected en or es)",
                                 "bad.jsonl:3: unknown urgency 'panic' (expected none, self_care, routine, urgent or emergency)",
                                 "bad.jsonl:4: an emergency case needs a \"category\"",
                                 "bad.jsonl:5: \"text\" must be a string",
                                 "bad.jsonl:7: duplicate id 'e'",
                             }));
}

}  // namespace
}  // namespace triage::rules

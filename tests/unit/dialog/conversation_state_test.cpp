#include "dialog/conversation_state.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace triage::dialog {
namespace {

namespace json = boost::json;

conversation_state sample() {
    return conversation_state{.flow_id = "default",
                              .flow_version = "1",
                              .current_state = "booking_phone",
                              .lang = "es",
                              .slots = {{"preferred_date", "2026-03-11"}, {"visit_type", "video"}},
                              .retries = 1,
                              .turns = 7,
                              .ended = false,
                              .highest_urgency = rules::urgency::urgent,
                              .next_seq = 15,
                              .offers = {{"t1", "Wed, Mar 11, 9:00 AM", "{\"slot\":\"slot-1\"}"}}};
}

TEST(ConversationState, JsonHasEveryField) {
    auto v = to_json(sample());
    EXPECT_EQ(json::serialize(v),
              R"({"flow_id":"default","flow_version":"1","current_state":"booking_phone","lang":"es",)"
              R"("slots":{"preferred_date":"2026-03-11","visit_type":"video"},"retries":1,"turns":7,"ended":false,)"
              R"("highest_urgency":"urgent","next_seq":15,)"
              R"("offers":[{"value":"t1","label":"Wed, Mar 11, 9:00 AM","data":"{\"slot\":\"slot-1\"}"}]})");
}

TEST(ConversationState, FollowUpQuestionsInProgressRoundTrip) {
    auto s = sample();
    s.follow_up_topic = "headache";
    s.follow_up_asked = 2;
    s.follow_up_level = rules::urgency::urgent;
    auto v = to_json(s);
    ASSERT_TRUE(v.as_object().contains("follow_up"));
    EXPECT_EQ(json::serialize(v.as_object()["follow_up"]), R"({"topic":"headache","asked":2,"level":"urgent"})");
    auto back = conversation_state_from_json(json::parse(json::serialize(v)));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, s);
    v.as_object()["follow_up"].as_object()["level"] = "soon";
    EXPECT_FALSE(conversation_state_from_json(v));
}

TEST(ConversationState, RoundTrip) {
    auto s = sample();
    auto back = conversation_state_from_json(to_json(s));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, s);
    // Through text too, as the session store keeps it.
    auto reparsed = conversation_state_from_json(json::parse(json::serialize(to_json(s))));
    ASSERT_TRUE(reparsed);
    EXPECT_EQ(*reparsed, s);
    conversation_state big;
    big.next_seq = 18446744073709551615ull;
    big.ended = true;
    auto b = conversation_state_from_json(json::parse(json::serialize(to_json(big))));
    ASSERT_TRUE(b);
    EXPECT_EQ(*b, big);
}

json::error error_of(const std::string& field, json::value replacement) {
    auto v = to_json(sample());
    v.as_object()[field] = std::move(replacement);
    auto r = conversation_state_from_json(v);
    EXPECT_FALSE(r) << field;
    return r ? json::error::test_failure : static_cast<json::error>(r.error().value());
}

TEST(ConversationState, RejectsWrongTypes) {
    EXPECT_EQ(error_of("flow_id", 3), json::error::not_string);
    EXPECT_EQ(error_of("lang", nullptr), json::error::not_string);
    EXPECT_EQ(error_of("slots", json::array{}), json::error::not_object);
    EXPECT_EQ(error_of("slots", json::object{{"a", 1}}), json::error::not_string);
    EXPECT_EQ(error_of("retries", "1"), json::error::not_number);
    EXPECT_EQ(error_of("retries", -1), json::error::not_exact);
    EXPECT_EQ(error_of("turns", 1.5), json::error::not_exact);
    EXPECT_EQ(error_of("turns", 4294967296), json::error::not_exact);
    EXPECT_EQ(error_of("ended", 0), json::error::not_bool);
    EXPECT_EQ(error_of("highest_urgency", 4), json::error::not_string);
    EXPECT_EQ(error_of("highest_urgency", "severe"), json::error::unknown_name);
    EXPECT_EQ(error_of("next_seq", 0), json::error::not_exact);
    EXPECT_EQ(error_of("next_seq", "5"), json::error::not_number);
    EXPECT_EQ(error_of("language_chosen", "yes"), json::error::not_bool);
}

TEST(ConversationState, AChosenLanguageRoundTrips) {
    auto s = sample();
    s.language_chosen = true;
    auto back = conversation_state_from_json(json::parse(json::serialize(to_json(s))));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_TRUE(back->language_chosen);
    // Not written when unset, so states saved before it existed read the same.
    EXPECT_FALSE(to_json(sample()).as_object().contains("language_chosen"));
    auto carried = sample();
    carried.carried_intent = "symptom_report";
    carried.carried_level = rules::urgency::routine;
    carried.carried_topic = "musculoskeletal";
    auto c = conversation_state_from_json(json::parse(json::serialize(to_json(carried))));
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(*c, carried);
}

TEST(ConversationState, RejectsMissingAndUnknownFields) {
    for (const char* field : {"flow_id", "flow_version", "current_state", "lang", "slots", "retries", "turns", "ended",
                              "highest_urgency", "next_seq"}) {
        auto v = to_json(sample());
        v.as_object().erase(field);
        auto r = conversation_state_from_json(v);
        ASSERT_FALSE(r) << field;
        EXPECT_EQ(r.error(), json::make_error_code(json::error::not_found)) << field;
    }
    auto v = to_json(sample());
    v.as_object()["surprise"] = true;
    EXPECT_EQ(conversation_state_from_json(v).error(), json::make_error_code(json::error::unknown_name));
    EXPECT_EQ(conversation_state_from_json(json::array{}).error(), json::make_error_code(json::error::not_object));
    EXPECT_EQ(conversation_state_from_json(nullptr).error(), json::make_error_code(json::error::not_object));
}

}  // namespace
}  // namespace triage::dialog

// Hostile and valid client frames (STYLE T4 at the unit level; the socket-level tests are in
// tests/e2e). Expected codes are the ones documented in docs/protocol.md.
#include "server/protocol/frames.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

using namespace triage::server::protocol;

namespace {

frame_error error_of(std::string_view text) {
    auto r = parse_client_frame(text);
    EXPECT_TRUE(std::holds_alternative<frame_error>(r)) << text;
    return std::holds_alternative<frame_error>(r) ? std::get<frame_error>(r) : frame_error{};
}

}  // namespace

TEST(frames, valid_message) {
    auto r = parse_client_frame(R"({"type":"message","id":"m-1","text":"I need a refill"})");
    ASSERT_TRUE(std::holds_alternative<client_frame>(r));
    auto& m = std::get<message_frame>(std::get<client_frame>(r));
    EXPECT_EQ(m.id, "m-1");
    EXPECT_EQ(m.text, "I need a refill");
}

TEST(frames, valid_start_and_resume) {
    auto s = parse_client_frame(R"({"type":"start","v":1,"lang":"es"})");
    ASSERT_TRUE(std::holds_alternative<client_frame>(s));
    EXPECT_EQ(std::get<start_frame>(std::get<client_frame>(s)).lang, "es");
    auto r = parse_client_frame(R"({"type":"resume","v":1,"token":"abc","last_seq":7})");
    ASSERT_TRUE(std::holds_alternative<client_frame>(r));
    EXPECT_EQ(std::get<resume_frame>(std::get<client_frame>(r)).last_seq, 7u);
}

TEST(frames, malformed_json) {
    EXPECT_EQ(error_of("{not json").code, "invalid_json");
    EXPECT_EQ(error_of("").code, "invalid_json");
    EXPECT_EQ(error_of(R"({"type":"message","id":"a","text":"x"} trailing)").code, "invalid_json");
}

TEST(frames, too_deep_is_invalid_json) {
    EXPECT_EQ(error_of(R"({"type":"ping","a":[[[[[[[[1]]]]]]]]})").code, "invalid_json");
}

TEST(frames, a_repeated_key_is_invalid_json) {
    // Which of two values wins differs between parsers; we refuse rather than pick one.
    EXPECT_EQ(error_of(R"({"type":"message","id":"a","text":"chest pain","text":"hello"})").code, "invalid_json");
    EXPECT_EQ(error_of(R"({"type":"ping","type":"ping"})").code, "invalid_json");
    // The same key in two different objects is not a repeat; nested objects are checked too
    // (the nested one here is an unknown field, so it is refused as that, not as invalid JSON).
    EXPECT_EQ(error_of(R"({"type":"ping","x":{"type":1}})").code, "unknown_field");
    EXPECT_EQ(error_of(R"({"type":"ping","x":{"a":1,"a":2}})").code, "invalid_json");
    // A key split by an escape is still the same key.
    EXPECT_EQ(error_of(R"({"type":"message","id":"a","text":"x","t\u0065xt":"y"})").code, "invalid_json");
}

TEST(frames, a_nul_character_is_refused_naming_its_field) {
    auto e = error_of(R"({"type":"message","id":"m1","text":"I have chest\u0000 pain"})");
    EXPECT_EQ(e.code, "invalid_message");
    EXPECT_EQ(e.field, "text");
    EXPECT_EQ(e.id, "m1");
    auto s = error_of(R"({"type":"start","v":1,"time_zone":"America/New_York\u0000"})");
    EXPECT_EQ(s.code, "invalid_message");
    EXPECT_EQ(s.field, "time_zone");
    // Other control characters are ordinary text.
    auto ok = parse_client_frame(R"({"type":"message","id":"m1","text":"line\u0001 two"})");
    EXPECT_TRUE(std::holds_alternative<client_frame>(ok));
}

TEST(frames, wrong_types) {
    auto e = error_of(R"({"type":"message","id":"m1","text":42})");
    EXPECT_EQ(e.code, "invalid_message");
    EXPECT_EQ(e.field, "text");
    EXPECT_EQ(e.id, "m1");
    EXPECT_EQ(error_of(R"({"type":"message","id":7,"text":"hi"})").field, "id");
    EXPECT_EQ(error_of(R"({"type":5})").code, "invalid_message");
    EXPECT_EQ(error_of(R"([1,2])").code, "invalid_message");
    EXPECT_EQ(error_of(R"({"type":"resume","v":1,"token":"t","last_seq":-1})").field, "last_seq");
}

TEST(frames, missing_fields) {
    EXPECT_EQ(error_of(R"({"type":"message","id":"m1"})").field, "text");
    EXPECT_EQ(error_of(R"({"type":"start"})").field, "v");
    EXPECT_EQ(error_of(R"({"text":"hi"})").field, "type");
}

TEST(frames, unknown_type_and_field) {
    EXPECT_EQ(error_of(R"({"type":"launch_missiles"})").code, "unknown_type");
    auto e = error_of(R"({"type":"message","id":"m2","text":"hi","admin":true})");
    EXPECT_EQ(e.code, "unknown_field");
    EXPECT_EQ(e.field, "admin");
    EXPECT_EQ(e.id, "m2");
}

TEST(frames, version_and_language) {
    EXPECT_EQ(error_of(R"({"type":"start","v":2})").code, "unsupported_version");
    EXPECT_EQ(error_of(R"({"type":"start","v":1,"lang":"fr"})").field, "lang");
}

TEST(frames, text_limits) {
    EXPECT_EQ(error_of(R"({"type":"message","id":"m","text":""})").field, "text");
    EXPECT_EQ(error_of(R"({"type":"message","id":"m","text":"   \n "})").field, "text");
    std::string long_text(2001, 'a');
    EXPECT_EQ(error_of(R"({"type":"message","id":"m","text":")" + long_text + "\"}").field, "text");
    // 2000 characters of 2-byte UTF-8 are fine: the limit counts characters, not bytes.
    std::string accented;
    for (int i = 0; i < 2000; ++i) accented += "\xC3\xA9";
    EXPECT_TRUE(std::holds_alternative<client_frame>(
        parse_client_frame(R"({"type":"message","id":"m","text":")" + accented + "\"}")));
}

TEST(frames, client_id_charset) {
    EXPECT_EQ(error_of(R"({"type":"message","id":"a b","text":"x"})").field, "id");
    EXPECT_EQ(error_of(R"({"type":"message","id":"<script>","text":"x"})").field, "id");
    EXPECT_EQ(error_of(R"({"type":"message","id":"","text":"x"})").field, "id");
}

TEST(frames, hostile_text_is_kept_verbatim) {
    auto r = parse_client_frame(R"({"type":"message","id":"m","text":"<script>alert(1)</script>'; DROP TABLE x;--"})");
    ASSERT_TRUE(std::holds_alternative<client_frame>(r));
    EXPECT_EQ(std::get<message_frame>(std::get<client_frame>(r)).text, "<script>alert(1)</script>'; DROP TABLE x;--");
}

TEST(frames, error_frame_carries_code_message_and_id) {
    auto v = boost::json::parse(error_frame({"not_saved", "", "m-9"}));
    EXPECT_EQ(v.at("type"), "error");
    EXPECT_EQ(v.at("code"), "not_saved");
    EXPECT_EQ(v.at("id"), "m-9");
    EXPECT_NE(std::string(v.at("message").as_string()).find("911"), std::string::npos);
}

TEST(frames, bot_frame_shape) {
    auto v = boost::json::parse(bot_frame(6, "Hi", {{"Yes", "yes"}, {"No", "no"}}, true));
    EXPECT_EQ(v.at("seq"), 6);
    EXPECT_EQ(v.at("urgent"), true);
    EXPECT_EQ(v.at("quick_replies").as_array().size(), 2u);
    EXPECT_EQ(v.at("quick_replies").at(1).at("value"), "no");
}

TEST(frames, start_with_returning_contact) {
    auto r = parse_client_frame(R"({"type":"start","v":1,"contact":"AbCdEfGhIjKlMnOpQrStUv_-0123456789abcdefghi"})");
    ASSERT_TRUE(std::holds_alternative<client_frame>(r));
    EXPECT_EQ(std::get<start_frame>(std::get<client_frame>(r)).contact, "AbCdEfGhIjKlMnOpQrStUv_-0123456789abcdefghi");
    // Too short, too long, not base64url, wrong type: refused with the field named.
    for (const char* bad : {R"({"type":"start","v":1,"contact":"short"})",
                            R"({"type":"start","v":1,"contact":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})",
                            R"({"type":"start","v":1,"contact":"abcdefghijklmnop qrstuvwxyz"})",
                            R"({"type":"start","v":1,"contact":"abcdefghijklmnop;rstuvwxyz"})",
                            R"({"type":"start","v":1,"contact":12345678901234567890})"}) {
        auto e = parse_client_frame(bad);
        ASSERT_TRUE(std::holds_alternative<frame_error>(e)) << bad;
        EXPECT_EQ(std::get<frame_error>(e).field, "contact") << bad;
    }
}

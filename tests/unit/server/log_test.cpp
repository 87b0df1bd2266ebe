// The logger must not accept runtime strings (STYLE G2): patient text cannot reach it by accident.
#include "server/log.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include <string>
#include <type_traits>

using triage::server::log::field_value;
using triage::server::log::safe_id;

static_assert(!std::is_constructible_v<field_value, std::string>);
static_assert(!std::is_constructible_v<field_value, std::string_view>);
static_assert(!std::is_constructible_v<field_value, const char*>);
static_assert(std::is_constructible_v<field_value, const char (&)[4]>);
static_assert(std::is_constructible_v<field_value, safe_id>);
static_assert(!std::is_convertible_v<std::string, safe_id>);

TEST(log, fields_render_values) {
    EXPECT_EQ(field_value(42).text(), "42");
    EXPECT_EQ(field_value(true).text(), "true");
    EXPECT_EQ(field_value("literal").text(), "literal");
    EXPECT_EQ(field_value(boost::system::error_code{}).text(), "ok");
    EXPECT_FALSE(field_value(1.5).quoted());
    EXPECT_TRUE(field_value(std::nan("")).quoted()) << "NaN is no JSON number";
}

// An empty file of our own for the logger to write to; "" if none could be made.
static std::string temp_log_file() {
    char path[] = "/tmp/triage-log-test-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return {};
    close(fd);
    return path;
}

TEST(log, a_line_is_one_json_object_with_typed_fields) {
    namespace log = triage::server::log;
    const std::string path = temp_log_file();
    ASSERT_FALSE(path.empty());
    log::configure(log::level::info, path);
    log::info("patient.connected", {{"conn", 7}, {"ok", true}, {"code", log::field_value::code("a\"b")},
                                    {"conversation", safe_id("c-1")}});
    log::debug("patient.hidden", {});
    std::ifstream in(path);
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    auto v = boost::json::parse(line).as_object();
    EXPECT_EQ(v.at("level").as_string(), "info");
    EXPECT_EQ(v.at("event").as_string(), "patient.connected");
    EXPECT_EQ(v.at("conn").as_int64(), 7);
    EXPECT_EQ(v.at("ok").as_bool(), true);
    EXPECT_EQ(v.at("code").as_string(), "a\"b");
    EXPECT_EQ(v.at("conversation").as_string(), "c-1");
    EXPECT_FALSE(std::getline(in, line)) << "a debug line was written at level info";
    std::remove(path.c_str());
}

TEST(log, a_component_can_have_its_own_level_at_run_time) {
    namespace log = triage::server::log;
    const std::string path = temp_log_file();
    ASSERT_FALSE(path.empty());
    log::configure(log::level::warn, path);
    log::set_level("booking", log::level::debug);
    log::set_level("staff", log::level::debug);
    log::clear_level("staff");
    log::debug("booking.call", {});
    log::debug("staff.hidden", {});
    log::info("patient.connected", {});
    log::reset_levels();
    log::debug("booking.call_again", {});
    std::ifstream in(path);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(all.find("\"booking.call\""), std::string::npos);
    EXPECT_EQ(all.find("patient.connected"), std::string::npos);
    EXPECT_EQ(all.find("booking.call_again"), std::string::npos);
    EXPECT_EQ(all.find("staff.hidden"), std::string::npos) << "a cleared component follows the configured level";
    log::configure(log::level::info, "");
    std::remove(path.c_str());
}

// The logger must not accept runtime strings (STYLE G2): patient text cannot reach it by accident.
#include "server/log.hpp"

#include <gtest/gtest.h>

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
}

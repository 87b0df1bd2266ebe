// The analytics API's day parameter (server/staff/analytics.hpp).
#include "server/staff/analytics.hpp"

#include <gtest/gtest.h>

using triage::server::staff::valid_day;

TEST(staff_analytics, a_day_is_a_real_calendar_day) {
    EXPECT_TRUE(valid_day("2026-12-07"));
    EXPECT_TRUE(valid_day("2028-02-29"));
    EXPECT_FALSE(valid_day("2026-02-29"));
    EXPECT_FALSE(valid_day("2026-13-01"));
    EXPECT_FALSE(valid_day("2026-1-01"));
    EXPECT_FALSE(valid_day("2026-12-07T00"));
    EXPECT_FALSE(valid_day("20261207xx"));
    EXPECT_FALSE(valid_day(""));
    EXPECT_FALSE(valid_day("2026-12-00"));
}

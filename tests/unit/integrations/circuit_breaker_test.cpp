// The breaker the remote intent model and the FHIR client share, with time passed in.
#include "integrations/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace triage::integrations {
namespace {

using namespace std::chrono_literals;

TEST(circuit_breaker, opens_after_failures_in_a_row_then_lets_one_trial_through) {
    const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
    circuit_breaker b(2, 30s);
    EXPECT_TRUE(b.allow(t0));
    EXPECT_FALSE(b.failed(t0));
    EXPECT_TRUE(b.allow(t0));
    EXPECT_TRUE(b.failed(t0));           // the second in a row opens it
    EXPECT_FALSE(b.allow(t0 + 29s));
    EXPECT_TRUE(b.allow(t0 + 30s));      // one trial call
    EXPECT_TRUE(b.failed(t0 + 30s));     // it failed: open again at once
    EXPECT_FALSE(b.allow(t0 + 31s));
    EXPECT_TRUE(b.allow(t0 + 60s));
    b.succeeded();                       // the trial worked: closed
    EXPECT_TRUE(b.allow(t0 + 61s));
    EXPECT_FALSE(b.failed(t0 + 61s));    // and the count starts again
}

TEST(circuit_breaker, a_success_in_between_resets_the_count) {
    const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
    circuit_breaker b(2, 30s);
    EXPECT_FALSE(b.failed(t0));
    b.succeeded();
    EXPECT_FALSE(b.failed(t0));
    EXPECT_TRUE(b.allow(t0));
}

}  // namespace
}  // namespace triage::integrations

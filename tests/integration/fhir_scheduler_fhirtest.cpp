// Finding and booking slots on the FHIR test server with each strategy, including patients
// racing for one slot: exactly one appointment per slot, every time.
#include "integrations/fhir/scheduler.hpp"
#include "integrations/http/client.hpp"
#include "outgoing_support.hpp"
#include "test_env.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <future>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace triage::integrations;

namespace {

std::string utc_day(int days_from_now) {
    const auto t = std::chrono::system_clock::now() + std::chrono::hours(24 * days_from_now);
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT00:00:00Z", std::gmtime(&tt));
    return buf;
}

class fhir_scheduler : public ::testing::TestWithParam<fhir::booking_strategy> {
protected:
    void SetUp() override {
        auto env = triage::test::stack_env();
        ASSERT_TRUE(env.contains("TRIAGE_TEST_FHIR_BASE")) << "run through ctest (stack fixture)";
        base_ = env["TRIAGE_TEST_FHIR_BASE"];
        s_.base_url = base_;
        hook("reset");
    }
    void TearDown() override { hook("reset"); }
    template <class T>
    T run(asio::awaitable<T> a) {
        return triage::test::run_to_completion(ctx_, std::move(a));
    }
    void hook(const std::string& what) { ASSERT_TRUE(triage::test::fhir_hook(ctx_, base_, what)) << what; }
    fhir::find_request week() {
        fhir::find_request f;
        f.start = utc_day(1);
        f.end = utc_day(8);
        f.count = 5;
        return f;
    }
    asio::io_context ctx_;
    null_event_sink sink_;
    std::string base_;
    fhir::settings s_;
};

}  // namespace

TEST_P(fhir_scheduler, find_book_and_read_back) {
    fhir::client c(ctx_.get_executor(), nullptr, s_, sink_);
    fhir::scheduler sch(c, GetParam(), "urn:triage:booking");
    auto found = run(sch.async_find(week()));
    ASSERT_TRUE(found) << found.error.summary;
    ASSERT_EQ(found.value->size(), 5u);
    const auto& slot = found.value->front();
    std::string held;
    if (GetParam() == fhir::booking_strategy::ihe_operations) {
        auto h = run(sch.async_hold(slot, "Patient/pat-1"));
        ASSERT_TRUE(h) << h.error.summary;
        held = *h.value;
    }
    auto b = run(sch.async_book(slot, "Patient/pat-1", "req-" + std::string(fhir::to_string(GetParam())), held));
    ASSERT_TRUE(b) << b.error.summary;
    EXPECT_EQ(b.value->status, "booked");
    EXPECT_EQ(b.value->slot_id, slot.slot_id);
    EXPECT_FALSE(b.value->already);
    // What the EHR holds: the appointment for the right patient, and the slot busy.
    auto appt = run(c.async_read("Appointment", b.value->appointment_id));
    ASSERT_TRUE(appt);
    EXPECT_NE(json::serialize(appt.value->resource).find("Patient/pat-1"), std::string::npos);
    auto s = run(c.async_read("Slot", slot.slot_id));
    ASSERT_TRUE(s);
    EXPECT_EQ(s.value->resource.at("status").as_string(), "busy");
    // The same request again (a retry after a lost answer) returns the same appointment.
    auto again = run(sch.async_book(slot, "Patient/pat-1", "req-" + std::string(fhir::to_string(GetParam())), held));
    ASSERT_TRUE(again) << again.error.summary;
    EXPECT_TRUE(again.value->already);
    EXPECT_EQ(again.value->appointment_id, b.value->appointment_id);
}

TEST_P(fhir_scheduler, patients_racing_for_one_slot_get_exactly_one_appointment) {
    for (int round = 0; round < 5; ++round) {
        fhir::client finder(ctx_.get_executor(), nullptr, s_, sink_);
        fhir::scheduler look(finder, GetParam(), "urn:triage:booking");
        auto found = run(look.async_find(week()));
        ASSERT_TRUE(found && !found.value->empty()) << found.error.summary;
        const fhir::slot_option slot = found.value->at(static_cast<std::size_t>(round % 5));
        constexpr int patients = 8;
        std::vector<std::unique_ptr<fhir::client>> clients;
        std::vector<std::future<fhir::outcome<fhir::booked>>> results;
        for (int p = 0; p < patients; ++p) clients.push_back(std::make_unique<fhir::client>(ctx_.get_executor(), nullptr, s_, sink_));
        std::vector<std::unique_ptr<fhir::scheduler>> schedulers;
        for (int p = 0; p < patients; ++p) {
            schedulers.push_back(std::make_unique<fhir::scheduler>(*clients[static_cast<std::size_t>(p)], GetParam(), "urn:triage:booking"));
            results.push_back(asio::co_spawn(ctx_,
                schedulers.back()->async_book(slot, "Patient/pat-" + std::to_string(1 + p % 5),
                                              "race-" + std::to_string(round) + "-" + std::to_string(p)),
                asio::use_future));
        }
        ctx_.restart();
        ctx_.run();
        int wins = 0;
        for (auto& r : results) {
            auto o = r.get();
            if (o) ++wins;
            else EXPECT_TRUE(o.error.status == 409 || o.error.status == 412) << o.error.summary;
        }
        EXPECT_EQ(wins, 1) << "round " << round << " with " << fhir::to_string(GetParam());
        // And the server agrees: one booked appointment on that slot.
        fhir::client check(ctx_.get_executor(), nullptr, s_, sink_);
        auto appts = run(check.async_search("Appointment", "slot=Slot/" + slot.slot_id + "&status=booked"));
        ASSERT_TRUE(appts) << appts.error.summary;
        EXPECT_EQ(appts.value->size(), 1u);
    }
}

INSTANTIATE_TEST_SUITE_P(strategies, fhir_scheduler,
                         ::testing::Values(fhir::booking_strategy::ihe_operations, fhir::booking_strategy::transaction_bundle,
                                           fhir::booking_strategy::versioned_updates),
                         [](const auto& info) { return std::string(fhir::to_string(info.param)); });

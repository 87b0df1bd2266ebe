// Patient matching, a patient's upcoming appointments, cancelling and releasing holds, against the
// FHIR test server (tests/peers/fhir; seed: pat-1..pat-5, pat-3 and pat-4 both Alex Morgan born
// 1990-06-01, phones +1-555-0103 / +1-555-0104).
//
// These tests do not reset the server: they book only free slots of Schedule/sched-3 from day 10
// on (the scheduler tests use the first slots of the coming week), under an identifier system of
// their own per test, cancel what they booked, and patients they create get a family name of their
// own, so other tests' data is not disturbed and a rerun against the same stack passes. Two tests
// use the server-wide hooks (a response delay, injected failures) and switch them off at once.
#include "integrations/fhir/appointments.hpp"
#include "integrations/fhir/patients.hpp"
#include "integrations/fhir/scheduler.hpp"
#include "integrations/http/client.hpp"
#include "outgoing_support.hpp"
#include "test_env.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <random>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace triage::integrations;
using match = fhir::match_result::kind;
using cancel = fhir::cancel_result::kind;

namespace {

constexpr const char* mrn = "urn:triage:test:mrn";

std::string utc_day(int days_from_now) {
    const auto t = std::chrono::system_clock::now() + std::chrono::hours(24 * days_from_now);
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT00:00:00Z", std::gmtime(&tt));
    return buf;
}

std::string random_tag() {
    std::random_device rd;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
    return buf;
}

fhir::patient_query demographics(std::string family, std::string given, std::string birth_date, std::string phone = {}) {
    fhir::patient_query q;
    q.family = std::move(family);
    q.given = std::move(given);
    q.birth_date = std::move(birth_date);
    q.phone = std::move(phone);
    return q;
}

class fhir_fixture {
protected:
    void start() {
        auto env = triage::test::stack_env();
        ASSERT_TRUE(env.contains("TRIAGE_TEST_FHIR_BASE")) << "run through ctest (stack fixture)";
        base_ = env["TRIAGE_TEST_FHIR_BASE"];
        s_.base_url = base_;
        s_.backoff = std::chrono::milliseconds(20);
        c_ = std::make_unique<fhir::client>(ctx_.get_executor(), nullptr, s_, sink_);
    }
    template <class T>
    T run(asio::awaitable<T> a) {
        return triage::test::run_to_completion(ctx_, std::move(a));
    }
    std::string hook(const std::string& what, const std::string& method = "POST") {
        auto body = triage::test::fhir_hook(ctx_, base_, what, method);
        EXPECT_TRUE(body) << what;
        return body.value_or("");
    }
    std::string hook_with_body(const std::string& what, const std::string& body) {
        auto out = triage::test::fhir_hook(ctx_, base_, what, "POST", body);
        EXPECT_TRUE(out) << what;
        return out.value_or("");
    }
    json::value read(const std::string& type, const std::string& id) {
        auto r = run(c_->async_read(type, id));
        EXPECT_TRUE(r) << r.error.summary;
        return r ? r.value->resource : json::value();
    }
    static std::string field(const json::value& v, const char* key) {
        const json::value* x = v.is_object() ? v.as_object().if_contains(key) : nullptr;
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
    }
    static std::string version(const json::value& v) { return field(v.at("meta"), "versionId"); }

    asio::io_context ctx_;
    null_event_sink sink_;
    std::string base_;
    fhir::settings s_;
    std::unique_ptr<fhir::client> c_;
};

class fhir_Patient_matching : public fhir_fixture, public ::testing::Test {
protected:
    void SetUp() override { start(); }
    fhir::outcome<fhir::match_result> match(fhir::patient_query q) {
        fhir::patient_matcher m(*c_, false);
        return run(m.async_match(std::move(q)));
    }
};

// Books, cancels and releases on free slots of sched-3 from day 10 on, with each strategy (the
// server offers all three, as in the scheduler tests).
class fhir_Appointment_changes : public fhir_fixture, public ::testing::TestWithParam<fhir::booking_strategy> {
protected:
    void SetUp() override {
        start();
        system_ = "urn:triage:test:booking:" + random_tag();
    }
    // The `skip`-th free slot of sched-3 from day 10 on, as the scheduler would offer it.
    fhir::slot_option free_slot(int skip = 0) {
        const std::string query = "schedule=Schedule/sched-3&status=free&start=ge" + utc_day(10) + "&_sort=start&_count=" +
                                  std::to_string(skip + 1);
        std::vector<std::pair<std::string, std::string>> none;
        auto r = run(c_->async_request("GET", "Slot?" + query, std::string(), none, true));
        EXPECT_TRUE(r) << r.error.summary;
        auto slots = fhir::bundle_resources(r.value->resource);
        EXPECT_GT(slots.size(), static_cast<std::size_t>(skip));
        const json::value& s = *slots.at(static_cast<std::size_t>(skip));
        return fhir::slot_option{field(s, "id"), field(s, "start"), field(s, "end"), version(s), nullptr};
    }
    // Books `slot` for `patient` ("pat-2") with the strategy under test; the Appointment id.
    std::string book(const fhir::slot_option& slot, const std::string& patient) {
        fhir::scheduler sch(*c_, GetParam(), system_);
        auto b = run(sch.async_book(slot, "Patient/" + patient, "req-" + random_tag()));
        EXPECT_TRUE(b) << b.error.summary;
        return b ? b.value->appointment_id : std::string();
    }
    std::string status_of(const std::string& type, const std::string& id) { return field(read(type, id), "status"); }
    std::size_t requests_with_status(int status) {
        auto log = json::parse(hook("requests", "GET"));
        std::size_t n = 0;
        for (const auto& r : log.at("requests").as_array())
            if (r.at("status").to_number<int>() == status) ++n;
        return n;
    }
    fhir::appointments desk() { return fhir::appointments(*c_, GetParam()); }

    std::string system_;
};

}  // namespace

// ---------------------------------------------------------------- patient matching

TEST_F(fhir_Patient_matching, by_identifier) {
    fhir::patient_query q;
    q.identifier_system = mrn;
    q.identifier_value = "MRN-0003";
    auto r = match(q);
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, match::matched);
    EXPECT_EQ(r.value->patient_id, "pat-3");
    EXPECT_EQ(r.value->candidates, 1);
}

TEST_F(fhir_Patient_matching, an_identifier_contradicted_by_the_birth_date_is_not_a_match) {
    // MRN-0003 is pat-3, Alex Morgan born 1990-06-01, not Maria Garcia born 1980-02-14.
    fhir::patient_query q = demographics("Garcia", "Maria", "1980-02-14");
    q.identifier_system = mrn;
    q.identifier_value = "MRN-0003";
    auto r = match(q);
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, match::ambiguous);
    EXPECT_EQ(r.value->patient_id, "");
}

TEST_F(fhir_Patient_matching, an_unknown_identifier_falls_back_to_demographics) {
    fhir::patient_query q = demographics("Garcia", "Maria", "1980-02-14");
    q.identifier_system = mrn;
    q.identifier_value = "MRN-9999";
    auto r = match(q);
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, match::matched);
    EXPECT_EQ(r.value->patient_id, "pat-1");
}

TEST_F(fhir_Patient_matching, by_demographics_ignoring_case_accents_and_given_name_endings) {
    for (const char* given : {"Maria", "MARÍA", "maría", "Mar"}) {
        auto r = match(demographics("garcia", given, "1980-02-14"));
        ASSERT_TRUE(r) << r.error.summary;
        EXPECT_EQ(r.value->what, match::matched) << given;
        EXPECT_EQ(r.value->patient_id, "pat-1") << given;
    }
    // pat-5 has two given names: either, or both, will do.
    for (const char* given : {"Linh", "Thi", "Linh Thi"}) {
        auto r = match(demographics("Nguyen", given, "2012-09-09"));
        ASSERT_TRUE(r) << r.error.summary;
        EXPECT_EQ(r.value->what, match::matched) << given;
        EXPECT_EQ(r.value->patient_id, "pat-5") << given;
    }
}

TEST_F(fhir_Patient_matching, same_name_and_birth_date_without_a_phone_is_ambiguous) {
    auto r = match(demographics("Morgan", "Alex", "1990-06-01"));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, match::ambiguous);
    EXPECT_EQ(r.value->patient_id, "");
    EXPECT_EQ(r.value->candidates, 2);
    // Too few digits to tell anyone apart: as if no phone was given.
    r = match(demographics("Morgan", "Alex", "1990-06-01", "0103"));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, match::ambiguous);
}

TEST_F(fhir_Patient_matching, the_phone_tells_pat3_from_pat4_in_any_format) {
    for (const char* phone : {"+1-555-0103", "555-0103", "+1 555 0103", "+15550103"}) {
        auto r = match(demographics("Morgan", "Alex", "1990-06-01", phone));
        ASSERT_TRUE(r) << r.error.summary;
        EXPECT_EQ(r.value->what, match::matched) << phone;
        EXPECT_EQ(r.value->patient_id, "pat-3") << phone;
    }
    for (const char* phone : {"+1-555-0104", "555 0104", "(+1) 555-0104"}) {
        auto r = match(demographics("Morgan", "Alex", "1990-06-01", phone));
        ASSERT_TRUE(r) << r.error.summary;
        EXPECT_EQ(r.value->what, match::matched) << phone;
        EXPECT_EQ(r.value->patient_id, "pat-4") << phone;
    }
    // A phone neither of them has: no one.
    auto r = match(demographics("Morgan", "Alex", "1990-06-01", "555-0199"));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, match::not_found);
    EXPECT_EQ(r.value->candidates, 0);
}

TEST_F(fhir_Patient_matching, not_found) {
    for (const auto& q : {demographics("Nobody", "Here", "1990-06-01"), demographics("Garcia", "Maria", "1980-02-15"),
                          demographics("Garcia", "Elena", "1980-02-14"), demographics("Garc", "Maria", "1980-02-14"),
                          demographics("Garcia", "Maria", ""), demographics("Garcia", "", "1980-02-14"),
                          demographics("Garcia", "Maria", "1980-02-30"), demographics("  ", "Maria", "1980-02-14")}) {
        auto r = match(q);
        ASSERT_TRUE(r) << r.error.summary;
        EXPECT_EQ(r.value->what, match::not_found) << q.family << "/" << q.given << "/" << q.birth_date;
        EXPECT_EQ(r.value->patient_id, "");
    }
}

TEST_F(fhir_Patient_matching, inactive_patients_are_never_matched) {
    const std::string family = "Inactive" + random_tag();
    json::object p{{"resourceType", "Patient"},
                   {"active", false},
                   {"name", json::array{json::object{{"family", family}, {"given", json::array{"Sam"}}}}},
                   {"birthDate", "1970-01-01"}};
    std::vector<std::pair<std::string, std::string>> none;
    auto created = run(c_->async_request("POST", "Patient", json::serialize(p), none, false));
    ASSERT_TRUE(created) << created.error.summary;
    auto r = match(demographics(family, "Sam", "1970-01-01"));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, match::not_found);
}

TEST_F(fhir_Patient_matching, creating_a_patient) {
    fhir::patient_matcher no(*c_, false);
    const std::string family = "Created" + random_tag();
    auto refused = run(no.async_create(demographics(family, "Robin", "1985-03-04", "+1 555 0177")));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error.kind, fhir::failure_kind::unavailable);

    fhir::patient_matcher yes(*c_, true);
    auto incomplete = run(yes.async_create(demographics(family, "Robin", "")));
    ASSERT_FALSE(incomplete);
    EXPECT_EQ(incomplete.error.kind, fhir::failure_kind::unavailable);

    auto id = run(yes.async_create(demographics(family, "Robin Lee", "1985-03-04", "+1 555 0177")));
    ASSERT_TRUE(id) << id.error.summary;
    auto found = run(yes.async_match(demographics(family, "Robin", "1985-03-04", "555-0177")));
    ASSERT_TRUE(found) << found.error.summary;
    EXPECT_EQ(found.value->what, match::matched);
    EXPECT_EQ(found.value->patient_id, *id.value);
    const json::value stored = read("Patient", *id.value);
    EXPECT_EQ(stored.at("name").at(0).at("given").as_array().size(), 2u);

    // With an identifier the create is conditional: the same request twice is one patient...
    fhir::patient_query q = demographics(family + "x", "Kim", "1999-12-31");
    q.identifier_system = mrn;
    q.identifier_value = "MRN-" + random_tag();
    auto first = run(yes.async_create(q));
    auto second = run(yes.async_create(q));
    ASSERT_TRUE(first && second) << first.error.summary << second.error.summary;
    EXPECT_EQ(*first.value, *second.value);
    // ...and an identifier someone else holds is never taken over.
    fhir::patient_query taken = demographics(family + "y", "Kim", "1999-12-31");
    taken.identifier_system = mrn;
    taken.identifier_value = "MRN-0001";
    auto clash = run(yes.async_create(taken));
    ASSERT_FALSE(clash);
    EXPECT_EQ(clash.error.summary.find(family), std::string::npos);
}

TEST_F(fhir_Patient_matching, failures_say_nothing_about_the_patient) {
    s_.max_attempts = 2;
    c_ = std::make_unique<fhir::client>(ctx_.get_executor(), nullptr, s_, sink_);
    hook("fail?status=500&count=2");
    auto r = match(demographics("Morgan", "Alex", "1990-06-01", "+1-555-0103"));
    hook("fail?status=500&count=0");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error.status, 500);
    EXPECT_NE(r.error.summary.find("Patient"), std::string::npos) << r.error.summary;
    for (const char* phi : {"Morgan", "Alex", "1990", "555", "0103"}) EXPECT_EQ(r.error.summary.find(phi), std::string::npos) << r.error.summary;
}

// ---------------------------------------------------------------- appointments

TEST_P(fhir_Appointment_changes, upcoming_lists_only_what_we_booked_sorted_by_start) {
    const auto early = free_slot(0), late = free_slot(1);
    // The later one first, so the order is the sort's doing.
    const std::string late_id = book(late, "pat-2");
    const std::string early_id = book(early, "pat-2");
    // Booked under another identifier system: not ours, not listed.
    fhir::scheduler other(*c_, GetParam(), system_ + ":other");
    auto foreign = run(other.async_book(free_slot(0), "Patient/pat-2", "req-" + random_tag()));
    ASSERT_TRUE(foreign) << foreign.error.summary;

    auto desk = this->desk();
    auto list = run(desk.async_upcoming("pat-2", system_, utc_day(1)));
    ASSERT_TRUE(list) << list.error.summary;
    ASSERT_EQ(list.value->size(), 2u);
    EXPECT_EQ(list.value->at(0).id, early_id);
    EXPECT_EQ(list.value->at(0).slot_id, early.slot_id);
    EXPECT_EQ(list.value->at(0).start, early.start);
    EXPECT_EQ(list.value->at(0).end, early.end);
    EXPECT_EQ(list.value->at(0).status, "booked");
    EXPECT_FALSE(list.value->at(0).version.empty());
    EXPECT_EQ(list.value->at(1).id, late_id);
    // From after the early one's start: only the late one. Another patient: none.
    list = run(desk.async_upcoming("pat-2", system_, late.start));
    ASSERT_TRUE(list) << list.error.summary;
    ASSERT_EQ(list.value->size(), 1u);
    EXPECT_EQ(list.value->at(0).id, late_id);
    list = run(desk.async_upcoming("pat-1", system_, utc_day(1)));
    ASSERT_TRUE(list) << list.error.summary;
    EXPECT_TRUE(list.value->empty());

    for (const auto& id : {early_id, late_id, foreign.value->appointment_id}) {
        auto c = run(desk.async_cancel(id, "pat-2"));
        ASSERT_TRUE(c) << c.error.summary;
    }
}

TEST_P(fhir_Appointment_changes, cancelling_someone_elses_appointment_changes_nothing) {
    const auto slot = free_slot();
    const std::string id = book(slot, "pat-3");
    const json::value appt_before = read("Appointment", id), slot_before = read("Slot", slot.slot_id);
    auto desk = this->desk();
    auto r = run(desk.async_cancel(id, "pat-4"));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, cancel::not_theirs);
    const json::value appt_after = read("Appointment", id), slot_after = read("Slot", slot.slot_id);
    EXPECT_EQ(field(appt_after, "status"), "booked");
    EXPECT_EQ(version(appt_after), version(appt_before));
    EXPECT_EQ(field(slot_after, "status"), "busy");
    EXPECT_EQ(version(slot_after), version(slot_before));
    // No such appointment looks the same.
    r = run(desk.async_cancel("no-such-appointment", "pat-3"));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, cancel::not_theirs);
    r = run(desk.async_cancel(id, "pat-3"));
    ASSERT_TRUE(r) << r.error.summary;
}

TEST_P(fhir_Appointment_changes, cancelling_frees_the_slot) {
    const auto slot = free_slot();
    const std::string id = book(slot, "pat-3");
    ASSERT_EQ(status_of("Slot", slot.slot_id), "busy");
    auto desk = this->desk();
    auto r = run(desk.async_cancel(id, "pat-3"));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, cancel::cancelled);
    EXPECT_FALSE(r.value->slot_left_busy);
    // What the server holds now.
    EXPECT_EQ(status_of("Appointment", id), "cancelled");
    EXPECT_EQ(status_of("Slot", slot.slot_id), "free");
    auto list = run(desk.async_upcoming("pat-3", system_, utc_day(1)));
    ASSERT_TRUE(list) << list.error.summary;
    EXPECT_TRUE(list.value->empty());
    // Again: already cancelled, and the slot is not touched.
    const std::string slot_version = version(read("Slot", slot.slot_id));
    r = run(desk.async_cancel(id, "pat-3"));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, cancel::already_cancelled);
    EXPECT_EQ(version(read("Slot", slot.slot_id)), slot_version);
    // The slot can be booked again.
    fhir::slot_option same = slot;
    same.version = slot_version;
    const std::string again = book(same, "pat-1");
    ASSERT_FALSE(again.empty());
    EXPECT_EQ(status_of("Slot", slot.slot_id), "busy");
    auto undo = run(desk.async_cancel(again, "pat-1"));
    ASSERT_TRUE(undo) << undo.error.summary;
}

TEST_P(fhir_Appointment_changes, a_slot_another_live_appointment_holds_stays_busy) {
    const auto slot = free_slot();
    const std::string id = book(slot, "pat-2");
    // An overbooking the EHR allowed: a second booked appointment on the same slot.
    json::object second{{"resourceType", "Appointment"},
                        {"status", "booked"},
                        {"start", slot.start},
                        {"end", slot.end},
                        {"slot", json::array{json::object{{"reference", "Slot/" + slot.slot_id}}}},
                        {"identifier", json::array{json::object{{"system", system_}, {"value", "overbooked"}}}},
                        {"participant", json::array{json::object{{"actor", json::object{{"reference", "Patient/pat-5"}}},
                                                                 {"status", "accepted"}}}}};
    std::vector<std::pair<std::string, std::string>> none;
    auto created = run(c_->async_request("POST", "Appointment", json::serialize(second), none, false));
    ASSERT_TRUE(created) << created.error.summary;
    const std::string second_id(created.value->resource.at("id").as_string());

    auto desk = this->desk();
    auto r = run(desk.async_cancel(id, "pat-2"));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, cancel::cancelled);
    EXPECT_FALSE(r.value->slot_left_busy);
    EXPECT_EQ(status_of("Appointment", id), "cancelled");
    EXPECT_EQ(status_of("Slot", slot.slot_id), "busy");
    // The last one out frees it.
    r = run(desk.async_cancel(second_id, "pat-5"));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, cancel::cancelled);
    EXPECT_EQ(status_of("Slot", slot.slot_id), "free");
}

TEST_P(fhir_Appointment_changes, a_change_made_meanwhile_is_reread_not_overwritten) {
    const auto slot = free_slot();
    const std::string id = book(slot, "pat-2");
    const json::value appt = read("Appointment", id);
    const std::size_t conflicts_before = requests_with_status(412);
    // Someone changes the Appointment between the cancel's read and its update (the test
    // server applies the change just before it handles that update): the If-Match is stale
    // (412), and the cancel must read again rather than overwrite the change.
    const std::string before = GetParam() == fhir::booking_strategy::transaction_bundle
                                   ? "touch-before?method=POST&at=&path=Appointment/" + id
                                   : "touch-before?method=PUT&path=Appointment/" + id;
    hook_with_body(before, R"({"description":"changed meanwhile"})");
    auto desk = this->desk();
    auto r = run(desk.async_cancel(id, "pat-2"));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, cancel::cancelled);
    EXPECT_FALSE(r.value->slot_left_busy);
    EXPECT_GT(requests_with_status(412), conflicts_before);
    const json::value after = read("Appointment", id);
    EXPECT_EQ(field(after, "status"), "cancelled");
    EXPECT_EQ(field(after, "description"), "changed meanwhile");
    EXPECT_EQ(status_of("Slot", slot.slot_id), "free");
}

TEST_P(fhir_Appointment_changes, releasing_an_ihe_hold_frees_the_slot) {
    // Holds exist only with the IHE operations; the release itself uses the strategy under test.
    fhir::scheduler ihe(*c_, fhir::booking_strategy::ihe_operations, system_);
    const auto slot = free_slot();
    auto held = run(ihe.async_hold(slot, "Patient/pat-1"));
    ASSERT_TRUE(held) << held.error.summary;
    EXPECT_EQ(status_of("Slot", slot.slot_id), "busy-tentative");
    auto desk = this->desk();
    auto list = run(desk.async_upcoming("pat-1", system_, utc_day(1)));
    ASSERT_TRUE(list) << list.error.summary;
    ASSERT_EQ(list.value->size(), 1u);
    EXPECT_EQ(list.value->at(0).status, "pending");

    auto r = run(desk.async_release_hold(*held.value));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, cancel::cancelled);
    EXPECT_EQ(status_of("Appointment", *held.value), "cancelled");
    EXPECT_EQ(status_of("Slot", slot.slot_id), "free");
    list = run(desk.async_upcoming("pat-1", system_, utc_day(1)));
    ASSERT_TRUE(list) << list.error.summary;
    EXPECT_TRUE(list.value->empty());
    // Released (or expired) before, or gone: success, and nothing changes.
    r = run(desk.async_release_hold(*held.value));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, cancel::already_cancelled);
    r = run(desk.async_release_hold("no-such-hold"));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, cancel::already_cancelled);
    // Another patient can hold the slot now.
    auto again = run(ihe.async_hold(slot, "Patient/pat-2"));
    ASSERT_TRUE(again) << again.error.summary;
    r = run(desk.async_release_hold(*again.value));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(status_of("Slot", slot.slot_id), "free");
}

TEST_P(fhir_Appointment_changes, a_hold_booked_meanwhile_is_not_released) {
    fhir::scheduler ihe(*c_, fhir::booking_strategy::ihe_operations, system_);
    const auto slot = free_slot();
    auto held = run(ihe.async_hold(slot, "Patient/pat-1"));
    ASSERT_TRUE(held) << held.error.summary;
    auto booked = run(ihe.async_book(slot, "Patient/pat-1", "req-" + random_tag(), *held.value));
    ASSERT_TRUE(booked) << booked.error.summary;
    auto desk = this->desk();
    auto r = run(desk.async_release_hold(*held.value));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, cancel::not_cancellable);
    EXPECT_EQ(status_of("Appointment", *held.value), "booked");
    EXPECT_EQ(status_of("Slot", slot.slot_id), "busy");
    r = run(desk.async_cancel(*held.value, "pat-1"));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->what, cancel::cancelled);
}

INSTANTIATE_TEST_SUITE_P(strategies, fhir_Appointment_changes,
                         ::testing::Values(fhir::booking_strategy::ihe_operations, fhir::booking_strategy::transaction_bundle,
                                           fhir::booking_strategy::versioned_updates),
                         [](const auto& info) { return std::string(fhir::to_string(info.param)); });

TEST(fhir_Appointment_unsupported, cancelling_needs_a_strategy) {
    asio::io_context ctx;
    null_event_sink sink;
    fhir::settings s;
    s.base_url = "http://127.0.0.1:9/fhir";  // never called
    fhir::client c(ctx.get_executor(), nullptr, s, sink);
    fhir::appointments desk(c, fhir::booking_strategy::unsupported);
    auto r = triage::test::run_to_completion(ctx, desk.async_cancel("a-1", "pat-1"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error.kind, fhir::failure_kind::unavailable);
}

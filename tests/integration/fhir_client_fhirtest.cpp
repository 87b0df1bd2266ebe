// The FHIR client against the real FHIR R4 test server (tests/peers/fhir, Medplum's router with
// validation, paging and failure hooks), started by tests/peers/stack.sh.
#include "integrations/fhir/capabilities.hpp"
#include "integrations/fhir/client.hpp"
#include "integrations/http/client.hpp"
#include "outgoing_support.hpp"
#include "test_env.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <set>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace triage::integrations;

namespace {

class fhir_client : public ::testing::Test {
protected:
    void SetUp() override {
        auto env = triage::test::stack_env();
        ASSERT_TRUE(env.contains("TRIAGE_TEST_FHIR_BASE")) << "run through ctest (stack fixture)";
        base_ = env["TRIAGE_TEST_FHIR_BASE"];
        hook("reset");
        s_.base_url = base_;
        s_.backoff = std::chrono::milliseconds(20);
    }
    void TearDown() override { hook("reset"); }

    template <class T>
    T run(asio::awaitable<T> a) {
        return triage::test::run_to_completion(ctx_, std::move(a));
    }
    // The server's test hooks live beside /fhir, under /__test.
    std::string hook(const std::string& what, const std::string& method = "POST") {
        auto body = triage::test::fhir_hook(ctx_, base_, what, method);
        EXPECT_TRUE(body) << what;
        return body.value_or("");
    }
    std::size_t requests_seen() {
        auto v = json::parse(hook("requests", "GET"));
        return v.at("requests").as_array().size();
    }
    fhir::client make() { return fhir::client(ctx_.get_executor(), nullptr, s_, sink_); }

    asio::io_context ctx_;
    null_event_sink sink_;
    std::string base_;
    fhir::settings s_;
};

}  // namespace

TEST_F(fhir_client, reads_the_capability_statement) {
    auto c = make();
    auto r = run(c.async_capabilities());
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->resource.at("resourceType").as_string(), "CapabilityStatement");
    // The IHE scheduling operations are declared, so the adapter would use them.
    auto caps = fhir::read_capabilities(r.value->resource);
    EXPECT_TRUE(caps.ihe_find && caps.ihe_hold && caps.ihe_book);
    EXPECT_TRUE(caps.slot_search && caps.transactions && caps.versioned_update && caps.conditional_create);
    EXPECT_EQ(fhir::choose_strategy(caps), fhir::booking_strategy::ihe_operations);
}

TEST_F(fhir_client, a_search_follows_next_links_to_the_end) {
    auto c = make();
    auto r = run(c.async_search("Slot", "schedule=Schedule/sched-1&status=free&_count=50&_sort=start"));
    ASSERT_TRUE(r) << r.error.summary;
    // One practitioner's three weeks of free 20-minute weekday slots: several pages of 50.
    EXPECT_GT(r.value->size(), 300u);
    std::set<std::string> ids;
    for (const auto& res : *r.value) ids.insert(std::string(res.at("id").as_string()));
    EXPECT_EQ(ids.size(), r.value->size()) << "no slot twice across pages";
    for (const auto& res : *r.value) EXPECT_EQ(res.at("status").as_string(), "free");
}

TEST_F(fhir_client, a_search_that_never_ends_is_cut_off) {
    s_.max_pages = 3;
    auto c = make();
    auto r = run(c.async_search("Slot", "status=free&_count=10"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error.kind, fhir::failure_kind::bad_response);
    EXPECT_NE(r.error.summary.find("more than 3 pages"), std::string::npos);
}

TEST_F(fhir_client, an_operation_outcome_becomes_a_clear_phi_free_error) {
    auto c = make();
    // A Patient with an element that does not exist: the server's validation refuses it.
    const std::string body = R"({"resourceType":"Patient","name":[{"family":"Zyxquor"}],"favouriteColour":"blue"})";
    auto r = run(c.async_request("POST", "Patient", body, {}, false));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error.kind, fhir::failure_kind::http_error);
    EXPECT_EQ(r.error.status, 400);
    EXPECT_FALSE(r.error.outcome_codes.empty());
    EXPECT_EQ(r.error.summary.find("Zyxquor"), std::string::npos) << r.error.summary;
    EXPECT_NE(r.error.summary.find("FHIR POST Patient: HTTP 400"), std::string::npos) << r.error.summary;
}

TEST_F(fhir_client, conditional_create_is_idempotent) {
    auto c = make();
    const std::string body = R"({"resourceType":"Patient","identifier":[{"system":"urn:triage:test:ours","value":"conv-42"}],"name":[{"family":"Test"}]})";
    std::vector<std::pair<std::string, std::string>> h{{"If-None-Exist", "identifier=urn:triage:test:ours|conv-42"}};
    auto first = run(c.async_request("POST", "Patient", body, h, true));
    ASSERT_TRUE(first) << first.error.summary;
    EXPECT_EQ(first.value->status, 201);
    EXPECT_FALSE(first.value->location.empty());
    auto again = run(c.async_request("POST", "Patient", body, h, true));
    ASSERT_TRUE(again) << again.error.summary;
    EXPECT_EQ(again.value->status, 200);
    EXPECT_EQ(again.value->resource.at("id"), first.value->resource.at("id"));
}

TEST_F(fhir_client, safe_requests_are_retried_through_transient_failures) {
    auto c = make();
    hook("fail?status=503&count=2");
    auto r = run(c.async_read("Patient", "pat-1"));
    ASSERT_TRUE(r) << r.error.summary;
    EXPECT_EQ(r.value->resource.at("id").as_string(), "pat-1");
    EXPECT_FALSE(r.value->etag.empty());
    EXPECT_EQ(requests_seen(), 3u) << "two failures, then the answer";
}

TEST_F(fhir_client, unsafe_requests_are_never_retried) {
    auto c = make();
    hook("fail?status=503&count=1");
    auto r = run(c.async_request("POST", "Patient", R"({"resourceType":"Patient"})", {}, false));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error.status, 503);
    EXPECT_EQ(requests_seen(), 1u);
}

TEST_F(fhir_client, a_slow_server_times_out_and_repeated_failures_open_the_breaker) {
    s_.timeout = std::chrono::milliseconds(200);
    s_.max_attempts = 1;
    s_.failures_to_open = 2;
    auto c = make();
    hook("delay?ms=800");
    for (int i = 0; i < 2; ++i) {
        auto r = run(c.async_read("Patient", "pat-1"));
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error.kind, fhir::failure_kind::timeout_or_network);
    }
    EXPECT_TRUE(c.breaker_open());
    hook("delay?ms=0");
    const auto before = requests_seen();
    auto r = run(c.async_read("Patient", "pat-1"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error.kind, fhir::failure_kind::breaker_open);
    EXPECT_EQ(requests_seen(), before) << "nothing sent while the breaker is open";
}

TEST_F(fhir_client, a_clients_4xx_does_not_count_against_the_server) {
    s_.failures_to_open = 1;
    auto c = make();
    auto r = run(c.async_read("Patient", "no-such-patient"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error.status, 404);
    EXPECT_FALSE(c.breaker_open());
}

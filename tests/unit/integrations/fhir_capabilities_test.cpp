// Choosing a booking strategy from hand-written CapabilityStatements of the kinds EHRs publish.
#include "integrations/fhir/capabilities.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace triage::integrations::fhir {
namespace {

namespace json = boost::json;

json::value statement(bool ihe, bool transactions, bool versioned, bool conditional, std::string version = "4.0.1") {
    json::array slot_params{json::object{{"name", "schedule"}}, json::object{{"name", "status"}}, json::object{{"name", "start"}}};
    json::object slot{{"type", "Slot"},
                      {"interaction", json::array{json::object{{"code", "read"}}, json::object{{"code", "search-type"}},
                                                  json::object{{"code", "update"}}}},
                      {"versioning", versioned ? "versioned-update" : "no-version"},
                      {"searchParam", slot_params}};
    json::object appt{{"type", "Appointment"},
                      {"interaction", json::array{json::object{{"code", "create"}}, json::object{{"code", "read"}}}},
                      {"conditionalCreate", conditional}};
    if (ihe) {
        appt["operation"] = json::array{
            json::object{{"name", "find"}, {"definition", "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-find"}},
            json::object{{"name", "$hold"}, {"definition", "http://example.org/OperationDefinition/hold"}},
            json::object{{"name", "book"}, {"definition", "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-book|1.1.0"}}};
    }
    json::object rest{{"mode", "server"}, {"resource", json::array{slot, appt}}};
    if (transactions) rest["interaction"] = json::array{json::object{{"code", "transaction"}}};
    return json::object{{"resourceType", "CapabilityStatement"}, {"fhirVersion", version}, {"rest", json::array{rest}}};
}

TEST(fhir_capabilities, reads_what_the_server_says) {
    auto c = read_capabilities(statement(true, true, true, true));
    EXPECT_TRUE(c.r4);
    EXPECT_TRUE(c.slot_search);
    EXPECT_TRUE(c.appointment_create);
    EXPECT_TRUE(c.conditional_create);
    EXPECT_TRUE(c.versioned_update);
    EXPECT_TRUE(c.transactions);
    EXPECT_TRUE(c.ihe_find && c.ihe_hold && c.ihe_book);
}

TEST(fhir_capabilities, chooses_the_safest_strategy_available) {
    EXPECT_EQ(choose_strategy(read_capabilities(statement(true, true, true, true))), booking_strategy::ihe_operations);
    EXPECT_EQ(choose_strategy(read_capabilities(statement(false, true, true, true))), booking_strategy::transaction_bundle);
    EXPECT_EQ(choose_strategy(read_capabilities(statement(false, false, true, true))), booking_strategy::versioned_updates);
    // Without transactions, both a versioned slot update and a conditional create are needed, or
    // two patients could end up on one slot.
    EXPECT_EQ(choose_strategy(read_capabilities(statement(false, false, true, false))), booking_strategy::unsupported);
    EXPECT_EQ(choose_strategy(read_capabilities(statement(false, false, false, true))), booking_strategy::unsupported);
    EXPECT_EQ(choose_strategy(read_capabilities(statement(true, true, true, true, "3.0.2"))), booking_strategy::unsupported);
}

TEST(fhir_capabilities, anything_unreadable_supports_nothing) {
    for (const char* text : {"null", "{}", R"({"resourceType":"Patient"})", R"({"resourceType":"CapabilityStatement","rest":"x"})",
                             R"({"resourceType":"CapabilityStatement","fhirVersion":"4.0.1","rest":[{"resource":[{"type":"Slot","interaction":5}]}]})"}) {
        auto c = read_capabilities(json::parse(text));
        EXPECT_EQ(choose_strategy(c), booking_strategy::unsupported) << text;
    }
}

}  // namespace
}  // namespace triage::integrations::fhir

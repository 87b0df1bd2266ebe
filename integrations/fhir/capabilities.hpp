#pragma once
// What a FHIR server says it can do (its CapabilityStatement, GET [base]/metadata), and the
// booking strategy that follows. Every EHR differs a little, so the adapter reads this at start
// instead of assuming one server. Pure: no I/O.

#include <boost/json/value.hpp>

#include <string>

namespace triage::integrations::fhir {

struct server_capabilities {
    std::string fhir_version;    // e.g. "4.0.1"
    bool r4 = false;             // 4.0.x
    bool slot_search = false;    // Slot: search-type with schedule, status and start
    bool appointment_create = false;
    bool conditional_create = false;  // Appointment: conditionalCreate (idempotent booking)
    bool versioned_update = false;    // Slot: update with If-Match
    bool transactions = false;        // system interaction "transaction"
    bool ihe_find = false, ihe_hold = false, ihe_book = false;  // Appointment/$find, $hold, $book
};

// Never throws; anything it cannot read counts as "not supported".
server_capabilities read_capabilities(const boost::json::value& capability_statement);

enum class booking_strategy {
    ihe_operations,      // $find, then $hold while the patient confirms, then $book
    transaction_bundle,  // Slot search; Appointment create + Slot busy in one transaction
    versioned_updates,   // Slot search; Slot busy with If-Match, then a conditional Appointment create
    unsupported,         // booking is not offered; requests go to staff
};
const char* to_string(booking_strategy s) noexcept;

// The safest strategy the server supports: the IHE operations when all three are there; else a
// transaction when it can create Appointments and search Slots; else versioned updates; else none.
booking_strategy choose_strategy(const server_capabilities& c);

}  // namespace triage::integrations::fhir

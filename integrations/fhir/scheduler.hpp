#pragma once
// Finding and booking appointment slots on a FHIR R4 server with the strategy its
// CapabilityStatement allows (capabilities.hpp):
//   IHE operations      $find proposes appointments; $hold keeps one while the patient confirms;
//                       $book books it.
//   transaction Bundle  Slot search; then, atomically, the Slot marked busy under If-Match (the
//                       version we saw) and the Appointment created.
//   versioned updates   the same two steps without a transaction: the If-Match on the Slot is
//                       the lock, and the Appointment is created only if the Slot update won.
// Every booking carries our identifier (system + request id), and a booking request that was
// already carried out (a retry after a timeout) returns the existing Appointment instead of
// booking twice. Two patients choosing one slot at once get exactly one appointment; the other
// gets a conflict and is offered other slots by the caller.

#include "integrations/fhir/capabilities.hpp"
#include "integrations/fhir/client.hpp"

#include <boost/json/value.hpp>

#include <functional>
#include <string>
#include <vector>

namespace triage::integrations::fhir {

struct slot_option {
    std::string slot_id;
    std::string start;     // FHIR instant, as the server gave it
    std::string end;
    std::string version;   // the Slot's versionId when seen (for If-Match)
    boost::json::value proposed;  // IHE: the proposed Appointment from $find; else null
};

struct booked {
    std::string appointment_id;
    std::string status;    // as the server holds it after booking ("booked")
    std::string start;
    std::string slot_id;
    bool already = false;  // an earlier attempt of the same request had booked it
};

struct find_request {
    std::string start;         // FHIR dateTime, UTC ("2026-12-02T00:00:00Z")
    std::string end;
    std::string service_system;
    std::string service_code;  // empty: any service
    int count = 5;             // options wanted
    // Only options this accepts count (the patient's time of day, say); empty: all.
    std::function<bool(const slot_option&)> keep;
    // One option per start time: two practitioners free at 9:00 are one choice for a patient.
    bool distinct_times = false;
    int page_size = 20;        // Slot search `_count`; further pages are read until `count` are kept
};

// runs on: the client's I/O thread.
class scheduler {
public:
    scheduler(client& c, booking_strategy strategy, std::string identifier_system)
        : c_(c), strategy_(strategy), system_(std::move(identifier_system)) {}

    booking_strategy strategy() const noexcept { return strategy_; }

    boost::asio::awaitable<outcome<std::vector<slot_option>>> async_find(find_request r);

    // IHE only: keeps the slot while the patient confirms. The held Appointment's id.
    boost::asio::awaitable<outcome<std::string>> async_hold(slot_option o, std::string patient_reference);

    // `request_id`: our id for this booking (the same on every retry of it). `held_id`: from
    // async_hold, when there was one.
    boost::asio::awaitable<outcome<booked>> async_book(slot_option o, std::string patient_reference,
                                                        std::string request_id, std::string held_id = {});

private:
    boost::asio::awaitable<outcome<booked>> async_existing(std::string request_id);
    boost::json::object appointment(const slot_option& o, const std::string& patient, const std::string& request_id,
                                    const char* status) const;

    client& c_;
    booking_strategy strategy_;
    std::string system_;
};

}  // namespace triage::integrations::fhir

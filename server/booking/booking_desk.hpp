#pragma once
// Carries out the flow's booking calls (dialog::known_calls: find_patient, find_slots, hold_slot,
// release_hold, book_slot, find_appointments, cancel_appointment) against the clinic's EHR, and
// turns each into the outcome the flow routes on. The FHIR parts are in integrations/fhir; this is
// where conversation slots become FHIR queries and FHIR answers become words for the patient.
//
// Failing safe: anything the EHR cannot answer (down, slow, an error, booking off) is the outcome
// `unavailable`, which every flow must route to staff. A patient is never told a visit is booked
// unless the Appointment was read back from the EHR as booked.
//
// runs on: one I/O thread (its FHIR client, token cache and breaker are that thread's).

#include "dialog/conversation_state.hpp"
#include "dialog/engine.hpp"
#include "integrations/event_sink.hpp"
#include "integrations/postgres/conversation_store.hpp"
#include "server/config.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace triage::server {

struct booking_request {
    std::string call;
    const dialog::conversation_state* state = nullptr;
    std::string clinic_id;
    std::string clinic_time_zone;  // IANA; the clinic's calendar decides "today" and day windows
    std::string conversation_id;
    std::chrono::system_clock::time_point now;
};

struct booking_report {
    dialog::call_finished finished;
    // What the audit trail records about this scheduling transaction (ids and codes only).
    std::vector<integrations::postgres::audit_entry> audit;
};

class booking_desk {
public:
    // `fhir.base_url` empty: booking is off and every call answers `unavailable`.
    booking_desk(boost::asio::any_io_executor ex, boost::asio::ssl::context* tls, const config& cfg,
                 integrations::event_sink& sink);
    ~booking_desk();
    booking_desk(const booking_desk&) = delete;
    booking_desk& operator=(const booking_desk&) = delete;

    // Never throws; an unknown call is `unavailable`.
    boost::asio::awaitable<booking_report> carry_out(booking_request r);

    // Reads the EHR's CapabilityStatement and chooses the strategy (also done on first use).
    boost::asio::awaitable<void> prepare();

    // The patient left while a time was held for them (IHE $hold) and neither booked nor
    // declined it: let it go now rather than when the hold expires. Audit entries for the
    // release, if there was one; nothing (and no EHR call) when no hold is open.
    boost::asio::awaitable<std::vector<integrations::postgres::audit_entry>> release_if_held(
        const dialog::conversation_state& state);

    // Whether this thread's FHIR circuit breaker is open now (false when booking is off).
    bool breaker_open() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace triage::server

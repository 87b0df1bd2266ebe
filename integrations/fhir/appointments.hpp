#pragma once
// A patient's own appointments on a FHIR R4 server: the upcoming ones we booked, cancelling one,
// and releasing an IHE hold the patient did not confirm.
//
// Cancelling sets the Appointment `cancelled` and its Slot(s) `free`, each under If-Match of the
// version just read, so nothing that changed meanwhile is overwritten:
//   transaction_bundle   both in one transaction Bundle: either both happen or neither;
//   ihe_operations,      one after the other, the Appointment first (the IHE operations have no
//   versioned_updates    cancel): if the Slot update then fails the appointment is cancelled but
//                        the slot stays busy, and `slot_left_busy` says so (staff must free it).
// A 409 or 412 (someone changed them since we read them) rereads everything once and tries once
// more. A slot is freed only while it is busy (or busy-tentative) and no other live Appointment
// (pending, booked, arrived, checked-in) refers to it. An appointment that was already cancelled
// (a hold that expired) never frees its slot: by then it may be someone else's.

#include "integrations/fhir/capabilities.hpp"
#include "integrations/fhir/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

namespace triage::integrations::fhir {

struct appointment_view {
    std::string id, status, start, end, slot_id, version;  // version: meta.versionId
    std::string description;
};

struct cancel_result {
    enum class kind {
        cancelled,          // cancelled (a hold: released) now
        already_cancelled,  // it was cancelled before (a hold: expired, released or gone); nothing changed
        not_theirs,         // no such appointment, or no participant is the patient; nothing changed
        not_cancellable,    // past the point of cancelling (arrived, fulfilled, ...; a hold: booked
                            // meanwhile); nothing changed
    } what = kind::cancelled;
    // Only with `cancelled`: the appointment is cancelled but a slot could not be confirmed free
    // (one-after-the-other updates only). It stays busy until staff free it: tell them.
    bool slot_left_busy = false;
};
const char* to_string(cancel_result::kind k) noexcept;

// runs on: the client's I/O thread.
class appointments {
public:
    appointments(client& c, booking_strategy strategy) : c_(c), strategy_(strategy) {}

    // The patient's appointments that we booked (an identifier of `identifier_system`), booked or
    // pending (an IHE hold), starting at or after `from_instant` (a FHIR instant, UTC "Z"
    // preferred; empty: no lower bound), sorted by start. `patient_id` is the bare id ("pat-1");
    // one that is not a valid FHIR id, or an empty system, gives an empty list.
    boost::asio::awaitable<outcome<std::vector<appointment_view>>> async_upcoming(std::string patient_id,
                                                                                 std::string identifier_system,
                                                                                 std::string from_instant);

    // Cancels the appointment if one of its participants is Patient/`patient_id` (see above).
    // A failure when the server could not be asked, answered badly, or a conflict persisted
    // after the one retry; with the strategy `unsupported`, a failure of kind `unavailable`.
    boost::asio::awaitable<outcome<cancel_result>> async_cancel(std::string appointment_id, std::string patient_id);

    // Releases an IHE hold (the pending Appointment from scheduler::async_hold): cancelled and its
    // slot freed. A hold that expired or was released before, or is not there any more, is
    // `already_cancelled` (success too); one booked meanwhile is `not_cancellable` and stays booked.
    boost::asio::awaitable<outcome<cancel_result>> async_release_hold(std::string held_appointment_id);

private:
    boost::asio::awaitable<outcome<cancel_result>> async_cancel_with_retry(std::string id, std::string patient_id, bool hold);
    boost::asio::awaitable<outcome<cancel_result>> async_cancel_once(std::string id, std::string patient_id, bool hold);

    client& c_;
    booking_strategy strategy_;
};

}  // namespace triage::integrations::fhir

#pragma once
// What staff see of an escalation, as JSON (docs/staff-api.md): the queue entry, which holds no
// patient words, and the full view with the decrypted transcript and the handoff summary.

#include "integrations/postgres/staff_store.hpp"
#include "server/services.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

namespace triage::server::staff {

std::string iso_time(integrations::postgres::timestamp t);

// The desk settings of a clinic, read at most every few seconds per I/O thread.
boost::asio::awaitable<integrations::postgres::desk_settings> desk_settings_of(thread_services& local,
                                                                              const std::string& clinic_id);

// The escalation a piece of desk news is about, read once per I/O thread for that news however
// many consoles on the thread hear it (they all ask within milliseconds of each other).
boost::asio::awaitable<std::optional<integrations::postgres::escalation_record>> escalation_for_news(
    thread_services& local, const std::string& clinic_id, const std::string& escalation_id,
    const std::string& news);

boost::json::object escalation_json(const integrations::postgres::escalation_record& e,
                                    const integrations::postgres::desk_settings& d);

// A transcript entry's plain JSON body ({"text", "quick_replies", "urgent", "staff"}), or nullopt.
std::optional<boost::json::object> open_entry(const shared_services& shared, const std::string& clinic_id,
                                              const std::string& conversation_id,
                                              const integrations::postgres::transcript_entry& e);
boost::json::object entry_json(const integrations::postgres::transcript_entry& e, const boost::json::object& body);

// The full view; errc::not_found when there is no such escalation in the clinic.
boost::asio::awaitable<boost::system::result<boost::json::object>> escalation_detail(
    shared_services& shared, thread_services& local, const std::string& clinic_id, const std::string& escalation_id);

// Notes are sealed with their id, escalation and clinic as associated data.
std::string note_aad(const std::string& note_id, const std::string& escalation_id, const std::string& clinic_id);

}  // namespace triage::server::staff

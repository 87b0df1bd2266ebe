#pragma once
// What a patient session needs, split by sharing: `shared_services` is shared by every I/O
// thread, immutable except for its internally locked parts (clinics, throttle, connections); `thread_services` belongs to one I/O thread (its Redis and PostgreSQL
// connections), so sessions on that thread use it without locks (STYLE A1).

#include "dialog/flow.hpp"
#include "dialog/intent.hpp"
#include "integrations/phi/keyring.hpp"
#include "integrations/postgres/conversation_store.hpp"
#include "integrations/postgres/staff_store.hpp"
#include "integrations/remote_intent/client.hpp"
#include "integrations/redis/session_store.hpp"
#include "server/booking/booking_desk.hpp"
#include "server/clinic_directory.hpp"
#include "server/config.hpp"
#include "server/intent_source.hpp"
#include "server/live/hub.hpp"
#include "triage-rules/engine.hpp"
#include "triage-rules/urgency_model.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace boost::asio {
class thread_pool;
class io_context;
}

namespace triage::server {
namespace staff {
class login_throttle;
class sign_in_provider;
}

struct thread_services;

struct shared_services {
    const config& cfg;
    const rules::engine& rules;
    const dialog::flow& flow;
    intent_source& intents;
    const integrations::phi::keyring& keys;
    clinic_directory clinics;  // live: read through to PostgreSQL (server/clinic_directory.hpp)
    std::atomic<std::size_t> connections{0};
    // Password hashing and verification (Argon2id): never on an I/O thread (STYLE A4).
    boost::asio::thread_pool& hashing;
    staff::login_throttle& throttle;
    staff::sign_in_provider* sso = nullptr;  // null when staff_sso is not configured
    const rules::urgency_model* urgency = nullptr;  // null when no urgency model is configured
    const dialog::intent_classifier* language = nullptr;  // null when no language model is configured
    // Every I/O thread with its services (STYLE A1), filled once at start: the listeners hand
    // connections round-robin to them, and the operator's metrics read each thread's connections
    // and breakers on that thread.
    std::vector<std::pair<boost::asio::io_context*, thread_services*>> io_threads{};
};

// The associated data a transcript entry is sealed with: the same for every writer (the patient's
// connection, staff on any instance) and reader.
inline std::string transcript_entry_aad(const std::string& conversation_id, std::uint64_t seq,
                                        const std::string& clinic_id) {
    return "messages.body|" + conversation_id + "|" + std::to_string(seq) + "|" + clinic_id;
}

// runs on: its I/O thread.
struct thread_services {
    std::shared_ptr<integrations::redis::connection> redis;
    std::unique_ptr<integrations::redis::session_store> sessions;
    std::unique_ptr<integrations::postgres::pool> pg;
    std::unique_ptr<integrations::postgres::conversation_store> store;
    std::unique_ptr<integrations::remote_intent::client> remote_intent;  // null when not configured
    std::unique_ptr<booking_desk> booking;  // always there; answers `unavailable` when booking is off
    std::unique_ptr<integrations::postgres::staff_store> staff;
    std::unique_ptr<live::hub> hub;
};

}  // namespace triage::server

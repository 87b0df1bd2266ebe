#pragma once
// Conversations, their encrypted transcript, escalations and audit events in PostgreSQL.
// Knows nothing of dialogs or rules: it stores the records it is handed. Values that hold PHI
// arrive already sealed.
//
// Turn writes from all sessions of one I/O thread are group-committed: while one transaction is
// in flight, the next turns queue up and go together in the next one, so durability costs one
// commit per batch rather than per message.
//
// runs on: the executor of its pool.

#include "integrations/postgres/connection.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace triage::integrations::postgres {

struct new_conversation {
    std::string token_index;  // blind index of the resume token (bytes)
    std::string lang;
    std::string flow_id;
    std::string flow_version;
    std::optional<std::string> contact_index;  // blind index of the returning-contact id (bytes)
};

struct transcript_entry {
    std::uint64_t seq = 0;
    std::string author;  // patient | bot | staff
    std::optional<std::string> client_msg_id;
    std::uint32_t key_id = 0;
    std::string sealed_body;
};

struct escalation_entry {
    std::string id;           // uuid
    std::string reason;
    std::string urgency;
    std::string triage_json;  // rule ids, spans, modifiers, versions: no text
    int priority = 0;         // higher first in the staff queue
    std::string summary_json = "{}";  // the handoff summary's codes and sequence numbers: no text
    std::optional<std::string> linked_escalation;  // an earlier contact of the same patient
};

struct audit_entry {
    std::string actor;        // "patient", "system", "staff:<uuid>"
    std::string action;       // "message.received", "escalation.raised", ...
    std::string detail_json;  // ids, codes and versions only
};

struct turn_write {
    std::string clinic_id;
    std::string conversation_id;
    std::optional<new_conversation> start;
    std::vector<transcript_entry> entries;
    std::vector<escalation_entry> escalations;
    std::vector<audit_entry> audit;
    std::optional<std::string> highest_urgency;
    bool ended = false;
};

struct conversation_ref {
    std::string id;
    std::string lang;
};

struct clinic_record {
    std::string id;
    std::string slug;
    std::string name;
    std::vector<std::string> allowed_origins;
    std::string flow;
    std::string timezone;
};

struct phi_key_record {
    std::uint32_t id = 0;
    std::string wrapped;
};

class conversation_store {
public:
    explicit conversation_store(pool& p);
    ~conversation_store();

    // Durable when it returns success. errc::pg_unique_violation means a transcript entry with
    // this client message id or sequence number is already stored (a resend or a race).
    boost::asio::awaitable<boost::system::error_code> async_record(turn_write w);

    boost::asio::awaitable<boost::system::result<std::optional<conversation_ref>>> async_find_by_token(
        std::string clinic_id, std::string token_index);
    boost::asio::awaitable<boost::system::result<std::vector<transcript_entry>>> async_transcript_after(
        std::string clinic_id, std::string conversation_id, std::uint64_t after_seq);
    boost::asio::awaitable<boost::system::result<std::optional<std::uint64_t>>> async_seq_of_client_message(
        std::string clinic_id, std::string conversation_id, std::string client_msg_id);

    boost::asio::awaitable<boost::system::result<std::vector<clinic_record>>> async_clinics();
    // One clinic by its slug or id; nullopt when there is none.
    enum class clinic_key { slug, id };
    boost::asio::awaitable<boost::system::result<std::optional<clinic_record>>> async_clinic(std::string key,
                                                                                            clinic_key kind);
    boost::asio::awaitable<boost::system::result<std::vector<phi_key_record>>> async_phi_keys();
    boost::asio::awaitable<boost::system::error_code> async_store_phi_key(phi_key_record k);

    boost::asio::awaitable<boost::system::error_code> async_ping();

    // The most recent escalation of another conversation from the same returning contact, raised
    // within the clinic's repeat window (clinics.repeat_window_s); nullopt when there is none.
    boost::asio::awaitable<boost::system::result<std::optional<std::string>>> async_recent_escalation_of_contact(
        std::string clinic_id, std::string contact_index, std::string exclude_conversation);
    // The highest transcript sequence number stored for the conversation (0 when none).
    boost::asio::awaitable<boost::system::result<std::uint64_t>> async_last_seq(std::string clinic_id,
                                                                               std::string conversation_id);

    // One audit event outside a patient turn (configuration in force, staff actions). `detail`
    // is JSON holding ids, codes and versions only, never PHI.
    boost::asio::awaitable<boost::system::error_code> async_audit(std::string clinic_id, std::string actor,
                                                                  std::string action, std::string detail);

    // Transactions issued for turn writes so far (each is one commit): for tests and metrics.
    std::uint64_t transactions() const noexcept { return transactions_; }

private:
    struct queued;
    boost::asio::awaitable<boost::system::result<rows>> scoped_query(std::string clinic_id, statement st);
    boost::asio::awaitable<void> flush_loop();
    pool& pool_;
    std::deque<std::shared_ptr<queued>> queue_;
    bool flushing_ = false;
    std::uint64_t transactions_ = 0;
};

// Every statement on clinical tables runs after this one in the same transaction (row-level
// security, migration 002).
statement clinic_scope(const std::string& clinic_id);

// The statements that store one turn (exposed for the benchmark and tests).
std::vector<statement> statements_for(const turn_write& w);

}  // namespace triage::integrations::postgres

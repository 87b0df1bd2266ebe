#pragma once
// The escalation desk's records in PostgreSQL (migration 003): staff users and their sign-in
// sessions, the escalation lifecycle with its audit trail, internal notes and canned replies.
// Like conversation_store it stores what it is handed: the caller checks roles, hashes tokens and
// passwords, seals notes, and applies its idle timeout.
//
// Tenant scope: every function that takes a clinic id runs its statements after
// clinic_scope(clinic) in one transaction, so row-level security admits that clinic's rows only,
// and filters on the clinic as well. Two lookups are cross-clinic by nature, because the clinic is
// what they find out: async_find_user_by_oidc and async_find_session. They set a transaction-local
// lookup key instead (triage.oidc_issuer/subject, triage.session_id_hash) that migration 003's
// read-only policies match against exactly one row; scope everything after them to the clinic
// they return.
//
// Ids are uuids in text form; anything else fails with errc::pg_query_failed. Byte strings
// (hashes, sealed bodies) are passed and returned raw. Errors: errc::pg_unavailable, errc::timeout,
// errc::pg_query_failed (including a CHECK violation: an unknown role, kind or outcome),
// errc::pg_unique_violation and errc::not_found as stated per function.
//
// runs on: the executor of its pool.

#include "integrations/postgres/connection.hpp"
#include "integrations/postgres/drift_counts.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace triage::integrations::postgres {

// A point in time as PostgreSQL keeps it (microseconds).
using timestamp = std::chrono::sys_time<std::chrono::microseconds>;

struct staff_user {
    std::string id;
    std::string clinic_id;
    std::string email;         // lower-case
    std::string display_name;  // the first name the patient sees
    std::string role;          // front_desk | nurse | clinic_admin | auditor
    std::optional<std::string> password_hash;  // Argon2id string; secret, never logged
    std::optional<std::string> oidc_issuer;
    std::optional<std::string> oidc_subject;
    bool active = true;        // sign-in must refuse an inactive user
};

struct new_staff_session {
    std::string id_hash;    // bytes: hash of the session token (the token is never stored)
    std::string user_id;
    std::string csrf_hash;  // bytes: hash of the CSRF token
    std::string kind;       // local | oidc
    std::chrono::seconds lifetime{0};  // absolute expiry = database now() + lifetime
    std::optional<std::string> idp_session_hint;  // id_token_hint for provider logout; secret
};

// A live session: not revoked, before its absolute expiry, of an active user.
struct staff_session {
    std::string user_id;
    std::string clinic_id;
    std::string role;
    std::string display_name;
    std::string email;
    std::string csrf_hash;  // bytes
    std::string kind;
    std::optional<std::string> idp_session_hint;  // secret
    std::chrono::seconds idle{0};        // since the last touch, by the database clock
    std::chrono::seconds expires_in{0};  // until the absolute expiry, by the database clock
};

struct escalation_record {
    std::string id;
    std::string clinic_id;
    std::string conversation_id;
    std::string reason;
    std::string urgency;
    std::string status;        // raised | notified | claimed | in_conversation | resolved | handed_back
    int priority = 0;          // higher first
    std::string triage_json;   // rule ids, spans, modifiers, versions
    std::string summary_json;  // structured handoff summary
    std::optional<std::string> claimed_by;       // staff user id
    std::optional<std::string> claimed_by_name;  // their display name ("taken by Ana")
    std::optional<std::string> claimed_by_role;
    std::optional<std::string> outcome;
    std::optional<std::string> linked_escalation;  // earlier contact of the same patient
    timestamp raised_at{};
    timestamp updated_at{};
    std::optional<timestamp> notified_at;
    std::optional<timestamp> renotified_at;
    std::optional<timestamp> oncall_sent_at;
    std::optional<timestamp> claimed_at;
    std::optional<timestamp> resolved_at;
};

struct escalation_snapshot {
    std::vector<escalation_record> escalations;
    // Pass as `since` to async_escalations_changed_since to get everything that changes after
    // this read. It lags a little behind (rows may come again: apply them idempotently, the
    // newest updated_at wins) so that nothing committed late is ever skipped.
    timestamp cursor{};
};

// The outcome of a lifecycle transition. `applied` false means the transition was refused
// because of the escalation's state (already claimed, wrong status, not the claimer, an
// inactive, auditor or foreign user, already done by another instance); `escalation` then shows
// the state as it stands, e.g. who holds it.
struct escalation_transition {
    bool applied = false;
    escalation_record escalation;
};

struct new_escalation_note {
    std::string id;             // uuid chosen by the caller (it is in the sealing's associated data)
    std::string escalation_id;
    std::string author;         // staff user id
    std::uint32_t key_id = 0;
    std::string sealed_body;    // bytes
};

struct escalation_note {
    std::string id;
    std::string escalation_id;
    std::string author;
    std::uint32_t key_id = 0;
    std::string sealed_body;
    timestamp created_at{};
};

struct canned_reply {
    std::string id;  // ignored by async_upsert_canned_reply
    std::string title;
    std::string body_en;
    std::string body_es;
    int position = 0;
};

// A clinic's service levels for unclaimed escalations (migration 004).
struct desk_settings {
    std::chrono::seconds renotify_after{60};
    std::chrono::seconds oncall_after{180};
    std::optional<std::string> oncall_webhook_url;
    std::chrono::seconds repeat_window{259200};
    int review_sample_percent = 5;  // share of quiet conversations put before staff (0 to 100)
};

// A clinic's figures for a date range (the analytics page). Counts and durations only: nothing
// here identifies a patient.
struct clinic_analytics {
    std::vector<std::pair<std::string, std::int64_t>> conversations_by_day;  // "2026-12-07" (clinic's zone)
    std::vector<std::int64_t> conversations_by_hour = std::vector<std::int64_t>(24, 0);  // hour of day, clinic's zone
    std::vector<std::pair<std::string, std::int64_t>> urgency_mix;  // highest urgency of each conversation
    struct escalation_figures {
        std::string urgency;
        std::int64_t raised = 0, claimed = 0, claimed_within_sla = 0;
        std::optional<double> claim_p50_s, claim_p90_s;
    };
    std::vector<escalation_figures> escalations;
    std::int64_t conversations = 0;
    std::int64_t handed_to_staff = 0;  // conversations with at least one escalation
    std::int64_t bookings = 0;         // appointments booked from the chat
    std::int64_t sla_seconds = 0;      // the clinic's first service level (re-notify)
    std::vector<std::int64_t> intent_confidence = std::vector<std::int64_t>(10, 0);  // [0,0.1) ... [0.9,1]
    // Clinicians' verdicts on escalations raised (and sampled conversations started) in the range (the override rate is the share
    // that is not "right"), and the safety review items still open, whenever they were opened.
    std::int64_t feedback = 0, over_triaged = 0, under_triaged = 0, safety_reviews_open = 0;
};

// A clinician's verdict on the product's triage of an escalation (codes only).
struct triage_feedback {
    std::string id;             // uuid chosen by the caller
    std::string escalation_id;
    std::string author;         // staff user id
    std::string author_name;    // filled in when read
    std::string verdict;        // right | over_triaged | under_triaged
    std::string product_urgency;
    std::string correct_urgency;
    std::string correct_intent;
    std::string created_at;     // ISO 8601, UTC; filled in when read
    bool safety_review = false; // an under-triage opened a safety review item
};

// A conversation in the clinic's review sample: it raised no escalation, and its id falls in the
// clinic's `review_sample_percent` (a fixed hash of the id, so every instance agrees).
struct sampled_conversation {
    std::string id;
    std::string started_at;       // ISO 8601, UTC
    std::string lang;
    std::string highest_urgency;  // what the product made of it
    std::int64_t patient_messages = 0;
    std::int64_t verdicts = 0;
};

struct triage_feedback_saved {
    std::string id;              // the verdict's id (the first one's, when it was updated)
    bool safety_review = false;  // a safety review item exists for it
};

// One verdict as `triagectl feedback export` needs it: the latest verdict on an escalation, the
// codes around it, and the sealed patient message that raised the escalation (to be opened and
// de-identified by the caller).
struct feedback_export_row {
    std::string feedback_id;
    std::string verdict;
    std::string product_urgency;
    std::string correct_urgency;
    std::string correct_intent;
    std::string day;             // YYYY-MM-DD (UTC) of the verdict
    std::string lang;            // of the conversation
    std::string pack;            // rule packs that triaged it
    std::string intent_model;    // intent model that read it
    std::int64_t verdicts = 0;   // verdicts given on the escalation (the latest is exported)
    std::string conversation_id;
    std::uint64_t seq = 0;       // 0: no patient message found
    std::uint32_t key_id = 0;
    std::string sealed_body;
};

struct audit_record {
    timestamp at{};
    std::string actor;
    std::string action;
    std::string detail_json;
};

class staff_store {
public:
    // `commit_margin`: how far the catch-up cursor stays behind the oldest transaction still
    // running, for the instant between a transaction taking its start time and showing it.
    explicit staff_store(pool& p, std::chrono::microseconds commit_margin = std::chrono::seconds(2));

    // ---- staff users ----

    // Creates the user, or updates the one with this (clinic, email): display name and role are
    // replaced, the user is active again, and the password hash is replaced when one is given
    // (empty: a new user has no local sign-in, an existing one keeps its hash). The email is
    // stored lower-case. Returns the user's id.
    boost::asio::awaitable<boost::system::result<std::string>> async_create_user(
        std::string clinic_id, std::string email, std::string display_name, std::string role,
        std::string password_hash);
    // The email is compared lower-case. Returns inactive users too (check `active`).
    boost::asio::awaitable<boost::system::result<std::optional<staff_user>>> async_find_user_by_email(
        std::string clinic_id, std::string email);
    // Cross-clinic: the user bound to this verified identity, in whichever clinic. Returns
    // inactive users too (check `active`). REQUIRES: issuer and subject come from a verified
    // ID token.
    boost::asio::awaitable<boost::system::result<std::optional<staff_user>>> async_find_user_by_oidc(
        std::string issuer, std::string subject);
    // Binds (or, with both empty, unbinds) an OIDC identity. errc::not_found: no such user in
    // the clinic; errc::pg_unique_violation: the identity belongs to another user (of any clinic).
    boost::asio::awaitable<boost::system::error_code> async_link_oidc(std::string clinic_id, std::string user_id,
                                                                      std::string issuer, std::string subject);
    // Empty removes local sign-in. errc::not_found: no such user in the clinic.
    boost::asio::awaitable<boost::system::error_code> async_set_password(std::string clinic_id, std::string user_id,
                                                                         std::string password_hash);
    // Deactivating also revokes all the user's sessions, in the same transaction.
    // errc::not_found: no such user in the clinic.
    boost::asio::awaitable<boost::system::error_code> async_set_active(std::string clinic_id, std::string user_id,
                                                                       bool active);

    // ---- sessions ----

    // errc::not_found: the user is not an active user of this clinic; errc::pg_unique_violation:
    // a session with this hash exists.
    boost::asio::awaitable<boost::system::error_code> async_create_session(std::string clinic_id,
                                                                           new_staff_session s);
    // Cross-clinic: the live session with this token hash, joined with its user; nullopt when
    // unknown, revoked, past its absolute expiry or of an inactive user. The caller applies its
    // idle timeout to `idle` (and then revokes), and scopes everything after to `clinic_id`.
    boost::asio::awaitable<boost::system::result<std::optional<staff_session>>> async_find_session(
        std::string id_hash);
    // Marks the session seen now. errc::not_found: not a live session of this clinic.
    boost::asio::awaitable<boost::system::error_code> async_touch_session(std::string clinic_id, std::string id_hash);
    // Sign-out; succeeds also when the session is already revoked or unknown.
    boost::asio::awaitable<boost::system::error_code> async_revoke_session(std::string clinic_id, std::string id_hash);
    // Sign out everywhere. Returns how many live sessions were revoked.
    boost::asio::awaitable<boost::system::result<std::size_t>> async_revoke_user_sessions(std::string clinic_id,
                                                                                          std::string user_id);

    // ---- the queue ----

    // Open escalations (not resolved or handed back) raised at or after `raised_since`, highest
    // priority first, then oldest first.
    boost::asio::awaitable<boost::system::result<escalation_snapshot>> async_open_escalations(
        std::string clinic_id, timestamp raised_since);
    // Every escalation, open or not, whose row changed at or after `since` (a cursor from an
    // earlier snapshot), oldest change first. For a console catching up after a reconnect.
    boost::asio::awaitable<boost::system::result<escalation_snapshot>> async_escalations_changed_since(
        std::string clinic_id, timestamp since);
    boost::asio::awaitable<boost::system::result<std::optional<escalation_record>>> async_escalation(
        std::string clinic_id, std::string escalation_id);
    // Every escalation of one conversation, oldest first.
    boost::asio::awaitable<boost::system::result<std::vector<escalation_record>>> async_escalations_of_conversation(
        std::string clinic_id, std::string conversation_id);

    // ---- transitions ----
    // Each runs as one transaction: the UPDATE whose WHERE clause holds the allowed-transition
    // check, and, only if it changed the row, an audit_events row (actor "system" or
    // "staff:<user>", action "escalation.<verb>", detail with ids and codes only). Concurrent
    // callers on any instance are serialised by the row lock: exactly one of them applies.
    // errc::not_found: no such escalation in this clinic. `user_id` must be an active, non-auditor
    // user of the clinic (the server checks roles first; this is the backstop).

    // raised -> notified (first notification sent). Actor: system.
    boost::asio::awaitable<boost::system::result<escalation_transition>> async_mark_notified(
        std::string clinic_id, std::string escalation_id);
    // Still unclaimed after the first SLA: records the louder re-notification, once. Mark first,
    // then notify: `applied` false means another instance did, or someone claimed it meanwhile.
    boost::asio::awaitable<boost::system::result<escalation_transition>> async_mark_renotified(
        std::string clinic_id, std::string escalation_id);
    // Still unclaimed after the second SLA: records that the on-call webhook is called, once
    // (same mark-then-send rule).
    boost::asio::awaitable<boost::system::result<escalation_transition>> async_mark_oncall_sent(
        std::string clinic_id, std::string escalation_id);
    // raised | notified -> claimed by `user_id`. When refused, `escalation.claimed_by` and
    // `claimed_by_name` say who holds it.
    boost::asio::awaitable<boost::system::result<escalation_transition>> async_claim(
        std::string clinic_id, std::string escalation_id, std::string user_id);
    // claimed -> in_conversation, by the claimer only.
    boost::asio::awaitable<boost::system::result<escalation_transition>> async_start_conversation(
        std::string clinic_id, std::string escalation_id, std::string user_id);
    // claimed | in_conversation -> resolved, by the claimer or a clinic_admin. `outcome`:
    // called_emergency_services | callback_booked | advice_given | no_action_needed | other
    // (anything else fails with errc::pg_query_failed). `reason` is a short code for the audit
    // detail (may be empty), never free text.
    boost::asio::awaitable<boost::system::result<escalation_transition>> async_resolve(
        std::string clinic_id, std::string escalation_id, std::string user_id, std::string outcome,
        std::string reason);
    // claimed | in_conversation -> handed_back (outcome handed_back), by the claimer or a
    // clinic_admin. `flow_state` (the flow step the bot resumes at, an id) goes to the audit detail.
    boost::asio::awaitable<boost::system::result<escalation_transition>> async_hand_back(
        std::string clinic_id, std::string escalation_id, std::string user_id, std::string flow_state);
    // Links a repeat contact to the earlier escalation of the same patient (same clinic), once.
    // Actor: system.
    boost::asio::awaitable<boost::system::result<escalation_transition>> async_link_repeat(
        std::string clinic_id, std::string escalation_id, std::string earlier_id);

    // ---- internal notes ----

    // Stores the sealed note and an "escalation.note_added" audit row. errc::not_found: no such
    // escalation in the clinic, or the author is not an active user of it.
    boost::asio::awaitable<boost::system::error_code> async_add_note(std::string clinic_id, new_escalation_note n);
    // In the order they were added.
    boost::asio::awaitable<boost::system::result<std::vector<escalation_note>>> async_notes(
        std::string clinic_id, std::string escalation_id);

    // ---- clinicians' feedback on triage (staff_store_feedback.cpp) ----

    // Stores the verdict (one per author and escalation: a second one updates the first, keeping
    // its id) with a "triage.feedback" audit row; an under-triage also opens a safety review item
    // ("safety_review.opened"), which stays open whatever the verdict becomes later. `f.id` is
    // used for a first verdict only. errc::not_found: no such escalation in the clinic, or the
    // author is not an active user of it.
    // The review sample of the last `days` days, newest first (at most 200), and one conversation
    // of it (nullopt when it is not in the sample).
    boost::asio::awaitable<boost::system::result<std::vector<sampled_conversation>>> async_review_sample(
        std::string clinic_id, int days);
    boost::asio::awaitable<boost::system::result<std::optional<sampled_conversation>>> async_sampled_conversation(
        std::string clinic_id, std::string conversation_id);
    // A verdict on a sampled conversation (`f.escalation_id` empty, the conversation in
    // `conversation_id`), keyed by (conversation, author) like the escalation's; an under-triage
    // opens a safety review item. errc::not_found when the conversation is not in the sample.
    boost::asio::awaitable<boost::system::result<triage_feedback_saved>> async_add_conversation_feedback(
        std::string clinic_id, std::string conversation_id, triage_feedback f);
    boost::asio::awaitable<boost::system::result<std::vector<triage_feedback>>> async_conversation_feedback(
        std::string clinic_id, std::string conversation_id);
    boost::asio::awaitable<boost::system::result<triage_feedback_saved>> async_add_feedback(std::string clinic_id,
                                                                                            triage_feedback f);
    // Oldest first.
    boost::asio::awaitable<boost::system::result<std::vector<triage_feedback>>> async_feedback(
        std::string clinic_id, std::string escalation_id);

    // The latest verdict on each escalation given since `since` (YYYY-MM-DD), oldest first, and
    // one audit row ("feedback.exported", with the count) in the same transaction.
    boost::asio::awaitable<boost::system::result<std::vector<feedback_export_row>>> async_feedback_export(
        std::string clinic_id, std::string since, std::string actor);

    // ---- canned replies ----

    // Ordered by position, then title.
    boost::asio::awaitable<boost::system::result<std::vector<canned_reply>>> async_canned_replies(
        std::string clinic_id);
    // Creates or replaces the reply with this title. Returns its id.
    boost::asio::awaitable<boost::system::result<std::string>> async_upsert_canned_reply(std::string clinic_id,
                                                                                        canned_reply r);

    // ---- desk settings and the audit trail ----

    // errc::not_found: no such clinic.
    boost::asio::awaitable<boost::system::result<desk_settings>> async_desk_settings(std::string clinic_id);
    // errc::pg_query_failed when a CHECK refuses the values (on-call before re-notify, not http(s)).
    boost::asio::awaitable<boost::system::error_code> async_set_desk_settings(std::string clinic_id, desk_settings d);
    // The audit events of one conversation and of one of its escalations (those recorded outside
    // a turn name it in their detail), oldest first (at most 1000).
    boost::asio::awaitable<boost::system::result<std::vector<audit_record>>> async_audit_of_conversation(
        std::string clinic_id, std::string conversation_id, std::string escalation_id);

    // Figures for conversations started (and escalations raised, events recorded) from the start
    // of `first_day` to the end of `last_day` ("YYYY-MM-DD", checked by the caller), with days and
    // hours in the zone `tz` (an IANA name PostgreSQL knows).
    boost::asio::awaitable<boost::system::result<clinic_analytics>> async_analytics(std::string clinic_id,
                                                                                   std::string first_day,
                                                                                   std::string last_day,
                                                                                   std::string tz);

    // What the drift check compares: messages and verdicts of the last `current` and of the
    // `reference` before it, and each of those days (in the zone `tz`) by language and age group.
    boost::asio::awaitable<boost::system::result<drift_counts>> async_drift_counts(std::string clinic_id,
                                                                                 std::chrono::seconds current,
                                                                                 std::chrono::seconds reference,
                                                                                 std::string tz);

private:
    struct transition_spec;
    boost::asio::awaitable<boost::system::result<std::vector<rows>>> scoped(std::string clinic_id,
                                                                            std::vector<statement> sts);
    boost::asio::awaitable<boost::system::result<escalation_transition>> transition(std::string clinic_id,
                                                                                    std::string escalation_id,
                                                                                    transition_spec spec);
    boost::asio::awaitable<boost::system::result<escalation_snapshot>> snapshot(std::string clinic_id,
                                                                                statement query);
    pool& pool_;
    std::chrono::microseconds commit_margin_;
};

}  // namespace triage::integrations::postgres

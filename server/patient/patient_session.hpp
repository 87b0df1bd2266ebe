#pragma once
// One patient's conversation over one WebSocket: the turn logic of docs/architecture.md
// ("One patient turn"). Transport-agnostic: frames come in through on_text and go out through a
// frame_sender, so the same logic runs over TLS and plain loopback sockets.
//
// runs on: the connection's I/O thread; frames are handled strictly one after another.

#include "server/live/hub.hpp"
#include "server/live/inbox.hpp"
#include "server/protocol/frames.hpp"
#include "server/services.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace triage::server {

class frame_sender {
public:
    virtual ~frame_sender() = default;
    // Returns false when the connection is gone; the caller stops.
    virtual boost::asio::awaitable<bool> send(std::string frame) = 0;
};

class patient_session final : public live::listener {
public:
    // News for the conversation (a staff member joined, wrote, typed...) is queued in `inbox`;
    // the connection hands it back through on_news in order with the patient's own frames.
    patient_session(shared_services& shared, thread_services& local, const clinic& c, std::uint64_t connection_id,
                    frame_sender& out, live::inbox& inbox);

    // Never throws: any internal failure is turned into a safe reply and an escalation.
    // `arrived`: when the frame was read off the socket (latency metrics count from there).
    boost::asio::awaitable<void> on_text(std::string frame,
                                         std::chrono::steady_clock::time_point arrived = std::chrono::steady_clock::now());
    // The patient's connection is gone: a time held for them while they were confirming is let go.
    boost::asio::awaitable<void> on_disconnect();
    // A frame the transport refused (binary, too large, invalid UTF-8).
    boost::asio::awaitable<void> on_transport_error(std::string code);
    // News from live_channel(conversation), queued by the hub. Never throws.
    boost::asio::awaitable<void> on_live(std::string payload);
    // News may have been lost: look at the record again (who holds the conversation, new entries).
    boost::asio::awaitable<void> on_live_resync();

    // True while a frame or news is being handled (a turn may be waiting on the EHR).
    bool busy() const { return busy_; }
    // For a frame that arrives while busy: a `notice` frame with the safety instruction when it is
    // a patient message with a red flag, else nullopt. Pure apart from reading the conversation's
    // language; the message itself is handled in turn as usual.
    std::optional<std::string> early_safety_notice(std::string_view frame) const;

    // live::listener: queue only.
    void on_news(std::string_view channel, std::string_view payload) override;
    void on_resync() override;

private:
    struct live_conversation {
        std::string id;
        dialog::conversation_state state;
        std::uint64_t redis_version = 0;
        std::deque<std::pair<std::string, std::uint64_t>> acks;  // recent client ids and their seq
        bool stored = false;  // the conversation row exists in PostgreSQL
        std::string token_index;
        std::optional<std::string> contact_index;
    };
    // The staff member holding the conversation (claimed it); while set, patient messages go to
    // them instead of the flow, red flags still answered first.
    struct staff_presence {
        std::string escalation;
        std::string name;
        std::string role;
    };

    boost::asio::awaitable<void> dispatch(const protocol::client_frame& f);
    boost::asio::awaitable<void> on_start(const protocol::start_frame& f);
    boost::asio::awaitable<void> on_resume(const protocol::resume_frame& f);
    boost::asio::awaitable<void> on_message(const protocol::message_frame& f);
    boost::asio::awaitable<void> fail_towards_human(const std::string& client_id);
    boost::asio::awaitable<void> on_message_to_staff(const protocol::message_frame& m, const rules::assessment& a);
    boost::asio::awaitable<void> send_new_staff_entries();
    boost::asio::awaitable<void> resume_with_staff_at(const std::string& state);
    boost::asio::awaitable<std::optional<std::string>> pending_hand_back();
    boost::asio::awaitable<void> close_as_resolved();
    boost::asio::awaitable<void> look_up_staff();
    void follow_conversation();
    boost::asio::awaitable<void> tell_staff(std::string payload);
    // Writes the session state to Redis; the record in PostgreSQL is already durable, so a
    // failure only costs a reload later.
    boost::asio::awaitable<void> save_state();
    // Tells every instance's staff consoles about escalations just recorded (Redis pub/sub).
    boost::asio::awaitable<void> announce(const std::vector<integrations::postgres::escalation_entry>& raised);
    // Runs the booking calls `step` stopped at, feeding each outcome back into the flow.
    boost::asio::awaitable<void> carry_out_calls(dialog::step& step, std::chrono::system_clock::time_point now,
                                                 std::vector<integrations::postgres::audit_entry>& audit);

    // Views, not strings: callers pass literals, and GCC 12 mishandles std::string temporaries
    // built from braces inside co_await expressions.
    boost::asio::awaitable<void> send_error(std::string_view code, std::string_view field = {},
                                            std::string_view id = {});
    std::string emergency_call() const;
    boost::asio::awaitable<void> send_replies(const std::vector<dialog::bot_reply>& replies, std::uint64_t first_seq,
                                              bool urgent);
    bool take_rate_token();

    std::string seal_state() const;
    bool open_state(const std::string& sealed, live_conversation& into) const;
    std::string message_aad(std::uint64_t seq) const;

    shared_services& shared_;
    thread_services& local_;
    const clinic& clinic_;
    std::uint64_t connection_id_;
    frame_sender& out_;
    live::inbox& inbox_;
    std::optional<live_conversation> conv_;
    std::optional<staff_presence> staff_;
    live::subscription live_sub_;
    bool busy_ = false;
    bool escalated_ = false;          // the conversation has an escalation: staff may be watching
    std::uint64_t staff_seen_ = 0;    // the highest staff entry sent to the patient
    // Sequence numbers already used on the wire but perhaps not stored (an emergency instruction
    // sent before a failed commit); later entries never reuse them.
    std::uint64_t seq_floor_ = 1;
    double tokens_;
    std::chrono::steady_clock::time_point last_refill_;
    std::chrono::steady_clock::time_point arrived_{};  // of the frame being handled
    // The patient turn's correlation id: in its log lines, its audit record and the news of its
    // escalations, so one message can be followed across instances.
    std::string turn_id_;
};

}  // namespace triage::server

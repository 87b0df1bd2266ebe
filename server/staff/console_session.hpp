#pragma once
// One staff console over the staff WebSocket (docs/staff-api.md, "Staff WebSocket"): the clinic's
// queue as it changes on any instance, the live transcript of the escalation being watched, and
// typing indicators to the patient. The session is checked again on every console action, when
// this user signs out anywhere, and every half minute; an ended session closes the socket.
//
// runs on: the connection's I/O thread, one item at a time (like patient_session).

#include "server/live/hub.hpp"
#include "server/live/inbox.hpp"
#include "server/patient/patient_session.hpp"
#include "server/services.hpp"
#include "server/staff/principal.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>

namespace triage::server::staff {

class console_session final : public live::listener {
public:
    console_session(shared_services& shared, thread_services& local, principal who, frame_sender& out,
                    live::inbox& inbox, std::uint64_t connection_id);

    // Follows the clinic's desk and sends the hello with the open queue.
    boost::asio::awaitable<bool> start();
    // Each returns false when the console must be closed (session ended, connection gone).
    boost::asio::awaitable<bool> on_text(std::string frame);
    boost::asio::awaitable<bool> on_live(std::string payload);
    boost::asio::awaitable<bool> on_live_resync();
    boost::asio::awaitable<bool> on_tick();

    void on_news(std::string_view channel, std::string_view payload) override;
    void on_resync() override;

private:
    boost::asio::awaitable<bool> still_signed_in(bool touch);
    boost::asio::awaitable<bool> send(std::string frame);
    boost::asio::awaitable<bool> send_error(std::string_view code);
    boost::asio::awaitable<bool> send_new_entries();
    boost::asio::awaitable<bool> watch(const std::string& escalation_id);

    shared_services& shared_;
    thread_services& local_;
    principal who_;
    frame_sender& out_;
    live::inbox& inbox_;
    std::uint64_t connection_id_;
    live::subscription desk_;
    live::subscription watched_;
    std::string watched_escalation_;
    std::string watched_conversation_;
    std::uint64_t watched_seen_ = 0;
};

}  // namespace triage::server::staff

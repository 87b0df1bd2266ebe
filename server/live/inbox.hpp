#pragma once
// What one WebSocket connection has to handle, in arrival order: frames from its client and news
// from the hub. One coroutine reads the socket and fills the inbox while another handles it, so
// news (a staff message, a typing indicator) reaches the client even while it says nothing, and
// everything that touches the conversation still happens one thing at a time.
//
// runs on: the connection's I/O thread.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <deque>
#include <string>

namespace triage::server::live {

struct inbox_item {
    enum class kind { frame, transport_error, news, resync, tick, closed };
    kind what = kind::closed;
    std::string text;  // the frame, the error code or the news payload
    // When the frame was read off the socket: turn and red-flag latencies count from here, so a
    // frame that waited behind an earlier turn counts its wait.
    std::chrono::steady_clock::time_point arrived{};
};

class inbox {
public:
    explicit inbox(boost::asio::any_io_executor ex) : wake_(ex), space_(ex) {
        wake_.expires_at(std::chrono::steady_clock::time_point::max());
        space_.expires_at(std::chrono::steady_clock::time_point::max());
    }

    void push(inbox_item::kind k, std::string text = {}) {
        if (k == inbox_item::kind::frame) ++frames_;
        items_.push_back({k, std::move(text), std::chrono::steady_clock::now()});
        wake_.cancel();
    }

    // The next item; waits at most `tick` and then returns a `tick` item (periodic checks).
    boost::asio::awaitable<inbox_item> pop(std::chrono::milliseconds tick) {
        if (items_.empty()) {
            wake_.expires_after(tick);
            co_await wake_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            wake_.expires_at(std::chrono::steady_clock::time_point::max());
        }
        if (items_.empty()) co_return inbox_item{inbox_item::kind::tick, {}, {}};
        inbox_item it = std::move(items_.front());
        items_.pop_front();
        if (it.what == inbox_item::kind::frame && --frames_ < max_frames) space_.cancel();
        co_return it;
    }

    // The reader waits here while the client is far ahead of the handler: a flood of frames
    // queues in the socket (and TCP pushes back), not in our memory.
    boost::asio::awaitable<void> wait_for_space() {
        while (frames_ >= max_frames) {
            space_.expires_at(std::chrono::steady_clock::time_point::max());
            co_await space_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        }
    }

    static constexpr std::size_t max_frames = 32;

private:
    std::deque<inbox_item> items_;
    std::size_t frames_ = 0;
    boost::asio::steady_timer wake_;
    boost::asio::steady_timer space_;
};

}  // namespace triage::server::live

#pragma once
// Integrations report what happens to them through this interface; the server decides what is
// logged and counted (STYLE G2). Only stable event names, ids and error codes pass through: the
// signature leaves no room for query text, values or server error messages.

#include <boost/system/error_code.hpp>

#include <string_view>

namespace triage::integrations {

class event_sink {
public:
    virtual ~event_sink() = default;
    // `event` is a string literal such as "redis.disconnected"; `detail` is a short literal or an
    // SQLSTATE code, never data.
    virtual void report(std::string_view event, boost::system::error_code ec = {},
                        std::string_view detail = {}) noexcept = 0;
};

// Discards everything; for tools and tests that do not care.
class null_event_sink final : public event_sink {
public:
    void report(std::string_view, boost::system::error_code, std::string_view) noexcept override {}
};

}  // namespace triage::integrations

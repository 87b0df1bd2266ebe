#pragma once
// An optional remote intent model: any OpenAI-compatible chat-completions endpoint (a clinic's
// own hosted model). Off by default. The caller redacts the text first (redact.hpp); this client
// adds what a remote dependency needs to be harmless: a strict deadline, a circuit breaker that
// stops calling a failing endpoint for a while, and an answer that counts only if it names one
// of the known intents. Every failure means "no answer" and the local model's guess stands.

#include "integrations/event_sink.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace triage::integrations::remote_intent {

struct settings {
    std::string url;     // base URL, e.g. https://llm.clinic.example/v1 (http only on loopback)
    std::string model;   // the "model" field of the request
    std::string api_key; // sent as "Authorization: Bearer ..." when not empty
    std::chrono::milliseconds timeout{800};  // for the whole exchange
    int failures_to_open = 3;                 // consecutive failures that open the breaker
    std::chrono::seconds open_for{30};        // then no calls for this long
    std::vector<std::string> intents;         // the answers that count
};

struct answer {
    std::string intent;
    std::string urgency;  // empty, or one of none, self_care, routine, urgent, emergency
};

enum class outcome { answered, ignored, failed, breaker_open };
const char* to_string(outcome o) noexcept;

struct result {
    outcome what = outcome::failed;
    std::optional<answer> value;  // set when what == answered
};

// runs on: one I/O thread (one client per thread; the breaker is per thread).
class client {
public:
    // `tls` is used for https URLs; it must verify peers. Never throws; a bad URL makes every
    // call fail (settings are validated by the server's configuration first).
    client(boost::asio::any_io_executor ex, settings s, boost::asio::ssl::context* tls, event_sink& sink);
    ~client();

    boost::asio::awaitable<result> async_classify(std::string redacted_text);
    // Whether this thread's breaker is open now (calls are refused without trying).
    bool breaker_open() const noexcept;

    // Builds the request body (for tests and documentation).
    static std::string request_body(const settings& s, const std::string& redacted_text);
    // Reads a chat-completions response; empty unless it names a known intent.
    static std::optional<answer> parse_response(const settings& s, std::string_view body);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace triage::integrations::remote_intent

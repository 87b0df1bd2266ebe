#pragma once
// An asynchronous FHIR R4 REST client, the base of the scheduling adapter. What an EHR
// dependency needs to be safe to call from a patient's conversation:
//   - a deadline on every exchange, and bounded retries with exponential backoff and jitter, on
//     safe requests only (reads and searches; a create is retried only when it is conditional);
//   - a circuit breaker, so an EHR that is down is not hammered and callers learn it at once;
//   - an OperationOutcome turned into a clear, PHI-free error (its issue codes and severity);
//   - searches that follow `next` links, with a page limit;
//   - authorization by a SMART Backend Services token (renewed once on a 401) or a static token.

#include "integrations/auth/smart_backend.hpp"
#include "integrations/circuit_breaker.hpp"
#include "integrations/event_sink.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace triage::integrations::fhir {

struct settings {
    std::string base_url;                     // e.g. https://ehr.example/fhir/R4 (no trailing slash needed)
    std::chrono::milliseconds timeout{3000};  // per exchange
    int max_attempts = 3;                     // for safe requests
    std::chrono::milliseconds backoff{200};   // first retry delay, doubled each time, with jitter
    int failures_to_open = 5;                 // consecutive failures that open the breaker
    std::chrono::seconds open_for{30};
    std::size_t max_pages = 20;               // a search stops following `next` after this many pages
    std::string static_token;                 // used when no SMART token source is given
};

enum class failure_kind { none, unavailable, breaker_open, timeout_or_network, http_error, bad_response };
const char* to_string(failure_kind k) noexcept;

struct failure {
    failure_kind kind = failure_kind::none;
    int status = 0;              // HTTP status when the server answered
    std::string outcome_codes;   // "conflict", "invalid,required": the OperationOutcome's issue codes
    // A one-line, PHI-free description for logs and operators, e.g.
    // "FHIR POST Appointment: HTTP 409 (conflict)". Diagnostics texts are not copied: they may
    // quote patient data.
    std::string summary;
};

struct reply {
    int status = 0;
    boost::json::value resource;  // the body (a resource or a Bundle), null when there was none
    std::string etag;
    std::string location;
};

template <class T>
struct outcome {
    std::optional<T> value;
    failure error;
    explicit operator bool() const noexcept { return value.has_value(); }
};

// runs on: one I/O thread.
class client {
public:
    client(boost::asio::any_io_executor ex, boost::asio::ssl::context* tls, settings s, event_sink& sink,
           auth::backend_token_source* smart = nullptr);

    // GET [base]/metadata
    boost::asio::awaitable<outcome<reply>> async_capabilities();
    // GET [base]/Type/id
    boost::asio::awaitable<outcome<reply>> async_read(std::string type, std::string id);
    // GET [base]/Type?query, following `next` links; the resources of every page, in order.
    // With `enough`, paging stops as soon as it says the resources so far suffice, and reaching
    // max_pages returns what was found instead of failing.
    boost::asio::awaitable<outcome<std::vector<boost::json::value>>> async_search(
        std::string type, std::string query,
        std::function<bool(const std::vector<boost::json::value>&)> enough = {});
    // Any request. `idempotent` allows retries (GET always is; a conditional create is).
    boost::asio::awaitable<outcome<reply>> async_request(std::string method, std::string path, std::string body,
                                                          std::vector<std::pair<std::string, std::string>> headers,
                                                          bool idempotent);

    bool breaker_open() const noexcept;

private:
    boost::asio::any_io_executor ex_;
    boost::asio::ssl::context* tls_;
    settings s_;
    event_sink& sink_;
    auth::backend_token_source* smart_;
    circuit_breaker breaker_;
};

// The resources in a Bundle's entries, in order (none if `bundle` is not one).
std::vector<const boost::json::value*> bundle_resources(const boost::json::value& bundle);

// Issue codes of an OperationOutcome ("conflict,invalid"), empty if `v` is not one.
std::string outcome_codes(const boost::json::value& v);

// Reading resources without trusting their shape: the string at `key` ("" when absent or not a
// string), the array at `key` (null likewise).
std::string string_field(const boost::json::value& v, std::string_view key);
const boost::json::array* array_field(const boost::json::value& v, std::string_view key);

// A value percent-encoded for a search query string (everything but RFC 3986 unreserved).
std::string query_value(std::string_view v);

}  // namespace triage::integrations::fhir

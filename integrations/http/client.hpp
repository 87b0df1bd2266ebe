#pragma once
// One HTTP exchange with a deadline, for integrations that call out (the remote intent model, the
// FHIR server, token endpoints). HTTPS verifies the peer (the caller's TLS context) and sends SNI;
// plain HTTP is for loopback test servers. Never throws: every failure is an error code.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace triage::integrations::http {

struct request {
    std::string method = "GET";
    std::string url;  // absolute: http(s)://host[:port]/path?query
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{2000};  // for the whole exchange
    std::size_t max_response_bytes = 8 * 1024 * 1024;
};

struct response {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // The first header of that name (case-insensitive), or empty.
    std::string header(std::string_view name) const;
};

// Errors: errc::http_bad_url, errc::http_failed (connection, TLS, timeout, protocol), or an Asio code.
boost::asio::awaitable<boost::system::result<response>> async_fetch(boost::asio::any_io_executor ex,
                                                                    boost::asio::ssl::context* tls, request req);

}  // namespace triage::integrations::http

#pragma once
// Shared by the tests of outgoing calls (FHIR, OpenID): running one operation to its end, reading
// files the test servers wrote, and the FHIR test server's hooks.

#include "integrations/http/client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace triage::test {

// Runs `a` on `ctx` until it and everything it started are done (no long-lived connections here,
// unlike the Redis and PostgreSQL tests, so run() returns).
template <class T>
T run_to_completion(boost::asio::io_context& ctx, boost::asio::awaitable<T> a) {
    auto f = boost::asio::co_spawn(ctx, std::move(a), boost::asio::use_future);
    ctx.restart();
    ctx.run();
    return f.get();
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// POST (or GET) [server]/__test/WHAT on the FHIR test server whose FHIR base is `fhir_base`;
// the body, or nothing if the hook failed.
inline std::optional<std::string> fhir_hook(boost::asio::io_context& ctx, const std::string& fhir_base,
                                            const std::string& what, const std::string& method = "POST",
                                            const std::string& body = {}) {
    integrations::http::request req;
    req.method = method;
    req.body = body;
    req.url = fhir_base.substr(0, fhir_base.rfind("/fhir")) + "/__test/" + what;
    auto r = run_to_completion(ctx, integrations::http::async_fetch(ctx.get_executor(), nullptr, req));
    if (!r || r->status >= 300) return std::nullopt;
    return r->body;
}

}  // namespace triage::test

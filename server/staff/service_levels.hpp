#pragma once
// Service-level timers for unclaimed escalations (docs/staff-guide.md, "Alerts"): after a
// clinic's re-notify time the consoles are alerted again, louder, and the patient is told they
// are still waiting; after its on-call time the clinic's on-call webhook is called. Every instance
// runs the watch; the store's mark-then-act transitions make each step happen once in total.
//
// runs on: one I/O thread.

#include "server/services.hpp"

#include <boost/asio/awaitable.hpp>

namespace boost::asio::ssl {
class context;
}

namespace triage::server::staff {

// Runs until the I/O context stops; checks every second.
boost::asio::awaitable<void> watch_service_levels(shared_services& shared, thread_services& local,
                                                  boost::asio::ssl::context* client_tls);

}  // namespace triage::server::staff

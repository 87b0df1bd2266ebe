#pragma once
// The drift check, wired (server/staff/drift.hpp is the pure part): every clinic's statistics are
// checked every `drift_check_every` and whenever someone opens the analytics page; the figures go
// to /metrics (triage_drift_psi, triage_drift_alerts), and a statistic that goes into alert is
// logged once (drift.alert) until it leaves it.
//
// GET /api/staff/analytics/drift: the last day against the 28 days before it, statistic by
// statistic, with each day's figures by language and age group. Counts only.

#include "server/services.hpp"
#include "server/staff/api.hpp"
#include "server/staff/principal.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>

namespace triage::server::staff {

constexpr std::chrono::minutes drift_check_every{10};

boost::asio::awaitable<api_response> drift(const api_request& r, shared_services& shared, thread_services& local,
                                           const principal& p);

// Runs until its executor stops.
boost::asio::awaitable<void> watch_drift(shared_services& shared, thread_services& local);

}  // namespace triage::server::staff

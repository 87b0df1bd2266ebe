#pragma once
// Drives a hiredis 0.14 async context from an Asio executor, the way hiredis's own libuv adapter
// drives it from libuv (STYLE A7). hiredis owns and closes the socket; Asio only waits on it.

#include <boost/asio/any_io_executor.hpp>

struct redisAsyncContext;

namespace triage::integrations::redis {

// Installs the read/write/cleanup hooks on `ac`. The hooks live until hiredis calls cleanup,
// which happens when the context is freed for any reason.
// REQUIRES: called on `ex`, right after the context is created, before any command.
// Returns false if the context has no usable socket.
bool attach_asio(redisAsyncContext* ac, const boost::asio::any_io_executor& ex);

}  // namespace triage::integrations::redis

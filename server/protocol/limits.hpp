#pragma once
// Every input limit in one place (STYLE E8), each with the reason for its default. The
// configuration file may change the ones marked "configurable" (docs/configuration.md).

#include <cstddef>

namespace triage::server::limits {

// configurable: limits.max_message_bytes. A patient message is at most 2000 characters
// (max_text_chars); with JSON escaping and UTF-8 up to 4 bytes each, 16 KiB is ample, and it caps
// what one frame can make us buffer.
inline constexpr std::size_t max_message_bytes = 16 * 1024;

// Patients write short messages; 2000 characters is a long e-mail. Longer texts are refused with
// invalid_message rather than cut, so nothing the patient wrote is silently dropped.
inline constexpr std::size_t max_text_chars = 2000;

// Our frames are flat objects; depth 4 leaves room for quick replies and nothing more.
inline constexpr std::size_t max_json_depth = 4;

// Client message ids are short opaque tokens.
inline constexpr std::size_t max_client_id_chars = 64;

// configurable: limits.messages_per_second / limits.burst. A person types at most a message or
// two a second; a burst allows quick replies tapped fast and a resend queue after a reconnect.
inline constexpr double messages_per_second = 5.0;
inline constexpr double message_burst = 20.0;

// configurable: limits.idle_timeout_s. A patient may read or think for a while; after 10 minutes
// of silence (no frame, no pong) the connection is closed and the widget resumes on its next use.
inline constexpr int idle_timeout_s = 600;

// configurable: limits.handshake_timeout_s. Slow-loris protection for HTTP and the upgrade.
inline constexpr int handshake_timeout_s = 10;

// configurable: limits.max_connections. Stays under the 20,000 open files a process may hold,
// leaving room for database connections, files and the listening socket.
inline constexpr std::size_t max_connections = 10000;

// HTTP request bodies: our HTTP API has none larger than this.
inline constexpr std::size_t max_http_body_bytes = 64 * 1024;

// Processed client message ids remembered per conversation for resend detection beyond the
// database constraint (which catches everything; this saves a round trip).
inline constexpr std::size_t remembered_client_ids = 64;

}  // namespace triage::server::limits

#pragma once
// The patient wire protocol (docs/protocol.md): parsing and validating client frames, and
// building server frames. Pure: no I/O. Hostile input never throws (STYLE E1).

#include "dialog/engine.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace triage::server::protocol {

inline constexpr int version = 1;

struct start_frame {
    std::string lang = "en";
    bool lang_chosen = false;  // the patient picked `lang` (the widget's button): not switched by detection
    std::string time_zone;  // IANA, optional; the clinic's zone when absent
    std::string contact;    // the browser's returning-contact id, optional (docs/protocol.md)
};
struct resume_frame { std::string token; std::uint64_t last_seq = 0; };
struct message_frame { std::string id; std::string text; };
struct typing_frame {};
struct ping_frame {};
using client_frame = std::variant<start_frame, resume_frame, message_frame, typing_frame, ping_frame>;

// A problem with a frame, with the patient-safe message that goes back on the wire.
struct frame_error {
    std::string code;     // see docs/protocol.md
    std::string field;    // the offending field, when there is one
    std::string id;       // the client message id, when known
};

using parse_result = std::variant<client_frame, frame_error>;

// Characters (code points) in valid UTF-8: the unit of every text limit.
std::size_t utf8_chars(std::string_view s);
parse_result parse_client_frame(std::string_view text);

// Patient-facing text for an error code (English; the widget may translate by code).
std::string_view error_text(std::string_view code);

std::string started_frame(std::string_view conversation, std::string_view token, std::string_view lang);
std::string resumed_frame(std::string_view conversation, std::string_view lang, std::uint64_t last_seq, bool ended);
std::string ack_frame(std::string_view id, std::uint64_t seq);
// `call`: for an emergency instruction, the number to offer as a tap-to-call button (empty: none).
std::string bot_frame(std::uint64_t seq, std::string_view text, const std::vector<dialog::quick_reply>& quick_replies,
                      bool urgent, std::string_view call = {});
// The dialable form of a phone number written for people ("(555) 010-0100" -> "5550100100"):
// digits and a leading +; empty when there are none.
std::string dialable(std::string_view number);
std::string patient_frame(std::uint64_t seq, std::string_view id, std::string_view text);
std::string typing_frame_out(bool on);
// The conversation now speaks `lang` (read from what the patient wrote): the widget switches its
// own words too (docs/protocol.md, "language").
std::string language_frame(std::string_view lang);
// Live takeover by clinic staff (docs/staff-api.md, "What the patient sees").
std::string staff_typing_frame(bool on);
std::string staff_joined_frame(std::string_view name, std::string_view role);
std::string staff_frame(std::uint64_t seq, std::string_view text, std::string_view name, std::string_view role);
std::string staff_left_frame(std::string_view reason);
std::string notice_frame(std::string_view code, std::string_view text);
std::string pong_frame();
std::string error_frame(const frame_error& e);
std::string end_frame(std::string_view reason);

}  // namespace triage::server::protocol

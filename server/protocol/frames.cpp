#include "server/protocol/frames.hpp"

#include "server/protocol/limits.hpp"
#include "server/protocol/strict_json.hpp"

#include "dialog/slot_time.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace json = boost::json;

namespace triage::server::protocol {

std::size_t utf8_chars(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

namespace {

bool valid_client_id(std::string_view id) {
    if (id.empty() || id.size() > limits::max_client_id_chars) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

frame_error err(std::string code, std::string field = {}, std::string id = {}) {
    return {std::move(code), std::move(field), std::move(id)};
}

std::optional<frame_error> check_version(const json::object& o) {
    auto* v = o.if_contains("v");
    if (!v) return err("invalid_message", "v");
    if (!v->is_int64() && !v->is_uint64()) return err("invalid_message", "v");
    if (v->to_number<std::int64_t>() != version) return err("unsupported_version", "v");
    return std::nullopt;
}

}  // namespace

parse_result parse_client_frame(std::string_view text) {
    auto parsed = parse_client_json(text, limits::max_json_depth,
                                    json::make_shared_resource<json::monotonic_resource>());
    if (parsed.fault == json_fault::malformed) return err("invalid_json");
    auto* o = parsed.value.if_object();
    if (!o) return err("invalid_message", "type");
    auto* type = o->if_contains("type");
    if (!type || !type->is_string()) return err("invalid_message", "type");
    std::string_view t = type->get_string();

    auto check_keys = [&](std::initializer_list<std::string_view> allowed) -> std::optional<frame_error> {
        for (const auto& kv : *o)
            if (std::find(allowed.begin(), allowed.end(), kv.key()) == allowed.end())
                return err("unknown_field", std::string(kv.key().substr(0, 64)));
        // A NUL is refused, never stripped: what the patient saw sent is what we store.
        if (parsed.fault == json_fault::nul_character) return err("invalid_message", parsed.field);
        return std::nullopt;
    };

    if (t == "message") {
        // The id first, so that every later error can name the message it is about.
        std::string id;
        if (auto* i = o->if_contains("id"); i && i->is_string() && valid_client_id(i->get_string()))
            id = std::string(i->get_string());
        else
            return err("invalid_message", "id");
        if (auto e = check_keys({"type", "id", "text"})) {
            e->id = id;
            return *e;
        }
        auto* txt = o->if_contains("text");
        if (!txt || !txt->is_string()) return err("invalid_message", "text", id);
        std::string_view s = txt->get_string();
        auto n = utf8_chars(s);
        bool blank = std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; });
        if (n == 0 || blank || n > limits::max_text_chars) return err("invalid_message", "text", id);
        return message_frame{std::move(id), std::string(s)};
    }
    if (t == "start") {
        if (auto e = check_keys({"type", "v", "lang", "lang_chosen", "time_zone", "contact"})) return *e;
        if (auto e = check_version(*o)) return *e;
        start_frame f;
        if (auto* l = o->if_contains("lang")) {
            if (!l->is_string() || (l->get_string() != "en" && l->get_string() != "es")) return err("invalid_message", "lang");
            f.lang = std::string(l->get_string());
        }
        if (auto* c = o->if_contains("lang_chosen")) {
            if (!c->is_bool()) return err("invalid_message", "lang_chosen");
            f.lang_chosen = c->get_bool();
        }
        if (auto* z = o->if_contains("time_zone")) {
            // The browser's IANA zone, so that appointment times read as the patient's own clock.
            if (!z->is_string() || !dialog::valid_time_zone(z->get_string())) return err("invalid_message", "time_zone");
            f.time_zone = std::string(z->get_string());
        }
        if (auto* c = o->if_contains("contact")) {
            // A random id the browser keeps so that a repeat contact can be linked: 16 to 64
            // base64url characters, nothing else (it is hashed, never shown).
            bool ok = c->is_string() && c->get_string().size() >= 16 && c->get_string().size() <= 64 &&
                      std::all_of(c->get_string().begin(), c->get_string().end(), [](char ch) {
                          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
                      });
            if (!ok) return err("invalid_message", "contact");
            f.contact = std::string(c->get_string());
        }
        return f;
    }
    if (t == "resume") {
        if (auto e = check_keys({"type", "v", "token", "last_seq"})) return *e;
        if (auto e = check_version(*o)) return *e;
        resume_frame f;
        auto* tok = o->if_contains("token");
        if (!tok || !tok->is_string() || tok->get_string().empty() || tok->get_string().size() > 128)
            return err("invalid_message", "token");
        f.token = std::string(tok->get_string());
        auto* seq = o->if_contains("last_seq");
        if (!seq) return err("invalid_message", "last_seq");
        if (seq->is_uint64()) f.last_seq = seq->get_uint64();
        else if (seq->is_int64() && seq->get_int64() >= 0) f.last_seq = static_cast<std::uint64_t>(seq->get_int64());
        else return err("invalid_message", "last_seq");
        return f;
    }
    if (t == "typing") {
        if (auto e = check_keys({"type"})) return *e;
        return typing_frame{};
    }
    if (t == "ping") {
        if (auto e = check_keys({"type"})) return *e;
        return ping_frame{};
    }
    return err("unknown_type", "type");
}

std::string_view error_text(std::string_view code) {
    if (code == "invalid_json") return "That message could not be read. Please try again.";
    if (code == "invalid_message") return "That message is missing something or has a wrong value.";
    if (code == "unknown_type") return "That kind of message is not supported.";
    if (code == "unknown_field") return "That message has a field we do not know.";
    if (code == "binary_not_supported") return "Only text messages are supported.";
    if (code == "not_started") return "Please start the conversation first.";
    if (code == "already_started") return "This conversation has already started.";
    if (code == "unknown_conversation") return "We could not find that conversation. Let's start a new one.";
    if (code == "unsupported_version") return "Please reload the page to update the chat.";
    if (code == "rate_limited") return "You are sending messages very fast. Please wait a moment and send it again.";
    if (code == "not_saved")
        return "Your message was not saved. Please send it again. If this is an emergency, call 911 now.";
    if (code == "unavailable")
        return "The chat is not available right now. Please try again shortly. If this is an emergency, call 911 now.";
    if (code == "conversation_ended") return "This conversation has ended. You can start a new one.";
    if (code == "too_large") return "That message is too long.";
    if (code == "invalid_utf8") return "That message contained characters we could not read.";
    return "Something went wrong. A staff member can help: if this is an emergency, call 911 now.";
}

std::string started_frame(std::string_view conversation, std::string_view token, std::string_view lang) {
    return json::serialize(json::object{{"type", "started"}, {"v", version}, {"conversation", conversation},
                                        {"token", token}, {"lang", lang}});
}

std::string resumed_frame(std::string_view conversation, std::string_view lang, std::uint64_t last_seq, bool ended) {
    return json::serialize(json::object{{"type", "resumed"}, {"v", version}, {"conversation", conversation},
                                        {"lang", lang}, {"last_seq", last_seq}, {"ended", ended}});
}

std::string ack_frame(std::string_view id, std::uint64_t seq) {
    return json::serialize(json::object{{"type", "ack"}, {"id", id}, {"seq", seq}});
}

std::string bot_frame(std::uint64_t seq, std::string_view text, const std::vector<dialog::quick_reply>& quick_replies,
                      bool urgent, std::string_view call) {
    json::array qr;
    for (const auto& q : quick_replies) qr.push_back(json::object{{"label", q.label}, {"value", q.value}});
    json::object o{{"type", "bot"}, {"seq", seq}, {"text", text}, {"quick_replies", std::move(qr)}, {"urgent", urgent}};
    if (!call.empty()) o["call"] = call;
    return json::serialize(o);
}

std::string dialable(std::string_view number) {
    std::string out;
    for (char c : number) {
        if (c >= '0' && c <= '9') out += c;
        else if (c == '+' && out.empty()) out += c;
    }
    return out == "+" ? std::string() : out;
}

std::string patient_frame(std::uint64_t seq, std::string_view id, std::string_view text) {
    return json::serialize(json::object{{"type", "patient"}, {"seq", seq}, {"id", id}, {"text", text}});
}

std::string typing_frame_out(bool on) { return json::serialize(json::object{{"type", "typing"}, {"on", on}}); }

std::string language_frame(std::string_view lang) {
    return json::serialize(json::object{{"type", "language"}, {"lang", lang}});
}
std::string staff_typing_frame(bool on) {
    return json::serialize(json::object{{"type", "typing"}, {"on", on}, {"who", "staff"}});
}
std::string staff_joined_frame(std::string_view name, std::string_view role) {
    return json::serialize(json::object{{"type", "staff_joined"}, {"name", name}, {"role", role}});
}
std::string staff_frame(std::uint64_t seq, std::string_view text, std::string_view name, std::string_view role) {
    return json::serialize(
        json::object{{"type", "staff"}, {"seq", seq}, {"text", text}, {"name", name}, {"role", role}});
}
std::string staff_left_frame(std::string_view reason) {
    return json::serialize(json::object{{"type", "staff_left"}, {"reason", reason}});
}
std::string notice_frame(std::string_view code, std::string_view text) {
    return json::serialize(json::object{{"type", "notice"}, {"code", code}, {"text", text}});
}

std::string pong_frame() { return R"({"type":"pong"})"; }

std::string error_frame(const frame_error& e) {
    json::object o{{"type", "error"}, {"code", e.code}, {"message", error_text(e.code)}};
    if (!e.field.empty()) o["field"] = e.field;
    if (!e.id.empty()) o["id"] = e.id;
    return json::serialize(o);
}

std::string end_frame(std::string_view reason) {
    return json::serialize(json::object{{"type", "end"}, {"reason", reason}});
}

}  // namespace triage::server::protocol

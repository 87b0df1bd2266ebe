#include "server/staff/console_session.hpp"

#include "integrations/errc.hpp"
#include "server/ids.hpp"
#include "server/log.hpp"
#include "server/protocol/limits.hpp"
#include "server/protocol/strict_json.hpp"
#include "server/staff/views.hpp"

#include <boost/json.hpp>

namespace asio = boost::asio;
namespace json = boost::json;
namespace pg = triage::integrations::postgres;
using boost::system::error_code;

namespace triage::server::staff {

console_session::console_session(shared_services& shared, thread_services& local, principal who, frame_sender& out,
                                 live::inbox& inbox, std::uint64_t connection_id)
    : shared_(shared), local_(local), who_(std::move(who)), out_(out), inbox_(inbox), connection_id_(connection_id) {}

void console_session::on_news(std::string_view, std::string_view payload) {
    inbox_.push(live::inbox_item::kind::news, std::string(payload));
}

void console_session::on_resync() { inbox_.push(live::inbox_item::kind::resync); }

asio::awaitable<bool> console_session::send(std::string frame) { co_return co_await out_.send(std::move(frame)); }

asio::awaitable<bool> console_session::send_error(std::string_view code) {
    std::string frame = json::serialize(json::object{{"type", "error"}, {"code", code}});
    co_return co_await send(std::move(frame));
}

asio::awaitable<bool> console_session::still_signed_in(bool touch) {
    auto a = co_await recheck(who_.token_hash, shared_, local_, touch);
    if (a.who) co_return true;
    // PostgreSQL away is not a sign-out: the console keeps what it has and tries again later.
    if (a.failure == auth_failure::unavailable) co_return true;
    std::string frame = json::serialize(json::object{{"type", "signed_out"}, {"reason", a.reason.empty() ? "revoked" : a.reason}});
    co_await send(std::move(frame));
    co_return false;
}

asio::awaitable<bool> console_session::start() {
    // Listen first, then read: an escalation raised in between arrives twice, never zero times
    // (the console applies updates by id).
    desk_ = live::subscription(*local_.hub, live::desk_channel(who_.clinic_id), this);
    auto snap = co_await local_.staff->async_open_escalations(who_.clinic_id, pg::timestamp{});
    if (!snap) {
        co_await send_error("unavailable");
        co_return false;
    }
    auto d = co_await desk_settings_of(local_, who_.clinic_id);
    json::array list;
    for (const auto& e : snap->escalations) list.push_back(escalation_json(e, d));
    auto c = shared_.clinics.cached_id(who_.clinic_id);
    std::string frame = json::serialize(json::object{
        {"type", "hello"},
        {"user", json::object{{"id", who_.user_id}, {"name", who_.name}, {"role", who_.role},
                              {"clinic", c ? c->slug : ""}, {"clinic_name", c ? c->name : ""}}},
        {"escalations", std::move(list)},
        {"server_time", iso_time(std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()))}});
    co_return co_await send(std::move(frame));
}

asio::awaitable<bool> console_session::watch(const std::string& escalation_id) {
    if (!who_.may_open()) co_return co_await send_error("forbidden");
    auto e = co_await local_.staff->async_escalation(who_.clinic_id, escalation_id);
    if (!e) co_return co_await send_error("unavailable");
    if (!*e) co_return co_await send_error("not_found");
    auto last = co_await local_.store->async_last_seq(who_.clinic_id, (*e)->conversation_id);
    if (!last) co_return co_await send_error("unavailable");
    watched_escalation_ = escalation_id;
    watched_conversation_ = (*e)->conversation_id;
    watched_seen_ = *last;
    watched_ = live::subscription(*local_.hub, live::live_channel(watched_conversation_), this);
    std::string frame = json::serialize(json::object{{"type", "watching"}, {"escalation", escalation_id}, {"seq", *last}});
    co_return co_await send(std::move(frame));
}

asio::awaitable<bool> console_session::send_new_entries() {
    if (watched_conversation_.empty()) co_return true;
    auto entries = co_await local_.store->async_transcript_after(who_.clinic_id, watched_conversation_, watched_seen_);
    if (!entries) co_return true;
    for (const auto& e : *entries) {
        if (e.seq <= watched_seen_) continue;
        watched_seen_ = e.seq;
        auto body = open_entry(shared_, who_.clinic_id, watched_conversation_, e);
        if (!body) continue;
        json::object frame = entry_json(e, *body);
        frame["type"] = e.author == "patient" ? "patient_message" : e.author == "staff" ? "staff_message" : "bot_message";
        frame["escalation"] = watched_escalation_;
        if (!co_await send(json::serialize(frame))) co_return false;
    }
    co_return true;
}

asio::awaitable<bool> console_session::on_live(std::string payload) {
    error_code ec;
    json::value v = json::parse(payload, ec);
    if (ec || !v.is_object()) co_return true;
    const auto& o = v.as_object();
    auto str = [&](const char* k) {
        auto* x = o.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    std::string type = str("type");
    if (type == "escalation.raised" || type == "escalation.changed") {
        auto e = co_await escalation_for_news(local_, who_.clinic_id, str("escalation"), payload);
        if (!e) co_return true;
        auto d = co_await desk_settings_of(local_, who_.clinic_id);
        std::string event = str("event");
        std::string frame = json::serialize(json::object{
            {"type", "escalation"}, {"event", event.empty() ? "raised" : event}, {"escalation", escalation_json(*e, d)}});
        bool sent = co_await send(std::move(frame));
        // The patient turn's correlation id, so one escalation can be followed across instances
        // from the message to each console that showed it.
        if (std::string turn = str("turn"); sent && type == "escalation.raised" && looks_like_uuid(turn))
            log::info("staff.escalation_shown", {{"conn", connection_id_},
                                                  {"turn", log::safe_id(turn)},
                                                  {"escalation", log::safe_id(e->id)}});
        co_return sent;
    }
    if (type == "sessions.revoked") {
        if (str("user") == who_.user_id) co_return co_await still_signed_in(false);
        co_return true;
    }
    if (type == "transcript") co_return co_await send_new_entries();
    if (type == "patient.typing") {
        auto* on = o.if_contains("on");
        std::string frame = json::serialize(json::object{
            {"type", "typing"}, {"escalation", watched_escalation_}, {"on", on && on->is_bool() && on->as_bool()}});
        co_return co_await send(std::move(frame));
    }
    co_return true;
}

asio::awaitable<bool> console_session::on_live_resync() {
    std::string frame = R"({"type":"resync"})";
    if (!co_await send(std::move(frame))) co_return false;
    co_return co_await send_new_entries();
}

asio::awaitable<bool> console_session::on_tick() { co_return co_await still_signed_in(false); }

asio::awaitable<bool> console_session::on_text(std::string text) {
    auto parsed = protocol::parse_client_json(text, limits::max_json_depth);
    const json::value& v = parsed.value;
    if (parsed.fault != protocol::json_fault::none || !v.is_object()) co_return co_await send_error("bad_frame");
    const auto& o = v.as_object();
    auto* t = o.if_contains("type");
    if (!t || !t->is_string()) co_return co_await send_error("bad_frame");
    std::string type(t->as_string());
    if (type == "ping") {
        std::string pong = R"({"type":"pong"})";
        co_return co_await send(std::move(pong));
    }
    // Every action is checked against the session as it stands now.
    if (!co_await still_signed_in(true)) co_return false;
    auto str = [&](const char* k) -> std::optional<std::string> {
        auto* x = o.if_contains(k);
        if (!x || !x->is_string()) return std::nullopt;
        return std::string(x->as_string());
    };
    if (type == "watch") {
        auto id = str("escalation");
        if (!id || id->size() != 36) co_return co_await send_error("bad_frame");
        co_return co_await watch(*id);
    }
    if (type == "unwatch") {
        watched_.reset();
        watched_escalation_.clear();
        watched_conversation_.clear();
        co_return true;
    }
    if (type == "typing") {
        auto id = str("escalation");
        auto* on = o.if_contains("on");
        if (!id || !on || !on->is_bool()) co_return co_await send_error("bad_frame");
        if (!who_.may_act()) co_return co_await send_error("forbidden");
        auto e = co_await local_.staff->async_escalation(who_.clinic_id, *id);
        if (!e) co_return co_await send_error("unavailable");
        if (!*e) co_return co_await send_error("not_found");
        // Only the person holding the conversation speaks (and types) to the patient.
        if ((*e)->claimed_by != who_.user_id) co_return co_await send_error("forbidden");
        std::string news = json::serialize(json::object{{"type", "staff.typing"}, {"on", on->as_bool()}});
        co_await local_.hub->publish(live::live_channel((*e)->conversation_id), std::move(news));
        co_return true;
    }
    co_return co_await send_error("bad_frame");
}

}  // namespace triage::server::staff

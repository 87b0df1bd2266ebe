#include "server/patient/patient_session.hpp"

#include "integrations/errc.hpp"
#include "server/assess.hpp"
#include "integrations/remote_intent/client.hpp"
#include "integrations/remote_intent/redact.hpp"
#include "server/ids.hpp"
#include "server/log.hpp"
#include "server/metrics/product.hpp"
#include "server/protocol/limits.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include <algorithm>

namespace asio = boost::asio;
namespace json = boost::json;
namespace remote_intent = triage::integrations::remote_intent;
using boost::system::error_code;
using triage::integrations::errc;
namespace pg = triage::integrations::postgres;

namespace triage::server {
namespace {

// What the classifier thought and why, for the audit trail and staff: intents, confidences and
// byte spans of the words that mattered (never the words themselves: they are PHI).
// Who the message is about, as far as it says: the youngest age group it names ("my baby", "my
// son", "my grandmother"), else "unstated". Drift and bias figures are broken down by it.
std::string age_group_of(const rules::assessment& a) {
    auto named = [&](std::string_view id) {
        return std::any_of(a.clinical_findings.begin(), a.clinical_findings.end(),
                           [&](const rules::finding& f) { return f.rule_id == id; });
    };
    for (std::string_view g : {"infant", "child", "older_adult"})
        if (named(g)) return std::string(g);
    return "unstated";
}

json::object intent_json(const dialog::intent_guess& g, const std::vector<dialog::word_contribution>& why,
                         const std::string& model) {
    constexpr std::size_t words_kept = 5;
    json::array alternatives;
    for (const auto& a : g.alternatives) alternatives.push_back(json::object{{"intent", a.intent}, {"confidence", a.confidence}});
    json::array explanation;
    for (std::size_t i = 0; i < why.size() && i < words_kept; ++i) {
        if (why[i].weight <= 0) break;
        explanation.push_back(json::object{{"span", json::array{why[i].begin, why[i].end}}, {"weight", why[i].weight}});
    }
    return json::object{{"intent", g.intent},
                        {"confidence", g.confidence},
                        {"alternatives", std::move(alternatives)},
                        {"explanation", std::move(explanation)},
                        {"model", model}};
}

// A remote answer carries no probability; it is trusted above the clarifying threshold.
constexpr double remote_confidence = 0.8;

json::array rules_json(const std::vector<rules::finding>& fs) {
    json::array a;
    for (const auto& f : fs) {
        json::array mods;
        for (const auto& m : f.modifiers) mods.emplace_back(m);
        a.push_back(json::object{{"id", f.rule_id},
                                 {"urgency", rules::to_string(f.level)},
                                 {"span", json::array{f.span.begin, f.span.end}},
                                 {"modifiers", std::move(mods)}});
    }
    return a;
}

std::string_view action_name(dialog::action_kind k) {
    switch (k) {
    case dialog::action_kind::escalate: return "escalate";
    case dialog::action_kind::request_booking: return "request_booking";
    case dialog::action_kind::handoff: return "handoff";
    case dialog::action_kind::close: return "close";
    }
    return "escalate";
}

// The staff member a staff entry's body names (name and role), for the patient's `staff` frame.
std::pair<std::string, std::string> staff_of(const json::object& body) {
    std::pair<std::string, std::string> out;
    if (auto* st = body.if_contains("staff"); st && st->is_object()) {
        if (auto* n = st->as_object().if_contains("name"); n && n->is_string()) out.first = n->as_string();
        if (auto* r = st->as_object().if_contains("role"); r && r->is_string()) out.second = r->as_string();
    }
    return out;
}

// Queue order: emergencies first (docs/staff-api.md).
int priority_of(rules::urgency u) {
    switch (u) {
    case rules::urgency::emergency: return 3;
    case rules::urgency::urgent: return 2;
    case rules::urgency::routine: return 1;
    default: return 0;
    }
}

std::string bot_body(const dialog::bot_reply& r, bool urgent) {
    json::array qr;
    for (const auto& q : r.quick_replies) qr.push_back(json::object{{"label", q.label}, {"value", q.value}});
    return json::serialize(json::object{{"text", r.text}, {"quick_replies", std::move(qr)}, {"urgent", urgent}});
}

}  // namespace

patient_session::patient_session(shared_services& shared, thread_services& local, const clinic& c,
                                 std::uint64_t connection_id, frame_sender& out, live::inbox& inbox)
    : shared_(shared), local_(local), clinic_(c), connection_id_(connection_id), out_(out), inbox_(inbox),
      tokens_(shared.cfg.limits.burst), last_refill_(std::chrono::steady_clock::now()) {}

void patient_session::on_news(std::string_view, std::string_view payload) {
    inbox_.push(live::inbox_item::kind::news, std::string(payload));
}

void patient_session::on_resync() { inbox_.push(live::inbox_item::kind::resync); }

void patient_session::follow_conversation() {
    if (local_.hub && !live_sub_.active()) live_sub_ = live::subscription(*local_.hub, live::live_channel(conv_->id), this);
}

asio::awaitable<void> patient_session::tell_staff(std::string payload) {
    if (!local_.hub || !conv_) co_return;
    co_await local_.hub->publish(live::live_channel(conv_->id), std::move(payload));
}

bool patient_session::take_rate_token() {
    auto now = std::chrono::steady_clock::now();
    double elapsed = std::chrono::duration<double>(now - last_refill_).count();
    last_refill_ = now;
    tokens_ = std::min(shared_.cfg.limits.burst, tokens_ + elapsed * shared_.cfg.limits.messages_per_second);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
}

std::string patient_session::message_aad(std::uint64_t seq) const {
    return transcript_entry_aad(conv_->id, seq, clinic_.id);
}

std::string patient_session::seal_state() const {
    json::array acks;
    for (const auto& [id, seq] : conv_->acks) acks.push_back(json::array{json::string(id), seq});
    std::string plain = json::serialize(json::object{{"dialog", dialog::to_json(conv_->state)},
                                                     {"acks", std::move(acks)}});
    auto s = shared_.keys.seal(plain, "redis.session|" + conv_->id + "|" + clinic_.id);
    return std::to_string(s.key_id) + ":" + s.bytes;
}

bool patient_session::open_state(const std::string& sealed, live_conversation& into) const {
    auto colon = sealed.find(':');
    if (colon == std::string::npos) return false;
    std::uint32_t key_id = static_cast<std::uint32_t>(std::strtoul(sealed.substr(0, colon).c_str(), nullptr, 10));
    auto plain = shared_.keys.open(key_id, std::string_view(sealed).substr(colon + 1),
                                   "redis.session|" + into.id + "|" + clinic_.id);
    if (!plain) return false;
    error_code ec;
    json::value v = json::parse(*plain, ec);
    if (ec || !v.is_object()) return false;
    auto* d = v.as_object().if_contains("dialog");
    if (!d) return false;
    auto st = dialog::conversation_state_from_json(*d);
    if (!st) return false;
    into.state = std::move(*st);
    into.acks.clear();
    if (auto* a = v.as_object().if_contains("acks"); a && a->is_array()) {
        for (const auto& item : a->as_array()) {
            if (!item.is_array() || item.as_array().size() != 2) continue;
            const auto& pair = item.as_array();
            if (pair[0].is_string() && pair[1].is_number())
                into.acks.emplace_back(std::string(pair[0].as_string()), pair[1].to_number<std::uint64_t>());
        }
    }
    return true;
}

asio::awaitable<void> patient_session::send_error(std::string_view code, std::string_view field, std::string_view id) {
    metrics::product().turn_errors.with({code}).add();
    std::string frame = protocol::error_frame({std::string(code), std::string(field), std::string(id)});
    co_await out_.send(std::move(frame));
}

// The clinic's emergency number (the flow's `emergency_number`), dialable, for the tap-to-call
// button on an emergency instruction.
std::string patient_session::emergency_call() const {
    auto it = shared_.flow.vars.find("emergency_number");
    return it == shared_.flow.vars.end() ? std::string() : protocol::dialable(it->second);
}

asio::awaitable<void> patient_session::send_replies(const std::vector<dialog::bot_reply>& replies,
                                                    std::uint64_t first_seq, bool urgent) {
    std::uint64_t seq = first_seq;
    // Named, not a temporary inside the co_await expression (GCC 12 destroys those twice).
    // The call button goes on the first bubble of the instruction only.
    const std::string call = urgent ? emergency_call() : std::string();
    for (const auto& r : replies) {
        std::string frame = protocol::bot_frame(seq, r.text, r.quick_replies, urgent, seq == first_seq ? call : std::string());
        ++seq;
        if (!co_await out_.send(std::move(frame))) co_return;
    }
}

asio::awaitable<void> patient_session::on_transport_error(std::string code) { co_await send_error(code); }

asio::awaitable<void> patient_session::announce(const std::vector<pg::escalation_entry>& raised) {
    // After the commit, so a console that reads the queue from PostgreSQL on this news finds the
    // row. Ids and codes only: Redis is not a place for PHI. A lost announcement is not a lost
    // escalation: consoles catch up from PostgreSQL when they (re)connect.
    if (!raised.empty()) escalated_ = true;
    for (const auto& e : raised) {
        std::string payload = json::serialize(json::object{{"type", "escalation.raised"},
                                                           {"event", "raised"},
                                                           {"escalation", e.id},
                                                           {"conversation", conv_->id},
                                                           {"clinic", clinic_.id},
                                                           {"reason", e.reason},
                                                           {"urgency", e.urgency},
                                                           {"turn", turn_id_}});
        if (!co_await local_.hub->publish(live::desk_channel(clinic_.id), std::move(payload)))
            log::warn("escalation.unannounced", {{"conn", connection_id_}});
    }
}

asio::awaitable<void> patient_session::on_disconnect() {
    // The booking desk knows whether a hold is still open: booking or releasing it spends the
    // offers, so after either there is nothing to let go.
    if (!conv_ || !conv_->stored) co_return;
    try {
        auto audit = co_await local_.booking->release_if_held(conv_->state);
        if (audit.empty()) co_return;
        for (auto& e : audit) {
            e.detail_json.insert(1, "\"conversation\":\"" + conv_->id + "\",");
            auto ec = co_await local_.store->async_audit(clinic_.id, e.actor, e.action, e.detail_json);
            if (ec) log::warn("audit.unrecorded", {{"conn", connection_id_}, {"ec", ec}});
        }
        log::info("booking.hold_released", {{"conn", connection_id_}, {"conversation", log::safe_id(conv_->id)}});
    } catch (const std::exception&) {
        log::error("booking.release_threw", {{"conn", connection_id_}});
    }
}

asio::awaitable<void> patient_session::carry_out_calls(dialog::step& step, std::chrono::system_clock::time_point now,
                                                       std::vector<pg::audit_entry>& audit) {
    // find_patient -> find_slots is the longest chain in a turn; more means a flow loop.
    constexpr int max_calls_per_turn = 4;
    for (int i = 0; !step.call.empty(); ++i) {
        booking_report report;
        if (i < max_calls_per_turn) {
            booking_request r{step.call, &step.state, clinic_.id, clinic_.timezone, conv_->id, now};
            auto started = std::chrono::steady_clock::now();
            report = co_await local_.booking->carry_out(std::move(r));
            metrics::product().booking_seconds.with({report.finished.call}).observe(metrics::seconds_since(started));
        } else {
            report.finished.call = step.call;
            report.finished.outcome = "unavailable";
            log::error("booking.too_many_calls", {{"conn", connection_id_}, {"conversation", log::safe_id(conv_->id)}});
        }
        log::info("booking.call", {{"conn", connection_id_},
                                   {"turn", log::safe_id(turn_id_)},
                                   {"conversation", log::safe_id(conv_->id)},
                                   {"call", log::field_value::code(report.finished.call)},
                                   {"outcome", log::field_value::code(report.finished.outcome)}});
        metrics::product().booking_calls.with({report.finished.call, report.finished.outcome}).add();
        for (auto& e : report.audit) audit.push_back(std::move(e));
        auto next = dialog::advance(shared_.flow, step.state, report.finished, now);
        step.state = std::move(next.state);
        step.call = std::move(next.call);
        for (auto& r : next.replies) step.replies.push_back(std::move(r));
        for (auto& a : next.actions) step.actions.push_back(std::move(a));
    }
}

std::optional<std::string> patient_session::early_safety_notice(std::string_view frame) const {
    try {
        auto parsed = protocol::parse_client_frame(frame);
        auto* f = std::get_if<protocol::client_frame>(&parsed);
        auto* m = f ? std::get_if<protocol::message_frame>(f) : nullptr;
        if (!m || !conv_) return std::nullopt;
        auto a = shared_.rules.assess(m->text);
        if (a.level != rules::urgency::emergency && !a.escalate && !a.evaluation_failed) return std::nullopt;
        log::warn("triage.red_flag_early", {{"conn", connection_id_}, {"conversation", log::safe_id(conv_->id)}});
        bool es = conv_->state.lang == "es";
        return protocol::notice_frame(
            "emergency", es ? "Esto puede ser una emergencia. Llame al 911 ahora o vaya a la sala de emergencias más "
                              "cercana. No conduzca usted mismo. Responderemos a su mensaje en un momento."
                            : "This may be an emergency. Call 911 now or go to the nearest emergency department. Do "
                              "not drive yourself. We will answer your message in a moment.");
    } catch (const std::exception&) {
        return std::nullopt;  // the handler still runs the rules on it in turn
    }
}

asio::awaitable<void> patient_session::on_text(std::string frame, std::chrono::steady_clock::time_point arrived) {
    arrived_ = arrived;
    struct busy_mark {
        bool& b;
        ~busy_mark() { b = false; }
    } mark{busy_};
    busy_ = true;
    auto parsed = protocol::parse_client_frame(frame);
    if (auto* e = std::get_if<protocol::frame_error>(&parsed)) {
        log::info("patient.frame_rejected", {{"conn", connection_id_}, {"code", log::field_value::code(e->code)}});
        metrics::product().frames_rejected.with({e->code}).add();
        co_await out_.send(protocol::error_frame(*e));
        co_return;
    }
    const auto& f = std::get<protocol::client_frame>(parsed);
    std::string client_id;
    if (auto* m = std::get_if<protocol::message_frame>(&f)) client_id = m->id;
    std::exception_ptr failure;
    try {
        co_await dispatch(f);
    } catch (...) {
        failure = std::current_exception();
    }
    if (failure) {
        // Never silence: the patient gets a safe answer and staff get an escalation (STYLE E3, E6).
        log::error("patient.internal_error", {{"conn", connection_id_}});
        metrics::product().turn_errors.with({"internal_error"}).add();
        co_await fail_towards_human(client_id);
    }
}

asio::awaitable<void> patient_session::fail_towards_human(const std::string& client_id) {
    std::uint64_t seq = conv_ ? std::max(conv_->state.next_seq, seq_floor_) : seq_floor_;
    seq_floor_ = seq + 1;
    dialog::bot_reply r;
    r.text = conv_ && conv_->state.lang == "es"
                 ? "Algo salió mal de nuestro lado. Hemos avisado al personal de la clínica. Si es una emergencia, "
                   "llame al 911 ahora."
                 : "Something went wrong on our side. We have alerted the clinic staff. If this is an emergency, call "
                   "911 now.";
    // Built outside the co_await: GCC 12 cannot keep an initializer_list's array across a suspension.
    std::vector<dialog::bot_reply> replies{std::move(r)};
    co_await send_replies(replies, seq, true);
    if (!client_id.empty()) co_await send_error("not_saved", {}, client_id);
    if (!conv_ || !conv_->stored) co_return;
    pg::turn_write w;
    w.clinic_id = clinic_.id;
    w.conversation_id = conv_->id;
    w.escalations.push_back({new_uuid(), "internal_error", "urgent", R"({"evaluation_failed":true})", 2,
                             R"({"situation":"internal_error"})", std::nullopt});
    w.audit.push_back({"system", "escalation.raised", R"({"reason":"internal_error"})"});
    std::vector<pg::escalation_entry> raised = w.escalations;
    auto ec = co_await local_.store->async_record(std::move(w));
    if (ec) log::error("escalation.unrecorded", {{"conn", connection_id_}, {"ec", ec}});
    else co_await announce(raised);
}

asio::awaitable<void> patient_session::dispatch(const protocol::client_frame& f) {
    if (std::holds_alternative<protocol::ping_frame>(f)) {
        co_await out_.send(protocol::pong_frame());
    } else if (std::holds_alternative<protocol::typing_frame>(f)) {
        // Only a person holding the conversation wants to see the patient typing.
        if (staff_) co_await tell_staff(R"({"type":"patient.typing","on":true})");
    } else if (auto* s = std::get_if<protocol::start_frame>(&f)) {
        co_await on_start(*s);
    } else if (auto* r = std::get_if<protocol::resume_frame>(&f)) {
        co_await on_resume(*r);
    } else if (auto* m = std::get_if<protocol::message_frame>(&f)) {
        co_await on_message(*m);
    }
}

asio::awaitable<void> patient_session::on_start(const protocol::start_frame& f) {
    if (conv_) co_return co_await send_error("already_started");
    live_conversation c;
    c.id = new_uuid();
    std::string token = new_resume_token();
    c.token_index = shared_.keys.blind_index(token, "conversation.token");
    c.state.flow_id = shared_.flow.id;
    c.state.flow_version = shared_.flow.version;
    c.state.lang = f.lang;
    if (!f.time_zone.empty()) c.state.slots["time_zone"] = f.time_zone;
    if (!f.contact.empty()) c.contact_index = shared_.keys.blind_index(f.contact, "conversation.contact");
    auto step = dialog::advance(shared_.flow, c.state, dialog::conversation_started{f.lang, f.lang_chosen},
                                std::chrono::system_clock::now());
    std::uint64_t first = c.state.next_seq;
    c.state = std::move(step.state);
    c.state.next_seq = first + step.replies.size();
    conv_ = std::move(c);

    pg::turn_write w;
    w.clinic_id = clinic_.id;
    w.conversation_id = conv_->id;
    w.start = pg::new_conversation{conv_->token_index, f.lang, shared_.flow.id, shared_.flow.version,
                                   conv_->contact_index};
    std::uint64_t seq = first;
    for (const auto& r : step.replies) {
        auto sealed = shared_.keys.seal(bot_body(r, false), message_aad(seq));
        w.entries.push_back({seq++, "bot", std::nullopt, sealed.key_id, std::move(sealed.bytes)});
    }
    w.audit.push_back({"patient", "conversation.started",
                       json::serialize(json::object{{"flow", shared_.flow.id},
                                                    {"flow_version", shared_.flow.version},
                                                    {"lang", f.lang},
                                                    {"rules", shared_.rules.version()},
                                                    {"intent_model", shared_.intents.current()->version()}})});
    auto ec = co_await local_.store->async_record(std::move(w));
    if (!ec) {
        conv_->stored = true;
        auto saved = co_await local_.sessions->async_save(conv_->id, 0, seal_state());
        if (saved) conv_->redis_version = *saved;
        else ec = saved.error();
    }
    if (ec) {
        // The patient can still type: red flags are answered without storage, everything else
        // is refused with not_saved until storage is back.
        log::warn("conversation.start_unsaved", {{"conn", connection_id_}, {"ec", ec}});
        seq_floor_ = conv_->state.next_seq;
        co_await send_replies(step.replies, first, false);
        co_await send_error("unavailable");
        co_return;
    }
    log::info("conversation.started", {{"conn", connection_id_}, {"conversation", log::safe_id(conv_->id)}});
    metrics::product().conversations.with({clinic_.slug, conv_->state.lang}).add();
    follow_conversation();
    co_await out_.send(protocol::started_frame(conv_->id, token, f.lang));
    co_await send_replies(step.replies, first, false);
}

asio::awaitable<void> patient_session::on_resume(const protocol::resume_frame& f) {
    if (conv_) co_return co_await send_error("already_started");
    std::string index = shared_.keys.blind_index(f.token, "conversation.token");
    auto found = co_await local_.store->async_find_by_token(clinic_.id, index);
    if (!found) co_return co_await send_error("unavailable");
    if (!*found) co_return co_await send_error("unknown_conversation");
    live_conversation c;
    c.id = (*found)->id;
    c.token_index = index;
    c.stored = true;
    auto loaded = co_await local_.sessions->async_load(c.id);
    if (!loaded) co_return co_await send_error("unavailable");
    if (!*loaded || !open_state((*loaded)->sealed_state, c)) co_return co_await send_error("unknown_conversation");
    c.redis_version = (*loaded)->version;
    auto entries = co_await local_.store->async_transcript_after(clinic_.id, c.id, f.last_seq);
    if (!entries) co_return co_await send_error("unavailable");
    conv_ = std::move(c);
    seq_floor_ = conv_->state.next_seq;
    follow_conversation();
    co_await look_up_staff();
    // Handed back to the bot while the patient was away: the bot takes up where staff chose.
    std::optional<std::string> handed_back;
    if (!staff_ && conv_->state.ended) handed_back = co_await pending_hand_back();
    log::info("conversation.resumed", {{"conn", connection_id_}, {"conversation", log::safe_id(conv_->id)}});
    co_await out_.send(protocol::resumed_frame(conv_->id, conv_->state.lang, conv_->state.next_seq - 1,
                                               conv_->state.ended && !handed_back));
    bool previous_urgent = false;  // one call button per emergency instruction, not per bubble
    for (const auto& e : *entries) {
        auto plain = shared_.keys.open(e.key_id, e.sealed_body, message_aad(e.seq));
        if (!plain) {
            log::error("transcript.decrypt_failed", {{"conn", connection_id_}, {"seq", e.seq}});
            continue;
        }
        error_code ec;
        json::value v = json::parse(*plain, ec);
        if (ec || !v.is_object()) continue;
        const auto& o = v.as_object();
        std::string text = o.contains("text") && o.at("text").is_string() ? std::string(o.at("text").as_string()) : "";
        seq_floor_ = std::max(seq_floor_, e.seq + 1);
        if (e.author == "patient") {
            co_await out_.send(protocol::patient_frame(e.seq, e.client_msg_id.value_or(""), text));
        } else if (e.author == "staff") {
            staff_seen_ = std::max(staff_seen_, e.seq);
            auto [name, role] = staff_of(o);
            co_await out_.send(protocol::staff_frame(e.seq, text, name, role));
        } else {
            std::vector<dialog::quick_reply> qr;
            if (auto* q = o.if_contains("quick_replies"); q && q->is_array())
                for (const auto& item : q->as_array())
                    if (item.is_object() && item.as_object().contains("label") && item.as_object().contains("value"))
                        qr.push_back({std::string(item.at("label").as_string()), std::string(item.at("value").as_string())});
            bool urgent = o.contains("urgent") && o.at("urgent").is_bool() && o.at("urgent").as_bool();
            const std::string call = urgent && !previous_urgent ? emergency_call() : std::string();
            previous_urgent = urgent;
            std::string frame = protocol::bot_frame(e.seq, text, qr, urgent, call);
            co_await out_.send(std::move(frame));
            continue;
        }
        previous_urgent = false;
    }
    if (staff_) {
        co_await out_.send(protocol::staff_joined_frame(staff_->name, staff_->role));
    } else if (handed_back) {
        co_await resume_with_staff_at(*handed_back);
    } else if (conv_->state.ended) {
        co_await out_.send(protocol::end_frame("closed"));
    }
}

asio::awaitable<std::optional<std::string>> patient_session::pending_hand_back() {
    // The record tells: a hand-back that no connection has carried out yet is the last of the
    // two events (carrying it out writes conversation.resumed_by_bot).
    if (!local_.staff) co_return std::nullopt;
    auto events = co_await local_.staff->async_audit_of_conversation(clinic_.id, conv_->id, "");
    if (!events) co_return std::nullopt;
    for (auto it = events->rbegin(); it != events->rend(); ++it) {
        if (it->action == "conversation.resumed_by_bot") co_return std::nullopt;
        if (it->action != "escalation.handed_back") continue;
        error_code ec;
        json::value v = json::parse(it->detail_json, ec);
        if (ec || !v.is_object()) co_return std::nullopt;
        auto* st = v.as_object().if_contains("flow_state");
        if (!st || !st->is_string()) co_return std::nullopt;
        co_return std::string(st->as_string());
    }
    co_return std::nullopt;
}

asio::awaitable<void> patient_session::on_message(const protocol::message_frame& m) {
    if (!conv_) co_return co_await send_error("not_started", {}, m.id);
    if (!take_rate_token()) co_return co_await send_error("rate_limited", {}, m.id);
    for (const auto& [id, seq] : conv_->acks)
        if (id == m.id) {
            co_await out_.send(protocol::ack_frame(m.id, seq));
            co_return;
        }
    // A conversation the bot ended (handed off) opens again when a person joins it.
    if (conv_->state.ended && !staff_) co_return co_await send_error("conversation_ended", {}, m.id);

    // 1. The red-flag rules, in process, before anything that could wait (DESIGN: one patient turn).
    auto& metric = metrics::product();
    turn_id_ = new_uuid();
    const auto classifier = shared_.intents.current();
    assessment_timings took;
    auto assessed = assess_message(shared_.rules, shared_.urgency, *classifier, m.text, shared_.language, &took);
    metric.steps.rules.observe(took.rules_s);
    if (shared_.urgency) metric.steps.urgency_model.observe(took.urgency_model_s);
    metric.steps.intent.observe(took.intent_s);
    if (shared_.language) metric.steps.language.observe(took.language_s);
    bool emergency = assessed.triage.level == rules::urgency::emergency || assessed.triage.escalate ||
                     assessed.triage.evaluation_failed;
    // With a person in the conversation, the message is for them; a red flag is still answered
    // by the flow at once (and raised again), because the person may not be looking.
    if (staff_ && !emergency) co_return co_await on_message_to_staff(m, assessed.triage);
    // 1b. The optional remote model, never for a red flag (the safety instruction must not wait):
    // it sees the text redacted, its intent counts only if it is one we know, and its urgency can
    // only raise ours.
    json::object remote_audit;
    bool typing = false;
    if (!emergency && local_.remote_intent) {
        co_await out_.send(protocol::typing_frame_out(true));
        typing = true;
        std::vector<std::string> known;
        if (auto it = conv_->state.slots.find("callback_phone"); it != conv_->state.slots.end()) known.push_back(it->second);
        auto redacted = remote_intent::redact_phi(m.text, known);
        int replaced = 0;
        for (const auto& [placeholder, n] : redacted.replaced) replaced += n;
        auto remote_started = std::chrono::steady_clock::now();
        auto res = co_await local_.remote_intent->async_classify(std::move(redacted.text));
        metric.steps.remote_model.observe(metrics::seconds_since(remote_started));
        metric.remote_model_calls.with({remote_intent::to_string(res.what)}).add();
        remote_audit["outcome"] = remote_intent::to_string(res.what);
        remote_audit["redactions"] = replaced;
        if (res.value) {
            remote_audit["intent"] = res.value->intent;
            remote_audit["urgency"] = res.value->urgency;
            if (res.value->intent != assessed.intent.intent) {
                // The remote answer leads; the local guess stays among the alternatives.
                dialog::intent_alternative local{assessed.intent.intent, assessed.intent.confidence};
                assessed.intent.alternatives.insert(assessed.intent.alternatives.begin(), local);
                assessed.intent.intent = res.value->intent;
                assessed.intent.confidence = remote_confidence;
            }
            if (auto u = rules::urgency_from_string(res.value->urgency); u && *u > assessed.triage.level) {
                assessed.triage.level = *u;
                assessed.triage.rationale += (assessed.triage.rationale.empty() ? "" : " ") +
                                             std::string("Urgency raised by the remote model.");
                if (*u == rules::urgency::emergency) assessed.triage.escalate = true;
                emergency = assessed.triage.level == rules::urgency::emergency || assessed.triage.escalate;
            }
        }
    }
    const rules::assessment& a = assessed.triage;
    const dialog::intent_guess& intent = assessed.intent;
    auto now = std::chrono::system_clock::now();

    auto run_step = [&](const dialog::conversation_state& from) {
        return dialog::advance(shared_.flow, from,
                               dialog::patient_said{m.text, a, intent, assessed.language, assessed.language_confidence}, now);
    };
    dialog::conversation_state before = conv_->state;
    before.next_seq = std::max(before.next_seq, seq_floor_);
    auto flow_started = std::chrono::steady_clock::now();
    dialog::step step = run_step(before);
    metric.steps.flow.observe(metrics::seconds_since(flow_started));
    std::uint64_t patient_seq = before.next_seq;
    if (step.state.lang != before.lang) co_await out_.send(protocol::language_frame(step.state.lang));
    bool sent_early = false;
    if (emergency) {
        // 2. The safety instruction goes out now, before storage or network (STYLE A6).
        co_await send_replies(step.replies, patient_seq + 1, a.level == rules::urgency::emergency);
        metric.red_flag_latency.observe(metrics::seconds_since(arrived_));
        metric.red_flags.with({clinic_.slug, rules::to_string(a.level)}).add();
        sent_early = true;
        seq_floor_ = patient_seq + 1 + step.replies.size();
        log::warn("triage.red_flag", {{"conn", connection_id_},
                                      {"turn", log::safe_id(turn_id_)},
                                      {"conversation", log::safe_id(conv_->id)},
                                      {"urgency", log::field_value::code(rules::to_string(a.level))},
                                      {"rules", static_cast<std::uint64_t>(a.findings.size())}});
    } else if (!typing) {
        co_await out_.send(protocol::typing_frame_out(true));
    }
    // For staff and the audit trail only, so after the safety instruction: one classification
    // per word of the message (leave-one-word-out).
    auto explain_started = std::chrono::steady_clock::now();
    const auto intent_why = classifier->explain(m.text);
    metric.steps.explain.observe(metrics::seconds_since(explain_started));

    // 3. Take the freshest state: another instance may have moved the conversation on.
    auto load_started = std::chrono::steady_clock::now();
    auto loaded = co_await local_.sessions->async_load(conv_->id);
    metric.steps.redis_load.observe(metrics::seconds_since(load_started));
    if (!loaded) {
        log::warn("turn.not_saved", {{"conn", connection_id_}, {"turn", log::safe_id(turn_id_)}, {"ec", loaded.error()}});
        co_return co_await send_error("not_saved", {}, m.id);
    }
    if (*loaded && (*loaded)->version != conv_->redis_version && !sent_early) {
        live_conversation fresh{conv_->id, {}, (*loaded)->version, {}, true, conv_->token_index};
        if (open_state((*loaded)->sealed_state, fresh)) {
            *conv_ = std::move(fresh);
            before = conv_->state;
            before.next_seq = std::max(before.next_seq, seq_floor_);
            step = run_step(before);
            patient_seq = before.next_seq;
        }
    }
    if (!conv_->stored) {
        co_return co_await send_error("not_saved", {}, m.id);
    }

    // 3b. The calls the flow asked for (find the patient's record, free times, book): each
    // outcome continues the same turn. Red flags never get here first: their instruction is out.
    std::vector<pg::audit_entry> call_audit;
    if (!step.call.empty()) {
        auto calls_started = std::chrono::steady_clock::now();
        co_await carry_out_calls(step, now, call_audit);
        metric.steps.booking.observe(metrics::seconds_since(calls_started));
    }

    // 4. Persist the turn: patient message, replies, escalations and audit in one transaction.
    dialog::conversation_state after = step.state;
    after.next_seq = patient_seq + 1 + step.replies.size();
    pg::turn_write w;
    w.clinic_id = clinic_.id;
    w.conversation_id = conv_->id;
    {
        auto sealed = shared_.keys.seal(json::serialize(json::object{{"text", m.text}}), message_aad(patient_seq));
        w.entries.push_back({patient_seq, "patient", m.id, sealed.key_id, std::move(sealed.bytes)});
    }
    std::uint64_t seq = patient_seq + 1;
    bool urgent_replies = a.level == rules::urgency::emergency;
    for (const auto& r : step.replies) {
        auto sealed = shared_.keys.seal(bot_body(r, urgent_replies), message_aad(seq));
        w.entries.push_back({seq++, "bot", std::nullopt, sealed.key_id, std::move(sealed.bytes)});
    }
    // A returning contact with a new urgent complaint: staff see the earlier contact linked, and
    // the complaint is escalated even if it would not be on its own.
    std::optional<std::string> earlier;
    bool escalating = std::any_of(step.actions.begin(), step.actions.end(), [](const auto& x) {
        return x.kind == dialog::action_kind::escalate || x.kind == dialog::action_kind::handoff;
    });
    if (conv_->contact_index && !escalated_ && a.level >= rules::urgency::urgent) {
        auto found = co_await local_.store->async_recent_escalation_of_contact(clinic_.id, *conv_->contact_index,
                                                                              conv_->id);
        if (found && *found) earlier = **found;
        if (earlier && !escalating) {
            dialog::action repeat;
            repeat.kind = dialog::action_kind::escalate;
            repeat.reason = "repeat_contact";
            repeat.level = a.level;
            step.actions.push_back(std::move(repeat));
        }
    }
    json::array action_names;
    for (const auto& act : step.actions) {
        action_names.emplace_back(action_name(act.kind));
        if (act.kind == dialog::action_kind::escalate || act.kind == dialog::action_kind::handoff) {
            auto level = std::max(act.level, a.level);
            std::string triage_json = json::serialize(json::object{{"rules", rules_json(a.findings)},
                                                                   {"suppressed", rules_json(a.suppressed)},
                                                                   {"pack", a.pack_version},
                                                                   {"urgency", rules::to_string(a.level)},
                                                                   {"rationale", a.rationale},
                                                                   {"evaluation_failed", a.evaluation_failed},
                                                                   {"intent", intent_json(intent, intent_why, classifier->version())},
                                                                   {"noted_intent", step.noted_intent}});
            std::string esc_id = new_uuid();
            // The handoff summary's skeleton: which entries and rules to show staff first. The
            // words stay in the sealed transcript; the console reads them from there.
            json::array rule_ids;
            for (const auto& f : a.findings) rule_ids.emplace_back(f.rule_id);
            std::string summary = json::serialize(json::object{
                {"situation", act.reason.empty() ? std::string(action_name(act.kind)) : act.reason},
                {"message_seq", patient_seq},
                {"bot_seqs", json::array{patient_seq + 1, patient_seq + step.replies.size()}},
                {"rules", std::move(rule_ids)},
                {"state", after.current_state}});
            w.escalations.push_back({esc_id, act.reason.empty() ? std::string(action_name(act.kind)) : act.reason,
                                     std::string(rules::to_string(level)), triage_json, priority_of(level), summary,
                                     earlier});
            w.audit.push_back({"system", "escalation.raised",
                               json::serialize(json::object{{"escalation", esc_id},
                                                            {"reason", act.reason},
                                                            {"urgency", rules::to_string(level)},
                                                            {"rules", rules_json(a.findings)},
                                                            {"rationale", a.rationale},
                                                            {"pack", a.pack_version}})});
        }
    }
    for (auto& e : call_audit) w.audit.push_back(std::move(e));
    w.audit.push_back({"patient", "message.received",
                       json::serialize(json::object{{"seq", patient_seq},
                                                    {"turn", turn_id_},
                                                    {"lang", conv_->state.lang},
                                                    {"age_group", age_group_of(a)},
                                                    {"urgency", rules::to_string(a.level)},
                                                    {"escalate", a.escalate},
                                                    {"rules", rules_json(a.findings)},
                                                    {"suppressed", rules_json(a.suppressed)},
                                                    {"pack", a.pack_version},
                                                    {"intent", intent_json(intent, intent_why, classifier->version())},
                                                    {"noted_intent", step.noted_intent},
                                                    {"clarified", step.clarified},
                                                    {"remote_intent", std::move(remote_audit)},
                                                    {"flow", shared_.flow.id},
                                                    {"flow_version", shared_.flow.version},
                                                    {"state_before", before.current_state},
                                                    {"state_after", after.current_state},
                                                    {"actions", std::move(action_names)}})});
    if (after.highest_urgency != before.highest_urgency) w.highest_urgency = std::string(rules::to_string(after.highest_urgency));
    w.ended = after.ended;

    std::vector<pg::escalation_entry> raised = w.escalations;
    auto commit_started = std::chrono::steady_clock::now();
    auto ec = co_await local_.store->async_record(std::move(w));
    metric.steps.postgres_commit.observe(metrics::seconds_since(commit_started));
    if (!ec) {
        for (const auto& e : raised) metric.escalations.with({clinic_.slug, e.urgency, e.reason}).add();
        co_await announce(raised);
        // Staff watching the conversation read the new entries from the record.
        if (escalated_) {
            std::string news = json::serialize(json::object{{"type", "transcript"}, {"seq", after.next_seq - 1}});
            co_await tell_staff(std::move(news));
        }
    }
    if (ec == errc::pg_unique_violation) {
        // Either a resend whose first attempt was stored (ack it as before) or a sequence race
        // with another instance (the patient resends and gets the fresh state).
        auto existing = co_await local_.store->async_seq_of_client_message(clinic_.id, conv_->id, m.id);
        if (existing && *existing) {
            co_await out_.send(protocol::ack_frame(m.id, **existing));
            co_return;
        }
        log::warn("turn.sequence_conflict", {{"conn", connection_id_},
                                             {"turn", log::safe_id(turn_id_)},
                                             {"conversation", log::safe_id(conv_->id)}});
        conv_->redis_version = 0;  // forces a reload next turn
        co_return co_await send_error("not_saved", {}, m.id);
    }
    if (ec) {
        log::warn("turn.not_saved", {{"conn", connection_id_}, {"turn", log::safe_id(turn_id_)}, {"ec", ec}});
        co_return co_await send_error("not_saved", {}, m.id);
    }

    // 5. Session state with its version check. The message is already durable, so a failure here
    // does not un-acknowledge it: the state stays in memory and is written with the next turn.
    conv_->state = after;
    conv_->acks.emplace_back(m.id, patient_seq);
    while (conv_->acks.size() > limits::remembered_client_ids) conv_->acks.pop_front();
    seq_floor_ = std::max(seq_floor_, after.next_seq);
    auto save_started = std::chrono::steady_clock::now();
    auto saved = co_await local_.sessions->async_save(conv_->id, conv_->redis_version, seal_state());
    metric.steps.redis_save.observe(metrics::seconds_since(save_started));
    if (saved) {
        conv_->redis_version = *saved;
    } else {
        log::warn("session.save_failed", {{"conn", connection_id_}, {"ec", saved.error()}});
        if (saved.error() == errc::version_conflict) {
            // Either another writer moved on (take its version: this turn is already durable and
            // ordered by the database) or Redis lost the state (restart without persistence):
            // then our copy re-creates it.
            auto l = co_await local_.sessions->async_load(conv_->id);
            if (l) conv_->redis_version = *l ? (*l)->version : 0;
            auto again = co_await local_.sessions->async_save(conv_->id, conv_->redis_version, seal_state());
            if (again) conv_->redis_version = *again;
        }
    }

    // 6. Acknowledge, then the replies (unless they already went out as a safety instruction).
    co_await out_.send(protocol::ack_frame(m.id, patient_seq));
    const double took_s = metrics::seconds_since(arrived_);
    metric.turn_latency.observe(took_s);
    log::debug("turn.acknowledged", {{"conn", connection_id_},
                                     {"turn", log::safe_id(turn_id_)},
                                     {"conversation", log::safe_id(conv_->id)},
                                     {"seq", patient_seq},
                                     {"urgency", log::field_value::code(rules::to_string(a.level))},
                                     {"ms", took_s * 1000}});
    metric.turns.with({clinic_.slug, rules::to_string(a.level)}).add();
    auto reply_started = std::chrono::steady_clock::now();
    if (!sent_early) co_await send_replies(step.replies, patient_seq + 1, false);
    metric.steps.reply.observe(metrics::seconds_since(reply_started));
    if (step.replies.empty() && !sent_early) co_await out_.send(protocol::typing_frame_out(false));
    for (const auto& act : step.actions) {
        if (act.kind == dialog::action_kind::escalate || act.kind == dialog::action_kind::handoff)
            log::info("escalation.raised", {{"conn", connection_id_},
                                            {"turn", log::safe_id(turn_id_)},
                                            {"conversation", log::safe_id(conv_->id)},
                                            {"urgency", log::field_value::code(rules::to_string(act.level))}});
    }
    if (after.ended) {
        bool handed_off = std::any_of(step.actions.begin(), step.actions.end(),
                                      [](const auto& x) { return x.kind == dialog::action_kind::handoff; });
        co_await out_.send(protocol::end_frame(handed_off ? "handed_off" : "closed"));
    }
}

// ---- live takeover (docs/staff-api.md) ----

asio::awaitable<void> patient_session::save_state() {
    auto saved = co_await local_.sessions->async_save(conv_->id, conv_->redis_version, seal_state());
    if (saved) {
        conv_->redis_version = *saved;
        co_return;
    }
    if (saved.error() != errc::version_conflict) co_return;
    auto l = co_await local_.sessions->async_load(conv_->id);
    if (l) conv_->redis_version = *l ? (*l)->version : 0;
    auto again = co_await local_.sessions->async_save(conv_->id, conv_->redis_version, seal_state());
    if (again) conv_->redis_version = *again;
}

asio::awaitable<void> patient_session::on_message_to_staff(const protocol::message_frame& m, const rules::assessment& a) {
    // Staff entries are numbered by whichever instance the staff member is on, so the record
    // decides the next number; a collision with one being written right now is tried again.
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto last = co_await local_.store->async_last_seq(clinic_.id, conv_->id);
        if (!last) break;
        std::uint64_t seq = std::max(std::max(*last + 1, seq_floor_), conv_->state.next_seq);
        pg::turn_write w;
        w.clinic_id = clinic_.id;
        w.conversation_id = conv_->id;
        auto sealed = shared_.keys.seal(json::serialize(json::object{{"text", m.text}}), message_aad(seq));
        w.entries.push_back({seq, "patient", m.id, sealed.key_id, std::move(sealed.bytes)});
        w.audit.push_back({"patient", "message.received",
                           json::serialize(json::object{{"seq", seq},
                                                        {"urgency", rules::to_string(a.level)},
                                                        {"rules", rules_json(a.findings)},
                                                        {"pack", a.pack_version},
                                                        {"to", "staff"},
                                                        {"escalation", staff_->escalation}})});
        auto ec = co_await local_.store->async_record(std::move(w));
        if (ec == errc::pg_unique_violation) {
            auto existing = co_await local_.store->async_seq_of_client_message(clinic_.id, conv_->id, m.id);
            if (existing && *existing) {
                co_await out_.send(protocol::ack_frame(m.id, **existing));
                co_return;
            }
            continue;
        }
        if (ec) break;
        seq_floor_ = std::max(seq_floor_, seq + 1);
        conv_->state.next_seq = std::max(conv_->state.next_seq, seq + 1);
        ++conv_->state.turns;
        conv_->acks.emplace_back(m.id, seq);
        while (conv_->acks.size() > limits::remembered_client_ids) conv_->acks.pop_front();
        co_await save_state();
        co_await out_.send(protocol::ack_frame(m.id, seq));
        std::string news = json::serialize(json::object{{"type", "transcript"}, {"seq", seq}});
        co_await tell_staff(std::move(news));
        co_return;
    }
    log::warn("turn.not_saved", {{"conn", connection_id_}, {"to", log::field_value::code("staff")}});
    co_await send_error("not_saved", {}, m.id);
}

asio::awaitable<void> patient_session::send_new_staff_entries() {
    auto entries = co_await local_.store->async_transcript_after(clinic_.id, conv_->id, staff_seen_);
    if (!entries) co_return;
    for (const auto& e : *entries) {
        seq_floor_ = std::max(seq_floor_, e.seq + 1);
        if (e.author != "staff" || e.seq <= staff_seen_) continue;
        auto plain = shared_.keys.open(e.key_id, e.sealed_body, message_aad(e.seq));
        if (!plain) {
            log::error("transcript.decrypt_failed", {{"conn", connection_id_}, {"seq", e.seq}});
            continue;
        }
        error_code jec;
        json::value v = json::parse(*plain, jec);
        if (jec || !v.is_object()) continue;
        const auto& o = v.as_object();
        std::string text;
        if (auto* t = o.if_contains("text"); t && t->is_string()) text = t->as_string();
        auto [name, role] = staff_of(o);
        staff_seen_ = e.seq;
        if (!co_await out_.send(protocol::staff_frame(e.seq, text, name, role))) co_return;
    }
    conv_->state.next_seq = std::max(conv_->state.next_seq, seq_floor_);
}

asio::awaitable<void> patient_session::look_up_staff() {
    if (!local_.staff) co_return;
    auto found = co_await local_.staff->async_escalations_of_conversation(clinic_.id, conv_->id);
    if (!found) co_return;
    std::optional<staff_presence> holder;
    for (const auto& e : *found) {
        escalated_ = true;
        if ((e.status == "claimed" || e.status == "in_conversation") && e.claimed_by_name)
            holder = staff_presence{e.id, *e.claimed_by_name, e.claimed_by_role.value_or("")};
    }
    staff_ = std::move(holder);
}

asio::awaitable<void> patient_session::on_live_resync() {
    if (!conv_) co_return;
    try {
        bool had = staff_.has_value();
        co_await look_up_staff();
        if (staff_ && !had) co_await out_.send(protocol::staff_joined_frame(staff_->name, staff_->role));
        if (staff_) co_await send_new_staff_entries();
    } catch (const std::exception&) {
        log::error("live.resync_threw", {{"conn", connection_id_}});
    }
}

asio::awaitable<void> patient_session::resume_with_staff_at(const std::string& state) {
    staff_.reset();
    co_await out_.send(protocol::staff_left_frame("handed_back"));
    auto last = co_await local_.store->async_last_seq(clinic_.id, conv_->id);
    std::uint64_t seq = std::max(std::max(last ? *last + 1 : std::uint64_t{0}, seq_floor_), conv_->state.next_seq);
    auto now = std::chrono::system_clock::now();
    dialog::conversation_state before = conv_->state;
    before.next_seq = seq;
    auto step = dialog::advance(shared_.flow, before, dialog::handed_back{state}, now);
    std::vector<pg::audit_entry> audit;
    co_await carry_out_calls(step, now, audit);
    dialog::conversation_state after = step.state;
    after.next_seq = seq + step.replies.size();
    pg::turn_write w;
    w.clinic_id = clinic_.id;
    w.conversation_id = conv_->id;
    std::uint64_t s = seq;
    for (const auto& r : step.replies) {
        auto sealed = shared_.keys.seal(bot_body(r, false), message_aad(s));
        w.entries.push_back({s++, "bot", std::nullopt, sealed.key_id, std::move(sealed.bytes)});
    }
    for (auto& e : audit) w.audit.push_back(std::move(e));
    w.audit.push_back({"system", "conversation.resumed_by_bot",
                       json::serialize(json::object{{"state", after.current_state}})});
    w.ended = after.ended;
    auto ec = co_await local_.store->async_record(std::move(w));
    if (ec) log::warn("turn.not_saved", {{"conn", connection_id_}, {"ec", ec}});
    conv_->state = after;
    seq_floor_ = std::max(seq_floor_, after.next_seq);
    co_await save_state();
    co_await send_replies(step.replies, seq, false);
    std::string news = json::serialize(json::object{{"type", "transcript"}, {"seq", after.next_seq - 1}});
    co_await tell_staff(std::move(news));
}

asio::awaitable<void> patient_session::close_as_resolved() {
    staff_.reset();
    conv_->state.ended = true;
    pg::turn_write w;
    w.clinic_id = clinic_.id;
    w.conversation_id = conv_->id;
    w.ended = true;
    auto ec = co_await local_.store->async_record(std::move(w));
    if (ec) log::warn("conversation.end_unsaved", {{"conn", connection_id_}, {"ec", ec}});
    co_await save_state();
    co_await out_.send(protocol::end_frame("resolved"));
}

asio::awaitable<void> patient_session::on_live(std::string payload) {
    if (!conv_) co_return;
    struct busy_mark {
        bool& b;
        ~busy_mark() { b = false; }
    } mark{busy_};
    busy_ = true;
    try {
        error_code jec;
        json::value v = json::parse(payload, jec);
        if (jec || !v.is_object()) co_return;
        const auto& o = v.as_object();
        auto str = [&](const char* k) -> std::string {
            auto* x = o.if_contains(k);
            return x && x->is_string() ? std::string(x->as_string()) : std::string();
        };
        std::string type = str("type");
        if (type == "staff.joined") {
            escalated_ = true;
            staff_ = staff_presence{str("escalation"), str("name"), str("role")};
            co_await out_.send(protocol::staff_joined_frame(staff_->name, staff_->role));
        } else if (type == "transcript") {
            if (auto* q = o.if_contains("seq"); q && q->is_number())
                seq_floor_ = std::max(seq_floor_, q->to_number<std::uint64_t>() + 1);
            if (staff_) co_await send_new_staff_entries();
        } else if (type == "staff.typing") {
            auto* on = o.if_contains("on");
            if (staff_) co_await out_.send(protocol::staff_typing_frame(on && on->is_bool() && on->as_bool()));
        } else if (type == "handed_back") {
            if (staff_ && staff_->escalation == str("escalation")) co_await resume_with_staff_at(str("state"));
        } else if (type == "resolved") {
            if (staff_ && staff_->escalation == str("escalation")) co_await close_as_resolved();
        } else if (type == "sla" && !staff_) {
            bool es = conv_->state.lang == "es";
            co_await out_.send(protocol::notice_frame(
                "still_waiting",
                es ? "Seguimos buscando a alguien del equipo para usted y hemos avisado también al personal de guardia. "
                     "Si se siente peor, llame al 911 ahora."
                   : "We are still finding someone from the clinic team for you, and we have alerted the on-call "
                     "staff too. If you feel worse, call 911 now."));
        }
    } catch (const std::exception&) {
        log::error("live.news_threw", {{"conn", connection_id_}});
    }
}

}  // namespace triage::server

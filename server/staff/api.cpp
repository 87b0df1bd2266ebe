#include "server/staff/api.hpp"

#include "integrations/auth/jwt.hpp"
#include "integrations/errc.hpp"
#include "server/ids.hpp"
#include "server/live/hub.hpp"
#include "server/log.hpp"
#include "server/metrics/product.hpp"
#include "server/protocol/frames.hpp"
#include "server/protocol/limits.hpp"
#include "server/protocol/strict_json.hpp"
#include "server/staff/analytics.hpp"
#include "server/staff/drift_check.hpp"
#include "server/staff/credentials.hpp"
#include "server/staff/feedback.hpp"
#include "server/staff/replies.hpp"
#include "server/staff/sso.hpp"
#include "server/staff/throttle.hpp"
#include "server/staff/views.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <set>

namespace asio = boost::asio;
namespace json = boost::json;
namespace pg = triage::integrations::postgres;
using boost::system::error_code;
using triage::integrations::errc;

namespace triage::server::staff {
namespace {

constexpr std::size_t max_staff_message_chars = 2000;
constexpr std::size_t max_note_chars = 4000;

std::string_view path_of(std::string_view target) {
    auto q = target.find('?');
    return q == std::string_view::npos ? target : target.substr(0, q);
}

std::string query_param(std::string_view target, std::string_view name) {
    auto u = boost::urls::parse_origin_form(target);
    if (!u) return {};
    auto params = u->params();
    auto it = params.find(name);
    if (it == params.end() || !(*it).has_value) return {};
    return std::string((*it).value);
}

bool is_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return false;
        } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
            return false;
        }
    }
    return true;
}

// "{prefix}{id}[/{action}]": the id lower-cased (empty when it is not a UUID) and the action;
// nullopt when `path` is not under `prefix`.
struct resource_path {
    std::string id;
    std::string_view action;
};
std::optional<resource_path> resource_of(std::string_view path, std::string_view prefix) {
    if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
    std::string_view rest = path.substr(prefix.size());
    auto slash = rest.find('/');
    resource_path out{std::string(rest.substr(0, slash)),
                      slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1)};
    if (!is_uuid(out.id)) out.id.clear();
    for (auto& c : out.id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

json::object user_json(const principal& p, const shared_services& shared) {
    auto c = shared.clinics.cached_id(p.clinic_id);
    return json::object{{"id", p.user_id},       {"name", p.name},
                        {"email", p.email},      {"role", p.role},
                        {"clinic", c ? c->slug : ""}, {"clinic_name", c ? c->name : ""}};
}

api_response auth_error(const auth_result& a) {
    if (a.failure == auth_failure::csrf_failed) return error(403, "csrf_failed");
    if (a.failure == auth_failure::unavailable) return error(503, "unavailable");
    return reply(401, json::object{{"error", "signed_out"}, {"reason", a.reason.empty() ? "revoked" : a.reason}});
}

asio::awaitable<void> announce_change(thread_services& local, const pg::escalation_record& e, std::string_view event) {
    std::string news = json::serialize(json::object{
        {"type", "escalation.changed"}, {"event", event}, {"escalation", e.id}, {"clinic", e.clinic_id}});
    co_await local.hub->publish(live::desk_channel(e.clinic_id), std::move(news));
}

asio::awaitable<void> tell_conversation(thread_services& local, const std::string& conversation, json::object news) {
    std::string payload = json::serialize(news);
    co_await local.hub->publish(live::live_channel(conversation), std::move(payload));
}

asio::awaitable<api_response> escalation_reply(thread_services& local, const pg::escalation_record& e) {
    auto d = co_await desk_settings_of(local, e.clinic_id);
    co_return reply(200, json::object{{"escalation", escalation_json(e, d)}});
}

// ---- sign-in ----

asio::awaitable<api_response> start_session(shared_services& shared, thread_services& local, const pg::staff_user& u,
                                            const api_request& r, std::string kind,
                                            std::optional<std::string> idp_hint, bool redirect) {
    std::string token = new_token();
    auto digest = token_hash(token);
    std::string csrf = csrf_of(shared, token);
    auto csrf_digest = token_hash(csrf);
    pg::new_staff_session s;
    s.id_hash.assign(reinterpret_cast<const char*>(digest.data()), digest.size());
    s.user_id = u.id;
    s.csrf_hash.assign(reinterpret_cast<const char*>(csrf_digest.data()), csrf_digest.size());
    s.kind = kind;
    s.lifetime = std::chrono::seconds(shared.cfg.staff.session_lifetime_s);
    s.idp_session_hint = std::move(idp_hint);
    auto ec = co_await local.staff->async_create_session(u.clinic_id, std::move(s));
    if (ec) co_return error(503, "unavailable");
    std::string detail = json::serialize(json::object{{"user", u.id}, {"kind", kind}});
    co_await local.store->async_audit(u.clinic_id, "staff:" + u.id, "staff.signed_in", std::move(detail));
    log::info("staff.signed_in", {{"user", log::safe_id(u.id)}, {"kind", log::field_value::code(kind)}});
    api_response out;
    if (redirect) {
        out.status = 302;
        out.content_type = "text/plain";
        out.headers.push_back({"Location", "/staff/"});
    } else {
        auto c = shared.clinics.cached_id(u.clinic_id);
        out = reply(200, json::object{{"user", json::object{{"id", u.id},
                                                            {"name", u.display_name},
                                                            {"email", u.email},
                                                            {"role", u.role},
                                                            {"clinic", c ? c->slug : ""},
                                                            {"clinic_name", c ? c->name : ""}}},
                                      {"csrf", csrf},
                                      {"idle_timeout_s", shared.cfg.staff.idle_timeout_s},
                                      {"expires_in_s", shared.cfg.staff.session_lifetime_s}});
    }
    out.headers.push_back({"Set-Cookie", make_session_cookie(token, std::chrono::seconds(shared.cfg.staff.session_lifetime_s), r.tls)});
    co_return out;
}

asio::awaitable<api_response> login(const api_request& r, shared_services& shared, thread_services& local) {
    if (r.method != "POST") co_return error(405, "method_not_allowed");
    // Login CSRF: a foreign page must not sign a browser in to an account of its choosing.
    if (!same_origin(r)) co_return error(403, "csrf_failed");
    std::string bad;
    auto body = body_object(r.body, {"clinic", "email", "password"}, bad);
    if (!body) co_return bad_field(bad);
    auto slug = string_field(*body, "clinic");
    auto email = string_field(*body, "email");
    auto password = string_field(*body, "password");
    if (!slug || slug->empty()) co_return bad_field("clinic");
    if (!email || email->empty() || email->size() > 320) co_return bad_field("email");
    if (!password || password->size() > max_password_bytes) co_return bad_field("password");
    std::string lower = *email;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string who = *slug + "/" + lower;
    auto now = std::chrono::steady_clock::now();
    if (auto wait = shared.throttle.begin(who, r.peer, now)) {
        api_response out = error(429, "too_many_attempts");
        out.headers.push_back({"Retry-After", std::to_string(wait->count())});
        co_return out;
    }
    // A clinic added since this instance started is looked up, so its staff can sign in at once.
    auto clinic_found = co_await find_clinic_by_slug(shared, local, *slug);
    if (clinic_found.unavailable) co_return error(503, "unavailable");
    std::optional<pg::staff_user> user;
    if (clinic_found.found) {
        auto found = co_await local.staff->async_find_user_by_email(clinic_found.found->id, lower);
        if (!found) co_return error(503, "unavailable");
        user = *found;
    }
    bool ok = false;
    if (user && user->active && user->password_hash && !user->password_hash->empty())
        ok = co_await async_verify_password(shared.hashing, *user->password_hash, *password);
    else
        co_await async_verify_against_dummy(shared.hashing, *password);  // same time either way
    if (!ok) {
        shared.throttle.failed(who, r.peer, std::chrono::steady_clock::now());
        log::info("staff.sign_in_failed", {{"ip_known", !r.peer.empty()}});
        co_return error(401, "invalid_credentials");
    }
    shared.throttle.succeeded(who, r.peer, std::chrono::steady_clock::now());
    co_return co_await start_session(shared, local, *user, r, "local", std::nullopt, false);
}

asio::awaitable<api_response> sso_start_(const api_request& r, shared_services& shared) {
    if (!shared.sso) {
        api_response out{302, "", "text/plain", {{"Location", "/staff/?error=sso_disabled"}}};
        co_return out;
    }
    auto ex = co_await asio::this_coro::executor;
    auto s = co_await shared.sso->start(ex, r.tls);
    if (!s) {
        api_response out{302, "", "text/plain", {{"Location", "/staff/?error=sso_failed"}}};
        co_return out;
    }
    api_response out{302, "", "text/plain", {{"Location", s->redirect_url}, {"Set-Cookie", s->cookie}}};
    co_return out;
}

asio::awaitable<api_response> sso_callback(const api_request& r, shared_services& shared, thread_services& local) {
    auto failed = [&](std::string_view code) {
        api_response out{302, "", "text/plain", {{"Location", "/staff/?error=" + std::string(code)}}};
        if (shared.sso) out.headers.push_back({"Set-Cookie", shared.sso->clear_cookie(r.tls)});
        return out;
    };
    if (!shared.sso) co_return failed("sso_disabled");
    auto pending = cookie_value(r.cookie, sso_cookie_name);
    std::string code = query_param(r.target, "code");
    std::string state = query_param(r.target, "state");
    if (code.empty() || !pending) co_return failed("sso_failed");
    auto ex = co_await asio::this_coro::executor;
    std::string why;
    auto id = co_await shared.sso->finish(ex, code, state, *pending, why);
    if (!id) {
        log::warn("staff.sso_failed", {{"why", log::field_value::code(why)}});
        co_return failed("sso_failed");
    }
    // The provider says who this is; our own records say what they may do (docs/identity.md).
    auto user = co_await local.staff->async_find_user_by_oidc(id->issuer, id->subject);
    if (!user) co_return failed("sso_failed");
    clinic_lookup users_clinic;
    if (*user) users_clinic = co_await find_clinic_by_id(shared, local, (*user)->clinic_id);
    if (users_clinic.unavailable) co_return failed("sso_failed");
    if (!*user || !(*user)->active || !users_clinic.found) {
        // A keyed hash, so operators can match repeated attempts without the log holding the id.
        std::string tag = integrations::auth::base64url_encode(shared.keys.blind_index(id->subject, "log.subject"))
                              .substr(0, 12);
        log::info("staff.sso_unknown_user", {{"subject_hash", log::field_value::code(tag)}});
        // The console shows the subject so that the person can hand it to their administrator,
        // who binds it with `triagectl staff add ... --oidc-subject`.
        auto out = failed("sso_unknown_user");
        std::string encoded;
        for (unsigned char c : id->subject) {
            if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') encoded += static_cast<char>(c);
            else {
                char buf[4];
                std::snprintf(buf, sizeof buf, "%%%02X", c);
                encoded += buf;
            }
        }
        out.headers[0].second += "&subject=" + encoded;
        co_return out;
    }
    // The ID token is kept sealed for the provider's logout (id_token_hint).
    auto sealed = shared.keys.seal(id->id_token, "staff.idp_hint|" + (*user)->id);
    std::string hint = std::to_string(sealed.key_id) + ":" + integrations::auth::base64url_encode(sealed.bytes);
    auto out = co_await start_session(shared, local, **user, r, "oidc", std::move(hint), true);
    // The browser is mid-redirect: an error page of JSON would strand the person there.
    if (out.status != 302) co_return failed("sso_failed");
    out.headers.push_back({"Set-Cookie", shared.sso->clear_cookie(r.tls)});
    co_return out;
}

std::string provider_logout(shared_services& shared, const principal& p) {
    if (!shared.sso || p.kind != "oidc" || !p.idp_session_hint) return {};
    const std::string& h = *p.idp_session_hint;
    auto colon = h.find(':');
    if (colon == std::string::npos) return {};
    auto key_id = static_cast<std::uint32_t>(std::strtoul(h.substr(0, colon).c_str(), nullptr, 10));
    auto bytes = integrations::auth::base64url_decode(std::string_view(h).substr(colon + 1));
    if (!bytes) return {};
    auto token = shared.keys.open(key_id, *bytes, "staff.idp_hint|" + p.user_id);
    if (!token) return {};
    return shared.sso->logout_url(*token);
}

asio::awaitable<api_response> logout(const api_request& r, shared_services& shared, thread_services& local,
                                     const principal& p, bool everywhere) {
    std::size_t ended = 1;
    if (everywhere) {
        auto n = co_await local.staff->async_revoke_user_sessions(p.clinic_id, p.user_id);
        if (!n) co_return error(503, "unavailable");
        ended = *n;
    } else {
        auto ec = co_await local.staff->async_revoke_session(p.clinic_id, p.token_hash);
        if (ec) co_return error(503, "unavailable");
    }
    std::string detail = json::serialize(json::object{{"user", p.user_id}, {"everywhere", everywhere}});
    co_await local.store->async_audit(p.clinic_id, "staff:" + p.user_id, "staff.signed_out", std::move(detail));
    // Open consoles of this user check their session now rather than at their next tick.
    std::string news = json::serialize(json::object{{"type", "sessions.revoked"}, {"user", p.user_id}});
    co_await local.hub->publish(live::desk_channel(p.clinic_id), std::move(news));
    std::string url = provider_logout(shared, p);
    api_response out = reply(200, json::object{{"signed_out", true},
                                               {"sessions_ended", ended},
                                               {"provider_logout_url", url.empty() ? json::value(nullptr) : json::value(url)}});
    out.headers.push_back({"Set-Cookie", clear_cookie(r.tls)});
    co_return out;
}

// ---- escalations ----

asio::awaitable<api_response> queue(shared_services&, thread_services& local, const principal& p) {
    auto snap = co_await local.staff->async_open_escalations(p.clinic_id, pg::timestamp{});
    if (!snap) co_return error(503, "unavailable");
    auto d = co_await desk_settings_of(local, p.clinic_id);
    json::array list;
    for (const auto& e : snap->escalations) list.push_back(escalation_json(e, d));
    auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    co_return reply(200, json::object{{"escalations", std::move(list)}, {"server_time", iso_time(now)}});
}

asio::awaitable<api_response> detail(shared_services& shared, thread_services& local, const principal& p,
                                     const std::string& id) {
    if (!p.may_open()) co_return error(403, "forbidden");
    auto d = co_await escalation_detail(shared, local, p.clinic_id, id);
    if (!d) co_return d.error() == errc::not_found ? error(404, "not_found") : error(503, "unavailable");
    // Every opening of a transcript is on the record.
    std::string detail_json = json::serialize(json::object{
        {"escalation", id}, {"conversation", d->at("escalation").at("conversation")}, {"user", p.user_id}});
    auto ec = co_await local.store->async_audit(p.clinic_id, "staff:" + p.user_id, "escalation.viewed",
                                                std::move(detail_json));
    // No audit row, no transcript.
    if (ec) co_return error(503, "unavailable");
    auto feedback = co_await feedback_of(local, p.clinic_id, id);
    if (!feedback) co_return error(503, "unavailable");
    (*d)["feedback"] = std::move(*feedback);
    co_return reply(200, *d);
}

asio::awaitable<api_response> audit_trail(thread_services& local, const principal& p, const std::string& id) {
    if (!p.may_audit()) co_return error(403, "forbidden");
    auto e = co_await local.staff->async_escalation(p.clinic_id, id);
    if (!e) co_return error(503, "unavailable");
    if (!*e) co_return error(404, "not_found");
    auto events = co_await local.staff->async_audit_of_conversation(p.clinic_id, (*e)->conversation_id, id);
    if (!events) co_return error(503, "unavailable");
    json::array list;
    for (const auto& a : *events) {
        error_code ec;
        json::value detail = json::parse(a.detail_json, ec);
        list.push_back(json::object{{"at", iso_time(a.at)},
                                    {"actor", a.actor},
                                    {"action", a.action},
                                    {"detail", ec ? json::value(json::object{}) : detail}});
    }
    co_return reply(200, json::object{{"events", std::move(list)}});
}

// A refused transition: who holds it, or the state it is in.
asio::awaitable<api_response> refused(thread_services& local, const principal& p, const pg::escalation_record& e) {
    auto d = co_await desk_settings_of(local, e.clinic_id);
    if (e.claimed_by && *e.claimed_by != p.user_id && (e.status == "claimed" || e.status == "in_conversation"))
        co_return reply(409, json::object{{"error", "already_claimed"},
                                          {"claimed_by", json::object{{"id", *e.claimed_by},
                                                                      {"name", e.claimed_by_name.value_or("")}}},
                                          {"escalation", escalation_json(e, d)}});
    co_return reply(409, json::object{{"error", "wrong_status"}, {"escalation", escalation_json(e, d)}});
}

// Both clocks are the database's (raised_at and claimed_at), so instances' clocks do not matter.
void count_claim(const shared_services& shared, const pg::escalation_record& e) {
    auto c = shared.clinics.cached_id(e.clinic_id);
    std::string slug = c ? c->slug : std::string("unknown");
    auto& m = metrics::product();
    m.claims.with({slug}).add();
    if (e.claimed_at) {
        double waited = std::chrono::duration<double>(*e.claimed_at - e.raised_at).count();
        m.time_to_claim.with({slug}).observe(waited < 0 ? 0 : waited);
    }
}

asio::awaitable<api_response> claim(shared_services& shared, thread_services& local, const principal& p,
                                    const std::string& id) {
    if (!p.may_act()) co_return error(403, "forbidden");
    auto t = co_await local.staff->async_claim(p.clinic_id, id, p.user_id);
    if (!t) co_return t.error() == errc::not_found ? error(404, "not_found") : error(503, "unavailable");
    if (!t->applied) co_return co_await refused(local, p, t->escalation);
    count_claim(shared, t->escalation);
    co_await announce_change(local, t->escalation, "claimed");
    json::object news{{"type", "staff.joined"}, {"escalation", id}, {"name", p.name}, {"role", p.role}};
    co_await tell_conversation(local, t->escalation.conversation_id, std::move(news));
    co_return co_await escalation_reply(local, t->escalation);
}

asio::awaitable<api_response> staff_message(const api_request& r, shared_services& shared, thread_services& local,
                                            const principal& p, const std::string& id) {
    if (!p.may_act()) co_return error(403, "forbidden");
    std::string bad;
    auto body = body_object(r.body, {"text"}, bad);
    if (!body) co_return bad_field(bad);
    auto text = string_field(*body, "text");
    if (!text || protocol::utf8_chars(*text) == 0 || protocol::utf8_chars(*text) > max_staff_message_chars) co_return bad_field("text");
    auto found = co_await local.staff->async_escalation(p.clinic_id, id);
    if (!found) co_return error(503, "unavailable");
    if (!*found) co_return error(404, "not_found");
    pg::escalation_record e = **found;
    if (e.claimed_by != p.user_id || (e.status != "claimed" && e.status != "in_conversation"))
        co_return co_await refused(local, p, e);
    if (e.status == "claimed") {
        auto t = co_await local.staff->async_start_conversation(p.clinic_id, id, p.user_id);
        if (!t) co_return error(503, "unavailable");
        if (!t->applied) co_return co_await refused(local, p, t->escalation);
        e = t->escalation;
        co_await announce_change(local, e, "in_conversation");
    }
    // The patient's instance numbers its own entries; the record decides, and a collision with
    // one being written at this moment is tried again with the next number.
    for (int attempt = 0; attempt < 4; ++attempt) {
        auto last = co_await local.store->async_last_seq(p.clinic_id, e.conversation_id);
        if (!last) co_return error(503, "unavailable");
        std::uint64_t seq = *last + 1;
        std::string plain = json::serialize(json::object{
            {"text", *text}, {"staff", json::object{{"id", p.user_id}, {"name", p.name}, {"role", p.role}}}});
        auto sealed = shared.keys.seal(plain, transcript_entry_aad(e.conversation_id, seq, p.clinic_id));
        pg::turn_write w;
        w.clinic_id = p.clinic_id;
        w.conversation_id = e.conversation_id;
        w.entries.push_back({seq, "staff", std::nullopt, sealed.key_id, std::move(sealed.bytes)});
        w.audit.push_back({"staff:" + p.user_id, "staff.message_sent",
                           json::serialize(json::object{{"escalation", id}, {"seq", seq}})});
        auto ec = co_await local.store->async_record(std::move(w));
        if (ec == errc::pg_unique_violation) continue;
        if (ec) co_return error(503, "unavailable");
        json::object news{{"type", "transcript"}, {"seq", seq}};
        co_await tell_conversation(local, e.conversation_id, std::move(news));
        auto d = co_await desk_settings_of(local, e.clinic_id);
        co_return reply(200, json::object{{"escalation", escalation_json(e, d)}, {"seq", seq}});
    }
    co_return error(503, "unavailable");
}

// Resolving and handing back end staff's part: only the holder or a clinic admin, and the
// patient's connection hears it on the live channel.
template <class Transition>
asio::awaitable<api_response> end_takeover(thread_services& local, const principal& p, const std::string& id,
                                           Transition transition, std::string_view event, json::object news) {
    auto current = co_await local.staff->async_escalation(p.clinic_id, id);
    if (!current) co_return error(503, "unavailable");
    if (!*current) co_return error(404, "not_found");
    if ((*current)->claimed_by != p.user_id && !p.admin()) {
        if ((*current)->claimed_by) co_return error(403, "forbidden");
        co_return co_await refused(local, p, **current);
    }
    auto t = co_await transition();
    if (!t) co_return t.error() == errc::not_found ? error(404, "not_found") : error(503, "unavailable");
    if (!t->applied) co_return co_await refused(local, p, t->escalation);
    co_await announce_change(local, t->escalation, event);
    co_await tell_conversation(local, t->escalation.conversation_id, std::move(news));
    co_return co_await escalation_reply(local, t->escalation);
}

asio::awaitable<api_response> resolve(const api_request& r, thread_services& local, const principal& p,
                                      const std::string& id) {
    if (!p.may_act()) co_return error(403, "forbidden");
    std::string bad;
    auto body = body_object(r.body, {"outcome"}, bad);
    if (!body) co_return bad_field(bad);
    auto outcome = string_field(*body, "outcome");
    static const std::set<std::string> outcomes{"called_emergency_services", "callback_booked", "advice_given",
                                                "no_action_needed", "other"};
    if (!outcome || !outcomes.count(*outcome)) co_return bad_field("outcome");
    json::object news{{"type", "resolved"}, {"escalation", id}, {"outcome", *outcome}};
    auto transition = [&] { return local.staff->async_resolve(p.clinic_id, id, p.user_id, *outcome, ""); };
    co_return co_await end_takeover(local, p, id, transition, "resolved", std::move(news));
}

asio::awaitable<api_response> hand_back(const api_request& r, shared_services& shared, thread_services& local,
                                        const principal& p, const std::string& id) {
    if (!p.may_act()) co_return error(403, "forbidden");
    std::string bad;
    auto body = body_object(r.body, {"state"}, bad);
    if (!body) co_return bad_field(bad);
    auto state = string_field(*body, "state");
    const dialog::flow_state* target = state ? shared.flow.find(*state) : nullptr;
    if (!target || !dialog::can_resume_at(*target)) co_return bad_field("state");
    json::object news{{"type", "handed_back"}, {"escalation", id}, {"state", *state}};
    auto transition = [&] { return local.staff->async_hand_back(p.clinic_id, id, p.user_id, *state); };
    co_return co_await end_takeover(local, p, id, transition, "handed_back", std::move(news));
}

asio::awaitable<api_response> add_note(const api_request& r, shared_services& shared, thread_services& local,
                                       const principal& p, const std::string& id) {
    if (!p.may_act()) co_return error(403, "forbidden");
    std::string bad;
    auto body = body_object(r.body, {"text"}, bad);
    if (!body) co_return bad_field(bad);
    auto text = string_field(*body, "text");
    if (!text || protocol::utf8_chars(*text) == 0 || protocol::utf8_chars(*text) > max_note_chars) co_return bad_field("text");
    pg::new_escalation_note n;
    n.id = new_uuid();
    n.escalation_id = id;
    n.author = p.user_id;
    auto sealed = shared.keys.seal(json::serialize(json::object{{"text", *text}, {"author_name", p.name}}),
                                   note_aad(n.id, id, p.clinic_id));
    n.key_id = sealed.key_id;
    n.sealed_body = std::move(sealed.bytes);
    std::string note_id = n.id;
    auto ec = co_await local.staff->async_add_note(p.clinic_id, std::move(n));
    if (ec == errc::not_found) co_return error(404, "not_found");
    if (ec) co_return error(503, "unavailable");
    co_return reply(200, json::object{{"note", json::object{{"id", note_id},
                                                            {"author", json::object{{"id", p.user_id}, {"name", p.name}}},
                                                            {"text", *text}}}});
}

asio::awaitable<api_response> canned(const api_request& r, thread_services& local, const principal& p) {
    if (r.method == "GET") {
        if (!p.may_open()) co_return error(403, "forbidden");
        auto list = co_await local.staff->async_canned_replies(p.clinic_id);
        if (!list) co_return error(503, "unavailable");
        json::array out;
        for (const auto& c : *list)
            out.push_back(json::object{{"id", c.id}, {"title", c.title}, {"body_en", c.body_en},
                                       {"body_es", c.body_es}, {"position", c.position}});
        co_return reply(200, json::object{{"replies", std::move(out)}});
    }
    if (!p.admin()) co_return error(403, "forbidden");
    std::string bad;
    auto body = body_object(r.body, {"title", "body_en", "body_es", "position"}, bad);
    if (!body) co_return bad_field(bad);
    pg::canned_reply c;
    auto title = string_field(*body, "title");
    auto en = string_field(*body, "body_en");
    auto es = string_field(*body, "body_es");
    if (!title || title->empty() || title->size() > 200) co_return bad_field("title");
    if (!en || en->empty() || protocol::utf8_chars(*en) > max_staff_message_chars) co_return bad_field("body_en");
    if (!es || es->empty() || protocol::utf8_chars(*es) > max_staff_message_chars) co_return bad_field("body_es");
    c.title = *title;
    c.body_en = *en;
    c.body_es = *es;
    if (auto* pos = body->if_contains("position")) {
        if (!pos->is_int64()) co_return bad_field("position");
        c.position = static_cast<int>(pos->as_int64());
    }
    auto saved = co_await local.staff->async_upsert_canned_reply(p.clinic_id, std::move(c));
    if (!saved) co_return error(503, "unavailable");
    co_return reply(200, json::object{{"id", *saved}});
}

asio::awaitable<api_response> route(const api_request& r, shared_services& shared, thread_services& local) {
    std::string_view path = path_of(r.target);
    if (path == "/api/staff/login") co_return co_await login(r, shared, local);
    if (path == "/api/staff/oidc/start") {
        if (r.method != "GET") co_return error(405, "method_not_allowed");
        co_return co_await sso_start_(r, shared);
    }
    if (path == "/staff/callback") {
        if (r.method != "GET") co_return error(405, "method_not_allowed");
        co_return co_await sso_callback(r, shared, local);
    }
    bool state_changing = r.method != "GET" && r.method != "HEAD";
    auto a = co_await authenticate(r, shared, local, state_changing);
    if (!a.who) co_return auth_error(a);
    const principal& p = *a.who;

    if (path == "/api/staff/me") {
        if (r.method != "GET") co_return error(405, "method_not_allowed");
        auto token = session_token(r);
        co_return reply(200, json::object{{"user", user_json(p, shared)},
                                          {"csrf", csrf_of(shared, *token)},
                                          {"idle_timeout_s", shared.cfg.staff.idle_timeout_s},
                                          {"expires_in_s", p.expires_in.count()},
                                          {"sso", p.kind == "oidc"}});
    }
    if (path == "/api/staff/logout" || path == "/api/staff/logout-everywhere") {
        if (r.method != "POST") co_return error(405, "method_not_allowed");
        co_return co_await logout(r, shared, local, p, path == "/api/staff/logout-everywhere");
    }
    if (path == "/api/staff/canned-replies") {
        if (r.method != "GET" && r.method != "PUT") co_return error(405, "method_not_allowed");
        co_return co_await canned(r, local, p);
    }
    if (path == "/api/staff/escalations") {
        if (r.method != "GET") co_return error(405, "method_not_allowed");
        co_return co_await queue(shared, local, p);
    }
    if (path == "/api/staff/analytics") co_return co_await analytics(r, shared, local, p);
    if (path == "/api/staff/analytics/drift") co_return co_await drift(r, shared, local, p);
    if (path == "/api/staff/review-sample") co_return co_await review_sample(r, shared, local, p, "", "");
    if (auto sub = resource_of(path, "/api/staff/review-sample/")) {
        if (sub->id.empty()) co_return error(404, "not_found");
        co_return co_await review_sample(r, shared, local, p, sub->id, sub->action);
    }
    if (auto sub = resource_of(path, "/api/staff/escalations/")) {
        if (sub->id.empty()) co_return error(404, "not_found");
        const std::string& id = sub->id;
        const std::string_view action = sub->action;
        if (action.empty()) {
            if (r.method != "GET") co_return error(405, "method_not_allowed");
            co_return co_await detail(shared, local, p, id);
        }
        if (action == "audit") {
            if (r.method != "GET") co_return error(405, "method_not_allowed");
            co_return co_await audit_trail(local, p, id);
        }
        if (r.method != "POST") co_return error(405, "method_not_allowed");
        if (action == "claim") co_return co_await claim(shared, local, p, id);
        if (action == "messages") co_return co_await staff_message(r, shared, local, p, id);
        if (action == "resolve") co_return co_await resolve(r, local, p, id);
        if (action == "hand-back") co_return co_await hand_back(r, shared, local, p, id);
        if (action == "notes") co_return co_await add_note(r, shared, local, p, id);
        if (action == "feedback") co_return co_await add_feedback(r, shared, local, p, id);
    }
    co_return error(404, "not_found");
}

}  // namespace

bool handles(std::string_view path) {
    return path.substr(0, 11) == "/api/staff/" || path == "/staff/callback";
}

asio::awaitable<api_response> handle(api_request r, shared_services& shared, thread_services& local) {
    std::exception_ptr failure;
    try {
        co_return co_await route(r, shared, local);
    } catch (...) {
        failure = std::current_exception();
    }
    log::error("staff.internal_error", {});
    co_return error(500, "internal_error");
}

}  // namespace triage::server::staff

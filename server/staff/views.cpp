#include "server/staff/views.hpp"

#include "integrations/errc.hpp"
#include "server/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace asio = boost::asio;
namespace json = boost::json;
namespace pg = triage::integrations::postgres;
using triage::integrations::errc;

namespace triage::server::staff {

std::string iso_time(pg::timestamp t) {
    auto secs = std::chrono::floor<std::chrono::seconds>(t);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
    std::time_t tt = std::chrono::system_clock::to_time_t(std::chrono::system_clock::time_point(secs));
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

asio::awaitable<pg::desk_settings> desk_settings_of(thread_services& local, const std::string& clinic_id) {
    // Settings change rarely (triagectl clinic sla); a few seconds of delay is fine, and the
    // queue view and the service-level watch need them for every escalation.
    struct cached {
        pg::desk_settings d;
        std::chrono::steady_clock::time_point at;
    };
    thread_local std::map<std::string, cached> cache;
    auto now = std::chrono::steady_clock::now();
    if (auto it = cache.find(clinic_id); it != cache.end() && now - it->second.at < std::chrono::seconds(1))
        co_return it->second.d;
    auto r = co_await local.staff->async_desk_settings(clinic_id);
    if (!r) {
        if (auto it = cache.find(clinic_id); it != cache.end()) co_return it->second.d;
        co_return pg::desk_settings{};
    }
    cache[clinic_id] = cached{*r, now};
    co_return *r;
}

asio::awaitable<std::optional<pg::escalation_record>> escalation_for_news(thread_services& local,
                                                                        const std::string& clinic_id,
                                                                        const std::string& escalation_id,
                                                                        const std::string& news) {
    struct reading {
        explicit reading(asio::any_io_executor ex) : done(ex) { done.expires_at(std::chrono::steady_clock::time_point::max()); }
        asio::steady_timer done;
        bool finished = false;
        std::optional<pg::escalation_record> record;
        std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now();
    };
    thread_local std::map<std::string, std::shared_ptr<reading>> readings;
    auto now = std::chrono::steady_clock::now();
    for (auto it = readings.begin(); it != readings.end();)
        it = it->second->finished && now - it->second->at > std::chrono::seconds(2) ? readings.erase(it) : std::next(it);
    // The same news twice means the same change: the record read for the first serves both.
    std::string key = clinic_id + "|" + news;
    if (auto it = readings.find(key); it != readings.end()) {
        auto r = it->second;
        if (!r->finished) co_await r->done.async_wait(asio::as_tuple(asio::use_awaitable));
        co_return r->record;
    }
    auto r = std::make_shared<reading>(co_await asio::this_coro::executor);
    readings[key] = r;
    auto found = co_await local.staff->async_escalation(clinic_id, escalation_id);
    if (found && *found) r->record = **found;
    r->finished = true;
    r->at = std::chrono::steady_clock::now();
    r->done.cancel();
    if (!found) readings.erase(key);  // PostgreSQL away: the next console tries again
    co_return r->record;
}

json::object escalation_json(const pg::escalation_record& e, const pg::desk_settings& d) {
    json::object o;
    o["id"] = e.id;
    o["conversation"] = e.conversation_id;
    o["status"] = e.status;
    o["urgency"] = e.urgency;
    o["priority"] = e.priority;
    o["reason"] = e.reason;
    o["raised_at"] = iso_time(e.raised_at);
    o["updated_at"] = iso_time(e.updated_at);
    if (e.claimed_by)
        o["claimed_by"] = json::object{{"id", *e.claimed_by}, {"name", e.claimed_by_name.value_or("")},
                                       {"role", e.claimed_by_role.value_or("")}};
    else
        o["claimed_by"] = nullptr;
    o["outcome"] = e.outcome ? json::value(*e.outcome) : json::value(nullptr);
    o["renotified"] = e.renotified_at.has_value();
    o["oncall_sent"] = e.oncall_sent_at.has_value();
    o["sla"] = json::object{{"renotify_at", iso_time(e.raised_at + d.renotify_after)},
                            {"oncall_at", iso_time(e.raised_at + d.oncall_after)}};
    o["linked_escalation"] = e.linked_escalation ? json::value(*e.linked_escalation) : json::value(nullptr);
    // Rule ids and the rationale are the pack's words, not the patient's.
    json::array rules;
    std::string rationale;
    boost::system::error_code ec;
    json::value t = json::parse(e.triage_json, ec);
    if (!ec && t.is_object()) {
        if (auto* rs = t.as_object().if_contains("rules"); rs && rs->is_array())
            for (const auto& r : rs->as_array())
                if (r.is_object())
                    rules.push_back(json::object{{"id", r.as_object().contains("id") ? r.at("id") : json::value("")},
                                                 {"urgency", r.as_object().contains("urgency") ? r.at("urgency")
                                                                                              : json::value("")}});
        if (auto* ra = t.as_object().if_contains("rationale"); ra && ra->is_string()) rationale = ra->as_string();
    }
    o["rules"] = std::move(rules);
    o["rationale"] = rationale;
    return o;
}

std::string note_aad(const std::string& note_id, const std::string& escalation_id, const std::string& clinic_id) {
    return "escalation_notes.body|" + note_id + "|" + escalation_id + "|" + clinic_id;
}

std::optional<json::object> open_entry(const shared_services& shared, const std::string& clinic_id,
                                       const std::string& conversation_id, const pg::transcript_entry& e) {
    auto plain = shared.keys.open(e.key_id, e.sealed_body, transcript_entry_aad(conversation_id, e.seq, clinic_id));
    if (!plain) return std::nullopt;
    boost::system::error_code ec;
    json::value v = json::parse(*plain, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return v.as_object();
}

json::object entry_json(const pg::transcript_entry& e, const json::object& body) {
    json::object o{{"seq", e.seq}, {"author", e.author}};
    o["text"] = body.contains("text") && body.at("text").is_string() ? body.at("text") : json::value("");
    o["urgent"] = body.contains("urgent") && body.at("urgent").is_bool() && body.at("urgent").as_bool();
    if (auto* st = body.if_contains("staff"); st && st->is_object()) {
        json::object who;
        if (auto* n = st->as_object().if_contains("name")) who["name"] = *n;
        if (auto* r = st->as_object().if_contains("role")) who["role"] = *r;
        o["staff"] = std::move(who);
    }
    return o;
}

namespace {

// The answers the patient gave, from the conversation's sealed session state in Redis.
asio::awaitable<json::array> answers_of(shared_services& shared, thread_services& local, const std::string& clinic_id,
                                        const std::string& conversation_id) {
    json::array out;
    auto loaded = co_await local.sessions->async_load(conversation_id);
    if (!loaded || !*loaded) co_return out;
    const std::string& sealed = (*loaded)->sealed_state;
    auto colon = sealed.find(':');
    if (colon == std::string::npos) co_return out;
    auto key_id = static_cast<std::uint32_t>(std::strtoul(sealed.substr(0, colon).c_str(), nullptr, 10));
    auto plain = shared.keys.open(key_id, std::string_view(sealed).substr(colon + 1),
                                  "redis.session|" + conversation_id + "|" + clinic_id);
    if (!plain) co_return out;
    boost::system::error_code ec;
    json::value v = json::parse(*plain, ec);
    if (ec || !v.is_object()) co_return out;
    auto* d = v.as_object().if_contains("dialog");
    if (!d || !d->is_object()) co_return out;
    auto* slots = d->as_object().if_contains("slots");
    if (!slots || !slots->is_object()) co_return out;
    for (const auto& [k, val] : slots->as_object()) {
        if (k == "time_zone") continue;  // ours, not the patient's answer
        out.push_back(json::object{{"name", k}, {"value", val}});
    }
    co_return out;
}

std::string humanise(std::string id) {
    for (auto& c : id)
        if (c == '_') c = ' ';
    if (!id.empty()) id[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(id[0])));
    return id;
}

}  // namespace

asio::awaitable<boost::system::result<json::object>> escalation_detail(shared_services& shared, thread_services& local,
                                                                      const std::string& clinic_id,
                                                                      const std::string& escalation_id) {
    auto found = co_await local.staff->async_escalation(clinic_id, escalation_id);
    if (!found) co_return found.error();
    if (!*found) co_return boost::system::error_code(errc::not_found);
    const pg::escalation_record& e = **found;
    auto settings = co_await desk_settings_of(local, clinic_id);

    auto entries = co_await local.store->async_transcript_after(clinic_id, e.conversation_id, 0);
    if (!entries) co_return entries.error();
    json::array transcript;
    std::map<std::uint64_t, std::string> texts;
    json::array reported;
    for (const auto& t : *entries) {
        auto body = open_entry(shared, clinic_id, e.conversation_id, t);
        if (!body) {
            log::error("transcript.decrypt_failed", {{"seq", t.seq}});
            continue;
        }
        auto j = entry_json(t, *body);
        texts[t.seq] = std::string(j.at("text").as_string());
        if (t.author == "patient") reported.push_back(j.at("text"));
        transcript.push_back(std::move(j));
    }

    // The summary: its skeleton was recorded with the escalation (codes and sequence numbers);
    // the words come from the transcript just opened.
    boost::system::error_code ec;
    json::value sk = json::parse(e.summary_json, ec);
    json::object skeleton = !ec && sk.is_object() ? sk.as_object() : json::object{};
    json::value tr = json::parse(e.triage_json, ec);
    json::object triage = !ec && tr.is_object() ? tr.as_object() : json::object{};
    std::uint64_t message_seq = 0;
    if (auto* m = skeleton.if_contains("message_seq"); m && m->is_number()) message_seq = m->to_number<std::uint64_t>();
    const std::string* message = texts.count(message_seq) ? &texts[message_seq] : nullptr;
    json::array red_flags;
    json::array triage_rules;
    if (auto* rs = triage.if_contains("rules"); rs && rs->is_array()) {
        for (const auto& r : rs->as_array()) {
            if (!r.is_object()) continue;
            json::object rule = r.as_object();
            std::string matched;
            if (auto* span = rule.if_contains("span"); message && span && span->is_array() && span->as_array().size() == 2) {
                auto b = span->as_array()[0].to_number<std::size_t>();
                auto en = span->as_array()[1].to_number<std::size_t>();
                if (b <= en && en <= message->size()) matched = message->substr(b, en - b);
            }
            rule["matched"] = matched;
            red_flags.push_back(json::object{{"rule", rule.contains("id") ? rule.at("id") : json::value("")},
                                             {"urgency", rule.contains("urgency") ? rule.at("urgency") : json::value("")},
                                             {"matched", matched}});
            triage_rules.push_back(std::move(rule));
        }
    }
    json::array bot_told;
    if (auto* b = skeleton.if_contains("bot_seqs"); b && b->is_array() && b->as_array().size() == 2) {
        auto from = b->as_array()[0].to_number<std::uint64_t>();
        auto to = b->as_array()[1].to_number<std::uint64_t>();
        for (auto s = from; s <= to && s - from < 10; ++s)
            if (texts.count(s)) bot_told.push_back(json::value(texts[s]));
    }
    // The last patient messages matter most; five keep the summary short.
    json::array recent;
    std::size_t skip = reported.size() > 5 ? reported.size() - 5 : 0;
    for (std::size_t i = skip; i < reported.size(); ++i) recent.push_back(reported[i]);
    std::string situation = humanise(e.reason) + " (" + e.urgency + ")";
    json::array answers = co_await answers_of(shared, local, clinic_id, e.conversation_id);
    json::object summary{{"situation", situation},
                         {"reported", std::move(recent)},
                         {"red_flags", std::move(red_flags)},
                         {"answers", std::move(answers)},
                         {"bot_told", std::move(bot_told)}};

    json::object triage_view{{"urgency", triage.contains("urgency") ? triage.at("urgency") : json::value(e.urgency)},
                             {"rationale", triage.contains("rationale") ? triage.at("rationale") : json::value("")},
                             {"rules", std::move(triage_rules)},
                             {"intent", triage.contains("intent") ? triage.at("intent") : json::value(nullptr)}};

    auto notes = co_await local.staff->async_notes(clinic_id, escalation_id);
    if (!notes) co_return notes.error();
    json::array note_list;
    for (const auto& n : *notes) {
        auto plain = shared.keys.open(n.key_id, n.sealed_body, note_aad(n.id, escalation_id, clinic_id));
        if (!plain) continue;
        json::value nv = json::parse(*plain, ec);
        if (ec || !nv.is_object()) continue;
        const auto& no = nv.as_object();
        note_list.push_back(json::object{{"id", n.id},
                                         {"author", json::object{{"id", n.author},
                                                                 {"name", no.contains("author_name") ? no.at("author_name")
                                                                                                     : json::value("")}}},
                                         {"text", no.contains("text") ? no.at("text") : json::value("")},
                                         {"created_at", iso_time(n.created_at)}});
    }

    json::array states;
    for (const auto& s : shared.flow.states)
        if (dialog::can_resume_at(s)) states.push_back(json::object{{"id", s.id}, {"label", humanise(s.id)}});

    json::value linked = nullptr;
    if (e.linked_escalation) {
        auto l = co_await local.staff->async_escalation(clinic_id, *e.linked_escalation);
        if (l && *l) linked = escalation_json(**l, settings);
    }
    json::object out{{"escalation", escalation_json(e, settings)},
                     {"summary", std::move(summary)},
                     {"triage", std::move(triage_view)},
                     {"transcript", std::move(transcript)},
                     {"notes", std::move(note_list)},
                     {"hand_back_states", std::move(states)},
                     {"linked", std::move(linked)}};
    co_return out;
}

}  // namespace triage::server::staff

#include "server/booking/booking_desk.hpp"

#include "dialog/slot_time.hpp"
#include "integrations/auth/smart_backend.hpp"
#include "integrations/fhir/appointments.hpp"
#include "integrations/fhir/capabilities.hpp"
#include "integrations/fhir/client.hpp"
#include "integrations/fhir/patients.hpp"
#include "integrations/fhir/scheduler.hpp"
#include "server/app.hpp"
#include "server/log.hpp"

#include <boost/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <optional>
#include <sstream>

namespace asio = boost::asio;
namespace json = boost::json;
namespace fhir = triage::integrations::fhir;
namespace auth = triage::integrations::auth;

namespace triage::server {
namespace {

std::string slot_of(const dialog::conversation_state& st, const std::string& name) {
    auto it = st.slots.find(name);
    return it == st.slots.end() ? std::string() : it->second;
}

const dialog::offer* offer_named(const dialog::conversation_state& st, const std::string& value) {
    for (const auto& o : st.offers)
        if (o.value == value) return &o;
    return nullptr;
}

json::object data_of(const dialog::offer& o) {
    boost::system::error_code ec;
    json::value v = json::parse(o.data, ec);
    return !ec && v.is_object() ? v.as_object() : json::object{};
}

bool is_conflict(const fhir::failure& f) {
    return f.kind == fhir::failure_kind::http_error && (f.status == 409 || f.status == 412);
}

// Stable for one conversation and one slot: a retried booking reuses it, so the EHR's
// conditional create (our identifier) never makes a second appointment.
std::string request_id_for(const std::string& conversation_id, const std::string& slot_id) {
    unsigned char hash[16];
    const std::string in = "booking|" + conversation_id + "|" + slot_id;
    crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(in.data()), in.size(), nullptr, 0);
    char hex[sizeof hash * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    return hex;
}

std::vector<std::string> words_of(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::string join(const std::vector<std::string>& w, std::size_t from, std::size_t to) {
    std::string out;
    for (std::size_t i = from; i < to; ++i) out += (out.empty() ? "" : " ") + w[i];
    return out;
}

std::string time_zone_for(const dialog::conversation_state& st, const std::string& clinic_tz) {
    std::string tz = slot_of(st, "time_zone");
    if (dialog::valid_time_zone(tz)) return tz;
    return dialog::valid_time_zone(clinic_tz) ? clinic_tz : "UTC";
}

json::object audit_detail(const std::string& call, std::string_view outcome) {
    return json::object{{"call", call}, {"outcome", outcome}};
}

}  // namespace

struct booking_desk::impl {
    const config& cfg;
    integrations::event_sink& sink;
    std::unique_ptr<auth::backend_token_source> smart;
    std::unique_ptr<fhir::client> client;
    std::optional<fhir::booking_strategy> strategy;
    std::unique_ptr<fhir::scheduler> scheduler;
    std::unique_ptr<fhir::appointments> appointments;
    std::unique_ptr<fhir::patient_matcher> matcher;

    impl(asio::any_io_executor ex, asio::ssl::context* tls, const config& c, integrations::event_sink& s)
        : cfg(c), sink(s) {
        if (cfg.fhir.base_url.empty()) return;
        if (cfg.fhir.auth == "smart") {
            auto pem = read_text_file(cfg.fhir.key_file);
            auto key = pem ? auth::signing_key::from_pem(*pem, cfg.fhir.key_algorithm, cfg.fhir.key_id) : std::nullopt;
            if (!key) {
                // Checked at start (app.cpp) too; here booking simply stays unavailable.
                log::error("booking.key_unreadable", {});
                return;
            }
            auth::backend_settings bs;
            bs.token_url = cfg.fhir.token_url;
            bs.client_id = cfg.fhir.client_id;
            bs.scope = cfg.fhir.scope;
            bs.timeout = std::chrono::milliseconds(cfg.fhir.timeout_ms);
            smart = std::make_unique<auth::backend_token_source>(ex, tls, std::move(bs), std::move(*key));
        }
        fhir::settings fs;
        fs.base_url = cfg.fhir.base_url;
        fs.timeout = std::chrono::milliseconds(cfg.fhir.timeout_ms);
        fs.max_attempts = cfg.fhir.max_attempts;
        fs.failures_to_open = cfg.fhir.failures_to_open;
        fs.open_for = std::chrono::seconds(cfg.fhir.open_seconds);
        if (cfg.fhir.auth == "static") fs.static_token = cfg.fhir.static_token;
        client = std::make_unique<fhir::client>(ex, tls, std::move(fs), sink, smart.get());
    }

    // The strategy comes from the server's CapabilityStatement, read on first use (and again
    // after a failed read), unless the operator chose one.
    asio::awaitable<bool> ready() {
        if (!client) co_return false;
        if (strategy) co_return *strategy != fhir::booking_strategy::unsupported;
        auto meta = co_await client->async_capabilities();
        if (!meta) {
            log::warn("booking.capabilities_unavailable", {{"kind", log::field_value::code(fhir::to_string(meta.error.kind))}});
            co_return false;
        }
        auto caps = fhir::read_capabilities(meta.value->resource);
        fhir::booking_strategy chosen = fhir::choose_strategy(caps);
        const std::string& wanted = cfg.fhir.strategy;
        if (wanted == "ihe_operations") chosen = fhir::booking_strategy::ihe_operations;
        else if (wanted == "transaction_bundle") chosen = fhir::booking_strategy::transaction_bundle;
        else if (wanted == "versioned_updates") chosen = fhir::booking_strategy::versioned_updates;
        strategy = chosen;
        log::info("booking.strategy", {{"strategy", log::field_value::code(fhir::to_string(chosen))},
                                       {"configured", wanted == "auto" ? log::field_value("auto") : log::field_value("operator")}});
        scheduler = std::make_unique<fhir::scheduler>(*client, chosen, cfg.fhir.identifier_system);
        appointments = std::make_unique<fhir::appointments>(*client, chosen);
        matcher = std::make_unique<fhir::patient_matcher>(*client, cfg.fhir.allow_create_patient);
        co_return chosen != fhir::booking_strategy::unsupported;
    }

    void unavailable(booking_report& out, const fhir::failure& f) const {
        out.finished.outcome = "unavailable";
        log::warn("booking.call_failed", {{"call", log::field_value::code(out.finished.call)},
                                          {"kind", log::field_value::code(fhir::to_string(f.kind))},
                                          {"status", f.status}});
        auto d = audit_detail(out.finished.call, "unavailable");
        d["failure"] = fhir::to_string(f.kind);
        d["status"] = f.status;
        if (!f.outcome_codes.empty()) d["issue_codes"] = f.outcome_codes;
        out.audit.push_back({"system", "scheduling." + out.finished.call, json::serialize(d)});
    }

    void audit(booking_report& out, json::object d) const {
        out.audit.push_back({"system", "scheduling." + out.finished.call, json::serialize(d)});
    }

    asio::awaitable<void> find_patient(const booking_request& r, booking_report& out) {
        const auto& st = *r.state;
        auto words = words_of(slot_of(st, "patient_name"));
        fhir::match_result best;
        fhir::failure failed;
        // "María García López": which words are the family name is not known, so every split is
        // tried, shortest family name first; the matcher's own checks decide.
        for (std::size_t split = words.size() > 1 ? words.size() - 1 : 1; split >= 1 && split < words.size(); --split) {
            fhir::patient_query q;
            q.given = join(words, 0, split);
            q.family = join(words, split, words.size());
            q.birth_date = slot_of(st, "birth_date");
            q.phone = slot_of(st, "callback_phone");
            const bool with_phone = !q.phone.empty();
            fhir::patient_query without_phone = q;
            without_phone.phone.clear();
            auto m = co_await matcher->async_match(std::move(q));
            if (m && with_phone && m.value->what == fhir::match_result::kind::not_found) {
                // Several records with this name and birth date, none with this phone: that is
                // not "no such patient" but "cannot tell which", and staff must know it.
                auto loose = co_await matcher->async_match(std::move(without_phone));
                if (!loose) m = std::move(loose);
                else if (loose.value->what == fhir::match_result::kind::ambiguous) m.value = fhir::match_result{fhir::match_result::kind::ambiguous, {}, loose.value->candidates};
            }
            if (!m) {
                failed = m.error;
                break;
            }
            if (m.value->what != fhir::match_result::kind::not_found) {
                best = *m.value;
                break;
            }
        }
        if (failed.kind != fhir::failure_kind::none) co_return unavailable(out, failed);
        if (best.what == fhir::match_result::kind::not_found && cfg.fhir.allow_create_patient && words.size() > 1) {
            fhir::patient_query q;
            q.given = join(words, 0, words.size() - 1);
            q.family = words.back();
            q.birth_date = slot_of(st, "birth_date");
            q.phone = slot_of(st, "callback_phone");
            auto created = co_await matcher->async_create(std::move(q));
            if (!created) co_return unavailable(out, created.error);
            best.what = fhir::match_result::kind::matched;
            best.patient_id = *created.value;
            best.candidates = 1;
        }
        out.finished.outcome = fhir::to_string(best.what);
        auto d = audit_detail(out.finished.call, out.finished.outcome);
        d["candidates"] = best.candidates;
        if (best.what == fhir::match_result::kind::matched) {
            out.finished.values["identified"] = "yes";
            out.finished.values["fhir_patient"] = best.patient_id;
            d["patient"] = "Patient/" + best.patient_id;
        }
        audit(out, std::move(d));
    }

    std::pair<std::string, std::string> service_for(const std::string& visit_type) const {
        const std::string& s = visit_type == "video" ? cfg.fhir.service_video
                               : visit_type == "phone" ? cfg.fhir.service_phone
                                                       : cfg.fhir.service_in_person;
        auto bar = s.find('|');
        if (bar == std::string::npos) return {};
        return {s.substr(0, bar), s.substr(bar + 1)};
    }

    asio::awaitable<void> find_slots(const booking_request& r, booking_report& out) {
        const auto& st = *r.state;
        const std::string clinic_tz = dialog::valid_time_zone(r.clinic_time_zone) ? r.clinic_time_zone : "UTC";
        const std::string patient_tz = time_zone_for(st, r.clinic_time_zone);
        const auto now = std::chrono::time_point_cast<std::chrono::seconds>(r.now);
        // Urgent symptoms: today only, in the clinic's day; otherwise from the preferred day on.
        const bool same_day = st.highest_urgency >= rules::urgency::urgent;
        std::string day = same_day ? dialog::local_date(now, clinic_tz) : slot_of(st, "preferred_date");
        auto window = dialog::local_day(day, clinic_tz);
        if (!window) window = dialog::local_day(dialog::local_date(now, clinic_tz), clinic_tz);
        const auto begin = std::max(window->begin, now);
        const auto end = same_day ? window->end : window->begin + std::chrono::days(cfg.fhir.search_days);

        // Moving a visit: remember which one before these offers replace the patient's appointments.
        if (const auto* chosen = offer_named(st, slot_of(st, "chosen_appointment"))) {
            auto d = data_of(*chosen);
            if (d.contains("appointment")) {
                out.finished.values["change_appointment_id"] = fhir::string_field(d, "appointment");
                out.finished.values["change_appointment_when"] = chosen->label;
            }
        }
        out.finished.values["slots_same_day"] = same_day ? "yes" : "no";
        std::vector<dialog::offer> offers;
        json::array slot_ids;
        std::string first_date;  // the clinic's date of the first time offered
        std::optional<std::chrono::sys_seconds> first_start;
        if (begin < end) {
            fhir::find_request fr;
            fr.start = dialog::format_instant(begin);
            fr.end = dialog::format_instant(end);
            std::tie(fr.service_system, fr.service_code) = service_for(slot_of(st, "visit_type"));
            fr.count = cfg.fhir.max_offers;
            fr.distinct_times = true;
            const std::string when = slot_of(st, "preferred_time");
            fr.keep = [when, clinic_tz, now](const fhir::slot_option& o) {
                auto start = dialog::parse_instant(o.start);
                if (!start || *start < now) return false;
                const int hour = dialog::local_hour(*start, clinic_tz);
                return !((when == "morning" && hour >= 12) || (when == "afternoon" && hour < 12));
            };
            auto found = co_await scheduler->async_find(std::move(fr));
            if (!found) co_return unavailable(out, found.error);
            for (const auto& o : *found.value) {
                auto start = dialog::parse_instant(o.start);
                if (first_date.empty()) {
                    first_date = dialog::local_date(*start, clinic_tz);
                    first_start = *start;
                }
                slot_ids.emplace_back("Slot/" + o.slot_id);
                std::string label = dialog::slot_label(*start, patient_tz, st.lang);
                json::object data{{"slot", o.slot_id}, {"start", o.start}, {"end", o.end}, {"version", o.version}};
                if (!o.proposed.is_null()) data["proposed"] = o.proposed;
                offers.push_back({label, label, json::serialize(data)});
            }
        }
        const bool es = st.lang == "es";
        if (same_day) out.finished.values["slots_day"] = es ? "hoy" : "today";
        else if (first_date == day)
            out.finished.values["slots_day"] = es ? "ese día" : "on that day";
        else if (first_start) {
            // The day asked for has nothing free (a Sunday, a full day): say so, and which day does.
            const std::string asked = dialog::day_label(window->begin, clinic_tz, st.lang);
            const std::string found = dialog::day_label(*first_start, clinic_tz, st.lang);
            out.finished.values["slots_day"] = es ? "el " + found + " (el " + asked + " no hay horas libres)"
                                                  : "on " + found + " (there are none on " + asked + ")";
        } else {
            out.finished.values["slots_day"] = es ? "en los próximos días" : "on the next days";
        }
        out.finished.outcome = offers.empty() ? "none" : "found";
        auto d = audit_detail(out.finished.call, out.finished.outcome);
        d["offered"] = offers.size();
        d["same_day"] = same_day;
        d["strategy"] = fhir::to_string(*strategy);
        d["slots"] = std::move(slot_ids);
        audit(out, std::move(d));
        out.finished.offers = std::move(offers);
    }

    // The time the patient picked (`chosen_slot`), as find_slots recorded it in its offer.
    struct chosen_time {
        std::string value;      // the offer's value
        json::object data;      // slot, start, end, version, proposed; held (an IHE hold's id)
        fhir::slot_option option;
        std::string patient;    // "Patient/<id>"
    };

    static std::optional<chosen_time> chosen_time_of(const dialog::conversation_state& st) {
        const auto* chosen = offer_named(st, slot_of(st, "chosen_slot"));
        if (!chosen) return std::nullopt;
        chosen_time c{chosen->value, data_of(*chosen), {}, "Patient/" + slot_of(st, "fhir_patient")};
        c.option.slot_id = fhir::string_field(c.data, "slot");
        c.option.start = fhir::string_field(c.data, "start");
        c.option.end = fhir::string_field(c.data, "end");
        c.option.version = fhir::string_field(c.data, "version");
        if (const json::value* p = c.data.if_contains("proposed")) c.option.proposed = *p;
        return c;
    }

    asio::awaitable<void> hold_slot(const booking_request& r, booking_report& out) {
        const auto& st = *r.state;
        auto chosen = chosen_time_of(st);
        if (!chosen) co_return unavailable(out, {fhir::failure_kind::bad_response, 0, {}, "no such offer"});
        json::object& d = chosen->data;
        const fhir::slot_option& option = chosen->option;
        const std::string& patient = chosen->patient;
        if (*strategy == fhir::booking_strategy::ihe_operations) {
            auto held = co_await scheduler->async_hold(option, patient);
            if (!held) {
                if (is_conflict(held.error)) out.finished.outcome = "taken";
                else co_return unavailable(out, held.error);
            } else {
                d["held"] = *held.value;
                out.finished.outcome = "held";
            }
        } else {
            // No holds without the IHE operations: check the slot is still free now; the booking
            // itself is the lock (If-Match on the version offered).
            auto slot = co_await client->async_read("Slot", option.slot_id);
            if (!slot) co_return unavailable(out, slot.error);
            out.finished.outcome = fhir::string_field(slot.value->resource, "status") == "free" ? "held" : "taken";
        }
        if (out.finished.outcome == "held") {
            auto start = dialog::parse_instant(option.start);
            if (start) out.finished.values["chosen_when"] = dialog::long_label(*start, time_zone_for(st, r.clinic_time_zone), st.lang);
            std::vector<dialog::offer> offers = st.offers;
            for (auto& o : offers)
                if (o.value == chosen->value) o.data = json::serialize(d);  // remembers the hold
            out.finished.offers = std::move(offers);
        }
        auto a = audit_detail(out.finished.call, out.finished.outcome);
        a["slot"] = "Slot/" + option.slot_id;
        a["patient"] = patient;
        if (d.contains("held")) a["hold"] = "Appointment/" + fhir::string_field(d, "held");
        audit(out, std::move(a));
    }

    asio::awaitable<void> release_hold(const booking_request& r, booking_report& out) {
        auto chosen = chosen_time_of(*r.state);
        out.finished.outcome = "done";
        if (!chosen || !chosen->data.contains("held")) co_return;
        const std::string held = fhir::string_field(chosen->data, "held");
        auto released = co_await appointments->async_release_hold(held);
        if (!released) co_return unavailable(out, released.error);
        // The offers are spent: nothing is held for this patient any more.
        out.finished.offers.emplace();
        auto a = audit_detail(out.finished.call, fhir::to_string(released.value->what));
        a["hold"] = "Appointment/" + held;
        audit(out, std::move(a));
    }

    // Where the visit is, from the EHR: the Schedule's Location and Practitioner, else the
    // clinic's words for the visit type.
    asio::awaitable<std::string> place_of(const std::string& slot_id, const dialog::conversation_state& st) {
        const bool es = st.lang == "es";
        const std::string type = slot_of(st, "visit_type");
        std::string fallback = type == "video" ? cfg.fhir.place_video : type == "phone" ? cfg.fhir.place_phone
                                                                                        : cfg.fhir.place_in_person;
        auto slot = co_await client->async_read("Slot", slot_id);
        if (!slot) co_return fallback;
        std::string schedule_ref;
        if (const json::value* s = slot.value->resource.as_object().if_contains("schedule")) schedule_ref = fhir::string_field(*s, "reference");
        if (!schedule_ref.starts_with("Schedule/")) co_return fallback;
        auto schedule = co_await client->async_read("Schedule", schedule_ref.substr(9));
        if (!schedule) co_return fallback;
        std::string location, practitioner;
        const json::value* actors = schedule.value->resource.as_object().if_contains("actor");
        if (actors && actors->is_array()) {
            for (const auto& a : actors->as_array()) {
                std::string ref = fhir::string_field(a, "reference");
                if (ref.starts_with("Location/") && location.empty() && type != "video" && type != "phone") {
                    auto loc = co_await client->async_read("Location", ref.substr(9));
                    if (loc) location = fhir::string_field(loc.value->resource, "name");
                } else if (ref.starts_with("Practitioner/") && practitioner.empty()) {
                    practitioner = fhir::string_field(a, "display");
                }
            }
        }
        std::string out = location.empty() ? fallback : (es ? "en " : "at ") + location;
        if (!practitioner.empty()) out += (es ? ", con " : ", with ") + practitioner;
        co_return out;
    }

    asio::awaitable<void> book_slot(const booking_request& r, booking_report& out) {
        const auto& st = *r.state;
        auto chosen = chosen_time_of(st);
        if (!chosen) co_return unavailable(out, {fhir::failure_kind::bad_response, 0, {}, "no such offer"});
        const json::object& d = chosen->data;
        const fhir::slot_option& option = chosen->option;
        const std::string& patient = chosen->patient;
        const std::string request_id = request_id_for(r.conversation_id, option.slot_id);
        auto a = audit_detail(out.finished.call, "");
        a["slot"] = "Slot/" + option.slot_id;
        a["patient"] = patient;
        a["request"] = request_id;
        a["strategy"] = fhir::to_string(*strategy);
        auto booked = co_await scheduler->async_book(option, patient, request_id, fhir::string_field(d, "held"));
        if (!booked) {
            if (is_conflict(booked.error)) {
                out.finished.outcome = "taken";
                a["outcome"] = "taken";
                co_return audit(out, std::move(a));
            }
            co_return unavailable(out, booked.error);
        }
        // Confirm only what the EHR holds: read the Appointment back.
        auto back = co_await client->async_read("Appointment", booked.value->appointment_id);
        if (!back) co_return unavailable(out, back.error);
        const json::value& appt = back.value->resource;
        auto start = dialog::parse_instant(fhir::string_field(appt, "start"));
        bool ours = false;
        if (const json::value* ps = appt.as_object().if_contains("participant"); ps && ps->is_array())
            for (const auto& p : ps->as_array())
                if (const json::value* actor = p.is_object() ? p.as_object().if_contains("actor") : nullptr)
                    ours = ours || fhir::string_field(*actor, "reference") == patient;
        if (fhir::string_field(appt, "status") != "booked" || !start || !ours) {
            a["outcome"] = "unconfirmed";
            audit(out, a);
            co_return unavailable(out, {fhir::failure_kind::bad_response, 0, {}, "the Appointment read back is not booked"});
        }
        out.finished.outcome = "booked";
        // The offers are spent: the hold became this appointment.
        out.finished.offers.emplace();
        out.finished.values["appointment_when"] = dialog::long_label(*start, time_zone_for(st, r.clinic_time_zone), st.lang);
        out.finished.values["appointment_place"] = co_await place_of(booked.value->slot_id.empty() ? option.slot_id
                                                                                                  : booked.value->slot_id, st);
        out.finished.values["appointment_ref"] = booked.value->appointment_id;
        a["outcome"] = "booked";
        a["appointment"] = "Appointment/" + booked.value->appointment_id;
        a["already"] = booked.value->already;
        audit(out, std::move(a));
    }

    asio::awaitable<void> find_appointments(const booking_request& r, booking_report& out) {
        const auto& st = *r.state;
        const auto now = std::chrono::time_point_cast<std::chrono::seconds>(r.now);
        auto found = co_await appointments->async_upcoming(slot_of(st, "fhir_patient"), cfg.fhir.identifier_system,
                                                           dialog::format_instant(now));
        if (!found) co_return unavailable(out, found.error);
        std::vector<dialog::offer> offers;
        const std::string tz = time_zone_for(st, r.clinic_time_zone);
        for (const auto& v : *found.value) {
            if (v.status != "booked" || offers.size() >= 5) continue;
            auto start = dialog::parse_instant(v.start);
            if (!start) continue;
            std::string label = dialog::slot_label(*start, tz, st.lang);
            offers.push_back({label, label, json::serialize(json::object{{"appointment", v.id}, {"start", v.start}})});
        }
        out.finished.outcome = offers.empty() ? "none" : "found";
        auto a = audit_detail(out.finished.call, out.finished.outcome);
        a["patient"] = "Patient/" + slot_of(st, "fhir_patient");
        a["found"] = offers.size();
        audit(out, std::move(a));
        out.finished.offers = std::move(offers);
    }

    asio::awaitable<void> cancel_appointment(const booking_request& r, booking_report& out) {
        const auto& st = *r.state;
        std::string id = slot_of(st, "change_appointment_id");
        std::string label = slot_of(st, "change_appointment_when");
        if (const auto* chosen = offer_named(st, slot_of(st, "chosen_appointment"))) {
            auto d = data_of(*chosen);
            if (d.contains("appointment")) {
                id = fhir::string_field(d, "appointment");
                label = chosen->label;
            }
        }
        const std::string patient = slot_of(st, "fhir_patient");
        auto a = audit_detail(out.finished.call, "");
        a["patient"] = "Patient/" + patient;
        a["appointment"] = "Appointment/" + id;
        if (id.empty() || patient.empty()) {
            out.finished.outcome = "not_theirs";
            a["outcome"] = "not_theirs";
            co_return audit(out, std::move(a));
        }
        auto cancelled = co_await appointments->async_cancel(id, patient);
        if (!cancelled) co_return unavailable(out, cancelled.error);
        using kind = fhir::cancel_result::kind;
        const kind k = cancelled.value->what;
        out.finished.outcome = k == kind::cancelled || k == kind::already_cancelled ? "cancelled" : "not_theirs";
        if (out.finished.outcome == "cancelled") out.finished.values["cancelled_when"] = label;
        a["outcome"] = fhir::to_string(k);
        a["slot_left_busy"] = cancelled.value->slot_left_busy;
        audit(out, std::move(a));
    }
};

booking_desk::booking_desk(asio::any_io_executor ex, asio::ssl::context* tls, const config& cfg,
                           integrations::event_sink& sink)
    : impl_(std::make_unique<impl>(ex, tls, cfg, sink)) {}

bool booking_desk::breaker_open() const noexcept { return impl_->client && impl_->client->breaker_open(); }

booking_desk::~booking_desk() = default;

asio::awaitable<void> booking_desk::prepare() {
    try {
        co_await impl_->ready();
    } catch (const std::exception&) {
        log::error("booking.prepare_threw", {});
    }
}

asio::awaitable<std::vector<integrations::postgres::audit_entry>> booking_desk::release_if_held(
    const dialog::conversation_state& state) {
    std::vector<integrations::postgres::audit_entry> out;
    auto chosen = impl::chosen_time_of(state);
    if (!chosen || !chosen->data.contains("held")) co_return out;
    booking_request r{"release_hold", &state, {}, {}, {}, std::chrono::system_clock::now()};
    auto report = co_await carry_out(std::move(r));
    for (auto& e : report.audit) {
        e.detail_json.insert(1, R"("reason":"patient_left",)");
        out.push_back(std::move(e));
    }
    co_return out;
}

asio::awaitable<booking_report> booking_desk::carry_out(booking_request r) {
    booking_report out;
    out.finished.call = r.call;
    out.finished.outcome = "unavailable";
    try {
        if (!co_await impl_->ready()) {
            impl_->unavailable(out, {fhir::failure_kind::unavailable, 0, {}, "booking is not available"});
            co_return out;
        }
        auto& m = *impl_;
        if (r.call == "find_patient") co_await m.find_patient(r, out);
        else if (r.call == "find_slots") co_await m.find_slots(r, out);
        else if (r.call == "hold_slot") co_await m.hold_slot(r, out);
        else if (r.call == "release_hold") co_await m.release_hold(r, out);
        else if (r.call == "book_slot") co_await m.book_slot(r, out);
        else if (r.call == "find_appointments") co_await m.find_appointments(r, out);
        else if (r.call == "cancel_appointment") co_await m.cancel_appointment(r, out);
        else impl_->unavailable(out, {fhir::failure_kind::unavailable, 0, {}, "unknown call"});
    } catch (const std::exception&) {
        // A malformed answer we did not foresee: the flow's `unavailable` path hands over to staff.
        log::error("booking.call_threw", {{"call", log::field_value::code(r.call)}});
        out = booking_report{};
        out.finished.call = r.call;
        impl_->unavailable(out, {fhir::failure_kind::bad_response, 0, {}, "exception"});
    }
    co_return out;
}

}  // namespace triage::server

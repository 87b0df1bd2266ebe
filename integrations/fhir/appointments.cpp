#include "integrations/fhir/appointments.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

namespace asio = boost::asio;
namespace json = boost::json;

namespace triage::integrations::fhir {

namespace {

// A FHIR logical id ([A-Za-z0-9-.]{1,64}): anything else must not become part of a path.
bool valid_id(std::string_view id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
    });
}

bool is_conflict(const failure& f) { return f.kind == failure_kind::http_error && (f.status == 409 || f.status == 412); }
bool is_gone(const failure& f) { return f.kind == failure_kind::http_error && (f.status == 404 || f.status == 410); }

// "Slot/x", "https://ehr/fhir/Slot/x" or "Slot/x/_history/2" -> "x"; empty if not of that type.
std::string ref_id(std::string_view ref, std::string_view type) {
    const std::string key = std::string(type) + "/";
    std::size_t at = 0;
    if (!ref.starts_with(key)) {
        at = ref.find("/" + key);
        if (at == std::string_view::npos) return {};
        ++at;
    }
    const std::string_view rest = ref.substr(at + key.size());
    return std::string(rest.substr(0, rest.find('/')));
}

std::vector<std::string> slot_ids(const json::value& appt) {
    std::vector<std::string> out;
    if (const json::array* slots = array_field(appt, "slot")) {
        for (const auto& s : *slots) {
            std::string id = ref_id(string_field(s, "reference"), "Slot");
            if (valid_id(id)) out.push_back(std::move(id));
        }
    }
    return out;
}

bool has_patient(const json::value& appt, const std::string& patient_id) {
    if (const json::array* participants = array_field(appt, "participant")) {
        for (const auto& p : *participants) {
            const json::object* po = p.if_object();
            const json::value* actor = po ? po->if_contains("actor") : nullptr;
            if (actor && ref_id(string_field(*actor, "reference"), "Patient") == patient_id) return true;
        }
    }
    return false;
}

bool has_identifier_system(const json::value& appt, const std::string& system) {
    if (const json::array* ids = array_field(appt, "identifier")) {
        for (const auto& i : *ids)
            if (string_field(i, "system") == system) return true;
    }
    return false;
}

std::string version_of(const json::value& res) {
    const json::object* o = res.if_object();
    const json::value* meta = o ? o->if_contains("meta") : nullptr;
    return meta ? string_field(*meta, "versionId") : std::string();
}

// What If-Match needs: the ETag the server sent, else one made from meta.versionId.
std::string etag_of(const reply& r) {
    if (!r.etag.empty()) return r.etag;
    const std::string v = version_of(r.resource);
    return v.empty() ? std::string() : "W/\"" + v + "\"";
}

// Seconds since the epoch of a FHIR instant ("2026-12-02T09:00:00Z", "...T09:00:00.123+01:00").
std::optional<std::int64_t> seconds_of(std::string_view t) {
    auto num = [&](std::size_t at, std::size_t n) -> std::optional<int> {
        if (at + n > t.size()) return std::nullopt;
        int v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (t[i] < '0' || t[i] > '9') return std::nullopt;
            v = v * 10 + (t[i] - '0');
        }
        return v;
    };
    auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), s = num(17, 2);
    if (!y || !mo || !d || !h || !mi || !s || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':') {
        return std::nullopt;
    }
    std::size_t i = 19;
    if (i < t.size() && t[i] == '.') {
        ++i;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    }
    int offset = 0;
    const bool utc = i + 1 == t.size() && t[i] == 'Z';
    if (!utc) {
        if (i + 6 != t.size() || (t[i] != '+' && t[i] != '-') || t[i + 3] != ':') return std::nullopt;
        auto oh = num(i + 1, 2), om = num(i + 4, 2);
        if (!oh || !om) return std::nullopt;
        offset = (t[i] == '-' ? -1 : 1) * (*oh * 3600 + *om * 60);
    }
    const std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*mo)},
                                          std::chrono::day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) return std::nullopt;
    const auto days = std::chrono::sys_days{ymd}.time_since_epoch().count();
    return static_cast<std::int64_t>(days) * 86400 + *h * 3600 + *mi * 60 + *s - offset;
}

// Earlier start first; instants that cannot be read go last, in text order.
bool starts_before(const appointment_view& a, const appointment_view& b) {
    const auto sa = seconds_of(a.start), sb = seconds_of(b.start);
    if (sa && sb && *sa != *sb) return *sa < *sb;
    if (sa.has_value() != sb.has_value()) return sa.has_value();
    return a.start < b.start;
}

appointment_view view_of(const json::value& a) {
    std::vector<std::string> slots = slot_ids(a);
    return appointment_view{string_field(a, "id"), string_field(a, "status"), string_field(a, "start"), string_field(a, "end"),
                            slots.empty() ? std::string() : slots.front(), version_of(a), string_field(a, "description")};
}

// A slot to set free, under If-Match of the version read.
struct freeable_slot {
    bool free_it = false;
    std::string id;
    json::object resource;  // with status "free"
    std::string etag;
};

// Whether the slot should be freed when `appointment_id` is cancelled: it is busy, and no other
// live appointment refers to it (a slot may carry several on servers that allow overbooking).
asio::awaitable<outcome<freeable_slot>> async_freeable(client& c, std::string slot_id, std::string appointment_id) {
    outcome<freeable_slot> out;
    auto slot = co_await c.async_read("Slot", slot_id);
    if (!slot) {
        if (is_gone(slot.error)) out.value.emplace();  // nothing to free
        else out.error = slot.error;
        co_return out;
    }
    const std::string status = string_field(slot.value->resource, "status");
    if ((status != "busy" && status != "busy-tentative") || !slot.value->resource.is_object()) {
        out.value.emplace();
        co_return out;
    }
    std::string query = "slot=" + query_value("Slot/" + slot_id) + "&status=pending,booked,arrived,checked-in";
    auto others = co_await c.async_search("Appointment", query);
    if (!others) {
        out.error = others.error;
        co_return out;
    }
    out.value.emplace();
    for (const auto& a : *others.value) {
        if (string_field(a, "id") != appointment_id) co_return out;  // someone else's still
    }
    out.value->free_it = true;
    out.value->id = slot_id;
    out.value->resource = slot.value->resource.as_object();
    out.value->resource["status"] = "free";
    out.value->etag = etag_of(*slot.value);
    co_return out;
}

}  // namespace

const char* to_string(cancel_result::kind k) noexcept {
    switch (k) {
    case cancel_result::kind::cancelled: return "cancelled";
    case cancel_result::kind::already_cancelled: return "already_cancelled";
    case cancel_result::kind::not_theirs: return "not_theirs";
    case cancel_result::kind::not_cancellable: return "not_cancellable";
    }
    return "not_cancellable";
}

asio::awaitable<outcome<std::vector<appointment_view>>> appointments::async_upcoming(std::string patient_id,
                                                                                    std::string system,
                                                                                    std::string from) {
    outcome<std::vector<appointment_view>> out;
    if (!valid_id(patient_id) || system.empty()) {
        out.value.emplace();
        co_return out;
    }
    // The server filters; every entry is checked again, since servers silently ignore search
    // parameters they do not support.
    std::string query = "patient=" + query_value("Patient/" + patient_id) + (from.empty() ? "" : "&date=ge" + query_value(from)) +
                        "&status=booked,pending&identifier=" + query_value(system + "|") + "&_count=50";
    auto found = co_await c_.async_search("Appointment", query);
    if (!found) {
        out.error = found.error;
        co_return out;
    }
    const auto from_s = seconds_of(from);
    out.value.emplace();
    for (const auto& a : *found.value) {
        const std::string status = string_field(a, "status");
        if (status != "booked" && status != "pending") continue;
        if (!has_identifier_system(a, system) || !has_patient(a, patient_id)) continue;
        const std::string start = string_field(a, "start");
        const auto start_s = seconds_of(start);
        if (start.empty() || (from_s && start_s && *start_s < *from_s)) continue;
        out.value->push_back(view_of(a));
    }
    std::stable_sort(out.value->begin(), out.value->end(), starts_before);
    co_return out;
}

asio::awaitable<outcome<cancel_result>> appointments::async_cancel(std::string appointment_id, std::string patient_id) {
    auto r = co_await async_cancel_with_retry(std::move(appointment_id), std::move(patient_id), false);
    co_return r;
}

asio::awaitable<outcome<cancel_result>> appointments::async_release_hold(std::string held_appointment_id) {
    auto r = co_await async_cancel_with_retry(std::move(held_appointment_id), std::string(), true);
    co_return r;
}

asio::awaitable<outcome<cancel_result>> appointments::async_cancel_with_retry(std::string id, std::string patient_id,
                                                                               bool hold) {
    outcome<cancel_result> out;
    if (strategy_ == booking_strategy::unsupported) {
        out.error = {failure_kind::unavailable, 0, {}, "FHIR cancelling is not supported by this server"};
        co_return out;
    }
    if (!valid_id(id) || (!hold && !valid_id(patient_id))) {
        cancel_result r;
        r.what = hold ? cancel_result::kind::already_cancelled : cancel_result::kind::not_theirs;
        out.value = r;
        co_return out;
    }
    // A conflict means the appointment or a slot changed after we read it: read again, once.
    for (int attempt = 1;; ++attempt) {
        out = co_await async_cancel_once(id, patient_id, hold);
        if (out || !is_conflict(out.error) || attempt == 2) co_return out;
    }
}

asio::awaitable<outcome<cancel_result>> appointments::async_cancel_once(std::string id, std::string patient_id, bool hold) {
    outcome<cancel_result> out;
    cancel_result result;
    auto read = co_await c_.async_read("Appointment", id);
    if (!read) {
        if (is_gone(read.error)) {
            result.what = hold ? cancel_result::kind::already_cancelled : cancel_result::kind::not_theirs;
            out.value = result;
        } else {
            out.error = read.error;
        }
        co_return out;
    }
    const json::value& appt = read.value->resource;
    if (!appt.is_object() || string_field(appt, "resourceType") != "Appointment") {
        out.error = {failure_kind::bad_response, read.value->status, {}, "FHIR GET Appointment: not an Appointment"};
        co_return out;
    }
    // Whose it is comes first, so nothing about another patient's appointment is revealed.
    if (!hold && !has_patient(appt, patient_id)) {
        result.what = cancel_result::kind::not_theirs;
        out.value = result;
        co_return out;
    }
    const std::string status = string_field(appt, "status");
    if (status == "cancelled") {
        result.what = cancel_result::kind::already_cancelled;
        out.value = result;
        co_return out;
    }
    const bool cancellable = hold ? (status == "pending" || status == "proposed")
                                  : (status == "proposed" || status == "pending" || status == "booked" || status == "waitlist");
    if (!cancellable) {
        result.what = cancel_result::kind::not_cancellable;
        out.value = result;
        co_return out;
    }
    const std::string appt_etag = etag_of(*read.value);

    std::vector<freeable_slot> slots;
    for (const std::string& slot_id : slot_ids(appt)) {
        auto s = co_await async_freeable(c_, slot_id, id);
        if (!s) {
            out.error = s.error;
            co_return out;
        }
        if (s.value->free_it) slots.push_back(std::move(*s.value));
    }

    json::object cancelled = appt.as_object();
    cancelled["status"] = "cancelled";
    cancelled["cancelationReason"] = json::object{{"text", hold ? "Hold released" : "Cancelled by the patient"}};

    if (strategy_ == booking_strategy::transaction_bundle) {
        json::array entries;
        auto put = [](std::string url, const std::string& etag) {
            json::object request{{"method", "PUT"}, {"url", std::move(url)}};
            if (!etag.empty()) request["ifMatch"] = etag;
            return request;
        };
        entries.push_back(json::object{{"resource", cancelled}, {"request", put("Appointment/" + id, appt_etag)}});
        for (const auto& s : slots) entries.push_back(json::object{{"resource", s.resource}, {"request", put("Slot/" + s.id, s.etag)}});
        json::object bundle{{"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", std::move(entries)}};
        std::string body = json::serialize(bundle);
        std::vector<std::pair<std::string, std::string>> none;
        auto res = co_await c_.async_request("POST", "", body, none, false);
        if (!res) {
            out.error = res.error;
            co_return out;
        }
        out.value = result;
        co_return out;
    }

    // One after the other: the Appointment first, so a failure half-way never leaves a booked
    // appointment on a free slot (which another patient could then book).
    // Named arguments, not braced lists: GCC 12 miscompiles braced temporaries in co_await.
    // (A server that sent no version gets no If-Match: there is nothing to compare.)
    std::vector<std::pair<std::string, std::string>> if_match;
    if (!appt_etag.empty()) if_match.emplace_back("If-Match", appt_etag);
    std::string appt_path = "Appointment/" + id;
    std::string appt_body = json::serialize(cancelled);
    auto done = co_await c_.async_request("PUT", appt_path, appt_body, if_match, false);
    if (!done) {
        out.error = done.error;
        co_return out;
    }
    for (auto& s : slots) {
        bool freed = false;
        for (int attempt = 1; attempt <= 2 && !freed; ++attempt) {
            std::vector<std::pair<std::string, std::string>> slot_match;
            if (!s.etag.empty()) slot_match.emplace_back("If-Match", s.etag);
            std::string slot_path = "Slot/" + s.id;
            std::string slot_body = json::serialize(s.resource);
            auto put = co_await c_.async_request("PUT", slot_path, slot_body, slot_match, false);
            if (put) {
                freed = true;
            } else if (is_conflict(put.error) && attempt == 1) {
                auto again = co_await async_freeable(c_, s.id, id);
                if (!again) break;
                if (!again.value->free_it) freed = true;  // freed meanwhile, or someone else's now
                else s = std::move(*again.value);
            } else {
                break;
            }
        }
        if (!freed) result.slot_left_busy = true;
    }
    out.value = result;
    co_return out;
}

}  // namespace triage::integrations::fhir

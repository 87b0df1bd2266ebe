#include "integrations/fhir/scheduler.hpp"

#include <boost/json.hpp>
#include <algorithm>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace asio = boost::asio;
namespace json = boost::json;

namespace triage::integrations::fhir {

namespace {

// "Slot/slot-1" from an Appointment's first slot reference.
std::string first_slot(const json::value& appt) {
    const json::object* o = appt.if_object();
    const json::value* slots = o ? o->if_contains("slot") : nullptr;
    if (!slots || !slots->is_array() || slots->as_array().empty()) return {};
    std::string ref = string_field(slots->as_array().front(), "reference");
    return ref.starts_with("Slot/") ? ref.substr(5) : ref;
}

std::vector<std::pair<std::string, std::string>> no_headers() { return {}; }

// The options that pass the request's filter, at most `count` of them.
std::vector<slot_option> select(std::vector<slot_option> all, const find_request& r) {
    std::vector<slot_option> out;
    for (auto& o : all) {
        if (static_cast<int>(out.size()) >= r.count) break;
        if (r.keep && !r.keep(o)) continue;
        if (r.distinct_times && std::any_of(out.begin(), out.end(), [&](const slot_option& x) { return x.start == o.start; })) continue;
        out.push_back(std::move(o));
    }
    return out;
}

slot_option from_slot(const json::value& s) {
    const json::object* o = s.if_object();
    const json::value* meta = o ? o->if_contains("meta") : nullptr;
    const std::string version = meta ? string_field(*meta, "versionId") : std::string();
    return slot_option{string_field(s, "id"), string_field(s, "start"), string_field(s, "end"), version, nullptr};
}

booked from_appointment(const json::value& a) {
    return booked{string_field(a, "id"), string_field(a, "status"), string_field(a, "start"), first_slot(a), false};
}

json::object parameters(const json::value& appointment) {
    return json::object{{"resourceType", "Parameters"},
                        {"parameter", json::array{json::object{{"name", "appointment-resource"}, {"resource", appointment}}}}};
}

}  // namespace

json::object scheduler::appointment(const slot_option& o, const std::string& patient, const std::string& request_id,
                                    const char* status) const {
    json::object a = o.proposed.is_object() ? o.proposed.as_object() : json::object{};
    a["resourceType"] = "Appointment";
    a.erase("id");
    a["status"] = status;
    a["slot"] = json::array{json::object{{"reference", "Slot/" + o.slot_id}}};
    if (!o.start.empty()) a["start"] = o.start;
    if (!o.end.empty()) a["end"] = o.end;
    a["identifier"] = json::array{json::object{{"system", system_}, {"value", request_id}}};
    json::array participants;
    if (const json::value* p = a.if_contains("participant"); p && p->is_array()) participants = p->as_array();
    participants.push_back(json::object{{"actor", json::object{{"reference", patient}}}, {"status", "accepted"}});
    a["participant"] = std::move(participants);
    return a;
}

asio::awaitable<outcome<std::vector<slot_option>>> scheduler::async_find(find_request r) {
    outcome<std::vector<slot_option>> out;
    if (strategy_ == booking_strategy::unsupported) {
        out.error = {failure_kind::unavailable, 0, {}, "FHIR booking is not supported by this server"};
        co_return out;
    }
    if (strategy_ == booking_strategy::ihe_operations) {
        // $find has no paging: ask for more when some will be filtered out.
        const int wanted = r.keep || r.distinct_times ? std::max(r.count, 100) : r.count;
        json::array params{json::object{{"name", "start"}, {"valueDateTime", r.start}},
                           json::object{{"name", "end"}, {"valueDateTime", r.end}},
                           json::object{{"name", "_count"}, {"valueInteger", wanted}}};
        if (!r.service_code.empty()) {
            params.push_back(json::object{{"name", "service-type"},
                                          {"valueCoding", json::object{{"system", r.service_system}, {"code", r.service_code}}}});
        }
        const std::string body = json::serialize(json::object{{"resourceType", "Parameters"}, {"parameter", params}});
        auto res = co_await c_.async_request("POST", "Appointment/$find", body, no_headers(), true);
        if (!res) {
            out.error = res.error;
            co_return out;
        }
        std::vector<slot_option> all;
        for (const json::value* a : bundle_resources(res.value->resource))
            all.push_back(slot_option{first_slot(*a), string_field(*a, "start"), string_field(*a, "end"), {}, *a});
        out.value = select(std::move(all), r);
        co_return out;
    }
    std::string query = "status=free&start=ge" + query_value(r.start) + "&start=lt" + query_value(r.end) + "&_sort=start&_count=" +
                        std::to_string(r.page_size);
    if (!r.service_code.empty()) query += "&service-type=" + query_value(r.service_system + "|" + r.service_code);
    // Pages are read only until enough options pass the filter: a patient is offered a few
    // times, not the whole calendar.
    auto enough = [&r](const std::vector<json::value>& so_far) {
        std::vector<slot_option> all;
        for (const auto& s : so_far) all.push_back(from_slot(s));
        return static_cast<int>(select(std::move(all), r).size()) >= r.count;
    };
    auto res = co_await c_.async_search("Slot", std::move(query), enough);
    if (!res) {
        out.error = res.error;
        co_return out;
    }
    std::vector<slot_option> all;
    for (const auto& s : *res.value) all.push_back(from_slot(s));
    out.value = select(std::move(all), r);
    co_return out;
}

asio::awaitable<outcome<std::string>> scheduler::async_hold(slot_option o, std::string patient) {
    outcome<std::string> out;
    if (strategy_ != booking_strategy::ihe_operations) {
        out.error = {failure_kind::unavailable, 0, {}, "FHIR $hold is not supported by this server"};
        co_return out;
    }
    const std::string body = json::serialize(parameters(appointment(o, patient, "hold", "proposed")));
    auto res = co_await c_.async_request("POST", "Appointment/$hold", body, no_headers(), false);
    if (!res) {
        out.error = res.error;
        co_return out;
    }
    out.value = string_field(res.value->resource, "id");
    co_return out;
}

asio::awaitable<outcome<booked>> scheduler::async_existing(std::string request_id) {
    outcome<booked> out;
    auto found = co_await c_.async_request("GET", "Appointment?identifier=" + query_value(system_ + "|" + request_id), std::string(),
                                           no_headers(), true);
    if (!found) {
        out.error = found.error;
        co_return out;
    }
    for (const json::value* a : bundle_resources(found.value->resource)) {
        if (string_field(*a, "status") == "booked") {
            out.value = from_appointment(*a);
            out.value->already = true;
            co_return out;
        }
    }
    co_return out;  // neither a value nor an error: not booked yet
}

asio::awaitable<outcome<booked>> scheduler::async_book(slot_option o, std::string patient, std::string request_id,
                                                       std::string held_id) {
    // A retry of a booking that went through must not book twice.
    auto existing = co_await async_existing(request_id);
    if (existing.value || existing.error.kind != failure_kind::none) co_return existing;

    outcome<booked> out;
    if (strategy_ == booking_strategy::ihe_operations) {
        json::object a = appointment(o, patient, request_id, "proposed");
        if (!held_id.empty()) a["id"] = held_id;
        auto res = co_await c_.async_request("POST", "Appointment/$book", json::serialize(parameters(a)), no_headers(), false);
        if (!res) {
            out.error = res.error;
            co_return out;
        }
        out.value = from_appointment(res.value->resource);
        co_return out;
    }
    if (strategy_ == booking_strategy::transaction_bundle) {
        // Read the slot as it is, to send it back busy under If-Match of the version we offered.
        auto slot = co_await c_.async_read("Slot", o.slot_id);
        if (!slot) {
            out.error = slot.error;
            co_return out;
        }
        json::object s = slot.value->resource.as_object();
        s["status"] = "busy";
        const std::string version = o.version.empty() ? slot.value->etag : "W/\"" + o.version + "\"";
        json::object bundle{
            {"resourceType", "Bundle"},
            {"type", "transaction"},
            {"entry", json::array{
                json::object{{"resource", s},
                             {"request", json::object{{"method", "PUT"}, {"url", "Slot/" + o.slot_id}, {"ifMatch", version}}}},
                json::object{{"fullUrl", "urn:uuid:" + request_id},
                             {"resource", appointment(o, patient, request_id, "booked")},
                             {"request", json::object{{"method", "POST"}, {"url", "Appointment"},
                                                      {"ifNoneExist", "identifier=" + system_ + "|" + request_id}}}}}}};
        auto res = co_await c_.async_request("POST", "", json::serialize(bundle), no_headers(), false);
        if (!res) {
            out.error = res.error;
            co_return out;
        }
        // Confirm only what the server holds: read the Appointment back.
        auto back = co_await async_existing(request_id);
        if (!back.value) {
            out.error = back.error.kind != failure_kind::none
                            ? back.error
                            : failure{failure_kind::bad_response, 0, {}, "FHIR transaction: the Appointment is not there afterwards"};
            co_return out;
        }
        back.value->already = false;
        co_return back;
    }
    // versioned updates: the Slot first, under If-Match; the Appointment only if that won.
    auto slot = co_await c_.async_read("Slot", o.slot_id);
    if (!slot) {
        out.error = slot.error;
        co_return out;
    }
    json::object s = slot.value->resource.as_object();
    if (string_field(s, "status") != "free") {
        out.error = {failure_kind::http_error, 409, "conflict", "FHIR Slot: taken"};
        co_return out;
    }
    s["status"] = "busy";
    const std::string version = o.version.empty() ? slot.value->etag : "W/\"" + o.version + "\"";
    // Named arguments, not braced lists: GCC 12 miscompiles braced temporaries in co_await.
    std::vector<std::pair<std::string, std::string>> if_match{{"If-Match", version}};
    std::string slot_path = "Slot/" + o.slot_id;
    std::string slot_body = json::serialize(s);
    auto taken = co_await c_.async_request("PUT", slot_path, slot_body, if_match, false);
    if (!taken) {
        out.error = taken.error;
        co_return out;
    }
    std::vector<std::pair<std::string, std::string>> if_none{{"If-None-Exist", "identifier=" + system_ + "|" + request_id}};
    std::string appt_body = json::serialize(appointment(o, patient, request_id, "booked"));
    auto created = co_await c_.async_request("POST", "Appointment", appt_body, if_none, true);
    if (!created) {
        out.error = created.error;
        co_return out;
    }
    out.value = from_appointment(created.value->resource);
    co_return out;
}

}  // namespace triage::integrations::fhir

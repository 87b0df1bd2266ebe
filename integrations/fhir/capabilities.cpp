#include "integrations/fhir/capabilities.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace json = boost::json;

namespace triage::integrations::fhir {

namespace {

const json::object* object(const json::value* v) { return v ? v->if_object() : nullptr; }
const json::array* array(const json::value* v) { return v ? v->if_array() : nullptr; }

std::string text(const json::object* o, std::string_view key) {
    const json::value* v = o ? o->if_contains(key) : nullptr;
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool has_code(const json::array* list, std::string_view code) {
    if (!list) return false;
    return std::any_of(list->begin(), list->end(), [&](const json::value& x) { return text(x.if_object(), "code") == code; });
}

bool has_search(const json::object* resource, std::string_view name) {
    const json::array* params = array(resource ? resource->if_contains("searchParam") : nullptr);
    if (!params) return false;
    return std::any_of(params->begin(), params->end(), [&](const json::value& x) { return text(x.if_object(), "name") == name; });
}

// By name ("book", "$book") or by the IHE OperationDefinition's canonical URL.
bool has_operation(const json::object* resource, std::string_view name) {
    const json::array* ops = array(resource ? resource->if_contains("operation") : nullptr);
    if (!ops) return false;
    const std::string ihe = "appointment-" + std::string(name);
    return std::any_of(ops->begin(), ops->end(), [&](const json::value& x) {
        const json::object* o = x.if_object();
        const std::string n = text(o, "name");
        const std::string def = text(o, "definition");
        return n == name || n == "$" + std::string(name) || def.ends_with("/" + ihe) || def.find("/" + ihe + "|") != std::string::npos;
    });
}

}  // namespace

server_capabilities read_capabilities(const json::value& cs) {
    server_capabilities c;
    const json::object* root = cs.if_object();
    if (!root || text(root, "resourceType") != "CapabilityStatement") return c;
    c.fhir_version = text(root, "fhirVersion");
    c.r4 = c.fhir_version.starts_with("4.0");
    const json::array* rests = array(root->if_contains("rest"));
    if (!rests) return c;
    for (const auto& r : *rests) {
        const json::object* rest = r.if_object();
        if (!rest || text(rest, "mode") == "client") continue;
        if (has_code(array(rest->if_contains("interaction")), "transaction")) c.transactions = true;
        const json::array* resources = array(rest->if_contains("resource"));
        if (!resources) continue;
        for (const auto& x : *resources) {
            const json::object* res = x.if_object();
            const std::string type = text(res, "type");
            const json::array* interactions = array(res ? res->if_contains("interaction") : nullptr);
            if (type == "Slot") {
                c.slot_search = has_code(interactions, "search-type") && has_search(res, "schedule") &&
                                has_search(res, "status") && has_search(res, "start");
                const std::string versioning = text(res, "versioning");
                c.versioned_update = has_code(interactions, "update") && versioning == "versioned-update";
            } else if (type == "Appointment") {
                c.appointment_create = has_code(interactions, "create");
                const json::value* cc = res->if_contains("conditionalCreate");
                c.conditional_create = cc && cc->is_bool() && cc->as_bool();
                c.ihe_find = has_operation(res, "find");
                c.ihe_hold = has_operation(res, "hold");
                c.ihe_book = has_operation(res, "book");
            }
        }
    }
    return c;
}

const char* to_string(booking_strategy s) noexcept {
    switch (s) {
    case booking_strategy::ihe_operations: return "ihe_operations";
    case booking_strategy::transaction_bundle: return "transaction_bundle";
    case booking_strategy::versioned_updates: return "versioned_updates";
    case booking_strategy::unsupported: return "unsupported";
    }
    return "unsupported";
}

booking_strategy choose_strategy(const server_capabilities& c) {
    if (!c.r4) return booking_strategy::unsupported;
    if (c.ihe_find && c.ihe_hold && c.ihe_book) return booking_strategy::ihe_operations;
    if (!c.slot_search || !c.appointment_create) return booking_strategy::unsupported;
    if (c.transactions) return booking_strategy::transaction_bundle;
    // Without a transaction, a slot marked busy with If-Match is the lock; the appointment is
    // then created conditionally on our identifier so a retry never books twice.
    if (c.versioned_update && c.conditional_create) return booking_strategy::versioned_updates;
    return booking_strategy::unsupported;
}

}  // namespace triage::integrations::fhir

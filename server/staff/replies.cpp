#include "server/staff/replies.hpp"

#include "server/protocol/limits.hpp"
#include "server/protocol/strict_json.hpp"

#include <boost/json.hpp>

namespace json = boost::json;

namespace triage::server::staff {

api_response reply(int status, const json::object& body) { return {status, json::serialize(body), "application/json", {}}; }
api_response error(int status, std::string_view code) { return reply(status, json::object{{"error", code}}); }
api_response bad_field(std::string_view field) {
    return reply(400, json::object{{"error", "bad_request"}, {"field", field}});
}

std::optional<json::object> body_object(const std::string& body, std::initializer_list<std::string_view> allowed,
                                        std::string& bad) {
    auto parsed = protocol::parse_client_json(body, limits::max_json_depth);
    json::value& v = parsed.value;
    if (parsed.fault == protocol::json_fault::malformed || !v.is_object()) {
        bad = "body";
        return std::nullopt;
    }
    for (const auto& [k, val] : v.as_object()) {
        bool known = false;
        for (auto a : allowed) known |= k == a;
        if (!known) {
            bad = k;
            return std::nullopt;
        }
    }
    // A NUL is refused, never stripped.
    if (parsed.fault == protocol::json_fault::nul_character) {
        bad = parsed.field;
        return std::nullopt;
    }
    return std::move(v.as_object());
}

std::optional<std::string> string_field(const json::object& o, std::string_view k) {
    auto* v = o.if_contains(k);
    if (!v || !v->is_string()) return std::nullopt;
    return std::string(v->as_string());
}

}  // namespace triage::server::staff

#pragma once
// The staff API's answers and request bodies, shared by its handlers (api.cpp, analytics.cpp,
// feedback.cpp): JSON replies with an error code, and strict JSON bodies with only known keys.

#include "server/staff/api.hpp"

#include <boost/json/object.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace triage::server::staff {

api_response reply(int status, const boost::json::object& body);
api_response error(int status, std::string_view code);
// 400 bad_request naming the field that was wrong.
api_response bad_field(std::string_view field);

// A JSON object body with only the listed keys; nullopt (and `bad`: "body" or the offending
// key) otherwise. Repeated keys and NULs are refused, as on the patient socket.
std::optional<boost::json::object> body_object(const std::string& body, std::initializer_list<std::string_view> allowed,
                                               std::string& bad);
std::optional<std::string> string_field(const boost::json::object& o, std::string_view k);

}  // namespace triage::server::staff

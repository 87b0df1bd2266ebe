#pragma once
// JSON from clients (patient frames, staff API bodies, console frames), read more strictly than
// Boost.JSON reads it: an object that names the same key twice is refused, because which value
// wins differs between parsers (a proxy or log reader and we could see two different messages),
// and a NUL character in a string is reported, because C-string consumers downstream (libpq
// text parameters, logs, the staff console) would silently cut the text there.

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace triage::server::protocol {

enum class json_fault {
    none,
    malformed,      // not JSON, too deep, or an object with a repeated key
    nul_character,  // valid JSON, but a string holds U+0000; `field` names the member
};

struct client_json {
    boost::json::value value;  // null unless fault is none or nul_character
    json_fault fault = json_fault::none;
    std::string field;        // the member whose string holds the NUL
};

client_json parse_client_json(std::string_view text, std::size_t max_depth, boost::json::storage_ptr sp = {});

}  // namespace triage::server::protocol

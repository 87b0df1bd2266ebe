#include "server/protocol/strict_json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <vector>

namespace json = boost::json;
using boost::system::error_code;

namespace triage::server::protocol {
namespace {

// A first pass that builds nothing: it only remembers, per open object, the keys seen so far.
// Client objects are small, so a linear scan per key is cheaper than a hash set.
struct key_checker {
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

    std::vector<std::vector<std::string>> open_objects;
    std::string key;         // the key being read, which may come in parts
    std::string member;      // the key whose value is being read
    bool repeated = false;
    std::string nul_member;  // the first member whose string holds a NUL
    bool nul = false;

    void note_string(json::string_view s) {
        if (!nul && s.find('\0') != json::string_view::npos) {
            nul = true;
            nul_member = member;
        }
    }

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_array_begin(error_code&) { return true; }
    bool on_array_end(std::size_t, error_code&) { return true; }
    bool on_object_begin(error_code&) {
        open_objects.emplace_back();
        return true;
    }
    bool on_object_end(std::size_t, error_code&) {
        open_objects.pop_back();
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t, error_code&) {
        note_string(s);
        return true;
    }
    bool on_string(json::string_view s, std::size_t, error_code&) {
        note_string(s);
        return true;
    }
    bool on_key_part(json::string_view s, std::size_t, error_code&) {
        key.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t, error_code& ec) {
        key.append(s.data(), s.size());
        auto& seen = open_objects.back();
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
            repeated = true;
            ec = json::error::syntax;
            return false;
        }
        if (!nul && key.find('\0') != std::string::npos) {
            nul = true;
            nul_member = key;
        }
        seen.push_back(key);
        member = std::move(key);
        key.clear();
        return true;
    }
    bool on_number_part(json::string_view, error_code&) { return true; }
    bool on_int64(std::int64_t, json::string_view, error_code&) { return true; }
    bool on_uint64(std::uint64_t, json::string_view, error_code&) { return true; }
    bool on_double(double, json::string_view, error_code&) { return true; }
    bool on_bool(bool, error_code&) { return true; }
    bool on_null(error_code&) { return true; }
    bool on_comment_part(json::string_view, error_code&) { return true; }
    bool on_comment(json::string_view, error_code&) { return true; }
};

}  // namespace

client_json parse_client_json(std::string_view text, std::size_t max_depth, json::storage_ptr sp) {
    client_json out;
    json::parse_options opts;
    opts.max_depth = max_depth;
    json::basic_parser<key_checker> checker(opts);
    error_code ec;
    checker.write_some(false, text.data(), text.size(), ec);
    if (ec || !checker.done()) {
        out.fault = json_fault::malformed;
        return out;
    }
    out.value = json::parse(text, ec, std::move(sp), opts);
    if (ec) {
        out.value = nullptr;
        out.fault = json_fault::malformed;
        return out;
    }
    if (checker.handler().nul) {
        out.fault = json_fault::nul_character;
        out.field = checker.handler().nul_member;
    }
    return out;
}

}  // namespace triage::server::protocol

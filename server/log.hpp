#pragma once
// Structured, PHI-free logging (STYLE G1-G3), one JSON object per line:
//   {"ts":"2026-12-07T07:01:02.345Z","level":"info","event":"conversation.started","conn":3,...}
// A log line is an event name plus fields, and a field
// value can only be a number, a bool, a string literal, an error code or an explicit `safe_id`.
// There is deliberately no constructor from std::string or std::string_view: runtime text (which
// may be patient text) cannot be logged by accident.
//
// runs on: any thread (one write per line under a mutex).

#include <boost/system/error_code.hpp>

#include <cmath>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace triage::server::log {

enum class level { debug = 0, info = 1, warn = 2, error = 3 };

// An identifier we generated and know holds no PHI (conversation uuid, connection number).
struct safe_id {
    explicit safe_id(std::string v) : value(std::move(v)) {}
    std::string value;
};

class field_value {
public:
    template <std::size_t N>
    field_value(const char (&literal)[N]) : text_(literal, N - 1) {}
    field_value(std::int64_t v) : text_(std::to_string(v)), quoted_(false) {}
    field_value(int v) : text_(std::to_string(v)), quoted_(false) {}
    field_value(unsigned v) : text_(std::to_string(v)), quoted_(false) {}
    field_value(std::uint64_t v) : text_(std::to_string(v)), quoted_(false) {}
    // NaN and infinities are not JSON numbers: they are written as strings.
    field_value(double v) : text_(std::to_string(v)), quoted_(!std::isfinite(v)) {}
    // A template so that nothing converts to bool on the way in (a `const char*` would).
    template <class B>
        requires std::same_as<B, bool>
    field_value(B v) : text_(v ? "true" : "false"), quoted_(false) {}
    field_value(const boost::system::error_code& ec)
        : text_(ec ? std::string(ec.category().name()) + "." + std::to_string(ec.value()) : "ok") {}
    field_value(const safe_id& id) : text_(id.value) {}
    // A code from a closed set chosen by our code (an error code, a rule id, a state id from a
    // reviewed flow file). Spelled out at the call site so a reviewer sees the claim.
    static field_value code(std::string_view c) {
        field_value f(0);
        f.text_ = std::string(c);
        f.quoted_ = true;
        return f;
    }
    const std::string& text() const { return text_; }
    // A JSON string (true) or a JSON number or boolean (false).
    bool quoted() const { return quoted_; }

private:
    std::string text_;
    bool quoted_ = true;
};

struct field {
    std::string_view key;
    field_value value;
};

void configure(level min_level, const std::string& file);  // empty file: standard error

// Per component at run time (the event's first word: "patient" for "patient.connected"). A
// component without its own level follows the configured one. `reset_levels` drops them all.
void set_level(std::string_view component, level l);
void clear_level(std::string_view component);  // back to the configured level
void reset_levels();
level default_level();
std::vector<std::pair<std::string, level>> component_levels();
const char* to_string(level l);
std::optional<level> level_from_string(std::string_view s);
void write(level l, std::string_view event, std::initializer_list<field> fields = {});

inline void debug(std::string_view e, std::initializer_list<field> f = {}) { write(level::debug, e, f); }
inline void info(std::string_view e, std::initializer_list<field> f = {}) { write(level::info, e, f); }
inline void warn(std::string_view e, std::initializer_list<field> f = {}) { write(level::warn, e, f); }
inline void error(std::string_view e, std::initializer_list<field> f = {}) { write(level::error, e, f); }

}  // namespace triage::server::log

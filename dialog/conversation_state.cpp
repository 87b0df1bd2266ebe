#include "dialog/conversation_state.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string_view>

namespace triage::dialog {

namespace json = boost::json;

json::value to_json(const conversation_state& s) {
    json::object slots;
    for (const auto& [k, v] : s.slots) slots[k] = v;
    json::array offers;
    for (const auto& o : s.offers) offers.push_back(json::object{{"value", o.value}, {"label", o.label}, {"data", o.data}});
    json::object out{
        {"flow_id", s.flow_id},
        {"flow_version", s.flow_version},
        {"current_state", s.current_state},
        {"lang", s.lang},
        {"slots", std::move(slots)},
        {"retries", s.retries},
        {"turns", s.turns},
        {"ended", s.ended},
        {"highest_urgency", rules::to_string(s.highest_urgency)},
        {"next_seq", s.next_seq},
        {"offers", std::move(offers)},
    };
    // Only when set: most conversations never carry them.
    if (!s.carried_intent.empty()) out["carried"] = s.carried_intent;
    if (s.carried_level != rules::urgency::none) out["carried_level"] = rules::to_string(s.carried_level);
    if (!s.carried_topic.empty()) out["carried_topic"] = s.carried_topic;
    if (!s.stuck_at.empty()) out["stuck_at"] = s.stuck_at;
    if (s.language_chosen) out["language_chosen"] = true;
    // Only while red-flag questions are being asked: most states never carry it.
    if (!s.follow_up_topic.empty()) {
        out["follow_up"] = json::object{{"topic", s.follow_up_topic}, {"asked", s.follow_up_asked},
                                        {"level", rules::to_string(s.follow_up_level)}};
    }
    return out;
}

namespace {

using json_error = json::error;

boost::system::error_code make(json_error e) { return json::make_error_code(e); }

const json::value* field(const json::object& o, std::string_view name, boost::system::error_code& ec) {
    const json::value* v = o.if_contains(name);
    if (!v && !ec) ec = make(json_error::not_found);
    return v;
}

void read_string(const json::object& o, std::string_view name, std::string& out, boost::system::error_code& ec) {
    const json::value* v = field(o, name, ec);
    if (!v) return;
    if (!v->is_string()) {
        if (!ec) ec = make(json_error::not_string);
        return;
    }
    out = std::string(v->get_string());
}

// Boost.JSON stores small non-negative numbers as int64 and large ones as uint64; both are fine
// as long as the value fits. Doubles are rejected: a count is never fractional.
std::optional<std::uint64_t> unsigned_of(const json::value& v) {
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    if (v.is_uint64()) return v.get_uint64();
    return std::nullopt;
}

void read_count(const json::object& o, std::string_view name, int& out, boost::system::error_code& ec) {
    const json::value* v = field(o, name, ec);
    if (!v) return;
    auto n = unsigned_of(*v);
    if (!n || *n > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
        if (!ec) ec = make(v->is_number() ? json_error::not_exact : json_error::not_number);
        return;
    }
    out = static_cast<int>(*n);
}

}  // namespace

boost::system::result<conversation_state> conversation_state_from_json(const json::value& v) {
    const json::object* o = v.if_object();
    if (!o) return make(json_error::not_object);
    static constexpr std::array<std::string_view, 17> known = {
        "flow_id", "flow_version", "current_state", "lang", "slots", "retries", "turns",
        "ended", "highest_urgency", "next_seq", "offers", "follow_up", "carried", "stuck_at", "language_chosen",
        "carried_level", "carried_topic"};
    for (const auto& kv : *o)
        if (std::find(known.begin(), known.end(), kv.key()) == known.end()) return make(json_error::unknown_name);

    conversation_state s;
    boost::system::error_code ec;
    read_string(*o, "flow_id", s.flow_id, ec);
    read_string(*o, "flow_version", s.flow_version, ec);
    read_string(*o, "current_state", s.current_state, ec);
    read_string(*o, "lang", s.lang, ec);
    read_count(*o, "retries", s.retries, ec);
    read_count(*o, "turns", s.turns, ec);
    if (const json::value* slots = field(*o, "slots", ec)) {
        if (!slots->is_object()) {
            if (!ec) ec = make(json_error::not_object);
        } else {
            for (const auto& kv : slots->get_object()) {
                if (!kv.value().is_string()) {
                    if (!ec) ec = make(json_error::not_string);
                    break;
                }
                s.slots.emplace(std::string(kv.key()), std::string(kv.value().get_string()));
            }
        }
    }
    if (const json::value* ended = field(*o, "ended", ec)) {
        if (ended->is_bool()) s.ended = ended->get_bool();
        else if (!ec) ec = make(json_error::not_bool);
    }
    std::string urgency;
    read_string(*o, "highest_urgency", urgency, ec);
    if (!ec) {
        auto u = rules::urgency_from_string(urgency);
        if (!u) return make(json_error::unknown_name);
        s.highest_urgency = *u;
    }
    if (const json::value* seq = field(*o, "next_seq", ec)) {
        auto n = unsigned_of(*seq);
        if (n && *n >= 1) s.next_seq = *n;
        else if (!ec) ec = make(seq->is_number() ? json_error::not_exact : json_error::not_number);
    }
    if (const json::value* offers = o->if_contains("offers"); offers && !ec) {
        if (!offers->is_array()) return make(json_error::not_array);
        for (const auto& item : offers->get_array()) {
            const json::object* oo = item.if_object();
            if (!oo) return make(json_error::not_object);
            offer of;
            read_string(*oo, "value", of.value, ec);
            read_string(*oo, "label", of.label, ec);
            read_string(*oo, "data", of.data, ec);
            if (ec) return ec;
            if (oo->size() != 3) return make(json_error::unknown_name);
            s.offers.push_back(std::move(of));
        }
    }
    // `carried` and `stuck_at` are written only when set.
    if (o->if_contains("carried") && !ec) read_string(*o, "carried", s.carried_intent, ec);
    if (o->if_contains("stuck_at") && !ec) read_string(*o, "stuck_at", s.stuck_at, ec);
    if (o->if_contains("carried_topic") && !ec) read_string(*o, "carried_topic", s.carried_topic, ec);
    if (o->if_contains("carried_level") && !ec) {
        std::string level;
        read_string(*o, "carried_level", level, ec);
        if (ec) return ec;
        auto u = rules::urgency_from_string(level);
        if (!u) return make(json_error::unknown_name);
        s.carried_level = *u;
    }
    if (const json::value* lc = o->if_contains("language_chosen"); lc && !ec) {
        if (!lc->is_bool()) return make(json_error::not_bool);
        s.language_chosen = lc->get_bool();
    }
    // `follow_up` may be missing (states saved before it existed).
    if (const json::value* fu = o->if_contains("follow_up"); fu && !ec) {
        const json::object* fo = fu->if_object();
        if (!fo) return make(json_error::not_object);
        if (fo->size() != 3) return make(json_error::unknown_name);
        read_string(*fo, "topic", s.follow_up_topic, ec);
        read_count(*fo, "asked", s.follow_up_asked, ec);
        std::string level;
        read_string(*fo, "level", level, ec);
        if (ec) return ec;
        auto u = rules::urgency_from_string(level);
        if (!u) return make(json_error::unknown_name);
        s.follow_up_level = *u;
    }
    if (ec) return ec;
    return s;
}

}  // namespace triage::dialog

#include "server/assess.hpp"

#include <boost/json.hpp>

namespace json = boost::json;

namespace triage::server {

message_assessment assess_message(const rules::engine& rules, const dialog::intent_classifier& intents,
                                  std::string_view text) noexcept {
    message_assessment out;
    out.triage = rules.assess(text);
    try {
        out.intent = intents.classify(text);
    } catch (...) {
        out.intent = {};
    }
    return out;
}

std::string classify_json_line(std::string_view id, const message_assessment& a) {
    json::array fired;
    for (const auto& f : a.triage.findings) {
        json::array mods;
        for (const auto& m : f.modifiers) mods.emplace_back(m);
        fired.push_back(json::object{{"id", f.rule_id}, {"span", json::array{f.span.begin, f.span.end}}, {"modifiers", std::move(mods)}});
    }
    return json::serialize(json::object{{"id", id},
                                        {"urgency", rules::to_string(a.triage.level)},
                                        {"escalate", a.triage.escalate},
                                        {"intent", a.intent.intent},
                                        {"intent_confidence", a.intent.confidence},
                                        {"rules", std::move(fired)}});
}

}  // namespace triage::server

#pragma once
// Shared by the dialog unit tests: fixed time, file access under the source tree, event builders.
// Tests may read files; the library may not (STYLE L2).

#include "dialog/engine.hpp"
#include "dialog/flow_loader.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace triage::dialog::testing {

// 2026-03-10 12:00:00 UTC, a Tuesday: "tomorrow" is 2026-03-11.
inline std::chrono::system_clock::time_point fixed_now() {
    using namespace std::chrono;
    return sys_days{year{2026} / March / 10} + hours{12};
}

inline std::string source_path(const std::string& relative) { return std::string(TRIAGE_SOURCE_DIR) + "/" + relative; }

inline std::string read_source_file(const std::string& relative) {
    std::ifstream in(source_path(relative), std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + relative);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline const flow& default_flow() {
    static const flow f = [] {
        auto r = load_flow(read_source_file("dialog/flows/default.yaml"), "dialog/flows/default.yaml");
        if (!r.loaded) throw std::runtime_error("default flow does not load");
        return *r.loaded;
    }();
    return f;
}

inline patient_said said(std::string text, rules::urgency level = rules::urgency::none, std::string intent = "other",
                         bool escalate = false) {
    patient_said e;
    e.text = std::move(text);
    e.assessment.level = level;
    e.assessment.escalate = escalate;
    e.intent.intent = std::move(intent);
    e.intent.confidence = e.intent.intent == "other" ? 0.0 : 0.8;
    return e;
}

// Built by initialisation rather than member assignment: GCC 12 at -O3 warns falsely (-Wrestrict,
// GCC bug 105329) on std::string assignment inlined into callers.
inline conversation_state at_state(std::string id, std::string lang = "en") {
    return conversation_state{.flow_id = "default", .flow_version = "1", .current_state = std::move(id),
                              .lang = std::move(lang), .slots = {}};
}

}  // namespace triage::dialog::testing

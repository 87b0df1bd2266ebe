#pragma once
// Helpers for the triage_rules tests: reading repository files (tests may; the library may not)
// and a shared engine over the shipped core pack.

#include "triage-rules/engine.hpp"
#include "triage-rules/rule_pack.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace triage::rules::testing {

inline std::string read_source_file(const std::string& relative) {
    std::ifstream in(std::string(TRIAGE_SOURCE_DIR) + "/" + relative, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Loads a pack that the test expects to be valid; fails the test with the diagnostics if not.
inline rule_pack pack_from(std::string_view yaml, std::string_view file = "test.yaml") {
    auto r = load_rule_pack(yaml, file);
    for (const auto& d : r.diagnostics) ADD_FAILURE() << to_string(d);
    return r.pack ? std::move(*r.pack) : rule_pack{};
}

inline const engine& core_engine() {
    static const engine e = [] {
        std::string text = read_source_file("triage-rules/packs/core.yaml");
        EXPECT_FALSE(text.empty()) << "cannot read triage-rules/packs/core.yaml";
        std::vector<rule_pack> packs;
        packs.push_back(pack_from(text, "core.yaml"));
        return engine(std::move(packs));
    }();
    return e;
}

// The text a span covers in `message`.
inline std::string covered(std::string_view message, const text_span& s) {
    if (s.begin > s.end || s.end > message.size()) return "<bad span>";
    return std::string(message.substr(s.begin, s.end - s.begin));
}

}  // namespace triage::rules::testing

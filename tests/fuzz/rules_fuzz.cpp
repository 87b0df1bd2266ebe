// libFuzzer target over normalisation, deobfuscation, pattern parsing, rule and finding matching
// and the urgency model beside the rules (issues 3 and 12). Built with
// clang and AddressSanitizer + UndefinedBehaviorSanitizer by tests/fuzz/run.sh; any crash, hang,
// sanitizer report or broken invariant below is a failure.
#include "triage-rules/deobfuscate.hpp"
#include "triage-rules/engine.hpp"
#include "triage-rules/urgency_model.hpp"
#include "triage-rules/normalize.hpp"
#include "triage-rules/pattern.hpp"
#include "triage-rules/rule_pack.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

[[noreturn]] void broken(const char* what) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
}

const triage::rules::engine& core_engine() {
    static const triage::rules::engine e = [] {
        const char* dir = std::getenv("TRIAGE_SOURCE_DIR");
        const std::string root = dir ? dir : ".";
        auto loaded = triage::rules::load_rule_pack(read_file(root + "/triage-rules/packs/core.yaml"), "core.yaml");
        if (!loaded.pack) broken("the core pack must load");
        std::vector<triage::rules::rule_pack> packs;
        packs.push_back(std::move(*loaded.pack));
        return triage::rules::engine(std::move(packs));
    }();
    return e;
}

const triage::rules::urgency_model& model() {
    static const auto m = [] {
        const char* dir = std::getenv("TRIAGE_SOURCE_DIR");
        const std::string root = dir ? dir : ".";
        auto r = triage::rules::urgency_model::load(read_file(root + "/triage-rules/model/urgency.bin"), "fuzz", {0.5, 0.5, 0.3, 0.1});
        if (!r.model) broken("the urgency model must load");
        return std::move(r.model);
    }();
    return *m;
}

void check_map(const triage::rules::normalized_text& n, std::size_t size) {
    if (n.origin.size() != n.text.size() || n.origin_end.size() != n.text.size()) broken("origin maps cover the text");
    for (std::size_t i = 0; i < n.text.size(); ++i) {
        if (n.origin[i] >= n.origin_end[i] || n.origin_end[i] > size) broken("origins lie inside the input");
        if (n.text[i] == ' ' && (i == 0 || i + 1 == n.text.size() || n.text[i + 1] == ' ')) broken("single inner spaces");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    // Normalisation: a map back to the input for every byte, single spaces, idempotent.
    const auto n = triage::rules::normalize(input);
    check_map(n, size);
    if (!n.failed && triage::rules::normalize(n.text).text != n.text) broken("normalisation is idempotent");

    // Deobfuscation: the same byte-for-byte stand-ins, a consistent map back to the input.
    const std::string letters = triage::rules::unleet(input);
    if (letters.size() != input.size()) broken("unleet keeps every byte offset");
    const auto d = triage::rules::deobfuscate(input, n);
    check_map(d.text, size);

    // Pattern syntax: a canonical pattern parses to itself.
    const auto p = triage::rules::parse_pattern(input);
    if (p.error.empty() && triage::rules::parse_pattern(p.canonical).canonical != p.canonical) broken("canonical patterns are stable");

    // Matching: spans inside the message, a failed evaluation always escalates.
    const auto a = core_engine().assess(input);
    if (a.evaluation_failed && !a.escalate) broken("a failed evaluation escalates");
    for (const auto* list : {&a.findings, &a.suppressed, &a.clinical_findings}) {
        for (const auto& f : *list) {
            if (f.span.begin >= f.span.end || f.span.end > size) broken("spans lie inside the message");
        }
    }
    for (const auto& f : a.findings) {
        if (f.level > a.level) broken("the assessment is at least as urgent as each finding");
    }

    // The model: probabilities, and it never lowers what the rules found.
    auto combined = a;
    triage::rules::apply_model(combined, model().estimate(input));
    if (combined.level < a.level || (a.escalate && !combined.escalate)) broken("the model never lowers the rules");
    double sum = 0;
    for (double x : combined.model->probability) {
        if (!(x >= 0.0 && x <= 1.0)) broken("probabilities lie in [0, 1]");
        sum += x;
    }
    if (sum > 1.001) broken("probabilities sum to at most 1");
    return 0;
}

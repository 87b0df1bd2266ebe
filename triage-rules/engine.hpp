#pragma once
// Evaluates patient messages against loaded rule packs. Immutable after construction, so one
// instance is shared by every I/O thread without locks.

#include "triage-rules/assessment.hpp"
#include "triage-rules/rule_pack.hpp"

#include <memory>
#include <string_view>
#include <vector>

namespace triage::rules {

class engine {
public:
    explicit engine(std::vector<rule_pack> packs);
    ~engine();
    engine(engine&&) noexcept;
    engine& operator=(engine&&) noexcept;

    // Patterns of every language are matched whatever the conversation's language, because
    // patients mix languages. Time is linear in the message length.
    // Never throws: an internal failure returns an assessment with evaluation_failed = true and
    // escalate = true.
    assessment assess(std::string_view message) const noexcept;

    const std::string& version() const noexcept;

    // Overrides in force, each as "pack@version" of the pack that made it, for the audit trail.
    struct applied_override {
        std::string pack;
        rule_override what;
    };
    const std::vector<applied_override>& overrides() const noexcept;

    // The merged rules, in load order (for `triagectl rules list` and the docs).
    const std::vector<red_flag_rule>& rules() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace triage::rules

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
    // `dictionary`: correctly spelled words of the pack languages (e.g. /usr/share/dict from
    // Debian's wamerican and wspanish). A message word found there is never read as a typo of a
    // one-word pattern: "cooking" is not "choking". Inside a longer phrase it still may be
    // ("cant breath"), where the other words vouch for it. Empty: no such protection.
    explicit engine(std::vector<rule_pack> packs, const std::vector<std::string>& dictionary = {});
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

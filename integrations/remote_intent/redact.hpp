#pragma once
// Before a patient's words leave the process for a remote model, everything that could identify
// them is replaced by a placeholder: names, dates (of birth or otherwise), phone numbers, e-mail
// addresses, street addresses and record numbers (MRN, member, policy, SSN). Pure and linear in
// the text: the patterns run on RE2, which has no catastrophic backtracking on hostile input.
//
// Redaction is by pattern and by value: the caller also passes what the conversation already
// knows about the patient (the name and phone number they gave), which is replaced wherever it
// appears, in any case.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace triage::integrations::remote_intent {

struct redacted {
    std::string text;
    std::map<std::string, int> replaced;  // placeholder -> how many times, e.g. "[PHONE]" -> 1
};

redacted redact_phi(std::string_view text, const std::vector<std::string>& known_values = {});

}  // namespace triage::integrations::remote_intent

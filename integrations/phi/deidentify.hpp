#pragma once
// De-identification of a patient message for export as training data (triagectl feedback
// export): the HIPAA Safe Harbor identifiers a chat message can hold are replaced by a bracketed
// tag, so that what is left is the clinical wording the rules and models learn from.
//
//   e-mail addresses [EMAIL], web addresses [URL], phone and fax numbers [PHONE], dates more
//   precise than a year [DATE], record, account, social security and ZIP numbers (five digits or
//   more) [ID], street addresses [ADDRESS], ages over 89 ("90+"), and names [NAME]: a word after
//   "my name is", "me llamo", "soy", "Dr."..., and any capitalised word that is not a common word
//   of the languages (a dictionary entry written in lower case).
//
// Known limit: a name typed in lower case and without a cue ("maria has a fever") is not found;
// docs/observability.md says so. Pure: no I/O.

#include <string>
#include <string_view>
#include <unordered_set>

namespace triage::integrations::phi {

// Lower-case common words (e.g. the lower-case entries of /usr/share/dict/american-english and
// /usr/share/dict/spanish, accents kept as written).
using common_words = std::unordered_set<std::string>;

// Adds a dictionary entry if it is written in lower case, and its form without accents too (patients
// write "diabetico" for "diabético").
void add_common_word(common_words& words, std::string_view entry);

std::string deidentify(std::string_view text, const common_words& words);

// The version of the rules above, written beside every exported case as its provenance.
inline constexpr std::string_view deidentify_version = "safe-harbor-scrub-1";

}  // namespace triage::integrations::phi

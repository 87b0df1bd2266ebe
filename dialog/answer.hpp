#pragma once
// Internal to triage_dialog: turning what a patient typed into the answer a state expects.

#include "dialog/flow.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace triage::dialog {

// The answer to `s`, or nullopt when the text cannot be read as one (the engine then asks again).
//   free_text: the trimmed text (empty text is no answer)
//   yes_no:    "yes" or "no" (en/es words, also "yes please", "no gracias")
//   choice:    the option's `value`, matched by value, label in any language, synonym, option
//              number ("2"), the classifier's intent, then a unique label/synonym inside the text
//   date:      "YYYY-MM-DD"; accepts that form, MM/DD/YYYY (DD/MM/YYYY when the first number is
//              over 12), today/tomorrow/hoy/mañana, relative to the UTC date of `now`
//   phone:     7 to 15 digits once spaces, dashes, dots, parentheses and a leading + are removed
//   none:      never an answer
std::optional<std::string> interpret_answer(const flow_state& s, std::string_view patient_text,
                                            std::string_view intent, std::chrono::system_clock::time_point now);

// For a date state with `dates: future` or `past`: why a date the patient wrote does not answer
// it ("past": a preferred day that has gone by, e.g. a birth date typed at the wrong question;
// "future": a birth date still to come). Nullopt when the text is no date or the date fits.
std::optional<std::string> date_refusal(const flow_state& s, std::string_view patient_text,
                                        std::chrono::system_clock::time_point now);

// True when the whole message is only a yes or a no ("yes", "sí", "no thanks"): it answers the
// question and says nothing more, so no request can be carried from it, whatever a classifier
// (local or remote) makes of it.
bool is_bare_yes_no(std::string_view patient_text);
// At a question that takes free text (a name, a medicine), whether the message says in words what
// a leaving or person-asking intent claims: a classifier read "Greta Olsen" as goodbye (p=0.999)
// and the patient could never give her name. Other intents are not checked (true).
bool words_back_intent(std::string_view intent, std::string_view patient_text);

// "es" when the patient asks for Spanish ("español", "en español", "spanish please"), "en" for
// English; nullopt otherwise. Only short messages count, so "my Spanish teacher..." does not.
std::optional<std::string> language_request(std::string_view patient_text);

}  // namespace triage::dialog

#pragma once
// Finding the patient a conversation is about on a FHIR R4 server, so that nothing is ever booked
// for the wrong person. A match needs one clear answer; anything less is `ambiguous` or
// `not_found`, and the caller asks for more details or hands over to staff.
//
// The rules, in order:
//   1. An identifier (system + value, e.g. an MRN the patient gave):
//      `Patient?identifier=system|value`. Exactly one usable patient carrying exactly that
//      identifier is the match, provided nothing else the patient said contradicts it (family,
//      given, birth date, phone: each checked only when given, with the rules below); if
//      something does, the answer is `ambiguous` (a person must look). Several usable patients
//      with that identifier: `ambiguous`. None: on to the demographics.
//   2. Demographics (family, given and a real YYYY-MM-DD birth date are all required; without them
//      nothing is sent and the answer is `not_found`): `Patient?family=..&birthdate=..`, then kept
//      only:
//      - the family name equals a family name of the patient after folding (below), and in the
//        same HumanName every word of the given name is a prefix of one of its given names
//        ("Alex" matches "Alexander"; "Linh Thi" matches given ["Linh", "Thi"]);
//      - the birth date is exactly the same day;
//      - when a phone is given (7 digits or more; shorter counts as not given): one of the
//        patient's phone numbers ends in the same digits. Only digits count, and the last
//        min(10, both lengths) of them are compared, so "555-0103", "+1 555 0103" and
//        "+1-555-0103" are the same number.
//      Exactly one: matched. None: not_found. Several (e.g. same name and birth date, no phone):
//      ambiguous.
//   Never a match: inactive patients (`active: false`) and merged records (a `link` of type
//   `replaced-by`).
// Folding: ASCII letters lower-cased, accented Latin letters (U+00C0..U+017F, and combining marks)
// reduced to their base letters ("Núñez" = "nunez", "Straße" = "strasse"), everything but letters
// and digits dropped ("O'Brien-Smith" = "obriensmith"); other scripts are compared as they are.
//
// `Patient/$match` (an MPI's probabilistic match) is not used even where a server declares it:
// the demographic search above, with our own checks on every candidate, behaves the same on every
// server and never trusts a score.
//
// PHI: names, birth dates and phone numbers never appear in a failure's summary or in events (the
// client reports "FHIR GET Patient: HTTP 500"). They do travel in the search's query string, as
// FHIR searches do; servers must keep them out of their access logs.

#include "integrations/fhir/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>

namespace triage::integrations::fhir {

struct patient_query {
    std::string identifier_system, identifier_value;  // both or neither
    std::string family, given;
    std::string birth_date;  // YYYY-MM-DD
    std::string phone;       // any format; only its digits count
};

struct match_result {
    enum class kind { matched, ambiguous, not_found } what = kind::not_found;
    std::string patient_id;  // only when matched
    int candidates = 0;      // usable patients that passed the rules (1 when matched)
};
const char* to_string(match_result::kind k) noexcept;

// runs on: the client's I/O thread.
class patient_matcher {
public:
    patient_matcher(client& c, bool allow_create) : c_(c), allow_create_(allow_create) {}

    // The rules above. A failure only when the server could not be asked or answered badly.
    boost::asio::awaitable<outcome<match_result>> async_match(patient_query q);

    // Creates the patient (active, with the identifier when given, the name, birth date and
    // phone) and returns its id.
    // REQUIRES: allow_create, family, given and a real YYYY-MM-DD birth date (else a failure of
    // kind `unavailable`, and nothing is sent), and a not_found from async_match just before.
    // With an identifier the create is conditional on it (If-None-Exist), so retrying is safe;
    // when a patient with that identifier exists already its id is returned only if it is usable
    // and agrees with `q`, otherwise it is a failure. Without an identifier a conditional create
    // is not possible: a plain POST, never retried (a lost answer may leave a patient behind).
    boost::asio::awaitable<outcome<std::string>> async_create(patient_query q);

private:
    client& c_;
    bool allow_create_;
};

// The folding described above ("Núñez" -> "nunez"). Pure.
std::string fold_name(std::string_view name);

// Whether `given` and `stored` are the same phone number by the rule above; false when either
// has fewer than 7 digits. Pure.
bool same_phone(std::string_view given, std::string_view stored);

}  // namespace triage::integrations::fhir

#pragma once
// Appointment times as the booking conversation talks about them: FHIR instants in and out, and
// labels, calendar days and hours in the clinic's or patient's IANA time zone and language.
//
// Pure: no clock (callers pass instants), no I/O beyond ICU reading its own compiled-in zone and
// locale data. Every function is safe to call from any thread at the same time (each call builds
// its own ICU objects) and none throws, except std::bad_alloc from building a returned string.
//
// Zones: an unknown zone never fails a call; the functions that take one use UTC instead, so a
// clinic's zone must be checked with valid_time_zone() when the clinic is configured, where a
// mistake can still be reported to a person.
// Instants: outside the years 0000..10000 (UTC) an instant is clamped to that range first, which
// keeps the calendar arithmetic defined; parse_instant() never produces one outside it.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace triage::dialog {

// True for an IANA zone ICU knows ("America/Chicago", "Europe/Madrid", "UTC", and links such as
// "US/Eastern"). False for "", unknown or misspelt names (names are case-sensitive), ICU's
// "Etc/Unknown", and custom offsets such as "GMT+05:00", which are not IANA names.
bool valid_time_zone(std::string_view iana) noexcept;

// A FHIR R4 instant, or a dateTime with full time and an offset:
//   YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)
// e.g. "2026-12-02T09:00:00Z", "2026-12-02T09:00:00.000Z", "2026-12-02T04:00:00-05:00".
// The fraction (any number of digits) is dropped. Returns nullopt for anything else: no offset,
// a partial date, lower-case 't'/'z', surrounding spaces, a field out of range (month 13, Feb 30,
// hour 24, offset beyond ±14:00), year 0000, or a leap second ":60" (FHIR allows it; no
// schedule uses it, and sys_seconds cannot represent it).
std::optional<std::chrono::sys_seconds> parse_instant(std::string_view fhir_instant) noexcept;

// "YYYY-MM-DDThh:mm:ssZ" in UTC, which parse_instant() reads back to the same instant.
std::string format_instant(std::chrono::sys_seconds t);

// A short label for a slot list on a phone, in zone `tz` and language `lang`, from ICU's
// skeleton "EEEMMMdjmm": en "Wed, Dec 2, 9:00 AM"; es (US Spanish) "mié, 2 de dic, 9:00 a. m.".
// The exact text, including ICU's spaces (U+202F before "AM" in ICU 72), is whatever ICU
// produces for the locale. `lang` is a language tag; "es", "es-MX", "es_US" give Spanish and
// anything else gives English. An invalid `tz` gives the time in UTC.
std::string slot_label(std::chrono::sys_seconds start, std::string_view tz, std::string_view lang);

// The label for a booking confirmation, with the year and the zone's short name, from the
// skeleton "EEEEMMMMdyjmmz": en "Wednesday, December 2, 2026 at 9:00 AM CST". When ICU has no
// short name for the zone in that language it writes the offset instead ("GMT+1"). Same language
// and zone rules as slot_label().
std::string long_label(std::chrono::sys_seconds start, std::string_view tz, std::string_view lang);

// The day of `start` in zone `tz`, for saying which day has free times: skeleton "EEEEMMMMd",
// en "Monday, December 14", es "lunes, 14 de diciembre". Same language and zone rules.
std::string day_label(std::chrono::sys_seconds start, std::string_view tz, std::string_view lang);

// A calendar day in a zone as UTC instants: [begin, end).
struct day_window {
    std::chrono::sys_seconds begin;  // the first instant of the local day
    std::chrono::sys_seconds end;    // the first instant of the next local day
};

// The local day "YYYY-MM-DD" in zone `tz`. A day on which the clocks change is 23 or 25 hours
// long; where midnight itself is skipped the day begins at the first local time that exists, and
// where midnight happens twice it begins at the first. Returns nullopt when the text is not a
// valid date of year 0001..9999 in exactly that form. An invalid `tz` gives the UTC day.
std::optional<day_window> local_day(std::string_view yyyy_mm_dd, std::string_view tz) noexcept;

// "YYYY-MM-DD": the local date of `t` in zone `tz` (UTC when `tz` is invalid).
std::string local_date(std::chrono::sys_seconds t, std::string_view tz);

// The local hour of `t` in zone `tz`, 0..23 (UTC when `tz` is invalid).
int local_hour(std::chrono::sys_seconds t, std::string_view tz) noexcept;

}  // namespace triage::dialog

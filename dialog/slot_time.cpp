#include "dialog/slot_time.hpp"

#include <unicode/basictz.h>
#include <unicode/datefmt.h>
#include <unicode/locid.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace triage::dialog {

namespace {

namespace chr = std::chrono;

// Wide enough for every instant parse_instant() can produce (years 0001..9999 shifted by up to
// 14 hours), narrow enough that adding a zone offset cannot overflow and year_month_day stays
// within its range.
constexpr chr::sys_seconds earliest{chr::sys_days{chr::year{0} / 1 / 1}};
constexpr chr::sys_seconds latest{chr::sys_days{chr::year{10001} / 1 / 1} - chr::seconds{1}};

chr::sys_seconds bounded(chr::sys_seconds t) noexcept { return std::clamp(t, earliest, latest); }

UDate to_udate(chr::sys_seconds t) noexcept { return static_cast<UDate>(t.time_since_epoch().count()) * 1000.0; }

// The longest IANA name is about 30 bytes; the bound keeps the int32_t length ICU takes honest.
constexpr std::size_t max_zone_name = 128;

// IANA names use only these. Checking first also keeps a NUL out of ICU, which copies ids into
// C strings when it looks them up and would then see "UTC" in "UTC\0garbage".
bool iana_characters(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
               c == '-' || c == '+';
    });
}

// ICU hands back a GMT zone named "Etc/Unknown" for any id it does not know, so creating the
// zone cannot tell a typo from a real zone. getCanonicalID can: it fails for unknown ids and
// reports Etc/Unknown and custom "GMT+hh:mm" ids as non-system ids.
bool system_zone_id(std::string_view iana, icu::UnicodeString& id) noexcept {
    if (iana.empty() || iana.size() > max_zone_name || !iana_characters(iana)) return false;
    id = icu::UnicodeString::fromUTF8(icu::StringPiece(iana.data(), static_cast<std::int32_t>(iana.size())));
    if (id.isBogus()) return false;
    icu::UnicodeString canonical;
    UBool is_system = false;
    UErrorCode st = U_ZERO_ERROR;
    icu::TimeZone::getCanonicalID(id, canonical, is_system, st);
    return U_SUCCESS(st) && is_system;
}

// Null only when ICU runs out of memory; callers then treat the zone as UTC.
std::unique_ptr<icu::TimeZone> zone_or_utc(std::string_view tz) noexcept {
    icu::UnicodeString id;
    if (!system_zone_id(tz, id)) id = icu::UnicodeString::fromUTF8("Etc/UTC");
    return std::unique_ptr<icu::TimeZone>(icu::TimeZone::createTimeZone(id));
}

chr::seconds utc_offset(const icu::TimeZone* zone, chr::sys_seconds t) noexcept {
    if (!zone) return chr::seconds{0};
    std::int32_t raw = 0, dst = 0;
    UErrorCode st = U_ZERO_ERROR;
    zone->getOffset(to_udate(t), false, raw, dst, st);
    if (U_FAILURE(st)) return chr::seconds{0};
    // Offsets are whole seconds even for local mean time, so nothing is lost.
    return chr::duration_cast<chr::seconds>(chr::milliseconds{std::int64_t{raw} + dst});
}

// The wall-clock time of `t` in `zone`, carried in a sys_seconds so that chrono's calendar types
// can split it into date and time of day.
chr::sys_seconds wall_time(const icu::TimeZone* zone, chr::sys_seconds t) noexcept {
    t = bounded(t);
    return t + utc_offset(zone, t);
}

// The first instant whose wall-clock time in `zone` is `wall` or later. FORMER for both cases
// does that: a skipped wall time is read with the offset before the jump, which lands on the
// jump itself, and a repeated one is read with the offset before the fall back, its first
// occurrence.
chr::sys_seconds first_instant_at(const icu::TimeZone* zone, chr::sys_seconds wall) noexcept {
    std::int32_t raw = 0, dst = 0;
    UErrorCode st = U_ZERO_ERROR;
    if (const auto* basic = dynamic_cast<const icu::BasicTimeZone*>(zone))
        basic->getOffsetFromLocal(to_udate(wall), UCAL_TZ_LOCAL_FORMER, UCAL_TZ_LOCAL_FORMER, raw, dst, st);
    else if (zone)
        zone->getOffset(to_udate(wall), true, raw, dst, st);
    if (U_FAILURE(st)) raw = dst = 0;
    return wall - chr::duration_cast<chr::seconds>(chr::milliseconds{std::int64_t{raw} + dst});
}

std::optional<int> digits(std::string_view s, std::size_t at, std::size_t n) noexcept {
    if (at > s.size() || n > s.size() - at) return std::nullopt;
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool char_at(std::string_view s, std::size_t at, char c) noexcept { return at < s.size() && s[at] == c; }

// "YYYY-MM-DD" at the start of `s`, years 0001..9999 as FHIR allows.
std::optional<chr::year_month_day> date_prefix(std::string_view s) noexcept {
    auto y = digits(s, 0, 4), m = digits(s, 5, 2), d = digits(s, 8, 2);
    if (!y || !m || !d || !char_at(s, 4, '-') || !char_at(s, 7, '-') || *y < 1) return std::nullopt;
    chr::year_month_day date{chr::year{*y}, chr::month{static_cast<unsigned>(*m)}, chr::day{static_cast<unsigned>(*d)}};
    if (!date.ok()) return std::nullopt;
    return date;
}

// "Z", "+hh:mm" or "-hh:mm", at most 14 hours as FHIR allows; the offset is local minus UTC.
std::optional<chr::seconds> utc_offset_suffix(std::string_view s) noexcept {
    if (s == "Z") return chr::seconds{0};
    if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return std::nullopt;
    auto h = digits(s, 1, 2), m = digits(s, 4, 2);
    if (!h || !m || *m > 59 || *h > 14 || (*h == 14 && *m != 0)) return std::nullopt;
    chr::seconds off = chr::hours{*h} + chr::minutes{*m};
    return s[0] == '-' ? -off : off;
}

std::string ymd_text(chr::year_month_day d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                  static_cast<unsigned>(d.day()));
    return buf;
}

icu::Locale locale_for(std::string_view lang) {
    std::string_view primary = lang.substr(0, lang.find_first_of("-_"));
    bool spanish = primary.size() == 2 && (primary[0] == 'e' || primary[0] == 'E') &&
                   (primary[1] == 's' || primary[1] == 'S');
    // US locales for both: the clinics are in the US, and US Spanish speakers read 12-hour times
    // ("3:00 p. m."), where Spain's "es" would write "15:00".
    return spanish ? icu::Locale("es", "US") : icu::Locale("en", "US");
}

// Used only if ICU cannot build a formatter (out of memory, missing data): a plain wall-clock
// time and, for confirmations, the offset, so the patient still gets an unambiguous time.
std::string plain_label(const icu::TimeZone* zone, chr::sys_seconds start, bool with_offset) {
    chr::sys_seconds t = bounded(start);
    chr::seconds off = utc_offset(zone, t);
    chr::sys_seconds wall = t + off;
    auto day = chr::floor<chr::days>(wall);
    chr::hh_mm_ss<chr::seconds> tod{wall - day};
    char buf[32];
    std::snprintf(buf, sizeof buf, " %02d:%02d", static_cast<int>(tod.hours().count()),
                  static_cast<int>(tod.minutes().count()));
    std::string out = ymd_text(chr::year_month_day{day}) + buf;
    if (with_offset) {
        auto minutes = chr::duration_cast<chr::minutes>(off).count();
        std::snprintf(buf, sizeof buf, " UTC%c%02d:%02d", minutes < 0 ? '-' : '+', static_cast<int>(std::abs(minutes) / 60),
                      static_cast<int>(std::abs(minutes) % 60));
        out += buf;
    }
    return out;
}

std::string label(chr::sys_seconds start, std::string_view tz, std::string_view lang, const char* skeleton,
                  bool with_offset) {
    auto zone = zone_or_utc(tz);
    if (zone) {
        UErrorCode st = U_ZERO_ERROR;
        std::unique_ptr<icu::DateFormat> format(
            icu::DateFormat::createInstanceForSkeleton(icu::UnicodeString::fromUTF8(skeleton), locale_for(lang), st));
        if (format && U_SUCCESS(st)) {
            format->setTimeZone(*zone);
            icu::UnicodeString text;
            format->format(to_udate(bounded(start)), text);
            if (!text.isBogus() && !text.isEmpty()) {
                std::string out;
                text.toUTF8String(out);
                return out;
            }
        }
    }
    return plain_label(zone.get(), start, with_offset);
}

}  // namespace

bool valid_time_zone(std::string_view iana) noexcept {
    icu::UnicodeString id;
    return system_zone_id(iana, id);
}

std::optional<chr::sys_seconds> parse_instant(std::string_view s) noexcept {
    auto date = date_prefix(s);
    if (!date || !char_at(s, 10, 'T') || !char_at(s, 13, ':') || !char_at(s, 16, ':')) return std::nullopt;
    auto h = digits(s, 11, 2), m = digits(s, 14, 2), sec = digits(s, 17, 2);
    if (!h || !m || !sec || *h > 23 || *m > 59 || *sec > 59) return std::nullopt;
    std::size_t at = 19;
    if (char_at(s, at, '.')) {
        std::size_t first = ++at;
        while (at < s.size() && s[at] >= '0' && s[at] <= '9') ++at;
        if (at == first) return std::nullopt;
    }
    auto off = utc_offset_suffix(s.substr(std::min(at, s.size())));
    if (!off) return std::nullopt;
    return chr::sys_days{*date} + chr::hours{*h} + chr::minutes{*m} + chr::seconds{*sec} - *off;
}

std::string format_instant(chr::sys_seconds t) {
    t = bounded(t);
    auto day = chr::floor<chr::days>(t);
    chr::hh_mm_ss<chr::seconds> tod{t - day};
    char buf[32];
    std::snprintf(buf, sizeof buf, "T%02d:%02d:%02dZ", static_cast<int>(tod.hours().count()),
                  static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()));
    return ymd_text(chr::year_month_day{day}) + buf;
}

std::string slot_label(chr::sys_seconds start, std::string_view tz, std::string_view lang) {
    // 'j' is the locale's preferred hour (12-hour with AM/PM for en_US and es_US).
    return label(start, tz, lang, "EEEMMMdjmm", false);
}

std::string long_label(chr::sys_seconds start, std::string_view tz, std::string_view lang) {
    return label(start, tz, lang, "EEEEMMMMdyjmmz", true);
}

std::string day_label(chr::sys_seconds start, std::string_view tz, std::string_view lang) {
    return label(start, tz, lang, "EEEEMMMMd", false);
}

std::optional<day_window> local_day(std::string_view yyyy_mm_dd, std::string_view tz) noexcept {
    if (yyyy_mm_dd.size() != 10) return std::nullopt;
    auto date = date_prefix(yyyy_mm_dd);
    if (!date) return std::nullopt;
    auto zone = zone_or_utc(tz);
    chr::sys_seconds midnight{chr::sys_days{*date}};
    return day_window{first_instant_at(zone.get(), midnight), first_instant_at(zone.get(), midnight + chr::days{1})};
}

std::string local_date(chr::sys_seconds t, std::string_view tz) {
    auto zone = zone_or_utc(tz);
    return ymd_text(chr::year_month_day{chr::floor<chr::days>(wall_time(zone.get(), t))});
}

int local_hour(chr::sys_seconds t, std::string_view tz) noexcept {
    auto zone = zone_or_utc(tz);
    chr::sys_seconds wall = wall_time(zone.get(), t);
    return static_cast<int>(chr::hh_mm_ss<chr::seconds>{wall - chr::floor<chr::days>(wall)}.hours().count());
}

}  // namespace triage::dialog

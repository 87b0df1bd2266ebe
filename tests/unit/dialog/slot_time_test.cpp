#include "dialog/slot_time.hpp"

#include <gtest/gtest.h>

#include <string>

// Expected values are worked out from the calendar and the zone rules, not from the code:
//   2026-01-01 is a Thursday (2025-01-01 was a Wednesday; 2025 has 365 days), so 2026-03-01 (day
//   60) and 2026-11-01 (day 305) are Sundays, and 2026-12-02 (day 336) is a Wednesday.
//   US zones: DST from the second Sunday of March (2026-03-08) at 02:00 local to the first Sunday
//   of November (2026-11-01) at 02:00 local. Chicago is UTC-6 in winter, New York UTC-5.
//   EU zones: summer time from the last Sunday of March (2026-03-29) to the last Sunday of
//   October, switching at 01:00 UTC. Madrid is UTC+1 in winter.
//   Cuba: DST from the second Sunday of March at 00:00 standard time (UTC-5) to the first Sunday
//   of November at 00:00 standard time (01:00 daylight), so local midnight is skipped on
//   2026-03-08 and happens twice on 2026-11-01.
// ICU's own wording is checked only by the words any reader of the locale expects in it.

namespace triage::dialog {
namespace {

namespace chr = std::chrono;

chr::sys_seconds utc(int y, unsigned m, unsigned d, int h = 0, int min = 0, int s = 0) {
    return chr::sys_days{chr::year{y} / chr::month{m} / chr::day{d}} + chr::hours{h} + chr::minutes{min} +
           chr::seconds{s};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(SlotTimeZone, KnownIanaZonesOnly) {
    for (const char* zone : {"America/Chicago", "America/New_York", "Europe/Madrid", "UTC", "Etc/UTC", "US/Eastern"})
        EXPECT_TRUE(valid_time_zone(zone)) << zone;
    // "GMT+05:00" is an ICU custom zone, not an IANA name; "Etc/Unknown" is what ICU answers for
    // names it does not know.
    for (const char* zone : {"", "garbage", "Etc/Unknown", "America/Chicag", "america/chicago", "GMT+05:00",
                             " America/Chicago", "America/Chicago "})
        EXPECT_FALSE(valid_time_zone(zone)) << '"' << zone << '"';
    EXPECT_FALSE(valid_time_zone(std::string_view("UTC\0x", 5)));
    EXPECT_FALSE(valid_time_zone(std::string(1000, 'A')));
}

TEST(SlotTimeParse, InstantsWithAnOffset) {
    const auto nine_utc = utc(2026, 12, 2, 9);
    EXPECT_EQ(parse_instant("2026-12-02T09:00:00Z"), nine_utc);
    EXPECT_EQ(parse_instant("2026-12-02T09:00:00.000Z"), nine_utc);
    EXPECT_EQ(parse_instant("2026-12-02T09:00:00.999999999Z"), nine_utc);  // the fraction is dropped
    EXPECT_EQ(parse_instant("2026-12-02T04:00:00-05:00"), nine_utc);
    EXPECT_EQ(parse_instant("2026-12-02T10:00:00+01:00"), nine_utc);
    EXPECT_EQ(parse_instant("2026-12-02T09:00:00+01:00"), utc(2026, 12, 2, 8));
    EXPECT_EQ(parse_instant("2026-12-02T09:00:00-00:00"), nine_utc);
    EXPECT_EQ(parse_instant("2026-12-02T14:30:00+05:30"), nine_utc);
    // The offset can move the instant into another UTC day, month and year.
    EXPECT_EQ(parse_instant("2027-01-01T00:30:00+01:00"), utc(2026, 12, 31, 23, 30));
    EXPECT_EQ(parse_instant("2026-12-31T23:00:00-14:00"), utc(2027, 1, 1, 13));
    EXPECT_EQ(parse_instant("2028-02-29T12:00:00Z"), utc(2028, 2, 29, 12));  // 2028 is a leap year
    EXPECT_EQ(parse_instant("1970-01-01T00:00:00Z"), chr::sys_seconds{});
    EXPECT_EQ(parse_instant("0001-01-01T00:00:00Z"), utc(1, 1, 1));
    EXPECT_EQ(parse_instant("9999-12-31T23:59:59Z"), utc(9999, 12, 31, 23, 59, 59));
}

TEST(SlotTimeParse, RejectsAnythingElse) {
    for (const char* bad : {
             "", "garbage", "2026-12-02", "2026-12-02T09:00", "2026-12-02T09:00:00",  // partial or no offset
             "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-02-29T00:00:00Z",  // no such month or day
             "2026-04-31T00:00:00Z", "2026-12-00T00:00:00Z", "0000-01-01T00:00:00Z",
             "2026-12-02T24:00:00Z", "2026-12-02T09:60:00Z", "2026-12-02T23:59:60Z",  // no such time
             "2026-12-02T09:00:00+15:00", "2026-12-02T09:00:00+14:30", "2026-12-02T09:00:00+01:60",
             "2026-12-02T09:00:00+0100", "2026-12-02T09:00:00+01", "2026-12-02T09:00:00 Z",
             "2026-12-02t09:00:00Z", "2026-12-02T09:00:00z", "2026-12-02 09:00:00Z", "2026-12-02T09:00:00.Z",
             " 2026-12-02T09:00:00Z", "2026-12-02T09:00:00Z ", "2026-12-02T09:00:00ZZ", "+2026-12-02T09:00:00Z",
             "2026-1-02T09:00:00Z", "2026-12-02T9:00:00Z", "2026-12-02T09:00:00.5", "２０２６-12-02T09:00:00Z"})
        EXPECT_EQ(parse_instant(bad), std::nullopt) << '"' << bad << '"';
    EXPECT_EQ(parse_instant(std::string_view("2026-12-02T09:00:00Z\0", 21)), std::nullopt);
    EXPECT_EQ(parse_instant(std::string_view("2026-12-02T09:00:00Z", 19)), std::nullopt);  // cut before the Z
}

TEST(SlotTimeParse, FormatRoundTrips) {
    EXPECT_EQ(format_instant(utc(2026, 12, 2, 9)), "2026-12-02T09:00:00Z");
    EXPECT_EQ(format_instant(chr::sys_seconds{}), "1970-01-01T00:00:00Z");
    EXPECT_EQ(format_instant(utc(2026, 3, 8, 7, 5, 9)), "2026-03-08T07:05:09Z");
    for (const char* text : {"2026-12-02T09:00:00Z", "2028-02-29T23:59:59Z", "0001-01-01T00:00:00Z",
                             "9999-12-31T23:59:59Z", "1969-07-20T20:17:40Z"}) {
        auto t = parse_instant(text);
        ASSERT_TRUE(t) << text;
        EXPECT_EQ(format_instant(*t), text);
    }
    // With an offset the text changes to UTC but the instant survives.
    auto t = parse_instant("2026-12-02T04:00:00-05:00");
    ASSERT_TRUE(t);
    EXPECT_EQ(format_instant(*t), "2026-12-02T09:00:00Z");
    EXPECT_EQ(parse_instant(format_instant(*t)), t);
}

TEST(SlotTimeDay, OrdinaryDays) {
    auto madrid = local_day("2026-12-02", "Europe/Madrid");
    ASSERT_TRUE(madrid);
    EXPECT_EQ(madrid->begin, utc(2026, 12, 1, 23));
    EXPECT_EQ(madrid->end, utc(2026, 12, 2, 23));

    auto chicago = local_day("2026-12-02", "America/Chicago");
    ASSERT_TRUE(chicago);
    EXPECT_EQ(chicago->begin, utc(2026, 12, 2, 6));
    EXPECT_EQ(chicago->end, utc(2026, 12, 3, 6));

    auto in_utc = local_day("2026-12-02", "UTC");
    ASSERT_TRUE(in_utc);
    EXPECT_EQ(in_utc->begin, utc(2026, 12, 2));
    EXPECT_EQ(in_utc->end, utc(2026, 12, 3));

    // Across a month and a year end, and the leap day.
    auto new_year = local_day("2026-12-31", "America/New_York");
    ASSERT_TRUE(new_year);
    EXPECT_EQ(new_year->begin, utc(2026, 12, 31, 5));
    EXPECT_EQ(new_year->end, utc(2027, 1, 1, 5));
    auto leap = local_day("2028-02-29", "UTC");
    ASSERT_TRUE(leap);
    EXPECT_EQ(leap->end - leap->begin, chr::hours{24});
}

TEST(SlotTimeDay, ClockChangesMakeShortAndLongDays) {
    auto spring = local_day("2026-03-08", "America/New_York");
    ASSERT_TRUE(spring);
    EXPECT_EQ(spring->begin, utc(2026, 3, 8, 5));  // midnight EST
    EXPECT_EQ(spring->end, utc(2026, 3, 9, 4));    // midnight EDT
    EXPECT_EQ(spring->end - spring->begin, chr::hours{23});

    auto autumn = local_day("2026-11-01", "America/New_York");
    ASSERT_TRUE(autumn);
    EXPECT_EQ(autumn->begin, utc(2026, 11, 1, 4));  // midnight EDT
    EXPECT_EQ(autumn->end, utc(2026, 11, 2, 5));    // midnight EST
    EXPECT_EQ(autumn->end - autumn->begin, chr::hours{25});

    auto madrid_spring = local_day("2026-03-29", "Europe/Madrid");
    ASSERT_TRUE(madrid_spring);
    EXPECT_EQ(madrid_spring->begin, utc(2026, 3, 28, 23));
    EXPECT_EQ(madrid_spring->end, utc(2026, 3, 29, 22));

    // The day before and after fit without a gap or an overlap.
    auto before = local_day("2026-03-07", "America/New_York");
    auto after = local_day("2026-03-09", "America/New_York");
    ASSERT_TRUE(before && after);
    EXPECT_EQ(before->end, spring->begin);
    EXPECT_EQ(after->begin, spring->end);
    EXPECT_EQ(after->end - after->begin, chr::hours{24});
}

TEST(SlotTimeDay, MidnightSkippedOrRepeated) {
    // Havana jumps from 23:59:59 CST straight to 01:00 CDT: the day begins at the jump.
    auto skipped = local_day("2026-03-08", "America/Havana");
    ASSERT_TRUE(skipped);
    EXPECT_EQ(skipped->begin, utc(2026, 3, 8, 5));
    EXPECT_EQ(skipped->end, utc(2026, 3, 9, 4));
    EXPECT_EQ(local_day("2026-03-07", "America/Havana")->end, skipped->begin);

    // Havana goes back from 00:59:59 CDT to 00:00 CST: the day begins at the first midnight.
    auto repeated = local_day("2026-11-01", "America/Havana");
    ASSERT_TRUE(repeated);
    EXPECT_EQ(repeated->begin, utc(2026, 11, 1, 4));
    EXPECT_EQ(repeated->end, utc(2026, 11, 2, 5));
    EXPECT_EQ(local_day("2026-10-31", "America/Havana")->end, repeated->begin);
}

TEST(SlotTimeDay, BadDatesAndZones) {
    for (const char* bad : {"", "garbage", "2026-02-29", "2026-13-01", "2026-12-32", "2026-12-2", "2026/12/02",
                            "2026-12-02x", "2026-12-02T00:00:00Z", "0000-01-01", " 2026-12-02", "12/02/2026"})
        EXPECT_EQ(local_day(bad, "UTC"), std::nullopt) << '"' << bad << '"';
    // An unknown zone is read as UTC.
    auto unknown = local_day("2026-12-02", "Mars/Olympus_Mons");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->begin, utc(2026, 12, 2));
    EXPECT_EQ(unknown->end, utc(2026, 12, 3));
}

TEST(SlotTimeLocal, DateAndHourInTheZone) {
    EXPECT_EQ(local_hour(utc(2026, 12, 2, 15), "America/Chicago"), 9);
    EXPECT_EQ(local_hour(utc(2026, 12, 2, 15), "Europe/Madrid"), 16);
    EXPECT_EQ(local_hour(utc(2026, 12, 2, 15), "UTC"), 15);
    EXPECT_EQ(local_hour(utc(2026, 7, 1, 15), "America/Chicago"), 10);  // CDT, UTC-5
    EXPECT_EQ(local_hour(utc(2026, 12, 2, 5, 59, 59), "America/Chicago"), 23);

    // New York's spring jump at 07:00 UTC: 01:59:59 EST, then 03:00 EDT.
    EXPECT_EQ(local_hour(utc(2026, 3, 8, 6, 59, 59), "America/New_York"), 1);
    EXPECT_EQ(local_hour(utc(2026, 3, 8, 7), "America/New_York"), 3);
    // The autumn fall back at 06:00 UTC: 01:59:59 EDT, then 01:00 EST again.
    EXPECT_EQ(local_hour(utc(2026, 11, 1, 5, 59, 59), "America/New_York"), 1);
    EXPECT_EQ(local_hour(utc(2026, 11, 1, 6), "America/New_York"), 1);
    EXPECT_EQ(local_hour(utc(2026, 11, 1, 7), "America/New_York"), 2);

    EXPECT_EQ(local_date(utc(2026, 12, 2, 5, 59, 59), "America/Chicago"), "2026-12-01");
    EXPECT_EQ(local_date(utc(2026, 12, 2, 6), "America/Chicago"), "2026-12-02");
    EXPECT_EQ(local_date(utc(2026, 12, 1, 23), "Europe/Madrid"), "2026-12-02");
    EXPECT_EQ(local_date(utc(2026, 12, 1, 22, 59, 59), "Europe/Madrid"), "2026-12-01");
    EXPECT_EQ(local_date(utc(2027, 1, 1, 4), "America/New_York"), "2026-12-31");

    // Unknown zones are read as UTC.
    EXPECT_EQ(local_hour(utc(2026, 12, 2, 15), "Mars/Olympus_Mons"), 15);
    EXPECT_EQ(local_hour(utc(2026, 12, 2, 15), ""), 15);
    EXPECT_EQ(local_date(utc(2026, 12, 2, 23, 30), "garbage"), "2026-12-02");
}

TEST(SlotTimeLocal, AgreesWithLocalDay) {
    auto day = local_day("2026-11-01", "America/Chicago");
    ASSERT_TRUE(day);
    EXPECT_EQ(local_date(day->begin, "America/Chicago"), "2026-11-01");
    EXPECT_EQ(local_hour(day->begin, "America/Chicago"), 0);
    EXPECT_EQ(local_date(day->end - chr::seconds{1}, "America/Chicago"), "2026-11-01");
    EXPECT_EQ(local_hour(day->end - chr::seconds{1}, "America/Chicago"), 23);
    EXPECT_EQ(local_date(day->end, "America/Chicago"), "2026-11-02");
}

TEST(SlotTimeLabel, ShortLabelInEnglishAndSpanish) {
    const auto start = utc(2026, 12, 2, 15);  // Wednesday 2 December, 9:00 in Chicago
    std::string en = slot_label(start, "America/Chicago", "en");
    EXPECT_TRUE(contains(en, "Wed")) << en;
    EXPECT_TRUE(contains(en, "Dec")) << en;
    EXPECT_TRUE(contains(en, "9:00")) << en;
    EXPECT_TRUE(contains(en, "AM")) << en;
    EXPECT_FALSE(contains(en, "2026")) << en;       // short: no year
    EXPECT_FALSE(contains(en, "December")) << en;   // short: abbreviated month
    EXPECT_FALSE(contains(en, "Wednesday")) << en;  // and weekday

    std::string es = slot_label(start, "America/Chicago", "es");
    EXPECT_TRUE(contains(es, "mié")) << es;
    EXPECT_TRUE(contains(es, "dic")) << es;
    EXPECT_TRUE(contains(es, "9:00")) << es;
    EXPECT_FALSE(contains(es, "AM")) << es;
    EXPECT_FALSE(contains(es, "Wed")) << es;
    EXPECT_FALSE(contains(es, "diciembre")) << es;

    // A regional tag is still Spanish; an unknown language is English.
    EXPECT_EQ(slot_label(start, "America/Chicago", "es-MX"), es);
    EXPECT_EQ(slot_label(start, "America/Chicago", "ES"), es);
    EXPECT_EQ(slot_label(start, "America/Chicago", "fr"), en);
    EXPECT_EQ(slot_label(start, "America/Chicago", ""), en);
    EXPECT_EQ(slot_label(start, "America/Chicago", "estonian"), en);
}

TEST(SlotTimeLabel, TheZoneDecidesTheDayAndTime) {
    // 02:30 UTC on Thursday 3 December is still Wednesday 2 December, 8:30 PM in Chicago.
    std::string chicago = slot_label(utc(2026, 12, 3, 2, 30), "America/Chicago", "en");
    EXPECT_TRUE(contains(chicago, "Wed")) << chicago;
    EXPECT_TRUE(contains(chicago, "8:30")) << chicago;
    EXPECT_TRUE(contains(chicago, "PM")) << chicago;

    std::string madrid = slot_label(utc(2026, 12, 2, 15), "Europe/Madrid", "en");
    EXPECT_TRUE(contains(madrid, "4:00")) << madrid;
    EXPECT_TRUE(contains(madrid, "PM")) << madrid;
}

TEST(SlotTimeLabel, InvalidZoneFallsBackToUtc) {
    const auto start = utc(2026, 12, 2, 15);
    std::string fallback = slot_label(start, "Mars/Olympus_Mons", "en");
    EXPECT_EQ(fallback, slot_label(start, "UTC", "en"));
    EXPECT_EQ(slot_label(start, "", "es"), slot_label(start, "UTC", "es"));
    EXPECT_TRUE(contains(fallback, "3:00")) << fallback;
    EXPECT_TRUE(contains(fallback, "PM")) << fallback;
    EXPECT_EQ(long_label(start, "Etc/Unknown", "en"), long_label(start, "UTC", "en"));
}

TEST(SlotTimeLabel, DayLabelNamesTheClinicsDay) {
    // 03:00 UTC on Dec 14 is still Sunday Dec 13 in Chicago.
    const auto start = utc(2026, 12, 14, 3);
    std::string en = day_label(start, "America/Chicago", "en");
    for (const char* part : {"Sunday", "December", "13"}) EXPECT_TRUE(contains(en, part)) << en << " lacks " << part;
    EXPECT_FALSE(contains(en, "2026")) << en;
    std::string es = day_label(start, "America/Chicago", "es");
    for (const char* part : {"domingo", "diciembre", "13"}) EXPECT_TRUE(contains(es, part)) << es << " lacks " << part;
}

TEST(SlotTimeLabel, LongLabelForTheConfirmation) {
    const auto start = utc(2026, 12, 2, 15);
    std::string en = long_label(start, "America/Chicago", "en");
    for (const char* part : {"Wednesday", "December", "2", "2026", "9:00", "AM", "CST"})
        EXPECT_TRUE(contains(en, part)) << en << " lacks " << part;

    std::string es = long_label(start, "America/Chicago", "es");
    for (const char* part : {"miércoles", "diciembre", "2026", "9:00"})
        EXPECT_TRUE(contains(es, part)) << es << " lacks " << part;
    EXPECT_FALSE(contains(es, "AM")) << es;

    // In July Chicago is on daylight time.
    std::string summer = long_label(utc(2026, 7, 1, 15), "America/Chicago", "en");
    EXPECT_TRUE(contains(summer, "10:00")) << summer;
    EXPECT_TRUE(contains(summer, "CDT")) << summer;

    // The long label names the zone, so the same wall time in two zones reads differently.
    EXPECT_NE(long_label(start, "America/Chicago", "en"), long_label(utc(2026, 12, 2, 14), "America/New_York", "en"));
}

}  // namespace
}  // namespace triage::dialog

// The clinic directory's cache rules (pure: time comes in as an argument); the read-through to
// PostgreSQL is tested end to end in tests/e2e/live_clinics.test.mjs.
#include "server/clinic_directory.hpp"

#include <gtest/gtest.h>

using namespace triage::server;
using namespace std::chrono_literals;

namespace {
const clinic_directory::clock::time_point t0 = clinic_directory::clock::time_point{} + 1000h;

clinic make(std::string id, std::string slug, std::vector<std::string> origins = {}) {
    return clinic{std::move(id), std::move(slug), "Name", std::move(origins), "America/New_York"};
}
}  // namespace

TEST(clinic_directory, found_by_slug_and_by_id) {
    clinic_directory d({make("id-1", "demo")});
    ASSERT_TRUE(d.cached_slug("demo"));
    EXPECT_EQ(d.cached_slug("demo")->id, "id-1");
    EXPECT_EQ(d.cached_id("id-1")->slug, "demo");
    EXPECT_FALSE(d.cached_slug("other"));
    EXPECT_EQ(d.size(), 1u);
}

TEST(clinic_directory, a_changed_slug_moves_with_its_clinic_and_a_running_conversation_keeps_its_copy) {
    clinic_directory d({make("id-1", "old-name", {"https://a.example"})});
    auto held = d.cached_id("id-1");
    d.put(make("id-1", "new-name", {"https://b.example"}));
    EXPECT_FALSE(d.cached_slug("old-name"));
    EXPECT_EQ(d.cached_slug("new-name")->allowed_origins.front(), "https://b.example");
    EXPECT_EQ(held->slug, "old-name");  // the conversation's clinic is unchanged under it
    EXPECT_EQ(d.size(), 1u);
}

TEST(clinic_directory, a_refresh_drops_removed_clinics) {
    clinic_directory d({make("id-1", "a"), make("id-2", "b")});
    std::vector<clinic> fresh;
    fresh.push_back(make("id-2", "b"));
    d.replace_all(std::move(fresh));
    EXPECT_FALSE(d.cached_slug("a"));
    EXPECT_TRUE(d.cached_slug("b"));
    EXPECT_EQ(d.all().size(), 1u);
}

TEST(clinic_directory, a_key_found_missing_is_not_asked_again_for_a_second) {
    clinic_directory d;
    ASSERT_TRUE(d.may_look_up("s:typo", t0));
    d.note_missing("s:typo", t0);
    EXPECT_FALSE(d.may_look_up("s:typo", t0 + 999ms));
    EXPECT_TRUE(d.may_look_up("s:other", t0 + 999ms));
    EXPECT_TRUE(d.may_look_up("s:typo", t0 + 1000ms));
    // A clinic created under that slug is served at once, whatever was remembered.
    d.note_missing("s:new", t0 + 2s);
    d.put(make("id-9", "new"));
    EXPECT_TRUE(d.cached_slug("new"));
    EXPECT_TRUE(d.may_look_up("s:new", t0 + 2s));
}

TEST(clinic_directory, misses_reaching_the_database_are_bounded_per_second) {
    clinic_directory d;
    unsigned allowed = 0;
    for (unsigned i = 0; i < 500; ++i) allowed += d.may_look_up("s:random-" + std::to_string(i), t0 + 10ms) ? 1 : 0;
    EXPECT_EQ(allowed, clinic_directory::max_lookups_per_second);
    EXPECT_TRUE(d.may_look_up("s:next-second", t0 + 1010ms));
}

TEST(clinic_directory, origins_are_plain_scheme_host_and_port) {
    for (const char* ok : {"https://portal.example.org", "http://127.0.0.1:8080", "https://[2001:db8::1]:8443",
                           "http://localhost", "https://my-clinic.example"})
        EXPECT_TRUE(valid_origin(ok)) << ok;
    for (const char* bad : {"", "portal.example.org", "ftp://x.example", "https://", "https://x.example/",
                            "https://x.example/path", "https://x.example:", "https://x.example:123456",
                            "https://*.example", "https://x.example; script-src *", "https://x.example'",
                            "https://x.example other", "https://-x.example", "https://[zz]", "javascript:alert(1)"})
        EXPECT_FALSE(valid_origin(bad)) << bad;
}

#include "server/staff/credentials.hpp"
#include "server/staff/throttle.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <gtest/gtest.h>
#include <sodium.h>

#include <future>
#include <set>
#include <thread>

using namespace triage::server::staff;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// Argon2id at its minimum cost: the tests check behaviour, not strength, and must stay fast.
const hash_params fast{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};

std::string hex(const token_digest& d) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : d) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

const std::string good_token(43, 'a');

}  // namespace

// ---- passwords ----

TEST(staff_password, hash_and_verify_round_trip) {
    auto h = hash_password("correct horse battery staple", fast);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->rfind("$argon2id$", 0), 0u) << *h;
    EXPECT_TRUE(verify_password(*h, "correct horse battery staple"));
    EXPECT_FALSE(verify_password(*h, "correct horse battery stapler"));
    EXPECT_FALSE(verify_password(*h, "Correct horse battery staple"));
    EXPECT_FALSE(verify_password(*h, ""));
}

TEST(staff_password, same_password_hashes_differently) {
    auto a = hash_password("correct horse battery staple", fast);
    auto b = hash_password("correct horse battery staple", fast);
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);  // random salt
}

TEST(staff_password, malformed_hashes_never_verify) {
    EXPECT_FALSE(verify_password("", "correct horse battery staple"));
    EXPECT_FALSE(verify_password("$argon2id$garbage", "correct horse battery staple"));
    EXPECT_FALSE(verify_password(std::string(500, '$'), "correct horse battery staple"));
}

TEST(staff_password, length_policy) {
    EXPECT_EQ(check_password("elevenchars"), password_errc::too_short);   // 11
    EXPECT_EQ(check_password("twelve chars"), password_errc::ok);         // 12, a space counts
    EXPECT_EQ(check_password(""), password_errc::too_short);
    // Characters, not bytes: 11 two-byte letters are 22 bytes but 11 characters.
    EXPECT_EQ(check_password("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"),
              password_errc::too_short);
    EXPECT_EQ(check_password("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"),
              password_errc::ok);
    EXPECT_EQ(check_password(std::string(1024, 'x')), password_errc::ok);
    EXPECT_EQ(check_password(std::string(1025, 'x')), password_errc::too_long);
}

TEST(staff_password, hash_refuses_by_policy_with_its_code) {
    auto short_one = hash_password("short", fast);
    ASSERT_FALSE(short_one);
    EXPECT_EQ(short_one.error(), password_errc::too_short);
    auto long_one = hash_password(std::string(1025, 'x'), fast);
    ASSERT_FALSE(long_one);
    EXPECT_EQ(long_one.error(), password_errc::too_long);
    for (const char* common : {"password1234", "Password1234", "PASSWORD1234", "123456789012", "qwerty123456",
                               "1qaz2wsx3edc", "passwordpassword"}) {
        auto r = hash_password(common, fast);
        ASSERT_FALSE(r) << common;
        EXPECT_EQ(r.error(), password_errc::too_common) << common;
    }
    EXPECT_EQ(make_error_code(password_errc::too_common).category().name(), std::string("triage.staff.password"));
}

TEST(staff_password, overlong_password_is_refused_before_hashing) {
    auto h = hash_password("correct horse battery staple", fast);
    ASSERT_TRUE(h);
    EXPECT_FALSE(verify_password(*h, std::string(1025, 'x')));
}

TEST(staff_password, needs_rehash_when_parameters_differ) {
    auto h = hash_password("correct horse battery staple", fast);
    ASSERT_TRUE(h);
    EXPECT_FALSE(needs_rehash(*h, fast));
    EXPECT_TRUE(needs_rehash(*h));  // the defaults (interactive) are stronger
    EXPECT_TRUE(needs_rehash(*h, hash_params{crypto_pwhash_OPSLIMIT_MIN + 1, crypto_pwhash_MEMLIMIT_MIN}));
    EXPECT_TRUE(needs_rehash("not a hash"));
    EXPECT_TRUE(needs_rehash(""));
}

TEST(staff_password, default_parameters_are_interactive) {
    EXPECT_EQ(hash_params{}.opslimit, crypto_pwhash_OPSLIMIT_INTERACTIVE);
    EXPECT_EQ(hash_params{}.memlimit, crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

// One hash at the real cost (about 64 MiB, tens of milliseconds), to show the defaults work here.
TEST(staff_password, default_cost_is_argon2id_interactive) {
    auto h = hash_password("correct horse battery staple");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->rfind("$argon2id$v=19$m=65536,t=2,p=1$", 0), 0u) << *h;
    EXPECT_FALSE(needs_rehash(*h));
    EXPECT_TRUE(needs_rehash(*h, fast));
}

TEST(staff_password, dummy_verification_always_fails) {
    EXPECT_FALSE(verify_against_dummy("correct horse battery staple", fast));
    EXPECT_FALSE(verify_against_dummy("", fast));
    EXPECT_FALSE(verify_against_dummy(std::string(2000, 'x'), fast));
}

// The verification is held behind a job that blocks the pool's only thread, so it can only finish
// after the I/O thread has moved on; had it run inline, `done` would already be set when the
// checker runs. After the await the coroutine must be back on the I/O thread.
TEST(staff_password, async_verify_runs_on_pool_and_resumes_on_caller) {
    auto h = hash_password("correct horse battery staple", fast);
    ASSERT_TRUE(h);

    asio::io_context ctx;
    asio::thread_pool pool(1);
    std::promise<void> gate;
    std::shared_future<void> gate_open = gate.get_future().share();
    std::promise<std::thread::id> pool_thread;
    asio::post(pool, [&] {
        pool_thread.set_value(std::this_thread::get_id());
        gate_open.wait();
    });

    std::thread::id before, after;
    bool done = false, good = false, wrong = true;
    bool checked_while_pending = false;
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            before = std::this_thread::get_id();
            good = co_await async_verify_password(pool, *h, "correct horse battery staple");
            wrong = co_await async_verify_password(pool, *h, "wrong horse battery staple");
            after = std::this_thread::get_id();
            done = true;
        },
        [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    asio::post(ctx, [&] {
        checked_while_pending = !done;
        gate.set_value();
    });
    ctx.run();
    pool.join();

    EXPECT_TRUE(checked_while_pending);
    EXPECT_TRUE(done);
    EXPECT_TRUE(good);
    EXPECT_FALSE(wrong);
    EXPECT_EQ(before, std::this_thread::get_id());
    EXPECT_EQ(after, std::this_thread::get_id());
    EXPECT_NE(pool_thread.get_future().get(), std::this_thread::get_id());
}

TEST(staff_password, async_hash_and_dummy) {
    asio::io_context ctx;
    asio::thread_pool pool(1);
    std::string stored;
    bool refused = false, dummy = true;
    std::thread::id after;
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            auto made = co_await async_hash_password(pool, "correct horse battery staple", fast);
            if (made) stored = *made;
            auto bad = co_await async_hash_password(pool, "short", fast);
            refused = !bad && bad.error() == password_errc::too_short;
            dummy = co_await async_verify_against_dummy(pool, "correct horse battery staple", fast);
            after = std::this_thread::get_id();
        },
        [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    ctx.run();
    EXPECT_EQ(stored.rfind("$argon2id$", 0), 0u);
    EXPECT_TRUE(verify_password(stored, "correct horse battery staple"));
    EXPECT_TRUE(refused);
    EXPECT_FALSE(dummy);
    EXPECT_EQ(after, std::this_thread::get_id());
}

// ---- tokens ----

TEST(staff_token, tokens_are_43_url_safe_characters_and_unique) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        std::string t = new_token();
        EXPECT_EQ(t.size(), 43u);
        EXPECT_TRUE(looks_like_token(t)) << t;
        EXPECT_EQ(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                  std::string::npos);
        seen.insert(t);
    }
    EXPECT_EQ(seen.size(), 1000u);
}

TEST(staff_token, looks_like_token_filters) {
    EXPECT_TRUE(looks_like_token(good_token));
    EXPECT_FALSE(looks_like_token(std::string(42, 'a')));
    EXPECT_FALSE(looks_like_token(std::string(44, 'a')));
    EXPECT_FALSE(looks_like_token(std::string(42, 'a') + "="));
    EXPECT_FALSE(looks_like_token(std::string(42, 'a') + "+"));
    EXPECT_FALSE(looks_like_token(std::string(42, 'a') + ";"));
}

TEST(staff_token, hash_is_blake2b_256_and_stable) {
    // Published BLAKE2b-256 test values.
    EXPECT_EQ(hex(token_hash("")), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    EXPECT_EQ(hex(token_hash("abc")), "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
    std::string t = new_token();
    EXPECT_EQ(token_hash(t), token_hash(t));
    EXPECT_NE(token_hash(t), token_hash(new_token()));
}

TEST(staff_token, same_token_compares_exactly) {
    std::string t = new_token();
    EXPECT_TRUE(same_token(t, std::string(t)));
    std::string other = t;
    other.back() = other.back() == 'A' ? 'B' : 'A';
    EXPECT_FALSE(same_token(t, other));
    EXPECT_FALSE(same_token(t, t.substr(0, 42)));
    EXPECT_FALSE(same_token(t, ""));
    EXPECT_TRUE(same_token("", ""));
}

// ---- cookies ----

TEST(staff_cookie, session_cookie_attributes_exact) {
    EXPECT_EQ(session_cookie(good_token, 8h),
              "__Host-triage_staff=" + good_token + "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=28800");
    EXPECT_EQ(clear_session_cookie(), "__Host-triage_staff=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
    EXPECT_EQ(session_cookie(good_token, -5s),
              "__Host-triage_staff=" + good_token + "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
}

TEST(staff_cookie, session_cookie_never_carries_a_non_token) {
    EXPECT_EQ(session_cookie("x; Domain=evil.example", 8h), clear_session_cookie());
    EXPECT_EQ(session_cookie(std::string(41, 'a') + "\r\n", 8h), clear_session_cookie());
}

TEST(staff_cookie, parses_cookie_headers) {
    const std::string n(session_cookie_name);
    EXPECT_EQ(cookie_value(n + "=tok", n), "tok");
    EXPECT_EQ(cookie_value("a=1; " + n + "=tok; b=2", n), "tok");
    EXPECT_EQ(cookie_value("a=1;" + n + "=tok;b=2", n), "tok");
    EXPECT_EQ(cookie_value(" \t" + n + " = tok \t; b=2", n), "tok");
    EXPECT_EQ(cookie_value(n + "=\"tok\"", n), "tok");
    EXPECT_EQ(cookie_value(n + "=", n), "");
    EXPECT_EQ(cookie_value(n + "=\"\"", n), "");
    EXPECT_EQ(cookie_value("flag; " + n + "=tok", n), "tok");      // a pair without '=' is skipped
    EXPECT_EQ(cookie_value("bad name=1; " + n + "=tok", n), "tok");  // so is an invalid name
    EXPECT_EQ(cookie_value("a=b=c", "a"), "b=c");
    EXPECT_EQ(cookie_value(n + "=first; " + n + "=second", n), "first");
}

TEST(staff_cookie, refuses_what_is_not_there_or_malformed) {
    const std::string n(session_cookie_name);
    EXPECT_EQ(cookie_value("", n), std::nullopt);
    EXPECT_EQ(cookie_value(";;; ;", n), std::nullopt);
    EXPECT_EQ(cookie_value("a=1; b=2", n), std::nullopt);
    EXPECT_EQ(cookie_value("__host-triage_staff=tok", n), std::nullopt);  // names are case-sensitive
    EXPECT_EQ(cookie_value("x" + n + "=tok", n), std::nullopt);
    EXPECT_EQ(cookie_value(n + "_x=tok", n), std::nullopt);
    EXPECT_EQ(cookie_value(n + "=a b", n), std::nullopt);
    EXPECT_EQ(cookie_value(n + "=a,b", n), std::nullopt);
    EXPECT_EQ(cookie_value(n + "=a\\b", n), std::nullopt);
    EXPECT_EQ(cookie_value(n + "=\"tok", n), std::nullopt);
    EXPECT_EQ(cookie_value(n + "=\"", n), std::nullopt);
    EXPECT_EQ(cookie_value(n + "=t\x01k", n), std::nullopt);
    EXPECT_EQ(cookie_value(n + "=t\xC3\xA9", n), std::nullopt);
    // The first one decides, even when malformed.
    EXPECT_EQ(cookie_value(n + "=a b; " + n + "=tok", n), std::nullopt);
}

// ---- session timing ----

TEST(staff_session, timeouts_at_exact_boundaries) {
    const auto t0 = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50);
    const std::chrono::seconds idle = 30min, absolute = 8h;

    EXPECT_EQ(check_session(t0, t0, false, t0, idle, absolute), session_state::valid);
    EXPECT_EQ(check_session(t0, t0 + 10min, false, t0 + 40min - 1s, idle, absolute), session_state::valid);
    EXPECT_EQ(check_session(t0, t0 + 10min, false, t0 + 40min, idle, absolute), session_state::idle_expired);

    EXPECT_EQ(check_session(t0, t0 + 8h - 1min, false, t0 + 8h - 1s, idle, absolute), session_state::valid);
    EXPECT_EQ(check_session(t0, t0 + 8h - 1min, false, t0 + 8h, idle, absolute), session_state::absolute_expired);
    // Both past: the absolute limit is the reason given.
    EXPECT_EQ(check_session(t0, t0, false, t0 + 9h, idle, absolute), session_state::absolute_expired);
    // Revocation wins, even on a fresh session.
    EXPECT_EQ(check_session(t0, t0, true, t0, idle, absolute), session_state::revoked);
    EXPECT_EQ(check_session(t0, t0, true, t0 + 9h, idle, absolute), session_state::revoked);
}

// ---- throttle ----

namespace {
const login_throttle::time_point t0 = login_throttle::time_point{} + std::chrono::hours(1000);

void fail_n(login_throttle& th, int n, std::string_view email, std::string_view ip, login_throttle::time_point at) {
    for (int i = 0; i < n; ++i) th.failed(email, ip, at);
}
}  // namespace

TEST(staff_throttle, five_failures_lock_for_a_minute) {
    login_throttle th;
    fail_n(th, 4, "ana@clinic.org", "", t0);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0), std::nullopt);
    th.failed("ana@clinic.org", "", t0 + 10s);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0 + 10s), 60s);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0 + 10s + 500ms), 60s);  // rounded up
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0 + 69s), 1s);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0 + 70s), std::nullopt);
    EXPECT_EQ(th.retry_after("bob@clinic.org", "", t0 + 10s), std::nullopt);
}

TEST(staff_throttle, email_is_compared_lower_case) {
    login_throttle th;
    fail_n(th, 5, "Ana@Clinic.ORG", "", t0);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0), 60s);
}

TEST(staff_throttle, failures_outside_the_window_do_not_count) {
    login_throttle th;
    fail_n(th, 4, "ana@clinic.org", "", t0);
    th.failed("ana@clinic.org", "", t0 + 15min);  // the first four have just left the window
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0 + 15min), std::nullopt);
    fail_n(th, 3, "ana@clinic.org", "", t0 + 15min);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0 + 15min), std::nullopt);
    th.failed("ana@clinic.org", "", t0 + 15min);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0 + 15min), 60s);
}

TEST(staff_throttle, backoff_doubles_up_to_an_hour) {
    login_throttle th;
    auto now = t0;
    for (std::chrono::seconds expected : {60s, 120s, 240s, 480s, 960s, 1920s, 3600s, 3600s}) {
        fail_n(th, 5, "ana@clinic.org", "", now);
        EXPECT_EQ(th.retry_after("ana@clinic.org", "", now), expected);
        now += expected;
        EXPECT_EQ(th.retry_after("ana@clinic.org", "", now), std::nullopt);
    }
}

TEST(staff_throttle, failures_during_a_lock_do_not_count) {
    login_throttle th;
    fail_n(th, 5, "ana@clinic.org", "", t0);
    fail_n(th, 10, "ana@clinic.org", "", t0 + 30s);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0 + 30s), 30s);
    fail_n(th, 4, "ana@clinic.org", "", t0 + 60s);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0 + 60s), std::nullopt);
}

TEST(staff_throttle, quiet_key_starts_over) {
    login_throttle th;
    fail_n(th, 5, "ana@clinic.org", "", t0);
    fail_n(th, 5, "ana@clinic.org", "", t0 + 60s);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0 + 60s), 120s);
    // The lock ends at t0 + 180s; quiet for an hour after that, the backoff is back at a minute.
    auto later = t0 + 180s + 1h;
    fail_n(th, 5, "ana@clinic.org", "", later - 1s);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", later - 1s), 240s);
    login_throttle fresh;
    fail_n(fresh, 5, "ana@clinic.org", "", t0);
    fail_n(fresh, 5, "ana@clinic.org", "", t0 + 60s);
    fail_n(fresh, 5, "ana@clinic.org", "", later);
    EXPECT_EQ(fresh.retry_after("ana@clinic.org", "", later), 60s);
}

TEST(staff_throttle, success_resets_the_pair_key_only) {
    login_throttle th;
    fail_n(th, 4, "ana@clinic.org", "", t0);
    th.succeeded("ana@clinic.org", "", t0);
    fail_n(th, 4, "ana@clinic.org", "", t0);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0), std::nullopt);

    // The address keeps counting across a success with another account (30 in 15 minutes).
    login_throttle by_ip;
    for (int i = 0; i < 29; ++i) {
        std::string e = "u";
        e.append(std::to_string(i)).append("@x.org");
        by_ip.failed(e, "192.0.2.7", t0);
    }
    by_ip.succeeded("mine@x.org", "192.0.2.7", t0);
    by_ip.failed("last@x.org", "192.0.2.7", t0);
    EXPECT_EQ(by_ip.retry_after("new@x.org", "192.0.2.7", t0), 60s);
    EXPECT_EQ(by_ip.retry_after("new@x.org", "192.0.2.8", t0), std::nullopt);
}

TEST(staff_throttle, a_guesser_at_one_address_does_not_lock_the_owner_out) {
    // Issue 19: five wrong passwords from the attacker's address used to lock the account itself.
    login_throttle th;
    fail_n(th, 5, "ana@clinic.org", "203.0.113.66", t0);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "203.0.113.66", t0), 60s);
    EXPECT_EQ(th.begin("ana@clinic.org", "192.0.2.10", t0), std::nullopt);  // the owner, elsewhere
    th.succeeded("ana@clinic.org", "192.0.2.10", t0);
    EXPECT_EQ(th.retry_after("bob@clinic.org", "203.0.113.66", t0), std::nullopt);
}

TEST(staff_throttle, one_account_from_many_addresses_locks_at_fifty_except_where_it_signed_in) {
    login_throttle th;
    th.succeeded("ana@clinic.org", "192.0.2.10", t0);  // her workstation, known from now on
    for (int i = 0; i < 50; ++i) {
        std::string ip = "198.51.100.";
        ip.append(std::to_string(i));
        th.failed("ana@clinic.org", ip, t0 + 1s);
    }
    EXPECT_EQ(th.retry_after("ana@clinic.org", "203.0.113.1", t0 + 1s), 300s);  // from anywhere new
    EXPECT_EQ(th.retry_after("ana@clinic.org", "192.0.2.10", t0 + 1s), std::nullopt);
    EXPECT_EQ(th.begin("ana@clinic.org", "192.0.2.10", t0 + 1s), std::nullopt);
    th.succeeded("ana@clinic.org", "192.0.2.10", t0 + 1s);
    // Still locked for new addresses: her success does not reset the spray's count.
    EXPECT_EQ(th.retry_after("ana@clinic.org", "203.0.113.1", t0 + 2s), 299s);
    EXPECT_EQ(th.retry_after("bob@clinic.org", "198.51.100.1", t0 + 2s), std::nullopt);
    // A known address is forgotten after 30 days.
    auto later = t0 + std::chrono::hours(24 * 30) + 2s;
    EXPECT_FALSE(th.retry_after("ana@clinic.org", "192.0.2.10", later).has_value());  // nothing locked by then
}

TEST(staff_throttle, a_spray_from_one_address_locks_the_address_at_thirty) {
    login_throttle spray;
    for (int i = 0; i < 30; ++i) {
        std::string e = "u";
        e.append(std::to_string(i)).append("@x.org");
        spray.failed(e, "192.0.2.9", t0);
    }
    EXPECT_EQ(spray.retry_after("z@x.org", "192.0.2.9", t0), 60s);
    EXPECT_EQ(spray.retry_after("z@x.org", "192.0.2.10", t0), std::nullopt);
    EXPECT_EQ(spray.retry_after("u0@x.org", "192.0.2.10", t0), std::nullopt);
}

TEST(staff_throttle, ipv6_counts_per_64_and_mapped_ipv4_as_ipv4) {
    throttle_settings five;
    five.ip.max_failures = 5;
    login_throttle th(five);
    for (const char* ip : {"2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8:0:0:ffff::4", "2001:db8::5"})
        th.failed(std::string("u") + ip + "@x.org", ip, t0);
    EXPECT_EQ(th.retry_after("z@x.org", "2001:db8::ffff", t0), 60s);
    EXPECT_EQ(th.retry_after("z@x.org", "2001:db8:0:1::1", t0), std::nullopt);

    login_throttle mapped(five);
    for (const char* e : {"a@x.org", "b@x.org", "c@x.org", "d@x.org"}) mapped.failed(e, "::ffff:192.0.2.1", t0);
    mapped.failed("e@x.org", "192.0.2.1", t0);
    EXPECT_EQ(mapped.retry_after("z@x.org", "192.0.2.1", t0), 60s);
    EXPECT_EQ(mapped.retry_after("z@x.org", "::ffff:192.0.2.1", t0), 60s);
}

TEST(staff_throttle, parallel_attempts_cannot_outrun_the_count) {
    login_throttle th;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(th.begin("ana@clinic.org", "192.0.2.1", t0), std::nullopt) << i;
    // Five in flight from one address could already lock the pair: the sixth waits.
    EXPECT_EQ(th.begin("ana@clinic.org", "192.0.2.1", t0), 1s);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "192.0.2.1", t0), std::nullopt);  // not locked, though
    EXPECT_EQ(th.begin("ana@clinic.org", "192.0.2.2", t0), std::nullopt);  // another address may
    fail_n(th, 5, "ana@clinic.org", "192.0.2.1", t0 + 1s);
    EXPECT_EQ(th.begin("ana@clinic.org", "192.0.2.1", t0 + 1s), 60s);

    // The same holds for the account-wide and address-wide counts.
    throttle_settings s;
    s.email.max_failures = 3;
    s.ip.max_failures = 3;
    login_throttle small(s);
    for (const char* ip : {"192.0.2.1", "192.0.2.2", "192.0.2.3"}) ASSERT_EQ(small.begin("ana@x.org", ip, t0), std::nullopt);
    EXPECT_EQ(small.begin("ana@x.org", "192.0.2.4", t0), 1s);
    for (const char* e : {"a@x.org", "b@x.org", "c@x.org"}) ASSERT_EQ(small.begin(e, "198.51.100.1", t0), std::nullopt);
    EXPECT_EQ(small.begin("d@x.org", "198.51.100.1", t0), 1s);
}

TEST(staff_throttle, success_ends_an_attempt_without_counting_it) {
    login_throttle th;
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(th.begin("ana@clinic.org", "192.0.2.1", t0), std::nullopt);
        th.succeeded("ana@clinic.org", "192.0.2.1", t0);
    }
    EXPECT_EQ(th.tracked_keys(), 1u);  // only the address, remembered as known for this account
    for (int i = 0; i < 4; ++i) {
        ASSERT_EQ(th.begin("ana@clinic.org", "192.0.2.1", t0), std::nullopt);
        th.failed("ana@clinic.org", "192.0.2.1", t0);
    }
    ASSERT_EQ(th.begin("ana@clinic.org", "192.0.2.1", t0), std::nullopt);
    th.succeeded("ana@clinic.org", "192.0.2.1", t0);
    EXPECT_EQ(th.begin("ana@clinic.org", "192.0.2.1", t0), std::nullopt);
}

TEST(staff_throttle, abandoned_attempts_count_as_failures) {
    throttle_settings s;
    s.attempt_timeout = 60s;
    login_throttle th(s);
    for (int i = 0; i < 5; ++i) ASSERT_EQ(th.begin("ana@clinic.org", "", t0), std::nullopt);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0 + 59s), std::nullopt);
    EXPECT_EQ(th.retry_after("ana@clinic.org", "", t0 + 60s), 60s);
    EXPECT_EQ(th.begin("ana@clinic.org", "", t0 + 60s), 60s);
}

TEST(staff_throttle, memory_is_bounded_forgetting_the_least_recently_touched) {
    throttle_settings s;
    s.max_keys = 3;
    s.pair.max_failures = 2;
    login_throttle th(s);
    th.failed("a@x.org", "", t0);
    th.failed("b@x.org", "", t0);
    th.failed("c@x.org", "", t0);
    th.failed("a@x.org", "", t0 + 1s);  // a: locked, and now the most recently touched
    EXPECT_EQ(th.retry_after("a@x.org", "", t0 + 1s), 60s);
    th.failed("d@x.org", "", t0 + 2s);  // pushes out b, touched longest ago
    EXPECT_EQ(th.tracked_keys(), 6u);  // 3 pairs and 3 emails
    th.failed("b@x.org", "", t0 + 3s);  // b starts from zero (and pushes out c)
    EXPECT_EQ(th.retry_after("b@x.org", "", t0 + 3s), std::nullopt);
    EXPECT_EQ(th.retry_after("a@x.org", "", t0 + 3s), 58s);

    login_throttle flood(s);
    for (int i = 0; i < 1000; ++i) {
        // Appended rather than "u" + std::to_string(i): GCC 12 at -O3 warns falsely (-Wrestrict,
        // GCC bug 105329) on a literal plus a temporary string.
        std::string email = "u", ip = "10.0.0.";
        email.append(std::to_string(i)).append("@x.org");
        ip.append(std::to_string(i % 250));
        flood.failed(email, ip, t0);
    }
    EXPECT_EQ(flood.tracked_keys(), 9u);  // 3 pairs + 3 emails + 3 addresses

    throttle_settings big;
    login_throttle huge(big);
    huge.failed(std::string(1'000'000, 'a'), std::string(1'000'000, '1'), t0);
    EXPECT_EQ(huge.tracked_keys(), 3u);
}

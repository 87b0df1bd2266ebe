#pragma once
// Login throttling for local staff accounts, in memory and pure: time comes in as `now`, nothing
// here reads a clock or does I/O.
//
// Three kinds of key, counted apart, because the one that locks must be the attacker's and not
// the staff member's:
//   - the pair (email, client address): one source guessing one account. The strict rule, so a
//     guesser is slowed at once; it never stops the right person signing in from elsewhere.
//   - the email as typed, ASCII lower-cased: one account guessed from many sources. A much higher
//     limit, since anyone who knows an address can push this count up.
//   - the client address: one source trying many accounts (a spray). Lenient, because a clinic's
//     staff usually share one public address (NAT).
// IPv6 addresses count per /64, because one subscriber usually holds a whole /64; an IPv4-mapped
// IPv6 address counts as its IPv4 address. An empty address has no address key (the pair is then
// the email with no address).
//
// A known address is exempt from the account-wide lock: once an account has signed in from an
// address, that address may keep trying it while the email key is locked (for
// `remember_success`), still under the pair and address rules. So an attacker spraying one
// account from many machines cannot keep its owner out of their usual workstation. A staff member
// locked out elsewhere can also sign in with the clinic's SSO, which this throttle does not gate
// (the identity provider throttles and runs the second factor there).
//
// The rule per key: `max_failures` failures within `window` lock the key. Each lock lasts twice
// as long as the one before (first_lock, 2x, 4x, ... at most max_lock). A key that has been quiet
// (no failure) for `forget_after` after its last lock ended starts again from first_lock. Success
// clears the pair key only (the owner's own typos); the email and address keys keep counting,
// or one valid sign-in would reset a spray's count between guesses.
//
// Parallel guesses: an attacker who sends many attempts at once would get them all past a
// retry_after check before the first failure is counted, since each verification takes tens of
// milliseconds. `begin` therefore counts each attempt as in flight, and refuses (for a second)
// when the failures plus the attempts in flight could already reach the limit. An attempt begun
// and never finished with failed/succeeded counts as failed after `attempt_timeout`, so a caller
// that loses track fails closed, not open.
//
// Bounded: at most `max_keys` keys of each kind; past that the key touched longest ago is
// forgotten. Forgetting a key under pressure loses its count, which is the price of a bound; with
// the default bound an attacker needs 100 000 fresh keys, each costing a full password
// verification on our side, to push one out.
//
// Per process: each triaged instance throttles on its own, so behind a load balancer with N
// instances an attacker gets up to N times the attempts. TODO(issue 5): back it with Redis when
// that matters.
//
// Address-key caveat: a clinic's staff usually share one public address (NAT); `ip` in the
// settings can be made more lenient than `email` for that reason. Behind a reverse proxy the
// caller must pass the client address the proxy reports, not the proxy's.
//
// runs on: any thread (internally locked; one instance per process, shared by all I/O threads).

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

namespace triage::server::staff {

struct throttle_rule {
    unsigned max_failures = 5;
    std::chrono::seconds window{15 * 60};
    std::chrono::seconds first_lock{60};
    std::chrono::seconds max_lock{60 * 60};
    std::chrono::seconds forget_after{60 * 60};
};

struct throttle_settings {
    throttle_rule pair;                                                  // 5 in 15 min, 1 min lock
    throttle_rule email{50, std::chrono::minutes(15), std::chrono::minutes(5), std::chrono::hours(1),
                        std::chrono::hours(1)};
    throttle_rule ip{30, std::chrono::minutes(15), std::chrono::minutes(1), std::chrono::hours(1),
                     std::chrono::hours(1)};
    std::chrono::seconds remember_success{30 * 24 * 3600};  // a known address, for the email lock
    std::size_t max_keys = 100'000;             // per kind of key; at least 1
    std::chrono::seconds attempt_timeout{60};   // far above any verification's duration
};

class login_throttle {
public:
    using time_point = std::chrono::steady_clock::time_point;

    explicit login_throttle(throttle_settings settings = {});
    ~login_throttle();
    login_throttle(const login_throttle&) = delete;
    login_throttle& operator=(const login_throttle&) = delete;

    // How long until an attempt for (email, ip) may be made, rounded up to whole seconds (at least
    // 1); nullopt when no key that applies is locked. Does not count anything.
    std::optional<std::chrono::seconds> retry_after(std::string_view email, std::string_view ip,
                                                    time_point now) const;

    // Starts an attempt: nullopt means go ahead (verify the password, then call failed or
    // succeeded exactly once); otherwise refuse with this Retry-After and do not verify.
    std::optional<std::chrono::seconds> begin(std::string_view email, std::string_view ip, time_point now);

    // A wrong password (or an unknown email: count those the same, or the lock itself would tell
    // which emails exist). Ends the oldest attempt in flight for these keys, if any; callers that
    // do not use begin may call it on its own after checking retry_after.
    void failed(std::string_view email, std::string_view ip, time_point now);
    // Clears the pair key and remembers the address as known for this email; ends the oldest
    // attempt in flight of the email and address keys without counting it.
    void succeeded(std::string_view email, std::string_view ip, time_point now);

    // Keys held, all kinds together, known addresses included (for tests and a gauge).
    std::size_t tracked_keys() const;

private:
    struct state;
    std::unique_ptr<state> state_;
};

}  // namespace triage::server::staff

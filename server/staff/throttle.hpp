#pragma once
// Login throttling for local staff accounts, in memory and pure: time comes in as `now`, nothing
// here reads a clock or does I/O.
//
// Two kinds of key, counted apart: the email as typed, ASCII lower-cased (guessing one account's
// password), and the client address (one source trying many accounts). IPv6 addresses count per
// /64, because one subscriber usually holds a whole /64; an IPv4-mapped IPv6 address counts as
// its IPv4 address. An empty address has no address key.
//
// The rule per key: `max_failures` failures within `window` lock the key. Each lock lasts twice
// as long as the one before (first_lock, 2x, 4x, ... at most max_lock). A key that has been quiet
// (no failure) for `forget_after` after its last lock ended starts again from first_lock. Success
// clears the email key only: clearing the address key too would let someone with one valid
// account reset their address's count between guesses at others.
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
    throttle_rule email;
    throttle_rule ip;
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
    // 1); nullopt when neither key is locked. Does not count anything.
    std::optional<std::chrono::seconds> retry_after(std::string_view email, std::string_view ip,
                                                    time_point now) const;

    // Starts an attempt: nullopt means go ahead (verify the password, then call failed or
    // succeeded exactly once); otherwise refuse with this Retry-After and do not verify.
    std::optional<std::chrono::seconds> begin(std::string_view email, std::string_view ip, time_point now);

    // A wrong password (or an unknown email: count those the same, or the lock itself would tell
    // which emails exist). Ends the oldest attempt in flight for these keys, if any; callers that
    // do not use begin may call it on its own after checking retry_after.
    void failed(std::string_view email, std::string_view ip, time_point now);
    // Clears the email key; ends the address key's oldest attempt in flight without counting it.
    void succeeded(std::string_view email, std::string_view ip, time_point now);

    // Keys held, both kinds together (for tests and a gauge).
    std::size_t tracked_keys() const;

private:
    struct state;
    std::unique_ptr<state> state_;
};

}  // namespace triage::server::staff

#include "server/staff/throttle.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace triage::server::staff {
namespace {

using time_point = login_throttle::time_point;
using std::chrono::seconds;

// Longer than any real address (RFC 5321 allows 254 in a path); the cap keeps an attacker's
// megabyte-long "emails" from costing us a megabyte each.
constexpr std::size_t max_email_key = 320;
constexpr std::size_t max_unparsed_ip_key = 64;

std::string email_key(std::string_view email) {
    std::string key(email.substr(0, max_email_key));
    for (char& c : key)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return key;
}

std::string ip_key(std::string_view ip) {
    if (ip.empty()) return {};
    std::string text(ip.substr(0, max_unparsed_ip_key));
    unsigned char b[16];
    if (inet_pton(AF_INET, text.c_str(), b) == 1) return "4:" + std::string(reinterpret_cast<char*>(b), 4);
    if (inet_pton(AF_INET6, text.c_str(), b) == 1) {
        static constexpr unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::equal(b, b + 12, v4_mapped)) return "4:" + std::string(reinterpret_cast<char*>(b + 12), 4);
        return "6:" + std::string(reinterpret_cast<char*>(b), 8);
    }
    // Not an address (a zone id, a proxy's odd value): counted as given, still one key.
    return "?:" + text;
}

struct entry {
    std::vector<time_point> failures;  // inside the window, oldest first
    std::vector<time_point> pending;   // begin times of attempts in flight, oldest first
    unsigned locks = 0;                // locks so far; the next one lasts first_lock * 2^locks
    time_point locked_until{};
    std::list<std::string>::iterator lru;
};

seconds lock_length(const throttle_rule& r, unsigned locks_before) {
    seconds d = r.first_lock;
    for (unsigned i = 0; i < locks_before && d < r.max_lock; ++i) d *= 2;
    return std::min(d, r.max_lock);
}

void add_failure(entry& e, const throttle_rule& r, time_point at, time_point now) {
    // Attempts that were already in flight when the key locked end during the lock; they were
    // part of the burst that caused it and do not count again.
    if (now < e.locked_until) return;
    e.failures.push_back(at);
    if (e.failures.size() >= r.max_failures) {
        e.locked_until = now + lock_length(r, e.locks);
        ++e.locks;
        e.failures.clear();
    }
}

// Brings an entry up to `now`: abandoned attempts become failures, old failures leave the window,
// a long-quiet key starts over.
void settle(entry& e, const throttle_rule& r, seconds attempt_timeout, time_point now) {
    while (!e.pending.empty() && e.pending.front() + attempt_timeout <= now) {
        time_point began = e.pending.front();
        e.pending.erase(e.pending.begin());
        add_failure(e, r, began, now);
    }
    std::erase_if(e.failures, [&](time_point t) { return t + r.window <= now; });
    if (e.locks > 0 && e.failures.empty() && e.pending.empty() && now >= e.locked_until + r.forget_after)
        e.locks = 0;
}

bool is_idle(const entry& e, time_point now) {
    return e.failures.empty() && e.pending.empty() && e.locks == 0 && now >= e.locked_until;
}

std::optional<seconds> wait_for(const entry& e, const throttle_rule& r, time_point now) {
    if (now < e.locked_until) return std::max(std::chrono::ceil<seconds>(e.locked_until - now), seconds{1});
    if (e.failures.size() + e.pending.size() >= r.max_failures) return seconds{1};
    return std::nullopt;
}

std::optional<seconds> longer(std::optional<seconds> a, std::optional<seconds> b) {
    if (!a) return b;
    if (!b) return a;
    return std::max(*a, *b);
}

class table {
public:
    table(const throttle_rule& rule, std::size_t max_keys, seconds attempt_timeout)
        : rule_(rule), max_keys_(std::max<std::size_t>(max_keys, 1)), attempt_timeout_(attempt_timeout) {}

    // Locked-ness as of `now`, without changing anything.
    std::optional<seconds> locked_for(const std::string& key, time_point now) const {
        auto it = entries_.find(key);
        if (it == entries_.end()) return std::nullopt;
        entry copy = it->second;
        settle(copy, rule_, attempt_timeout_, now);
        if (now < copy.locked_until) return wait_for(copy, rule_, now);
        return std::nullopt;
    }

    // Whether an attempt may start, counting those in flight; settles the entry.
    std::optional<seconds> refusal(const std::string& key, time_point now) {
        auto it = entries_.find(key);
        if (it == entries_.end()) return std::nullopt;
        settle(it->second, rule_, attempt_timeout_, now);
        return wait_for(it->second, rule_, now);
    }

    void begin(const std::string& key, time_point now) { touch(key, now).pending.push_back(now); }

    void failed(const std::string& key, time_point now) {
        entry& e = touch(key, now);
        if (!e.pending.empty()) e.pending.erase(e.pending.begin());
        add_failure(e, rule_, now, now);
    }

    void succeeded(const std::string& key, time_point now, bool clear) {
        auto it = entries_.find(key);
        if (it == entries_.end()) return;
        entry& e = it->second;
        if (!e.pending.empty()) e.pending.erase(e.pending.begin());
        settle(e, rule_, attempt_timeout_, now);
        if (clear || is_idle(e, now)) erase(it);
    }

    std::size_t size() const { return entries_.size(); }

private:
    using map = std::unordered_map<std::string, entry>;

    // The entry for `key`, created if need be (forgetting the least recently touched key when
    // full), settled to `now` and marked as the most recently touched.
    entry& touch(const std::string& key, time_point now) {
        auto it = entries_.find(key);
        if (it == entries_.end()) {
            if (entries_.size() >= max_keys_) erase(entries_.find(lru_.front()));
            lru_.push_back(key);
            it = entries_.emplace(key, entry{}).first;
            it->second.lru = std::prev(lru_.end());
        } else {
            lru_.splice(lru_.end(), lru_, it->second.lru);
        }
        settle(it->second, rule_, attempt_timeout_, now);
        return it->second;
    }

    void erase(map::iterator it) {
        lru_.erase(it->second.lru);
        entries_.erase(it);
    }

    throttle_rule rule_;
    std::size_t max_keys_;
    seconds attempt_timeout_;
    map entries_;
    std::list<std::string> lru_;  // front: touched longest ago
};

// Pairs (email, address) that signed in, each until its expiry; bounded like the tables.
class known_addresses {
public:
    known_addresses(seconds keep, std::size_t max_keys) : keep_(keep), max_keys_(std::max<std::size_t>(max_keys, 1)) {}

    bool contains(const std::string& key, time_point now) const {
        auto it = until_.find(key);
        return it != until_.end() && now < it->second.first;
    }

    void remember(const std::string& key, time_point now) {
        auto it = until_.find(key);
        if (it != until_.end()) {
            lru_.splice(lru_.end(), lru_, it->second.second);
            it->second.first = now + keep_;
            return;
        }
        if (until_.size() >= max_keys_) {
            until_.erase(lru_.front());
            lru_.pop_front();
        }
        lru_.push_back(key);
        until_.emplace(key, std::pair{now + keep_, std::prev(lru_.end())});
    }

    std::size_t size() const { return until_.size(); }

private:
    seconds keep_;
    std::size_t max_keys_;
    std::unordered_map<std::string, std::pair<time_point, std::list<std::string>::iterator>> until_;
    std::list<std::string> lru_;  // front: remembered longest ago
};

// One account at one address. The separator cannot occur in an address key's text form and the
// email part is capped, so two different pairs never share a key.
std::string pair_key(const std::string& email, const std::string& ip) { return email + '\x1f' + ip; }

}  // namespace

struct login_throttle::state {
    explicit state(const throttle_settings& s)
        : pairs(s.pair, s.max_keys, s.attempt_timeout),
          emails(s.email, s.max_keys, s.attempt_timeout),
          addresses(s.ip, s.max_keys, s.attempt_timeout),
          known(s.remember_success, s.max_keys) {}
    mutable std::mutex mutex;
    table pairs;
    table emails;
    table addresses;
    known_addresses known;
};

login_throttle::login_throttle(throttle_settings settings) : state_(std::make_unique<state>(settings)) {}
login_throttle::~login_throttle() = default;

std::optional<seconds> login_throttle::retry_after(std::string_view email, std::string_view ip,
                                                   time_point now) const {
    std::string ek = email_key(email), ik = ip_key(ip), pk = pair_key(ek, ik);
    std::lock_guard lock(state_->mutex);
    auto wait = state_->pairs.locked_for(pk, now);
    if (!state_->known.contains(pk, now)) wait = longer(wait, state_->emails.locked_for(ek, now));
    if (!ik.empty()) wait = longer(wait, state_->addresses.locked_for(ik, now));
    return wait;
}

std::optional<seconds> login_throttle::begin(std::string_view email, std::string_view ip, time_point now) {
    std::string ek = email_key(email), ik = ip_key(ip), pk = pair_key(ek, ik);
    std::lock_guard lock(state_->mutex);
    auto wait = state_->pairs.refusal(pk, now);
    if (!state_->known.contains(pk, now)) wait = longer(wait, state_->emails.refusal(ek, now));
    if (!ik.empty()) wait = longer(wait, state_->addresses.refusal(ik, now));
    if (wait) return wait;
    state_->pairs.begin(pk, now);
    state_->emails.begin(ek, now);
    if (!ik.empty()) state_->addresses.begin(ik, now);
    return std::nullopt;
}

void login_throttle::failed(std::string_view email, std::string_view ip, time_point now) {
    std::string ek = email_key(email), ik = ip_key(ip), pk = pair_key(ek, ik);
    std::lock_guard lock(state_->mutex);
    state_->pairs.failed(pk, now);
    state_->emails.failed(ek, now);
    if (!ik.empty()) state_->addresses.failed(ik, now);
}

void login_throttle::succeeded(std::string_view email, std::string_view ip, time_point now) {
    std::string ek = email_key(email), ik = ip_key(ip), pk = pair_key(ek, ik);
    std::lock_guard lock(state_->mutex);
    state_->pairs.succeeded(pk, now, true);
    state_->emails.succeeded(ek, now, false);
    if (!ik.empty()) state_->addresses.succeeded(ik, now, false);
    state_->known.remember(pk, now);
}

std::size_t login_throttle::tracked_keys() const {
    std::lock_guard lock(state_->mutex);
    return state_->pairs.size() + state_->emails.size() + state_->addresses.size() + state_->known.size();
}

}  // namespace triage::server::staff

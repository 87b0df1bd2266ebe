#pragma once
// The clinics this instance serves, as they are in PostgreSQL now: a clinic added with
// `triagectl clinic add` (on any host) is served by every running instance without a restart.
//
// Read-through: a slug or id that is not cached is looked up in PostgreSQL at once, so the first
// patient or staff member of a new clinic is never turned away. A key found missing is not asked
// again for `negative_ttl` (a typo'd URL reloaded in a loop costs one query a second), and at most
// `max_lookups_per_second` misses per instance reach the database (a flood of random slugs costs
// a bounded load; past the budget an unknown key is answered as unknown). A periodic refresh
// (`refresh_clinics`) brings changed names, origins and removed clinics within `refresh_every`.
//
// Entries are shared_ptr<const clinic>: a refresh replaces them, and a conversation keeps the
// clinic it started with for as long as it runs.
//
// runs on: any thread (internally locked; one per process, shared by every I/O thread).

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace triage::server {

struct shared_services;
struct thread_services;

struct clinic {
    std::string id;
    std::string slug;
    std::string name;
    std::vector<std::string> allowed_origins;  // portal origins that may embed the chat and open its socket
    std::string timezone;
};

// An origin as browsers send it: http or https, a host name or address, an optional port, and
// nothing else (no path, no wildcard). Only such values reach our headers.
bool valid_origin(std::string_view origin);

class clinic_directory {
public:
    using clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds negative_ttl{1000};
    static constexpr unsigned max_lookups_per_second = 50;
    static constexpr std::chrono::seconds refresh_every{30};

    explicit clinic_directory(std::vector<clinic> initial = {});

    std::shared_ptr<const clinic> cached_slug(std::string_view slug) const;
    std::shared_ptr<const clinic> cached_id(std::string_view id) const;
    std::vector<std::shared_ptr<const clinic>> all() const;
    std::size_t size() const;

    // Inserts or replaces (by id; a changed slug moves with it).
    void put(clinic c);
    // The result of a full read: clinics not in it are gone.
    void replace_all(std::vector<clinic> fresh);

    // Whether a miss for `key` ("s:<slug>" or "i:<id>") may go to the database now; counts it
    // against the budget when it may.
    bool may_look_up(const std::string& key, clock::time_point now);
    void note_missing(const std::string& key, clock::time_point now);

private:
    void put_locked(std::shared_ptr<const clinic> c);

    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<const clinic>, std::less<>> by_slug_;
    std::map<std::string, std::shared_ptr<const clinic>, std::less<>> by_id_;
    std::unordered_map<std::string, clock::time_point> missing_;  // until when a key is known missing
    clock::time_point budget_second_{};
    unsigned budget_used_ = 0;
};

struct clinic_lookup {
    std::shared_ptr<const clinic> found;  // null when there is no such clinic (or it is unavailable)
    bool unavailable = false;             // PostgreSQL could not be asked
};

// The clinic with this slug or id: from the cache, else from PostgreSQL (see above).
boost::asio::awaitable<clinic_lookup> find_clinic_by_slug(shared_services& shared, thread_services& local,
                                                          std::string slug);
boost::asio::awaitable<clinic_lookup> find_clinic_by_id(shared_services& shared, thread_services& local,
                                                        std::string id);

// Re-reads every clinic every `refresh_every`; runs until its executor stops.
boost::asio::awaitable<void> refresh_clinics(shared_services& shared, thread_services& local);

}  // namespace triage::server

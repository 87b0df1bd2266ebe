#include "server/clinic_directory.hpp"

#include "server/log.hpp"
#include "server/services.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;
namespace pg = triage::integrations::postgres;

namespace triage::server {
namespace {

// Past this many remembered misses the oldest knowledge is simply dropped: it only saves queries.
constexpr std::size_t max_missing_remembered = 10'000;
constexpr std::size_t max_key_chars = 128;

clinic clinic_of(pg::clinic_record r) {
    return clinic{std::move(r.id), std::move(r.slug), std::move(r.name), std::move(r.allowed_origins),
                  std::move(r.timezone)};
}

asio::awaitable<clinic_lookup> find(shared_services& shared, thread_services& local, std::string key,
                                    pg::conversation_store::clinic_key kind) {
    auto& dir = shared.clinics;
    const bool by_slug = kind == pg::conversation_store::clinic_key::slug;
    clinic_lookup out;
    out.found = by_slug ? dir.cached_slug(key) : dir.cached_id(key);
    if (out.found || key.empty() || key.size() > max_key_chars) co_return out;
    std::string tagged = (by_slug ? "s:" : "i:") + key;
    if (!dir.may_look_up(tagged, clinic_directory::clock::now())) co_return out;
    auto r = co_await local.store->async_clinic(key, kind);
    if (!r) {
        out.unavailable = true;
        co_return out;
    }
    if (!*r) {
        dir.note_missing(tagged, clinic_directory::clock::now());
        co_return out;
    }
    dir.put(clinic_of(std::move(**r)));
    out.found = by_slug ? dir.cached_slug(key) : dir.cached_id(key);
    if (out.found) log::info("clinic.picked_up", {{"clinic", log::safe_id(out.found->id)}});
    co_return out;
}

}  // namespace

bool valid_origin(std::string_view o) {
    std::string_view rest;
    if (o.starts_with("https://")) rest = o.substr(8);
    else if (o.starts_with("http://")) rest = o.substr(7);
    else return false;
    if (rest.empty() || rest.size() > 253 + 6) return false;
    std::string_view host = rest, port;
    if (rest.front() == '[') {  // an IPv6 literal
        auto close = rest.find(']');
        if (close == std::string_view::npos) return false;
        host = rest.substr(1, close - 1);
        if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) return false;
        rest = rest.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') return false;
        port = rest.empty() ? rest : rest.substr(1);
        if (!rest.empty() && port.empty()) return false;
    } else {
        auto colon = rest.find(':');
        host = rest.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = rest.substr(colon + 1);
            if (port.empty()) return false;
        }
        if (host.empty() || host.front() == '.' || host.front() == '-' ||
            host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
                std::string_view::npos)
            return false;
    }
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return false;
    return true;
}

clinic_directory::clinic_directory(std::vector<clinic> initial) {
    for (auto& c : initial) put_locked(std::make_shared<const clinic>(std::move(c)));
}

std::shared_ptr<const clinic> clinic_directory::cached_slug(std::string_view slug) const {
    std::lock_guard lock(mutex_);
    auto it = by_slug_.find(slug);
    return it == by_slug_.end() ? nullptr : it->second;
}

std::shared_ptr<const clinic> clinic_directory::cached_id(std::string_view id) const {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const clinic>> clinic_directory::all() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<const clinic>> out;
    out.reserve(by_id_.size());
    for (const auto& [id, c] : by_id_) out.push_back(c);
    return out;
}

std::size_t clinic_directory::size() const {
    std::lock_guard lock(mutex_);
    return by_id_.size();
}

void clinic_directory::put_locked(std::shared_ptr<const clinic> c) {
    if (auto old = by_id_.find(c->id); old != by_id_.end()) by_slug_.erase(old->second->slug);
    missing_.erase("s:" + c->slug);
    missing_.erase("i:" + c->id);
    by_slug_[c->slug] = c;
    by_id_[c->id] = std::move(c);
}

void clinic_directory::put(clinic c) {
    auto shared = std::make_shared<const clinic>(std::move(c));
    std::lock_guard lock(mutex_);
    put_locked(std::move(shared));
}

void clinic_directory::replace_all(std::vector<clinic> fresh) {
    std::lock_guard lock(mutex_);
    by_slug_.clear();
    by_id_.clear();
    for (auto& c : fresh) put_locked(std::make_shared<const clinic>(std::move(c)));
}

bool clinic_directory::may_look_up(const std::string& key, clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (auto it = missing_.find(key); it != missing_.end()) {
        if (now < it->second) return false;
        missing_.erase(it);
    }
    if (now - budget_second_ >= std::chrono::seconds(1)) {
        budget_second_ = now;
        budget_used_ = 0;
    }
    if (budget_used_ >= max_lookups_per_second) return false;
    ++budget_used_;
    return true;
}

void clinic_directory::note_missing(const std::string& key, clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (missing_.size() >= max_missing_remembered) missing_.clear();
    missing_[key] = now + negative_ttl;
}

asio::awaitable<clinic_lookup> find_clinic_by_slug(shared_services& shared, thread_services& local, std::string slug) {
    co_return co_await find(shared, local, std::move(slug), pg::conversation_store::clinic_key::slug);
}

asio::awaitable<clinic_lookup> find_clinic_by_id(shared_services& shared, thread_services& local, std::string id) {
    co_return co_await find(shared, local, std::move(id), pg::conversation_store::clinic_key::id);
}

asio::awaitable<void> refresh_clinics(shared_services& shared, thread_services& local) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_after(clinic_directory::refresh_every);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        auto all = co_await local.store->async_clinics();
        // PostgreSQL away: keep serving what we know rather than forget every clinic.
        if (!all) continue;
        std::vector<clinic> fresh;
        for (auto& r : *all) fresh.push_back(clinic_of(std::move(r)));
        shared.clinics.replace_all(std::move(fresh));
    }
}

}  // namespace triage::server

#include "server/triagectl_staff.hpp"

#include "integrations/errc.hpp"
#include "integrations/event_sink.hpp"
#include "integrations/postgres/connection.hpp"
#include "integrations/postgres/staff_store.hpp"
#include "integrations/phi/keyring.hpp"
#include "server/staff/credentials.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdio>
#include <iostream>
#include <map>
#include <optional>

namespace asio = boost::asio;
namespace pg = triage::integrations::postgres;

namespace triage::server {
namespace {

int desk_usage() {
    std::fputs("usage:\n"
               "  triagectl staff add SLUG EMAIL --name NAME --role front_desk|nurse|clinic_admin|auditor\n"
               "            [--password-stdin] [--oidc-subject SUB]\n"
               "  triagectl staff disable SLUG EMAIL\n"
               "  triagectl clinic sla SLUG [--renotify-after SECONDS] [--oncall-after SECONDS]\n"
               "            [--oncall-webhook URL|none] [--repeat-window-hours H] [--review-sample PERCENT]\n"
               "  triagectl canned-reply set SLUG TITLE --en TEXT --es TEXT [--position N]\n",
               stderr);
    return 2;
}

// Options after the positional arguments: --flag VALUE, and the bare flags listed in `bare`.
std::optional<std::map<std::string, std::string>> options(const std::vector<std::string>& args, std::size_t from,
                                                          std::initializer_list<std::string_view> with_value,
                                                          std::initializer_list<std::string_view> bare = {}) {
    std::map<std::string, std::string> out;
    for (std::size_t i = from; i < args.size(); ++i) {
        bool ok = false;
        for (auto b : bare)
            if (args[i] == b) {
                out[args[i]] = "";
                ok = true;
            }
        for (auto w : with_value)
            if (!ok && args[i] == w && i + 1 < args.size()) {
                // Not out[args[i]] = args[++i]: the right side is evaluated first.
                out[args[i]] = args[i + 1];
                ++i;
                ok = true;
            }
        if (!ok) return std::nullopt;
    }
    return out;
}

}  // namespace

pg::connection_settings tool_postgres_settings(const config& c) {
    pg::connection_settings s;
    s.hostaddr = c.postgres.hostaddr;
    s.port = c.postgres.port;
    s.dbname = c.postgres.dbname;
    s.user = c.postgres.user;
    s.password = c.postgres.password;
    s.query_timeout = std::chrono::milliseconds(std::max(c.postgres.query_timeout_ms, 10000));
    return s;
}

boost::asio::awaitable<std::optional<std::string>> tool_clinic_id(pg::pool& pool, const std::string& slug) {
    pg::statement st{"SELECT id FROM clinics WHERE slug = $1", {pg::text(slug)}};
    auto r = co_await pool.async_query(std::move(st));
    if (!r) {
        std::fprintf(stderr, "triagectl: cannot reach PostgreSQL or the schema is not migrated (%s)\n",
                     r.error().message().c_str());
        co_return std::nullopt;
    }
    if (r->size() == 0) {
        std::fprintf(stderr, "triagectl: no clinic with slug '%s'\n", slug.c_str());
        co_return std::nullopt;
    }
    co_return *r->at(0, 0);
}

namespace {

template <class F>
int with_store(const config& cfg, const std::string& slug, F body) {
    asio::io_context ctx;
    integrations::null_event_sink sink;
    pg::pool pool(ctx.get_executor(), tool_postgres_settings(cfg), sink, 1);
    pg::staff_store store(pool);
    auto fut = asio::co_spawn(ctx, [&]() -> asio::awaitable<int> {
        auto clinic_id = co_await tool_clinic_id(pool, slug);
        if (!clinic_id) co_return 1;
        co_return co_await body(store, *clinic_id);
    }(), asio::use_future);
    ctx.run();
    return fut.get();
}

int staff_add(const config& cfg, const std::vector<std::string>& args) {
    if (args.size() < 4) return desk_usage();
    auto o = options(args, 4, {"--name", "--role", "--oidc-subject"}, {"--password-stdin"});
    if (!o || !o->count("--name") || !o->count("--role")) return desk_usage();
    std::string hash;
    if (o->count("--password-stdin")) {
        std::string password;
        std::getline(std::cin, password);
        if (!password.empty() && password.back() == '\r') password.pop_back();
        if (!integrations::phi::keyring::init()) return 1;
        auto h = staff::hash_password(password);
        if (!h) {
            std::fprintf(stderr, "triagectl: password refused: %s\n", h.error().message().c_str());
            return 2;
        }
        hash = *h;
    }
    std::string subject = o->count("--oidc-subject") ? o->at("--oidc-subject") : "";
    if (!subject.empty() && cfg.staff_sso.issuer.empty()) {
        std::fprintf(stderr, "triagectl: --oidc-subject needs staff_sso.issuer in the configuration\n");
        return 2;
    }
    return with_store(cfg, args[2], [&](pg::staff_store& store, const std::string& clinic) -> asio::awaitable<int> {
        auto id = co_await store.async_create_user(clinic, args[3], o->at("--name"), o->at("--role"), hash);
        if (!id) {
            std::fprintf(stderr, "triagectl: could not store the user (%s); roles are front_desk, nurse, "
                                 "clinic_admin, auditor\n",
                         id.error().message().c_str());
            co_return 1;
        }
        if (!subject.empty()) {
            auto ec = co_await store.async_link_oidc(clinic, *id, cfg.staff_sso.issuer, subject);
            if (ec) {
                std::fprintf(stderr, "triagectl: could not bind the sign-in identity (%s)%s\n", ec.message().c_str(),
                             ec == integrations::errc::pg_unique_violation ? ": it belongs to another user" : "");
                co_return 1;
            }
        }
        std::printf("staff user %s ready in clinic %s, id %s%s%s\n", args[3].c_str(), args[2].c_str(), id->c_str(),
                    hash.empty() ? "" : ", local password set", subject.empty() ? "" : ", single sign-on bound");
        co_return 0;
    });
}

int staff_disable(const config& cfg, const std::vector<std::string>& args) {
    if (args.size() != 4) return desk_usage();
    return with_store(cfg, args[2], [&](pg::staff_store& store, const std::string& clinic) -> asio::awaitable<int> {
        auto u = co_await store.async_find_user_by_email(clinic, args[3]);
        if (!u) co_return 1;
        if (!*u) {
            std::fprintf(stderr, "triagectl: no staff user %s in clinic %s\n", args[3].c_str(), args[2].c_str());
            co_return 1;
        }
        auto ec = co_await store.async_set_active(clinic, (*u)->id, false);
        if (ec) co_return 1;
        std::printf("staff user %s disabled; their sessions are ended\n", args[3].c_str());
        co_return 0;
    });
}

std::optional<long long> number(const std::string& s) {
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || v < 0) return std::nullopt;
    return v;
}

int clinic_sla(const config& cfg, const std::vector<std::string>& args) {
    if (args.size() < 3) return desk_usage();
    auto o = options(args, 3, {"--renotify-after", "--oncall-after", "--oncall-webhook", "--repeat-window-hours",
                                 "--review-sample"});
    if (!o) return desk_usage();
    return with_store(cfg, args[2], [&](pg::staff_store& store, const std::string& clinic) -> asio::awaitable<int> {
        auto d = co_await store.async_desk_settings(clinic);
        if (!d) co_return 1;
        for (const auto& [k, v] : *o) {
            if (k == "--oncall-webhook") {
                if (v == "none") d->oncall_webhook_url.reset();
                else d->oncall_webhook_url = v;
                continue;
            }
            auto n = number(v);
            if (!n) {
                std::fprintf(stderr, "triagectl: %s wants a whole number\n", k.c_str());
                co_return 2;
            }
            if (k == "--renotify-after") d->renotify_after = std::chrono::seconds(*n);
            if (k == "--oncall-after") d->oncall_after = std::chrono::seconds(*n);
            if (k == "--repeat-window-hours") d->repeat_window = std::chrono::hours(*n);
            if (k == "--review-sample") {
                if (*n > 100) {
                    std::fprintf(stderr, "triagectl: --review-sample is a percentage, 0 to 100\n");
                    co_return 2;
                }
                d->review_sample_percent = static_cast<int>(*n);
            }
        }
        auto ec = co_await store.async_set_desk_settings(clinic, *d);
        if (ec) {
            std::fprintf(stderr, "triagectl: refused: re-notify must be at least 1 s, on-call no earlier than "
                                 "re-notify, and the webhook an http(s) URL\n");
            co_return 1;
        }
        std::printf("clinic %s: re-notify after %lld s, on-call after %lld s, webhook %s, repeat window %lld h, "
                    "review sample %d%%\n",
                    args[2].c_str(), static_cast<long long>(d->renotify_after.count()),
                    static_cast<long long>(d->oncall_after.count()),
                    d->oncall_webhook_url ? "set" : "none",
                    static_cast<long long>(d->repeat_window.count() / 3600), d->review_sample_percent);
        co_return 0;
    });
}

int canned_set(const config& cfg, const std::vector<std::string>& args) {
    if (args.size() < 4) return desk_usage();
    auto o = options(args, 4, {"--en", "--es", "--position"});
    if (!o || !o->count("--en") || !o->count("--es")) return desk_usage();
    pg::canned_reply c;
    c.title = args[3];
    c.body_en = o->at("--en");
    c.body_es = o->at("--es");
    if (o->count("--position")) {
        auto n = number(o->at("--position"));
        if (!n) return desk_usage();
        c.position = static_cast<int>(*n);
    }
    return with_store(cfg, args[2], [&](pg::staff_store& store, const std::string& clinic) -> asio::awaitable<int> {
        auto id = co_await store.async_upsert_canned_reply(clinic, c);
        if (!id) co_return 1;
        std::printf("canned reply '%s' ready in clinic %s\n", c.title.c_str(), args[2].c_str());
        co_return 0;
    });
}

}  // namespace

int desk_command(const config& cfg, const std::vector<std::string>& args) {
    if (args.size() >= 2 && args[0] == "staff" && args[1] == "add") return staff_add(cfg, args);
    if (args.size() >= 2 && args[0] == "staff" && args[1] == "disable") return staff_disable(cfg, args);
    if (args.size() >= 2 && args[0] == "clinic" && args[1] == "sla") return clinic_sla(cfg, args);
    if (args.size() >= 2 && args[0] == "canned-reply" && args[1] == "set") return canned_set(cfg, args);
    if (!args.empty() && (args[0] == "staff" || args[0] == "canned-reply")) return desk_usage();
    return -1;
}

}  // namespace triage::server

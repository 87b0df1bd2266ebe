#include "server/staff/service_levels.hpp"

#include "integrations/http/client.hpp"
#include "server/live/hub.hpp"
#include "server/log.hpp"
#include "server/staff/views.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

namespace asio = boost::asio;
namespace json = boost::json;
namespace pg = triage::integrations::postgres;

namespace triage::server::staff {
namespace {

asio::awaitable<void> announce(thread_services& local, const pg::escalation_record& e, std::string_view event) {
    std::string news = json::serialize(json::object{
        {"type", "escalation.changed"}, {"event", event}, {"escalation", e.id}, {"clinic", e.clinic_id}});
    co_await local.hub->publish(live::desk_channel(e.clinic_id), std::move(news));
}

// Ids and codes only: the on-call system is outside our PHI boundary.
asio::awaitable<void> call_on_call(thread_services& local, asio::ssl::context* tls, pg::escalation_record e,
                                   std::string url, std::string clinic_slug) {
    auto ex = co_await asio::this_coro::executor;
    integrations::http::request req;
    req.method = "POST";
    req.url = url;
    req.timeout = std::chrono::seconds(5);
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = json::serialize(json::object{{"event", "escalation.unclaimed"},
                                            {"escalation", e.id},
                                            {"clinic", clinic_slug},
                                            {"urgency", e.urgency},
                                            {"reason", e.reason},
                                            {"raised_at", iso_time(e.raised_at)},
                                            {"console_path", "/staff/"}});
    auto r = co_await integrations::http::async_fetch(ex, tls, std::move(req));
    int status = r ? r->status : 0;
    bool ok = status >= 200 && status < 300;
    std::string detail = json::serialize(json::object{{"escalation", e.id}, {"status", status}, {"delivered", ok}});
    co_await local.store->async_audit(e.clinic_id, "system", "escalation.oncall_webhook", std::move(detail));
    if (ok) log::info("escalation.oncall_called", {{"escalation", log::safe_id(e.id)}});
    else log::warn("escalation.oncall_failed", {{"escalation", log::safe_id(e.id)}, {"status", status}});
}

asio::awaitable<void> check_clinic(shared_services&, thread_services& local, asio::ssl::context* tls, const clinic& c) {
    auto d = co_await desk_settings_of(local, c.id);
    auto snap = co_await local.staff->async_open_escalations(c.id, pg::timestamp{});
    if (!snap) co_return;
    auto now = std::chrono::system_clock::now();
    for (const auto& e : snap->escalations) {
        if (e.status != "raised" && e.status != "notified") continue;
        auto age = now - std::chrono::system_clock::time_point(e.raised_at);
        if (e.status == "raised") {
            // Announced when raised; recorded as notified here (once, by whichever instance).
            auto t = co_await local.staff->async_mark_notified(c.id, e.id);
            if (t && t->applied) co_await announce(local, t->escalation, "notified");
        }
        if (age >= d.renotify_after && !e.renotified_at) {
            auto t = co_await local.staff->async_mark_renotified(c.id, e.id);
            if (t && t->applied) {
                co_await announce(local, t->escalation, "renotified");
                std::string news = R"({"type":"sla","level":"renotified"})";
                co_await local.hub->publish(live::live_channel(e.conversation_id), std::move(news));
            }
        }
        if (age >= d.oncall_after && !e.oncall_sent_at) {
            auto t = co_await local.staff->async_mark_oncall_sent(c.id, e.id);
            if (t && t->applied) {
                co_await announce(local, t->escalation, "oncall");
                if (d.oncall_webhook_url) {
                    // Not awaited: a slow on-call system must not hold up the next escalation.
                    auto ex = co_await asio::this_coro::executor;
                    asio::co_spawn(ex, call_on_call(local, tls, t->escalation, *d.oncall_webhook_url, c.slug),
                                   asio::detached);
                }
            }
        }
    }
}

}  // namespace

asio::awaitable<void> watch_service_levels(shared_services& shared, thread_services& local,
                                           asio::ssl::context* client_tls) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex);
    for (;;) {
        timer.expires_after(std::chrono::seconds(1));
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        for (const auto& c : shared.clinics.all()) {
            try {
                co_await check_clinic(shared, local, client_tls, *c);
            } catch (const std::exception&) {
                log::error("escalation.sla_check_threw", {});
            }
        }
    }
}

}  // namespace triage::server::staff

#include "server/http/operator.hpp"

#include "server/log.hpp"
#include "server/metrics/product.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
namespace pg = triage::integrations::postgres;
using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<bhttp::string_body>;

namespace triage::server::http {
namespace {

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

// What each I/O thread knows about its own connections and breakers.
struct thread_report {
    bool redis_up = false;
    bool postgres_up = false;
    bool fhir_breaker_open = false;
    bool remote_model_breaker_open = false;
};

asio::awaitable<thread_report> report_of(thread_services& t) {
    thread_report r;
    auto redis = co_await t.sessions->async_ping();
    r.redis_up = static_cast<bool>(redis);
    auto pg_ec = co_await t.store->async_ping();
    r.postgres_up = !pg_ec;
    r.fhir_breaker_open = t.booking && t.booking->breaker_open();
    r.remote_model_breaker_open = t.remote_intent && t.remote_intent->breaker_open();
    co_return r;
}

// Process figures from /proc (in memory: no disk is touched).
void write_process(metrics::text_writer& w) {
    long page = sysconf(_SC_PAGESIZE);
    long ticks = sysconf(_SC_CLK_TCK);
    std::ifstream statm("/proc/self/statm");
    long size = 0, resident = 0;
    if (statm >> size >> resident)
        w.gauge_sample("process_resident_memory_bytes", "Resident memory size in bytes.", {},
                       static_cast<double>(resident) * static_cast<double>(page));
    std::ifstream stat("/proc/self/stat");
    std::string line;
    if (std::getline(stat, line)) {
        // Fields after the command name (which is in parentheses and may hold spaces).
        auto close = line.rfind(')');
        std::istringstream rest(close == std::string::npos ? std::string() : line.substr(close + 2));
        std::vector<std::string> f;
        std::string x;
        while (rest >> x) f.push_back(x);
        // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name; starttime is 22 (20).
        if (f.size() > 20 && ticks > 0) {
            double cpu = (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(ticks);
            w.counter_header("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.");
            w.sample("process_cpu_seconds_total", {}, cpu);
            std::ifstream uptime("/proc/uptime");
            double up = 0;
            if (uptime >> up) {
                double boot = static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                                      std::chrono::system_clock::now().time_since_epoch())
                                                      .count()) -
                              up;
                w.gauge_sample("process_start_time_seconds", "Start time of the process since the epoch in seconds.",
                               {}, boot + std::stod(f[19]) / static_cast<double>(ticks));
            }
        }
    }
    std::error_code ec;
    std::size_t fds = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec))
        ++fds;
    w.gauge_sample("process_open_fds", "Number of open file descriptors.", {}, static_cast<double>(fds));
}

response text_response(const request& req, bhttp::status st, std::string body, std::string_view type) {
    response res{st, req.version()};
    res.set(bhttp::field::content_type, type);
    res.set(bhttp::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

response json_reply(const request& req, bhttp::status st, const json::value& v) {
    return text_response(req, st, json::serialize(v) + "\n", "application/json");
}

json::object levels_json() {
    json::object components;
    for (const auto& [c, l] : log::component_levels()) components[c] = log::to_string(l);
    return json::object{{"default", log::to_string(log::default_level())}, {"components", std::move(components)}};
}

// A component is the first word of our event names: letters, digits and underscores.
bool valid_component(std::string_view c) {
    if (c.empty() || c.size() > 40) return false;
    for (char ch : c)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
    return true;
}

response log_levels(const request& req) {
    if (req.method() == bhttp::verb::get) return json_reply(req, bhttp::status::ok, levels_json());
    if (req.method() != bhttp::verb::put)
        return json_reply(req, bhttp::status::method_not_allowed, json::object{{"error", "method_not_allowed"}});
    auto u = boost::urls::parse_origin_form(req.target());
    if (!u) return json_reply(req, bhttp::status::bad_request, json::object{{"error", "bad_target"}});
    std::map<std::string, std::vector<std::string>> q;
    for (auto p : u->params()) q[std::string(p.key)].push_back(std::string(p.value));
    for (const auto& [k, v] : q)
        if ((k != "component" && k != "level") || v.size() != 1)
            return json_reply(req, bhttp::status::bad_request, json::object{{"error", "bad_parameter"}, {"parameter", k}});
    if (!q.count("component") || !valid_component(q["component"][0]))
        return json_reply(req, bhttp::status::bad_request, json::object{{"error", "bad_parameter"}, {"parameter", "component"}});
    if (!q.count("level"))
        return json_reply(req, bhttp::status::bad_request, json::object{{"error", "bad_parameter"}, {"parameter", "level"}});
    const auto& component = q["component"][0];
    const auto& level = q["level"][0];
    if (level == "default") {
        log::clear_level(component);
    } else if (auto l = log::level_from_string(level)) {
        log::set_level(component, *l);
    } else {
        return json_reply(req, bhttp::status::bad_request, json::object{{"error", "bad_parameter"}, {"parameter", "level"}});
    }
    log::warn("operator.log_level_set", {{"component", log::field_value::code(component)},
                                         {"set_to", log::field_value::code(level)}});
    return json_reply(req, bhttp::status::ok, levels_json());
}

}  // namespace

bool operator_token_ok(std::string_view authorization, const std::string& token) {
    if (token.empty()) return false;
    constexpr std::string_view scheme = "Bearer ";
    if (authorization.size() != scheme.size() + token.size() || !authorization.starts_with(scheme)) return false;
    return sodium_memcmp(authorization.data() + scheme.size(), token.data(), token.size()) == 0;
}

asio::awaitable<std::string> metrics_text(shared_services& shared, thread_services& local) {
    metrics::text_writer w;
    metrics::product().write(w);

    w.gauge_sample("triage_build_info", "The versions running: rules, flow and models.",
                   {{"rules", shared.rules.version()},
                    {"flow", shared.flow.id + "@" + shared.flow.version},
                    {"urgency_model", shared.urgency ? shared.urgency->version() : std::string("none")},
                    {"intent_model", shared.intents.current()->version()}},
                   1);

    // Each thread's own view: its Redis and PostgreSQL connections and its breakers.
    std::vector<thread_report> reports;
    for (auto [ctx, svc] : shared.io_threads)
        reports.push_back(co_await asio::co_spawn(ctx->get_executor(), report_of(*svc), asio::use_awaitable));
    w.gauge_header("triage_dependency_up", "Whether an I/O thread reaches the dependency now (1) or not (0).");
    for (std::size_t i = 0; i < reports.size(); ++i) {
        std::string t = std::to_string(i);
        w.sample("triage_dependency_up", {{"dependency", "redis"}, {"thread", t}}, reports[i].redis_up);
        w.sample("triage_dependency_up", {{"dependency", "postgres"}, {"thread", t}}, reports[i].postgres_up);
    }
    w.gauge_header("triage_circuit_breaker_open", "Whether an I/O thread's circuit breaker is open now.");
    for (std::size_t i = 0; i < reports.size(); ++i) {
        std::string t = std::to_string(i);
        w.sample("triage_circuit_breaker_open", {{"dependency", "fhir"}, {"thread", t}}, reports[i].fhir_breaker_open);
        w.sample("triage_circuit_breaker_open", {{"dependency", "remote_model"}, {"thread", t}},
                 reports[i].remote_model_breaker_open);
    }

    // The desk's queue, from the record (so every instance reports the same queue).
    std::map<std::pair<std::string, std::string>, double> waiting;
    std::map<std::string, double> oldest;
    bool queue_read = true;
    auto now = std::chrono::system_clock::now();
    for (const auto& c : shared.clinics.all()) {
        auto snap = co_await local.staff->async_open_escalations(c->id, pg::timestamp{});
        if (!snap) {
            queue_read = false;
            break;
        }
        oldest[c->slug] = 0;
        for (const auto& e : snap->escalations) {
            if (e.status != "raised" && e.status != "notified") continue;
            waiting[{c->slug, e.urgency}] += 1;
            double age = std::chrono::duration<double>(now - e.raised_at).count();
            if (age > oldest[c->slug]) oldest[c->slug] = age;
        }
    }
    if (queue_read) {
        w.gauge_header("triage_escalations_waiting", "Escalations raised and not yet claimed, by urgency.");
        for (const auto& [k, n] : waiting) w.sample("triage_escalations_waiting", {{"clinic", k.first}, {"urgency", k.second}}, n);
        w.gauge_header("triage_escalation_oldest_waiting_seconds",
                       "Age of the oldest unclaimed escalation (0 when none waits).");
        for (const auto& [clinic, age] : oldest)
            w.sample("triage_escalation_oldest_waiting_seconds", {{"clinic", clinic}}, age < 0 ? 0 : age);
    }
    w.gauge_sample("triage_escalation_queue_readable", "Whether the queue could be read from PostgreSQL for this scrape.",
                   {}, queue_read);
    write_process(w);
    co_return w.text();
}

asio::awaitable<void> serve_operator_connection(asio::ip::tcp::socket socket, shared_services& shared) {
    thread_services* local = nullptr;
    auto ex = socket.get_executor();
    for (auto [ctx, svc] : shared.io_threads)
        if (ctx->get_executor() == ex) local = svc;
    if (!local && !shared.io_threads.empty()) local = shared.io_threads.front().second;
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(8 * 1024);
        parser.body_limit(1024);
        stream.expires_after(std::chrono::seconds(10));
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow);
        if (ec) break;
        request req = parser.release();
        std::string_view target = req.target();
        std::string_view path = target.substr(0, target.find('?'));
        response res;
        if (!shared.cfg.metrics.token.empty() && !operator_token_ok(req[bhttp::field::authorization], shared.cfg.metrics.token)) {
            res = json_reply(req, bhttp::status::unauthorized, json::object{{"error", "unauthenticated"}});
            res.set(bhttp::field::www_authenticate, "Bearer");
        } else if (path == "/metrics") {
            if (req.method() != bhttp::verb::get)
                res = json_reply(req, bhttp::status::method_not_allowed, json::object{{"error", "method_not_allowed"}});
            else
                res = text_response(req, bhttp::status::ok, co_await metrics_text(shared, *local),
                                    "text/plain; version=0.0.4; charset=utf-8");
        } else if (path == "/log-levels") {
            res = log_levels(req);
        } else {
            res = json_reply(req, bhttp::status::not_found, json::object{{"error", "not_found"}});
        }
        stream.expires_after(std::chrono::seconds(10));
        bool keep = res.keep_alive();
        auto [wec, wn] = co_await bhttp::async_write(stream, res, use_nothrow);
        if (wec || !keep) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

}  // namespace triage::server::http

#include "server/app.hpp"

#include "integrations/auth/jwt.hpp"
#include "dialog/intent_model.hpp"

#include <boost/json.hpp>

#include <functional>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "dialog/flow_loader.hpp"
#include "integrations/errc.hpp"
#include "integrations/postgres/migrations.hpp"
#include "server/assess.hpp"
#include "server/http/listener.hpp"
#include "server/metrics/product.hpp"
#include "server/log.hpp"
#include "server/services.hpp"
#include "server/staff/drift_check.hpp"
#include "server/staff/service_levels.hpp"
#include "server/staff/sso.hpp"
#include "server/staff/throttle.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace asio = boost::asio;
namespace pg = triage::integrations::postgres;
namespace rds = triage::integrations::redis;
namespace phi = triage::integrations::phi;
namespace json = boost::json;

namespace triage::server {
namespace {

// Integrations report through this; only event names, codes and SQLSTATEs reach the log (G2).
class log_sink final : public integrations::event_sink {
public:
    void report(std::string_view event, boost::system::error_code ec, std::string_view detail) noexcept override {
        try {
            metrics::product().integration_events.with({event}).add();
            // Outage events repeat for every request; log each kind at most once a second (G4).
            auto now = std::chrono::steady_clock::now();
            std::lock_guard lock(mu_);
            auto& last = last_[std::string(event)];
            if (now - last < std::chrono::seconds(1)) return;
            last = now;
            log::write(ec ? log::level::warn : log::level::info, event,
                       {{"ec", ec}, {"detail", log::field_value::code(detail)}});
        } catch (...) {
        }
    }

private:
    std::mutex mu_;
    std::map<std::string, std::chrono::steady_clock::time_point> last_;
};

struct startup_state {
    std::vector<clinic> clinics;
    std::string error;
};

// Connects to PostgreSQL (waiting for it: a service manager may start us first), checks the
// schema, loads or creates the PHI data key, and loads the clinics.
asio::awaitable<void> prepare(pg::pool& pool, pg::conversation_store& store, phi::keyring& keys, startup_state& out,
                              const rules::engine& engine, integrations::event_sink& sink) {
    auto ex = co_await asio::this_coro::executor;
    for (int attempt = 0;; ++attempt) {
        auto ping = co_await store.async_ping();
        if (!ping) break;
        if (attempt == 0) std::fprintf(stderr, "triaged: waiting for PostgreSQL...\n");
        if (attempt > 300) {
            out.error = "PostgreSQL is not reachable (check postgres.hostaddr and postgres.port)";
            co_return;
        }
        asio::steady_timer t(ex, std::chrono::milliseconds(200));
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    {
        auto lease = co_await pool.async_acquire();
        if (!lease) { out.error = "PostgreSQL connection failed"; co_return; }
        auto v = co_await pg::async_schema_version(**lease);
        int latest = pg::all_migrations().empty() ? 0 : pg::all_migrations().back().version;
        if (!v || *v < latest) {
            out.error = "the database schema is not up to date: run `triagectl migrate` first";
            co_return;
        }
    }
    for (int attempt = 0; attempt < 3 && !keys.has_data_key(); ++attempt) {
        auto stored = co_await store.async_phi_keys();
        if (!stored) { out.error = "could not read the PHI data keys"; co_return; }
        for (const auto& k : *stored) {
            if (!keys.add_wrapped_data_key(k.id, k.wrapped)) {
                out.error = "a PHI data key does not open with this master key (wrong TRIAGE_MASTER_KEY?)";
                co_return;
            }
        }
        if (keys.has_data_key()) break;
        // First start: create data key 1. Another instance may win the race; then load theirs.
        std::string wrapped = keys.create_data_key(1);
        // A named value, not a braced temporary: GCC 12 destroys braced temporaries inside a
        // co_await expression twice.
        pg::phi_key_record first{1, wrapped};
        auto ec = co_await store.async_store_phi_key(std::move(first));
        if (ec) {
            // Most likely another instance stored key 1 at the same moment; ours is not usable.
            out.error = "could not store the first PHI data key (another instance starting at the same time?); "
                        "start again";
            co_return;
        }
    }
    if (!keys.has_data_key()) { out.error = "could not create a PHI data key"; co_return; }
    auto clinics = co_await store.async_clinics();
    if (!clinics) { out.error = "could not load clinics"; co_return; }
    for (auto& c : *clinics) out.clinics.push_back(clinic{c.id, c.slug, c.name, c.allowed_origins, c.timezone});
    if (out.clinics.empty()) out.error = "no clinic is configured: run `triagectl seed-demo` or `triagectl clinic add`";
    // A red flag switched off is a clinical decision: every start records which ones are off.
    for (const auto& c : out.clinics) {
        for (const auto& o : engine.overrides()) {
            std::string detail = json::serialize(json::object{{"packs", engine.version()},
                                                              {"by_pack", o.pack},
                                                              {"rule", o.what.rule_id},
                                                              {"action", "disable"},
                                                              {"reason", o.what.reason},
                                                              {"approved_by", o.what.approved_by}});
            auto ec = co_await store.async_audit(c.id, "system", "rules.override_in_force", std::move(detail));
            if (ec) {
                out.error = "could not record the rule overrides in the audit trail";
                co_return;
            }
        }
    }
    (void)sink;
}

}  // namespace

std::optional<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::optional<std::string> load_master_key_hex(const config& cfg, std::string& error) {
    if (const char* env = std::getenv("TRIAGE_MASTER_KEY"); env && *env) return std::string(env);
    auto text = read_text_file(cfg.master_key_file);
    if (!text) {
        error = "master_key_file: cannot read " + cfg.master_key_file;
        return std::nullopt;
    }
    std::string hex;
    for (char c : *text)
        if (!std::isspace(static_cast<unsigned char>(c))) hex += c;
    return hex;
}

int run(const config& cfg) {
    // The configuration already refused any other value.
    log::configure(log::level_from_string(cfg.log.level).value_or(log::level::info), cfg.log.file);
    if (!phi::keyring::init()) {
        std::fprintf(stderr, "triaged: libsodium failed to initialise\n");
        return 1;
    }
    std::string err;
    auto hex = load_master_key_hex(cfg, err);
    if (!hex) { std::fprintf(stderr, "triaged: %s\n", err.c_str()); return 2; }
    auto master = phi::parse_master_key(*hex);
    if (!master) { std::fprintf(stderr, "triaged: the master key must be 64 hexadecimal characters\n"); return 2; }
    phi::keyring keys(*master);

    // Flow, intents and rule packs: control plane, so errors stop the start with file:line.
    auto flow_text = read_text_file(cfg.flow_file);
    if (!flow_text) { std::fprintf(stderr, "triaged: flow_file: cannot read %s\n", cfg.flow_file.c_str()); return 2; }
    auto flow = dialog::load_flow(*flow_text, cfg.flow_file);
    for (const auto& d : flow.diagnostics) std::fprintf(stderr, "%s\n", rules::to_string(d).c_str());
    if (!flow.loaded) return 2;
    auto intents = load_intents(cfg.intent_model, cfg.intents_file);
    if (!intents.classifier) {
        std::fprintf(stderr, "triaged: %s\n", intents.error.c_str());
        return 2;
    }
    auto loaded_rules = load_rule_engine(cfg.rule_packs, cfg.rule_dictionaries);
    if (!loaded_rules) return 2;
    rules::engine engine = std::move(*loaded_rules);
    auto urgency = load_urgency_model(cfg.urgency_model);
    if (!urgency.error.empty()) {
        std::fprintf(stderr, "triaged: %s\n", urgency.error.c_str());
        return 2;
    }
    auto language = load_language_model(cfg.language_model);
    if (!language.error.empty()) {
        std::fprintf(stderr, "triaged: %s\n", language.error.c_str());
        return 2;
    }

    std::unique_ptr<asio::ssl::context> tls;
    if (!cfg.tls_certificate.empty()) {
        tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
        // TLS 1.2 and 1.3 only.
        SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
        tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                         asio::ssl::context::single_dh_use);
        boost::system::error_code ec;
        tls->use_certificate_chain_file(cfg.tls_certificate, ec);
        if (!ec) tls->use_private_key_file(cfg.tls_private_key, asio::ssl::context::pem, ec);
        if (ec) {
            std::fprintf(stderr, "triaged: tls: cannot load the certificate or private key (%s, %s)\n",
                         cfg.tls_certificate.c_str(), cfg.tls_private_key.c_str());
            return 2;
        }
    }

    // Outgoing TLS (the remote intent model): peers verified against the system's CAs.
    asio::ssl::context client_tls(asio::ssl::context::tls_client);
    client_tls.set_default_verify_paths();
    client_tls.set_verify_mode(asio::ssl::verify_peer);
    SSL_CTX_set_min_proto_version(client_tls.native_handle(), TLS1_2_VERSION);
    // The intents a remote answer may name: those of the local model, else the keyword file's.
    std::vector<std::string> remote_intents(dialog::product_intents.begin(), dialog::product_intents.end());
    if (auto* m = dynamic_cast<const dialog::model_intent_classifier*>(intents.classifier.get())) remote_intents = m->intents();

    if (!cfg.fhir.base_url.empty() && cfg.fhir.auth == "smart") {
        // Fail at start, not on a patient's first booking.
        auto pem = read_text_file(cfg.fhir.key_file);
        if (!pem || !integrations::auth::signing_key::from_pem(*pem, cfg.fhir.key_algorithm, cfg.fhir.key_id)) {
            std::fprintf(stderr, "triaged: fhir.key_file: cannot read a %s private key from %s\n",
                         cfg.fhir.key_algorithm.c_str(), cfg.fhir.key_file.c_str());
            return 2;
        }
    }
    unsigned n_threads = cfg.io_threads ? cfg.io_threads : std::max(1u, std::thread::hardware_concurrency());
    log_sink sink;
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<std::unique_ptr<thread_services>> services;
    for (unsigned i = 0; i < n_threads; ++i) {
        contexts.push_back(std::make_unique<asio::io_context>(1));
        auto ex = contexts.back()->get_executor();
        auto s = std::make_unique<thread_services>();
        rds::connection_settings rs;
        rs.address = cfg.redis.address;
        rs.port = cfg.redis.port;
        rs.command_timeout = std::chrono::milliseconds(cfg.redis.command_timeout_ms);
        s->redis = std::make_shared<rds::connection>(ex, rs, sink);
        s->sessions = std::make_unique<rds::session_store>(s->redis, "triage:conversation:",
                                                           std::chrono::seconds(cfg.redis.session_ttl_s));
        pg::connection_settings ps;
        ps.hostaddr = cfg.postgres.hostaddr;
        ps.port = cfg.postgres.port;
        ps.dbname = cfg.postgres.dbname;
        ps.user = cfg.postgres.user;
        ps.password = cfg.postgres.password;
        ps.query_timeout = std::chrono::milliseconds(cfg.postgres.query_timeout_ms);
        s->pg = std::make_unique<pg::pool>(ex, ps, sink, static_cast<std::size_t>(cfg.postgres.pool_size));
        s->store = std::make_unique<pg::conversation_store>(*s->pg);
        if (!cfg.remote_intent.url.empty()) {
            integrations::remote_intent::settings rs_;
            rs_.url = cfg.remote_intent.url;
            rs_.model = cfg.remote_intent.model;
            rs_.api_key = cfg.remote_intent.api_key;
            rs_.timeout = std::chrono::milliseconds(cfg.remote_intent.timeout_ms);
            rs_.failures_to_open = cfg.remote_intent.failures_to_open;
            rs_.open_for = std::chrono::seconds(cfg.remote_intent.open_seconds);
            rs_.intents = remote_intents;
            s->remote_intent = std::make_unique<integrations::remote_intent::client>(ex, std::move(rs_), &client_tls, sink);
        }
        s->booking = std::make_unique<booking_desk>(ex, &client_tls, cfg, sink);
        s->staff = std::make_unique<pg::staff_store>(*s->pg);
        s->hub = std::make_unique<live::hub>(ex, rs, sink, s->redis);
        services.push_back(std::move(s));
    }

    startup_state st;
    {
        auto fut = asio::co_spawn(*contexts[0], prepare(*services[0]->pg, *services[0]->store, keys, st, engine, sink),
                                  asio::use_future);
        contexts[0]->run();
        contexts[0]->restart();
        fut.get();
    }
    if (!st.error.empty()) {
        std::fprintf(stderr, "triaged: %s\n", st.error.c_str());
        return 3;
    }

    intent_source intent_models(intents.classifier);
    // Argon2id takes ~64 MiB and tens of milliseconds per sign-in: one worker keeps a burst of
    // sign-ins from taking both cores from patients.
    asio::thread_pool hashing(1);
    staff::login_throttle throttle;
    shared_services shared{cfg, engine, *flow.loaded, intent_models, keys, clinic_directory(std::move(st.clinics)),
                           {}, hashing, throttle};
    shared.urgency = urgency.model.get();
    shared.language = language.classifier.get();
    std::unique_ptr<staff::sign_in_provider> sso;
    if (!cfg.staff_sso.issuer.empty()) {
        sso = std::make_unique<staff::sign_in_provider>(cfg, &client_tls, keys);
        shared.sso = sso.get();
    }
    for (unsigned i = 0; i < n_threads; ++i) shared.io_threads.emplace_back(contexts[i].get(), services[i].get());
    http::listener listener(shared, tls.get());
    // The operator's endpoints on their own port (off while metrics.listen.port is 0).
    std::optional<http::listener> operator_listener;
    if (cfg.metrics.listen_port != 0) {
        operator_listener.emplace(shared, nullptr, true);
        try {
            operator_listener->bind(cfg.metrics.listen_address, cfg.metrics.listen_port);
        } catch (const std::exception&) {
            std::fprintf(stderr, "triaged: metrics.listen: cannot bind %s:%u (in use, or not an address of this machine)\n",
                         cfg.metrics.listen_address.c_str(), static_cast<unsigned>(cfg.metrics.listen_port));
            return 2;
        }
        operator_listener->start();
        std::fprintf(stderr, "triaged: operator endpoints (/metrics, /log-levels) on http://%s:%u%s\n",
                     cfg.metrics.listen_address.c_str(), static_cast<unsigned>(cfg.metrics.listen_port),
                     cfg.metrics.token.empty() ? "" : " (bearer token)");
    }
    unsigned short port = 0;
    try {
        port = listener.bind(cfg.listen_address, cfg.listen_port);
    } catch (const std::exception&) {
        std::fprintf(stderr, "triaged: listen: cannot bind %s:%u (in use, or not an address of this machine)\n",
                     cfg.listen_address.c_str(), static_cast<unsigned>(cfg.listen_port));
        return 2;
    }
    listener.start();
    std::string scheme = tls ? "https" : "http";
    std::string host = cfg.listen_address.find(':') != std::string::npos ? "[" + cfg.listen_address + "]" : cfg.listen_address;
    std::string base = scheme + "://" + host + ":" + std::to_string(port);
    std::fprintf(stderr, "triaged: listening on %s (%u I/O threads, %zu clinics, rules %s, flow %s@%s)\n", base.c_str(),
                 n_threads, shared.clinics.size(), engine.version().c_str(), flow.loaded->id.c_str(),
                 flow.loaded->version.c_str());
    log::info("server.listening", {{"port", static_cast<unsigned>(port)}, {"io_threads", n_threads}});
    if (!cfg.ready_file.empty()) {
        std::ofstream rf(cfg.ready_file + ".tmp");
        rf << base << "\n";
        rf.close();
        std::rename((cfg.ready_file + ".tmp").c_str(), cfg.ready_file.c_str());
    }

    // SIGHUP: reload the intent model (and check it against its card) off the I/O threads; a bad
    // file is reported and the model in force stays.
    asio::thread_pool control(1);
    asio::signal_set reload(*contexts[0], SIGHUP);
    std::function<void()> wait_reload = [&] {
        reload.async_wait([&](boost::system::error_code ec, int) {
            if (ec) return;
            asio::post(control, [&] {
                auto next = load_intents(cfg.intent_model, cfg.intents_file);
                if (next.classifier) {
                    intent_models.replace(next.classifier);
                    log::info("intents.reloaded", {{"version", log::field_value::code(next.classifier->version())}});
                } else {
                    log::error("intents.reload_failed", {{"reason", log::field_value::code("see stderr")}});
                    std::fprintf(stderr, "triaged: reload: %s\n", next.error.c_str());
                }
            });
            wait_reload();
        });
    };
    wait_reload();

    // Each I/O thread reads the EHR's CapabilityStatement now, so the booking strategy is known
    // (and logged) before the first patient asks; a server that is down is asked again later.
    for (unsigned i = 0; i < n_threads; ++i)
        asio::co_spawn(*contexts[i], services[i]->booking->prepare(), asio::detached);
    asio::co_spawn(*contexts[0], staff::watch_service_levels(shared, *services[0], &client_tls), asio::detached);
    asio::co_spawn(*contexts[0], refresh_clinics(shared, *services[0]), asio::detached);
    asio::co_spawn(*contexts[0], staff::watch_drift(shared, *services[0]), asio::detached);

    asio::signal_set signals(*contexts[0], SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int) {
        if (ec) return;
        log::info("server.stopping");
        reload.cancel();
        listener.stop();
        if (operator_listener) operator_listener->stop();
        for (auto& c : contexts) c->stop();
    });
    // Without a guard, a context with nothing to do yet would return from run() at once and its
    // thread would end before the acceptor hands it a connection.
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& c : contexts) guards.push_back(asio::make_work_guard(*c));
    std::vector<std::thread> workers;
    for (unsigned i = 1; i < n_threads; ++i) workers.emplace_back([&, i] { contexts[i]->run(); });
    contexts[0]->run();
    for (auto& c : contexts) c->stop();
    for (auto& w : workers) w.join();
    control.join();
    hashing.join();
    log::info("server.stopped");
    return 0;
}

}  // namespace triage::server

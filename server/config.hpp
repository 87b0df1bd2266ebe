#pragma once
// The server configuration: one YAML file plus TRIAGE_* environment overrides, parsed once into
// plain structs and validated with errors that name the key (STYLE C1). Secrets come only from the
// environment or files (STYLE C2). Defaults and meaning of every key: docs/configuration.md.

#include "server/protocol/limits.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace triage::server {

struct config {
    std::string mode = "production";          // production | development
    std::string listen_address = "127.0.0.1";
    unsigned short listen_port = 8443;        // 0: pick a free port (printed at start)
    std::string tls_certificate;              // PEM file; required unless development on loopback
    std::string tls_private_key;
    unsigned io_threads = 0;                  // 0: one per core
    std::string web_root = "web";
    std::string flow_file = "dialog/flows/default.yaml";
    std::string intents_file = "dialog/intents.yaml";        // keyword matcher, used when intent_model is ""
    std::string intent_model = "dialog/intents/model.bin";   // trained model; its card sits beside it
    std::vector<std::string> rule_packs{"triage-rules/packs/core.yaml"};
    // The learned urgency model beside the rules (it can only raise); "" runs the rules alone.
    // On by default: on the first blind set the rules alone caught 76% of emergencies, with the
    // model 99% (docs/rules.md). A missed emergency costs more than a false alarm.
    std::string urgency_model = "triage-rules/model/urgency.bin";
    std::string language_model = "dialog/language/model.bin";  // "" keeps the widget's language
    // Word lists (one word per line) that keep real words from being read as typos of red flags.
    std::vector<std::string> rule_dictionaries{"/usr/share/dict/american-english", "/usr/share/dict/spanish"};
    std::string master_key_file;              // or TRIAGE_MASTER_KEY (64 hex characters)
    std::string ready_file;                   // written with the bound port once listening (tests)

    struct {
        std::size_t max_message_bytes = limits::max_message_bytes;
        int idle_timeout_s = limits::idle_timeout_s;
        int handshake_timeout_s = limits::handshake_timeout_s;
        double messages_per_second = limits::messages_per_second;
        double burst = limits::message_burst;
        std::size_t max_connections = limits::max_connections;
    } limits;

    // An optional remote intent model (docs/intents.md): off while url is empty.
    struct {
        std::string url;                      // https://..., or http:// on a loopback address
        std::string model = "triage-intents";
        std::string api_key;                  // TRIAGE_REMOTE_INTENT_API_KEY only
        int timeout_ms = 800;
        int failures_to_open = 3;
        int open_seconds = 30;
    } remote_intent;

    // Booking in the clinic's EHR over FHIR R4 (docs/fhir.md). Off while base_url is empty: the
    // flow's booking calls then answer `unavailable` and staff call the patient back.
    struct {
        std::string base_url;                 // https://ehr.example/fhir/R4 (http:// only on loopback)
        std::string auth = "none";            // none | static | smart
        std::string static_token;             // TRIAGE_FHIR_STATIC_TOKEN only
        std::string token_url;                // smart: the EHR's token endpoint
        std::string client_id;                // smart
        std::string key_file;                 // smart: our private key (PEM)
        std::string key_algorithm = "RS384";  // smart: RS384 | ES384
        std::string key_id;                   // smart: the kid registered with the EHR
        std::string scope = "system/Slot.read system/Appointment.write system/Patient.read";
        std::string strategy = "auto";        // auto | ihe_operations | transaction_bundle | versioned_updates
        std::string identifier_system = "urn:triage:booking";  // our identifier on every appointment
        bool allow_create_patient = false;
        int timeout_ms = 3000;
        int max_attempts = 3;
        int failures_to_open = 5;
        int open_seconds = 30;
        int search_days = 7;                  // how far after the preferred day to look
        int max_offers = 5;
        // visit type (the flow's visit_type answer) -> "system|code" of the Slot's service type
        std::string service_in_person;
        std::string service_video;
        std::string service_phone;
        std::string place_in_person = "at the clinic";
        std::string place_video = "by video";
        std::string place_phone = "by phone";
    } fhir;

    struct {
        std::string address = "127.0.0.1";
        unsigned short port = 6379;
        int command_timeout_ms = 500;
        int session_ttl_s = 86400;
    } redis;

    struct {
        std::string hostaddr = "127.0.0.1";
        unsigned short port = 5432;
        std::string dbname = "triage";
        std::string user = "triage";
        std::string password;                 // TRIAGE_POSTGRES_PASSWORD only
        int query_timeout_ms = 2000;
        int pool_size = 4;
    } postgres;

    // Staff sign-in sessions (docs/staff-api.md).
    struct {
        int idle_timeout_s = 1800;
        int session_lifetime_s = 43200;
    } staff;

    // Staff sign-in through the clinic's OpenID provider (docs/identity.md); off while issuer is "".
    struct {
        std::string issuer;
        std::string client_id;
        std::string client_secret;            // TRIAGE_STAFF_SSO_CLIENT_SECRET only
        std::string redirect_uri;             // https://triage.example.org/staff/callback
        std::string post_logout_redirect_uri; // where the provider sends the browser after logout
        std::string scopes = "openid profile email";
    } staff_sso;

    // The operator's endpoints (docs/observability.md): /metrics (Prometheus) and /log-levels on
    // a listener of their own, plain HTTP; off while listen_port is 0. With `token` set (from
    // TRIAGE_METRICS_TOKEN only) they need "Authorization: Bearer <token>", and /metrics is also
    // served on the main port with that token.
    struct {
        std::string listen_address = "127.0.0.1";
        unsigned short listen_port = 0;
        std::string token;
    } metrics;

    struct {
        std::string level = "info";           // debug | info | warn | error
        std::string file;                     // empty: standard error
    } log;

    bool development() const { return mode == "development"; }
};

struct config_result {
    std::optional<config> loaded;
    std::vector<std::string> errors;  // "file:line:col: key: problem" or "env NAME: problem"
};

// `yaml_text` may be empty (all defaults). `env` looks up environment variables (injected so tests
// need not touch the process environment).
config_result load_config(const std::string& yaml_text, const std::string& file_name,
                          const std::function<std::optional<std::string>(const std::string&)>& env);

}  // namespace triage::server

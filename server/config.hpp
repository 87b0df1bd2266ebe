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

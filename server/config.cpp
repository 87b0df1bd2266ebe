#include "server/config.hpp"

#include <boost/url/parse.hpp>

#include <yaml-cpp/yaml.h>

#include <arpa/inet.h>

#include <charconv>
#include <map>
#include <set>
#include <sstream>

namespace triage::server {
namespace {

// One entry per key: how to read it from a string (env) or a YAML scalar, and where it goes.
struct key_spec {
    std::string path;  // "limits.idle_timeout_s"
    std::function<std::optional<std::string>(config&, const std::string&)> set;  // returns error
    bool list = false;
    bool secret = false;  // may come only from the environment
};

template <class Int, class Get>
key_spec int_key(std::string path, Get get, long long lo, long long hi) {
    return {path, [get, lo, hi](config& c, const std::string& s) -> std::optional<std::string> {
                long long v = 0;
                auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
                if (ec != std::errc{} || p != s.data() + s.size() || v < lo || v > hi)
                    return "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
                get(c) = static_cast<Int>(v);
                return std::nullopt;
            }};
}

template <class Get>
key_spec str_key(std::string path, Get get, std::set<std::string> allowed = {}) {
    return {path, [get, allowed](config& c, const std::string& s) -> std::optional<std::string> {
                if (!allowed.empty() && !allowed.contains(s)) {
                    std::string msg = "must be one of:";
                    for (const auto& a : allowed) msg += " " + a;
                    return msg;
                }
                get(c) = s;
                return std::nullopt;
            }};
}

template <class Get>
key_spec number_key(std::string path, Get get, double lo, double hi) {
    return {path, [get, lo, hi](config& c, const std::string& s) -> std::optional<std::string> {
                char* end = nullptr;
                double v = std::strtod(s.c_str(), &end);
                if (s.empty() || *end != '\0' || !(v >= lo && v <= hi))
                    return "must be a number from " + std::to_string(lo) + " to " + std::to_string(hi);
                get(c) = v;
                return std::nullopt;
            }};
}

std::optional<std::string> numeric_ip(const std::string& s) {
    in_addr a4{};
    in6_addr a6{};
    if (inet_pton(AF_INET, s.c_str(), &a4) == 1 || inet_pton(AF_INET6, s.c_str(), &a6) == 1) return std::nullopt;
    return "must be a numeric IP address (host names would need a blocking DNS lookup)";
}

std::vector<key_spec> specs() {
    std::vector<key_spec> v;
#define TRIAGE_FIELD(expr) [](config& c) -> auto& { return c.expr; }
    v.push_back(str_key("mode", TRIAGE_FIELD(mode), {"production", "development"}));
    v.push_back({"listen.address", [](config& c, const std::string& s) {
                     if (auto e = numeric_ip(s)) return e;
                     c.listen_address = s;
                     return std::optional<std::string>{};
                 }});
    v.push_back(int_key<unsigned short>("listen.port", TRIAGE_FIELD(listen_port), 0, 65535));
    v.push_back(str_key("tls.certificate", TRIAGE_FIELD(tls_certificate)));
    v.push_back(str_key("tls.private_key", TRIAGE_FIELD(tls_private_key)));
    v.push_back(int_key<unsigned>("io_threads", TRIAGE_FIELD(io_threads), 0, 256));
    v.push_back(str_key("web_root", TRIAGE_FIELD(web_root)));
    v.push_back(str_key("flow_file", TRIAGE_FIELD(flow_file)));
    v.push_back(str_key("intents_file", TRIAGE_FIELD(intents_file)));
    v.push_back(str_key("intent_model", TRIAGE_FIELD(intent_model)));
    v.push_back(str_key("urgency_model", TRIAGE_FIELD(urgency_model)));
    v.push_back(str_key("language_model", TRIAGE_FIELD(language_model)));
    v.push_back({"rule_packs", [](config& c, const std::string& s) {
                     std::vector<std::string> out;
                     std::stringstream ss(s);
                     for (std::string item; std::getline(ss, item, ',');)
                         if (!item.empty()) out.push_back(item);
                     if (out.empty()) return std::optional<std::string>{"must name at least one rule pack"};
                     c.rule_packs = out;
                     return std::optional<std::string>{};
                 }, true});
    v.push_back({"rule_dictionaries", [](config& c, const std::string& s) {
                     std::vector<std::string> out;
                     std::stringstream ss(s);
                     for (std::string item; std::getline(ss, item, ',');)
                         if (!item.empty()) out.push_back(item);
                     c.rule_dictionaries = out;
                     return std::optional<std::string>{};
                 }, true});
    v.push_back(str_key("master_key_file", TRIAGE_FIELD(master_key_file)));
    v.push_back(str_key("ready_file", TRIAGE_FIELD(ready_file)));
    v.push_back(int_key<std::size_t>(
        "limits.max_message_bytes", TRIAGE_FIELD(limits.max_message_bytes), 1024, 1 << 20));
    v.push_back(int_key<int>("limits.idle_timeout_s", TRIAGE_FIELD(limits.idle_timeout_s), 5, 86400));
    v.push_back(int_key<int>("limits.handshake_timeout_s", TRIAGE_FIELD(limits.handshake_timeout_s), 1, 120));
    v.push_back(number_key("limits.messages_per_second", TRIAGE_FIELD(limits.messages_per_second), 0.1, 1000));
    v.push_back(number_key("limits.burst", TRIAGE_FIELD(limits.burst), 1, 10000));
    v.push_back(int_key<std::size_t>("limits.max_connections", TRIAGE_FIELD(limits.max_connections), 1, 18000));
    v.push_back({"redis.address", [](config& c, const std::string& s) {
                     if (auto e = numeric_ip(s)) return e;
                     c.redis.address = s;
                     return std::optional<std::string>{};
                 }});
    v.push_back(int_key<unsigned short>("redis.port", TRIAGE_FIELD(redis.port), 1, 65535));
    v.push_back(int_key<int>("redis.command_timeout_ms", TRIAGE_FIELD(redis.command_timeout_ms), 10, 60000));
    v.push_back(int_key<int>("redis.session_ttl_s", TRIAGE_FIELD(redis.session_ttl_s), 60, 30 * 86400));
    v.push_back({"postgres.hostaddr", [](config& c, const std::string& s) {
                     if (auto e = numeric_ip(s)) return e;
                     c.postgres.hostaddr = s;
                     return std::optional<std::string>{};
                 }});
    v.push_back(int_key<unsigned short>("postgres.port", TRIAGE_FIELD(postgres.port), 1, 65535));
    v.push_back(str_key("postgres.dbname", TRIAGE_FIELD(postgres.dbname)));
    v.push_back(str_key("postgres.user", TRIAGE_FIELD(postgres.user)));
    v.push_back(str_key("remote_intent.url", TRIAGE_FIELD(remote_intent.url)));
    v.push_back(str_key("remote_intent.model", TRIAGE_FIELD(remote_intent.model)));
    v.push_back(int_key<int>("remote_intent.timeout_ms", TRIAGE_FIELD(remote_intent.timeout_ms), 50, 10000));
    v.push_back(int_key<int>("remote_intent.failures_to_open", TRIAGE_FIELD(remote_intent.failures_to_open), 1, 100));
    v.push_back(int_key<int>("remote_intent.open_seconds", TRIAGE_FIELD(remote_intent.open_seconds), 1, 3600));
    v.push_back(str_key("fhir.base_url", TRIAGE_FIELD(fhir.base_url)));
    v.push_back(str_key("fhir.auth", TRIAGE_FIELD(fhir.auth), {"none", "static", "smart"}));
    auto fhir_token = str_key("fhir.static_token", TRIAGE_FIELD(fhir.static_token));
    fhir_token.secret = true;
    v.push_back(fhir_token);
    v.push_back(str_key("fhir.token_url", TRIAGE_FIELD(fhir.token_url)));
    v.push_back(str_key("fhir.client_id", TRIAGE_FIELD(fhir.client_id)));
    v.push_back(str_key("fhir.key_file", TRIAGE_FIELD(fhir.key_file)));
    v.push_back(str_key("fhir.key_algorithm", TRIAGE_FIELD(fhir.key_algorithm), {"RS384", "ES384"}));
    v.push_back(str_key("fhir.key_id", TRIAGE_FIELD(fhir.key_id)));
    v.push_back(str_key("fhir.scope", TRIAGE_FIELD(fhir.scope)));
    v.push_back(str_key("fhir.strategy", TRIAGE_FIELD(fhir.strategy),
                        {"auto", "ihe_operations", "transaction_bundle", "versioned_updates"}));
    v.push_back(str_key("fhir.identifier_system", TRIAGE_FIELD(fhir.identifier_system)));
    v.push_back({"fhir.allow_create_patient", [](config& c, const std::string& s) {
                     if (s != "true" && s != "false") return std::optional<std::string>{"must be true or false"};
                     c.fhir.allow_create_patient = s == "true";
                     return std::optional<std::string>{};
                 }});
    v.push_back(int_key<int>("fhir.timeout_ms", TRIAGE_FIELD(fhir.timeout_ms), 100, 60000));
    v.push_back(int_key<int>("fhir.max_attempts", TRIAGE_FIELD(fhir.max_attempts), 1, 5));
    v.push_back(int_key<int>("fhir.failures_to_open", TRIAGE_FIELD(fhir.failures_to_open), 1, 100));
    v.push_back(int_key<int>("fhir.open_seconds", TRIAGE_FIELD(fhir.open_seconds), 1, 3600));
    v.push_back(int_key<int>("fhir.search_days", TRIAGE_FIELD(fhir.search_days), 1, 60));
    v.push_back(int_key<int>("fhir.max_offers", TRIAGE_FIELD(fhir.max_offers), 1, 5));
    v.push_back(str_key("fhir.services.in_person", TRIAGE_FIELD(fhir.service_in_person)));
    v.push_back(str_key("fhir.services.video", TRIAGE_FIELD(fhir.service_video)));
    v.push_back(str_key("fhir.services.phone", TRIAGE_FIELD(fhir.service_phone)));
    v.push_back(str_key("fhir.places.in_person", TRIAGE_FIELD(fhir.place_in_person)));
    v.push_back(str_key("fhir.places.video", TRIAGE_FIELD(fhir.place_video)));
    v.push_back(str_key("fhir.places.phone", TRIAGE_FIELD(fhir.place_phone)));
    auto key = str_key("remote_intent.api_key", TRIAGE_FIELD(remote_intent.api_key));
    key.secret = true;
    v.push_back(key);
    auto pw = str_key("postgres.password", TRIAGE_FIELD(postgres.password));
    pw.secret = true;
    v.push_back(pw);
    v.push_back(int_key<int>("postgres.query_timeout_ms", TRIAGE_FIELD(postgres.query_timeout_ms), 10, 600000));
    v.push_back(int_key<int>("postgres.pool_size", TRIAGE_FIELD(postgres.pool_size), 1, 64));
    v.push_back(int_key<int>("staff.idle_timeout_s", TRIAGE_FIELD(staff.idle_timeout_s), 60, 86400));
    v.push_back(int_key<int>("staff.session_lifetime_s", TRIAGE_FIELD(staff.session_lifetime_s), 300, 7 * 86400));
    v.push_back(str_key("staff_sso.issuer", TRIAGE_FIELD(staff_sso.issuer)));
    v.push_back(str_key("staff_sso.client_id", TRIAGE_FIELD(staff_sso.client_id)));
    auto sso_secret = str_key("staff_sso.client_secret", TRIAGE_FIELD(staff_sso.client_secret));
    sso_secret.secret = true;
    v.push_back(sso_secret);
    v.push_back(str_key("staff_sso.redirect_uri", TRIAGE_FIELD(staff_sso.redirect_uri)));
    v.push_back(str_key("staff_sso.post_logout_redirect_uri", TRIAGE_FIELD(staff_sso.post_logout_redirect_uri)));
    v.push_back(str_key("staff_sso.scopes", TRIAGE_FIELD(staff_sso.scopes)));
    v.push_back({"metrics.listen.address", [](config& c, const std::string& s) {
                     if (auto e = numeric_ip(s)) return e;
                     c.metrics.listen_address = s;
                     return std::optional<std::string>{};
                 }});
    v.push_back(int_key<unsigned short>("metrics.listen.port", TRIAGE_FIELD(metrics.listen_port), 0, 65535));
    auto metrics_token = str_key("metrics.token", TRIAGE_FIELD(metrics.token));
    metrics_token.secret = true;
    v.push_back(metrics_token);
    v.push_back(str_key("log.level", TRIAGE_FIELD(log.level), {"debug", "info", "warn", "error"}));
    v.push_back(str_key("log.file", TRIAGE_FIELD(log.file)));
#undef TRIAGE_FIELD
    return v;
}

std::string env_name(const std::string& path) {
    std::string n = "TRIAGE_";
    for (char ch : path) n += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return n;
}

std::string where(const std::string& file, const YAML::Mark& m) {
    return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

// Flattens the YAML tree into "a.b" -> node, reporting keys that are not in the spec table.
void walk(const YAML::Node& node, const std::string& prefix, const std::map<std::string, const key_spec*>& known,
          const std::string& file, std::map<std::string, YAML::Node>& out, std::vector<std::string>& errors) {
    for (const auto& kv : node) {
        std::string k = kv.first.as<std::string>();
        std::string path = prefix.empty() ? k : prefix + "." + k;
        auto it = known.find(path);
        if (it != known.end()) {
            out[path] = kv.second;
            continue;
        }
        bool is_section = false;
        for (const auto& [p, s] : known)
            if (p.starts_with(path + ".")) is_section = true;
        if (is_section && kv.second.IsMap()) {
            walk(kv.second, path, known, file, out, errors);
        } else if (is_section) {
            errors.push_back(where(file, kv.second.Mark()) + ": " + path + ": must be a mapping");
        } else {
            errors.push_back(where(file, kv.first.Mark()) + ": " + path + ": unknown key");
        }
    }
}

}  // namespace

config_result load_config(const std::string& yaml_text, const std::string& file_name,
                          const std::function<std::optional<std::string>(const std::string&)>& env) {
    config_result result;
    config c;
    auto table = specs();
    std::map<std::string, const key_spec*> known;
    for (const auto& s : table) known[s.path] = &s;

    std::map<std::string, YAML::Node> values;
    if (!yaml_text.empty()) {
        try {
            YAML::Node root = YAML::Load(yaml_text);
            if (root.IsMap()) walk(root, "", known, file_name, values, result.errors);
            else if (!root.IsNull()) result.errors.push_back(file_name + ": the configuration must be a mapping");
        } catch (const YAML::Exception& e) {
            // yaml-cpp's message describes the syntax problem, not our data.
            result.errors.push_back(where(file_name, e.mark) + ": " + e.msg);
        }
    }
    for (const auto& s : table) {
        auto it = values.find(s.path);
        if (it != values.end()) {
            const YAML::Node& n = it->second;
            std::string w = where(file_name, n.Mark()) + ": " + s.path + ": ";
            if (s.secret) {
                result.errors.push_back(w + "is a secret; set " + env_name(s.path) + " in the environment instead");
                continue;
            }
            std::string text;
            if (s.list) {
                if (!n.IsSequence()) { result.errors.push_back(w + "must be a list"); continue; }
                for (const auto& item : n) text += (text.empty() ? "" : ",") + item.as<std::string>();
            } else if (n.IsScalar()) {
                text = n.as<std::string>();
            } else {
                result.errors.push_back(w + "must be a single value");
                continue;
            }
            if (auto e = s.set(c, text)) result.errors.push_back(w + *e);
        }
        if (auto v = env(env_name(s.path))) {
            if (auto e = s.set(c, *v)) result.errors.push_back("env " + env_name(s.path) + ": " + *e);
        }
    }
    // Cross-key rules.
    bool loopback = c.listen_address == "127.0.0.1" || c.listen_address == "::1";
    bool tls = !c.tls_certificate.empty() || !c.tls_private_key.empty();
    if (tls && (c.tls_certificate.empty() || c.tls_private_key.empty()))
        result.errors.push_back("tls: both tls.certificate and tls.private_key are needed");
    if (!tls && !(c.development() && loopback))
        result.errors.push_back("tls: plain HTTP is allowed only with mode: development on a loopback address; "
                                "set tls.certificate and tls.private_key");
    if (!c.remote_intent.url.empty()) {
        // Patient text (redacted) leaves the process: only over TLS, except to this machine.
        auto u = boost::urls::parse_uri(c.remote_intent.url);
        const std::string host = u ? std::string(u->host_address()) : "";
        const bool local = host == "127.0.0.1" || host == "::1" || host == "[::1]" || host == "localhost";
        if (!u || (u->scheme() != "https" && !(u->scheme() == "http" && local)))
            result.errors.push_back("remote_intent.url: must be an https:// URL (http:// only on a loopback address)");
    }
    if (!c.fhir.base_url.empty()) {
        // Patient details go to the EHR: only over TLS, except to this machine (test servers).
        auto u = boost::urls::parse_uri(c.fhir.base_url);
        const std::string host = u ? std::string(u->host_address()) : "";
        const bool local = host == "127.0.0.1" || host == "::1" || host == "[::1]" || host == "localhost";
        if (!u || (u->scheme() != "https" && !(u->scheme() == "http" && local)))
            result.errors.push_back("fhir.base_url: must be an https:// URL (http:// only on a loopback address)");
        if (c.fhir.auth == "smart" && (c.fhir.token_url.empty() || c.fhir.client_id.empty() || c.fhir.key_file.empty()))
            result.errors.push_back("fhir.auth: smart needs fhir.token_url, fhir.client_id and fhir.key_file");
        if (c.fhir.auth == "static" && c.fhir.static_token.empty())
            result.errors.push_back("fhir.auth: static needs TRIAGE_FHIR_STATIC_TOKEN in the environment");
        if (c.fhir.identifier_system.empty())
            result.errors.push_back("fhir.identifier_system: must not be empty (it marks the appointments we book)");
        for (const auto* svc : {&c.fhir.service_in_person, &c.fhir.service_video, &c.fhir.service_phone})
            if (!svc->empty() && svc->find('|') == std::string::npos)
                result.errors.push_back("fhir.services: '" + *svc + "' must be \"system|code\"");
    }
    if (!c.staff_sso.issuer.empty()) {
        if (c.staff_sso.client_id.empty() || c.staff_sso.redirect_uri.empty())
            result.errors.push_back("staff_sso: needs staff_sso.client_id and staff_sso.redirect_uri");
        if (c.staff_sso.client_secret.empty())
            result.errors.push_back("staff_sso: needs TRIAGE_STAFF_SSO_CLIENT_SECRET in the environment");
        if (c.staff_sso.scopes.find("openid") == std::string::npos)
            result.errors.push_back("staff_sso.scopes: must include openid");
    }
    if (!c.metrics.token.empty() && c.metrics.token.size() < 32)
        result.errors.push_back("metrics.token: at least 32 characters (TRIAGE_METRICS_TOKEN)");
    if (c.metrics.listen_port != 0 && c.metrics.token.empty()) {
        const auto& a = c.metrics.listen_address;
        if (a != "127.0.0.1" && a != "::1")
            result.errors.push_back("metrics.listen.address: " + a +
                                    " is not a loopback address: set TRIAGE_METRICS_TOKEN so that only your scraper "
                                    "reads the metrics");
    }
    if (c.master_key_file.empty() && !env("TRIAGE_MASTER_KEY"))
        result.errors.push_back("master_key_file: not set, and TRIAGE_MASTER_KEY is not in the environment");
    if (result.errors.empty()) result.loaded = std::move(c);
    return result;
}

}  // namespace triage::server

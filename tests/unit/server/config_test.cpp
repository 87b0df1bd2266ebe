#include "server/config.hpp"

#include <gtest/gtest.h>

#include <map>

using triage::server::load_config;

namespace {

auto env_of(std::map<std::string, std::string> m) {
    return [m](const std::string& k) -> std::optional<std::string> {
        auto it = m.find(k);
        return it == m.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
}

bool has_error(const triage::server::config_result& r, const std::string& needle) {
    for (const auto& e : r.errors)
        if (e.find(needle) != std::string::npos) return true;
    return false;
}

const std::string dev = "mode: development\nmaster_key_file: /k\n";

}  // namespace

TEST(config, defaults_need_tls_and_a_key) {
    auto r = load_config("", "c.yaml", env_of({}));
    EXPECT_FALSE(r.loaded);
    EXPECT_TRUE(has_error(r, "tls:"));
    EXPECT_TRUE(has_error(r, "master_key_file"));
}

TEST(config, development_on_loopback_may_be_plain) {
    auto r = load_config(dev, "c.yaml", env_of({}));
    ASSERT_TRUE(r.loaded) << (r.errors.empty() ? "" : r.errors[0]);
    EXPECT_EQ(r.loaded->listen_port, 8443);
}

TEST(config, plain_http_refused_off_loopback) {
    auto r = load_config(dev + "listen: { address: 0.0.0.0 }\n", "c.yaml", env_of({}));
    EXPECT_TRUE(has_error(r, "plain HTTP is allowed only"));
}

TEST(config, unknown_key_named_with_line) {
    auto r = load_config(dev + "limits:\n  idle_timeout: 5\n", "c.yaml", env_of({}));
    EXPECT_TRUE(has_error(r, "c.yaml:4:3: limits.idle_timeout: unknown key")) << (r.errors.empty() ? "" : r.errors[0]);
}

TEST(config, bad_value_named) {
    auto r = load_config(dev + "limits: { idle_timeout_s: -3 }\n", "c.yaml", env_of({}));
    EXPECT_TRUE(has_error(r, "limits.idle_timeout_s: must be an integer from 5"));
    auto r2 = load_config(dev + "redis: { address: redis.internal }\n", "c.yaml", env_of({}));
    EXPECT_TRUE(has_error(r2, "redis.address: must be a numeric IP"));
}

TEST(config, environment_overrides_file) {
    auto r = load_config(dev + "redis: { port: 7000 }\n", "c.yaml", env_of({{"TRIAGE_REDIS_PORT", "7001"}}));
    ASSERT_TRUE(r.loaded);
    EXPECT_EQ(r.loaded->redis.port, 7001);
    auto bad = load_config(dev, "c.yaml", env_of({{"TRIAGE_LIMITS_BURST", "lots"}}));
    EXPECT_TRUE(has_error(bad, "env TRIAGE_LIMITS_BURST: must be a number"));
}

TEST(config, secrets_only_from_environment) {
    auto r = load_config(dev + "postgres: { password: hunter2 }\n", "c.yaml", env_of({}));
    EXPECT_TRUE(has_error(r, "postgres.password: is a secret"));
    for (const auto& e : r.errors) EXPECT_EQ(e.find("hunter2"), std::string::npos);
    auto ok = load_config(dev, "c.yaml", env_of({{"TRIAGE_POSTGRES_PASSWORD", "hunter2"}}));
    ASSERT_TRUE(ok.loaded);
    EXPECT_EQ(ok.loaded->postgres.password, "hunter2");
}

TEST(config, malformed_yaml_reports_position) {
    auto r = load_config("mode: [unclosed\n", "c.yaml", env_of({}));
    ASSERT_FALSE(r.errors.empty());
    EXPECT_EQ(r.errors[0].rfind("c.yaml:", 0), 0u);
}

TEST(config, rule_packs_list) {
    auto r = load_config(dev + "rule_packs: [a.yaml, b.yaml]\n", "c.yaml", env_of({}));
    ASSERT_TRUE(r.loaded);
    EXPECT_EQ(r.loaded->rule_packs, (std::vector<std::string>{"a.yaml", "b.yaml"}));
}

TEST(config, metrics_off_loopback_need_the_operator_token) {
    auto open = load_config(dev + "metrics: { listen: { address: 10.0.0.5, port: 9464 } }\n", "c.yaml", env_of({}));
    EXPECT_FALSE(open.loaded);
    EXPECT_TRUE(has_error(open, "metrics.listen.address")) << open.errors.front();
    const std::string token(40, 't');
    auto guarded = load_config(dev + "metrics: { listen: { address: 10.0.0.5, port: 9464 } }\n", "c.yaml",
                               env_of({{"TRIAGE_METRICS_TOKEN", token}}));
    ASSERT_TRUE(guarded.loaded);
    EXPECT_EQ(guarded.loaded->metrics.token, token);
    EXPECT_EQ(guarded.loaded->metrics.listen_port, 9464);
    auto local = load_config(dev + "metrics: { listen: { port: 9464 } }\n", "c.yaml", env_of({}));
    EXPECT_TRUE(local.loaded);
}

TEST(config, the_metrics_token_is_long_and_only_from_the_environment) {
    auto shortish = load_config(dev, "c.yaml", env_of({{"TRIAGE_METRICS_TOKEN", "short"}}));
    EXPECT_TRUE(has_error(shortish, "metrics.token"));
    auto in_file = load_config(dev + "metrics: { token: abcdefabcdefabcdefabcdefabcdefabcdef }\n", "c.yaml", env_of({}));
    EXPECT_FALSE(in_file.loaded);
    EXPECT_TRUE(has_error(in_file, "metrics.token"));
}

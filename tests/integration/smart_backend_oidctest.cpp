// SMART Backend Services against a real OpenID provider (oidc-provider, started by
// tests/peers/stack.sh): our signed client assertions (RS384 and ES384) get access tokens, which
// verify against the provider's JWKS; a wrong key gets nothing.
#include "integrations/auth/jwt.hpp"
#include "integrations/auth/smart_backend.hpp"
#include "integrations/errc.hpp"
#include "integrations/http/client.hpp"
#include "outgoing_support.hpp"
#include "test_env.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>


namespace asio = boost::asio;
namespace json = boost::json;
using namespace triage::integrations;

namespace {

using triage::test::read_file;

class smart_backend : public ::testing::Test {
protected:
    void SetUp() override {
        auto env = triage::test::stack_env();
        ASSERT_TRUE(env.contains("TRIAGE_TEST_OIDC_DIR")) << "run through ctest (stack fixture)";
        oidc_ = json::parse(read_file(env["TRIAGE_TEST_OIDC_DIR"] + "/oidc.json")).as_object();
    }
    template <class T>
    T run(asio::awaitable<T> a) {
        return triage::test::run_to_completion(ctx_, std::move(a));
    }
    std::string str(const json::object& o, std::string_view key) { return std::string(o.at(key).as_string()); }
    const json::object& client(std::string_view id) { return oidc_.at("clients").as_object().at(id).as_object(); }

    auth::backend_token_source source(std::string_view client_id, const std::string& alg, const std::string& pem_file) {
        auto key = auth::signing_key::from_pem(read_file(pem_file), alg, str(client(client_id), "kid"));
        EXPECT_TRUE(key);
        auth::backend_settings s;
        s.token_url = str(oidc_, "token_endpoint");
        s.client_id = std::string(client_id);
        s.scope = "system/Slot.read system/Appointment.write";
        return auth::backend_token_source(ctx_.get_executor(), nullptr, s, std::move(*key));
    }

    auth::key_set provider_keys() {
        http::request req;
        req.url = str(oidc_, "jwks_uri");
        auto r = run(http::async_fetch(ctx_.get_executor(), nullptr, req));
        EXPECT_TRUE(r && r->status == 200);
        auto keys = auth::key_set::from_jwks(r ? r->body : "");
        EXPECT_TRUE(keys);
        return std::move(*keys);
    }

    asio::io_context ctx_;
    json::object oidc_;
};

}  // namespace

TEST_F(smart_backend, rs384_and_es384_assertions_get_verifiable_access_tokens) {
    const auto keys = provider_keys();
    for (auto [id, alg] : {std::pair{"fhir-backend", "RS384"}, std::pair{"fhir-backend-es", "ES384"}}) {
        auto src = source(id, alg, str(client(id), "private_key_file"));
        auto token = run(src.async_token());
        ASSERT_TRUE(token) << id << ": " << token.error().message() << " (" << src.last_failure() << ")";
        auth::verify_options o;
        o.algorithms = {"RS256", "ES256"};
        o.issuer = str(oidc_, "issuer");
        o.audience = str(oidc_, "fhir_audience");
        o.typ = "at+jwt";
        std::string why;
        auto v = auth::verify_jwt(*token, keys, o, &why);
        ASSERT_TRUE(v) << id << ": " << why;
        EXPECT_EQ(v->claims.at("client_id").as_string(), id);
        EXPECT_NE(std::string(v->claims.at("scope").as_string()).find("system/Slot.read"), std::string::npos);
        // The cache answers the second time: the same token, no new request.
        auto again = run(src.async_token());
        ASSERT_TRUE(again);
        EXPECT_EQ(*again, *token);
    }
}

TEST_F(smart_backend, an_assertion_signed_with_another_key_gets_nothing) {
    // The ES384 client's key, presented as the RS384 client: refused.
    auto es_key = auth::signing_key::from_pem(read_file(str(client("fhir-backend-es"), "private_key_file")), "ES384",
                                              "fhir-backend-rs384");
    ASSERT_TRUE(es_key);
    auth::backend_settings s;
    s.token_url = str(oidc_, "token_endpoint");
    s.client_id = "fhir-backend";
    s.scope = "system/Slot.read";
    auth::backend_token_source wrong(ctx_.get_executor(), nullptr, s, std::move(*es_key));
    auto token = run(wrong.async_token());
    EXPECT_FALSE(token);
    EXPECT_EQ(token.error(), errc::token_unavailable);
}

TEST_F(smart_backend, a_token_from_the_provider_fails_against_the_wrong_audience_or_issuer) {
    const auto keys = provider_keys();
    auto src = source("fhir-backend", "RS384", str(client("fhir-backend"), "private_key_file"));
    auto token = run(src.async_token());
    ASSERT_TRUE(token);
    auth::verify_options o;
    o.algorithms = {"RS256"};
    o.issuer = str(oidc_, "issuer");
    o.audience = "https://some-other-api.example";
    std::string why;
    EXPECT_FALSE(auth::verify_jwt(*token, keys, o, &why));
    EXPECT_EQ(why, "wrong audience");
    o.audience = str(oidc_, "fhir_audience");
    o.issuer = "https://not-the-provider.example";
    EXPECT_FALSE(auth::verify_jwt(*token, keys, o, &why));
    EXPECT_EQ(why, "wrong issuer");
}

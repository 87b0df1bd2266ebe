#include "server/staff/oidc.hpp"
#include "server/staff/credentials.hpp"

#include "integrations/auth/jwt.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

using namespace triage::server::staff;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace auth = triage::integrations::auth;

namespace {

// ---- key material, made once per test process (RSA 2048 takes a moment) ----

struct pkey_free {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    return out;
}

std::string private_pem(EVP_PKEY* key) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    return bio_text(bio);
}

std::string public_pem(EVP_PKEY* key) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    return bio_text(bio);
}

// A big-endian integer parameter of the key, left-padded to `width` bytes when width > 0.
std::string bn_param(EVP_PKEY* key, const char* name, int width = 0) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return {};
    std::string out(static_cast<std::size_t>(width > 0 ? width : BN_num_bytes(bn)), '\0');
    if (width > 0)
        BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), width);
    else
        BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    return out;
}

struct material {
    std::string rsa_private, rsa_public, ec_private;
    std::string jwks;
};

const material& keys_material() {
    static const material m = [] {
        pkey_ptr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
        pkey_ptr ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
        if (!rsa || !ec) throw std::runtime_error("key generation failed");
        material out{private_pem(rsa.get()), public_pem(rsa.get()), private_pem(ec.get()), {}};
        const std::string n = auth::base64url_encode(bn_param(rsa.get(), OSSL_PKEY_PARAM_RSA_N));
        const std::string e = auth::base64url_encode(bn_param(rsa.get(), OSSL_PKEY_PARAM_RSA_E));
        json::array list{
            json::object{{"kty", "RSA"}, {"kid", "rsa-1"}, {"alg", "RS256"}, {"use", "sig"}, {"n", n}, {"e", e}},
            json::object{{"kty", "EC"},
                         {"kid", "ec-1"},
                         {"alg", "ES256"},
                         {"use", "sig"},
                         {"crv", "P-256"},
                         {"x", auth::base64url_encode(bn_param(ec.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32))},
                         {"y", auth::base64url_encode(bn_param(ec.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32))}},
            // The same RSA key without "alg": the JWK then allows any RSA algorithm, so only
            // verify_token_response's own list keeps RS384 out.
            json::object{{"kty", "RSA"}, {"kid", "rsa-any"}, {"use", "sig"}, {"n", n}, {"e", e}},
        };
        out.jwks = json::serialize(json::object{{"keys", std::move(list)}});
        return out;
    }();
    return m;
}

const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
const long long now_s = 1'800'000'000;
const std::string issuer = "http://127.0.0.1:9400";
const std::string client = "staff-console";
const std::string nonce = "n-0S6_WzA2Mj";

oidc_provider provider() {
    return {issuer, issuer + "/auth", issuer + "/token", issuer + "/jwks", issuer + "/session/end"};
}

json::object good_claims() {
    return {{"iss", issuer},
            {"sub", "nurse-demo"},
            {"aud", client},
            {"exp", now_s + 300},
            {"iat", now_s - 5},
            {"auth_time", now_s - 10},
            {"nonce", nonce},
            {"name", "Nora Nurse"},
            {"email", "nurse@demo.test"},
            {"email_verified", true},
            {"clinic", "demo"},
            {"roles", json::array{"nurse", "auditor"}}};
}

std::string sign(const json::object& claims, const char* alg = "RS256", const char* kid = "rsa-1") {
    const material& m = keys_material();
    const bool rsa = alg[0] == 'R';
    auto key = auth::signing_key::from_pem(rsa ? m.rsa_private : m.ec_private, alg, kid);
    if (!key) throw std::runtime_error("signing key refused");
    auto token = key->sign(claims);
    if (!token) throw std::runtime_error("signing failed");
    return *token;
}

std::string response_with(std::string_view id_token) {
    return json::serialize(json::object{{"access_token", "opaque-access"},
                                        {"token_type", "Bearer"},
                                        {"expires_in", 3600},
                                        {"scope", "openid profile email triage"},
                                        {"id_token", id_token}});
}

std::string b64(const json::object& o) { return auth::base64url_encode(json::serialize(o)); }

// The part of a compact JWS: 0 header, 1 payload, 2 signature.
std::string part(const std::string& token, int i) {
    std::size_t start = 0;
    for (int k = 0; k < i; ++k) start = token.find('.', start) + 1;
    const std::size_t end = token.find('.', start);
    return token.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::map<std::string, std::string> query_of(const std::string& url) {
    auto u = boost::urls::parse_uri(url);
    EXPECT_TRUE(u) << url;
    std::map<std::string, std::string> out;
    if (!u) return out;
    for (auto p : u->params()) {
        EXPECT_FALSE(out.count(p.key)) << "duplicate parameter " << p.key;
        out[p.key] = p.value;
    }
    return out;
}

std::string std_base64_decode(const std::string& text) {
    std::string out(text.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) return {};
    out.resize(static_cast<std::size_t>(n) - std::count(text.begin(), text.end(), '='));
    return out;
}

class staff_oidc : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ASSERT_GE(sodium_init(), 0);
        keys_material();
    }

    static const auth::key_set& keys() {
        static const auth::key_set k = [] {
            auto r = auth::key_set::from_jwks(keys_material().jwks);
            if (!r || r->size() != 3) throw std::runtime_error("test JWKS refused");
            return std::move(*r);
        }();
        return k;
    }

    static boost::system::result<staff_identity> check(const std::string& token_json, std::string* why,
                                                       std::string_view expected_nonce = nonce) {
        return verify_token_response(token_json, keys(), provider(), client, expected_nonce, now, why);
    }

    static void expect_refused(const std::string& id_token, std::string_view reason) {
        std::string why;
        auto r = check(response_with(id_token), &why);
        ASSERT_FALSE(r) << "accepted; expected refusal: " << reason;
        EXPECT_EQ(r.error(), oidc_errc::id_token_invalid);
        EXPECT_EQ(why, reason);
    }
};

}  // namespace

// ---- PKCE ----

TEST(staff_oidc_pkce, rfc7636_appendix_b_vector) {
    // The appendix's 32 random octets, their base64url form (the verifier) and its S256 challenge.
    const unsigned char octets[] = {116, 24,  223, 180, 151, 153, 224, 37, 79, 250, 96,  125, 216, 173, 187, 186,
                                    22,  212, 37,  77,  105, 214, 191, 240, 91, 88, 5,   88,  83,  132, 141, 121};
    const std::string verifier =
        auth::base64url_encode(std::string_view(reinterpret_cast<const char*>(octets), sizeof octets));
    ASSERT_EQ(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    EXPECT_EQ(pkce_challenge(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    EXPECT_EQ(pkce_challenge(""), "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");  // SHA-256 of nothing
}

// ---- authorization request ----

TEST_F(staff_oidc, authorization_url_carries_every_parameter_encoded) {
    oidc_provider p = provider();
    p.authorization_endpoint = "https://idp.example/auth";
    const std::string redirect = "https://clinic.example/staff/callback?x=1&y=a b";
    auto r = make_authorization_request(p, "staff console&admin=1", redirect, "openid profile email triage");

    for (const std::string* v : {&r.state, &r.nonce, &r.code_verifier}) {
        EXPECT_EQ(v->size(), 43u);
        EXPECT_TRUE(looks_like_token(*v)) << *v;  // base64url alphabet only
    }
    EXPECT_EQ(r.url.rfind("https://idp.example/auth?", 0), 0u) << r.url;

    auto q = query_of(r.url);
    EXPECT_EQ(q.size(), 8u);
    EXPECT_EQ(q["response_type"], "code");
    EXPECT_EQ(q["client_id"], "staff console&admin=1");
    EXPECT_EQ(q["redirect_uri"], redirect);
    EXPECT_EQ(q["scope"], "openid profile email triage");
    EXPECT_EQ(q["state"], r.state);
    EXPECT_EQ(q["nonce"], r.nonce);
    EXPECT_EQ(q["code_challenge"], pkce_challenge(r.code_verifier));
    EXPECT_EQ(q["code_challenge_method"], "S256");
    EXPECT_EQ(q.count("code_verifier"), 0u);  // the verifier never leaves the server before the token call

    // The encoded form itself: reserved characters of the values never appear raw.
    EXPECT_NE(r.url.find("&client_id=staff%20console%26admin%3D1&"), std::string::npos) << r.url;
    EXPECT_NE(r.url.find("&redirect_uri=https%3A%2F%2Fclinic.example%2Fstaff%2Fcallback%3Fx%3D1%26y%3Da%20b&"),
              std::string::npos)
        << r.url;
    EXPECT_NE(r.url.find("&scope=openid%20profile%20email%20triage&"), std::string::npos) << r.url;
    EXPECT_EQ(r.url.find('+'), std::string::npos) << r.url;
}

TEST_F(staff_oidc, authorization_secrets_differ_between_calls) {
    std::set<std::string> seen;
    for (int i = 0; i < 4; ++i) {
        auto r = make_authorization_request(provider(), client, "http://127.0.0.1:8443/staff/callback", "openid");
        EXPECT_TRUE(seen.insert(r.state).second);
        EXPECT_TRUE(seen.insert(r.nonce).second);
        EXPECT_TRUE(seen.insert(r.code_verifier).second);
    }
    EXPECT_EQ(seen.size(), 12u);
}

TEST_F(staff_oidc, authorization_keeps_endpoint_query_and_adds_openid) {
    oidc_provider p = provider();
    p.authorization_endpoint = "https://idp.example/oauth2/authorize?tenant=demo";
    auto r = make_authorization_request(p, client, "https://clinic.example/cb", "profile triage");
    EXPECT_EQ(r.url.rfind("https://idp.example/oauth2/authorize?tenant=demo&response_type=code&", 0), 0u) << r.url;
    auto q = query_of(r.url);
    EXPECT_EQ(q["tenant"], "demo");
    EXPECT_EQ(q["scope"], "openid profile triage");

    // "openid" already there (not first) is left alone; "openidx" is not "openid".
    auto scope_for = [&](const char* scopes) {
        return query_of(make_authorization_request(p, client, "https://c/cb", scopes).url)["scope"];
    };
    EXPECT_EQ(scope_for("profile openid"), "profile openid");
    EXPECT_EQ(scope_for("openidx"), "openid openidx");
    EXPECT_EQ(scope_for(""), "openid");
}

// ---- token request ----

TEST(staff_oidc_token_request, body_is_form_encoded) {
    auto t = make_token_request("c0de+/=&x y", "http://127.0.0.1:8443/staff/callback?a=b",
                                "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_Ob8s9GRf0IzM", client, "secret");
    EXPECT_EQ(t.body,
              "grant_type=authorization_code"
              "&code=c0de%2B%2F%3D%26x%20y"
              "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8443%2Fstaff%2Fcallback%3Fa%3Db"
              "&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_Ob8s9GRf0IzM");
}

TEST(staff_oidc_token_request, basic_header_encodes_id_and_secret_first) {
    // Plain values: base64("staff-console:s3cret") as any HTTP client would send it.
    EXPECT_EQ(make_token_request("c", "r", "v", "staff-console", "s3cret").authorization,
              "Basic c3RhZmYtY29uc29sZTpzM2NyZXQ=");

    // RFC 6749 2.3.1: each part is form-encoded before joining with ':', so the ':' in the id and
    // the '+', '/', '%', ' ' and non-ASCII in the secret survive the round trip.
    const std::string id = "staff:console";
    const std::string secret = "p+s/w=rd%20 \xC3\xA9:&";
    auto t = make_token_request("c", "r", "v", id, secret);
    ASSERT_EQ(t.authorization.rfind("Basic ", 0), 0u);
    const std::string encoded = t.authorization.substr(6);
    EXPECT_EQ(encoded.size() % 4, 0u);  // standard, padded Base64 (not base64url)
    EXPECT_EQ(encoded.find_first_of("-_"), std::string::npos);
    EXPECT_EQ(std_base64_decode(encoded), "staff%3Aconsole:p%2Bs%2Fw%3Drd%2520%20%C3%A9%3A%26");
}

// ---- token response and ID token ----

TEST_F(staff_oidc, accepts_rs256_id_token_and_extracts_claims) {
    const std::string token = sign(good_claims());
    std::string why;
    auto id = check(response_with(token), &why);
    ASSERT_TRUE(id) << why;
    EXPECT_EQ(id->issuer, issuer);
    EXPECT_EQ(id->subject, "nurse-demo");
    EXPECT_EQ(id->name, "Nora Nurse");
    EXPECT_EQ(id->email, "nurse@demo.test");
    EXPECT_EQ(id->clinic, "demo");
    EXPECT_EQ(id->roles, (std::vector<std::string>{"nurse", "auditor"}));
    EXPECT_EQ(id->id_token, token);
}

TEST_F(staff_oidc, accepts_es256_id_token_and_extracts_claims) {
    json::object c = good_claims();
    c["sub"] = "frontdesk-other";
    c["clinic"] = "other";
    c["roles"] = json::array{"front_desk"};
    std::string why;
    auto id = check(response_with(sign(c, "ES256", "ec-1")), &why);
    ASSERT_TRUE(id) << why;
    EXPECT_EQ(id->subject, "frontdesk-other");
    EXPECT_EQ(id->clinic, "other");
    EXPECT_EQ(id->roles, (std::vector<std::string>{"front_desk"}));
}

TEST_F(staff_oidc, accepts_minimal_token_and_lowercase_bearer) {
    // Only what OpenID Connect requires; the optional claims come back empty.
    json::object c{{"iss", issuer}, {"sub", "x"}, {"aud", json::array{client}}, {"exp", now_s + 60},
                   {"iat", now_s}, {"nonce", nonce}};
    std::string why;
    auto id = check(json::serialize(json::object{{"token_type", "bearer"}, {"id_token", sign(c)}}), &why);
    ASSERT_TRUE(id) << why;
    EXPECT_EQ(id->subject, "x");
    EXPECT_TRUE(id->name.empty() && id->email.empty() && id->clinic.empty() && id->roles.empty());
}

TEST_F(staff_oidc, clock_skew_within_leeway_is_accepted) {
    json::object c = good_claims();
    c["exp"] = now_s - 50;
    c["iat"] = now_s + 50;
    std::string why;
    EXPECT_TRUE(check(response_with(sign(c)), &why)) << why;
}

TEST_F(staff_oidc, refuses_tampered_payload) {
    const std::string token = sign(good_claims());
    json::object c = good_claims();
    c["roles"] = json::array{"clinic_admin"};
    expect_refused(part(token, 0) + "." + b64(c) + "." + part(token, 2), "bad signature");
}

TEST_F(staff_oidc, refuses_tampered_signature) {
    for (auto [alg, kid] : {std::pair{"RS256", "rsa-1"}, std::pair{"ES256", "ec-1"}}) {
        const std::string token = sign(good_claims(), alg, kid);
        std::string sig = *auth::base64url_decode(part(token, 2));
        sig[sig.size() / 2] ^= 0x01;
        expect_refused(part(token, 0) + "." + part(token, 1) + "." + auth::base64url_encode(sig), "bad signature");
    }
}

TEST_F(staff_oidc, refuses_expired) {
    json::object c = good_claims();
    c["iat"] = now_s - 600;
    c["exp"] = now_s - 61;
    expect_refused(sign(c), "expired");
}

TEST_F(staff_oidc, refuses_iat_in_the_future) {
    json::object c = good_claims();
    c["iat"] = now_s + 61;
    expect_refused(sign(c), "issued in the future");
}

TEST_F(staff_oidc, refuses_missing_iat) {
    json::object c = good_claims();
    c.erase("iat");
    expect_refused(sign(c), "no iat");
    c["iat"] = "yesterday";
    expect_refused(sign(c), "no iat");
}

TEST_F(staff_oidc, refuses_wrong_audience) {
    json::object c = good_claims();
    c["aud"] = "fhir-backend";
    expect_refused(sign(c), "wrong audience");
    c["aud"] = json::array{"fhir-backend", "other"};
    expect_refused(sign(c), "wrong audience");
    c.erase("aud");
    expect_refused(sign(c), "wrong audience");
}

TEST_F(staff_oidc, several_audiences_need_azp_naming_us) {
    json::object c = good_claims();
    c["aud"] = json::array{client, "fhir-backend"};
    expect_refused(sign(c), "several audiences and no azp");
    c["azp"] = "fhir-backend";
    expect_refused(sign(c), "wrong azp");
    c["azp"] = client;
    std::string why;
    EXPECT_TRUE(check(response_with(sign(c)), &why)) << why;
}

TEST_F(staff_oidc, refuses_foreign_azp_with_single_audience) {
    json::object c = good_claims();
    c["azp"] = "fhir-backend";
    expect_refused(sign(c), "wrong azp");
}

TEST_F(staff_oidc, refuses_wrong_issuer) {
    json::object c = good_claims();
    c["iss"] = "http://127.0.0.1:9400/";  // one slash is enough: issuers compare exactly
    expect_refused(sign(c), "wrong issuer");
    c["iss"] = "https://evil.example";
    expect_refused(sign(c), "wrong issuer");
}

TEST_F(staff_oidc, refuses_wrong_or_missing_nonce) {
    json::object c = good_claims();
    c["nonce"] = "another-nonce";
    expect_refused(sign(c), "wrong nonce");
    c.erase("nonce");
    expect_refused(sign(c), "wrong nonce");
}

TEST_F(staff_oidc, refuses_when_no_nonce_is_expected) {
    json::object c = good_claims();
    c["nonce"] = "";
    std::string why;
    auto r = check(response_with(sign(c)), &why, "");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), oidc_errc::id_token_invalid);
    EXPECT_EQ(why, "no expected nonce");
}

TEST_F(staff_oidc, refuses_missing_or_empty_sub) {
    json::object c = good_claims();
    c["sub"] = "";
    expect_refused(sign(c), "no sub");
    c["sub"] = 42;
    expect_refused(sign(c), "no sub");
    c.erase("sub");
    expect_refused(sign(c), "no sub");
}

TEST_F(staff_oidc, refuses_malformed_identity_claims) {
    json::object c = good_claims();
    c["roles"] = "clinic_admin";
    expect_refused(sign(c), "roles is not an array");
    c["roles"] = json::array{"nurse", 7};
    expect_refused(sign(c), "roles holds a non-string");
    c = good_claims();
    c["clinic"] = json::array{"demo", "other"};
    expect_refused(sign(c), "clinic is not a string");
}

TEST_F(staff_oidc, refuses_alg_none) {
    const std::string payload = b64(good_claims());
    expect_refused(b64({{"alg", "none"}}) + "." + payload + ".", "alg not accepted");
    expect_refused(b64({{"alg", "none"}, {"typ", "JWT"}, {"kid", "rsa-1"}}) + "." + payload + ".", "alg not accepted");
    // A signature kept from a real token does not help either.
    expect_refused(b64({{"alg", "none"}}) + "." + payload + "." + part(sign(good_claims()), 2), "alg not accepted");
}

TEST_F(staff_oidc, refuses_hs256_signed_with_the_public_key) {
    // Algorithm confusion: the RSA public key, which anyone can fetch from the JWKS, used as an
    // HMAC secret. A verifier that let the token pick the algorithm would accept this.
    const std::string& secret = keys_material().rsa_public;
    ASSERT_EQ(secret.rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
    for (const char* kid : {"rsa-1", "rsa-any"}) {
        const std::string input = b64({{"alg", "HS256"}, {"typ", "JWT"}, {"kid", kid}}) + "." + b64(good_claims());
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        ASSERT_NE(HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len),
                  nullptr);
        expect_refused(input + "." + auth::base64url_encode(std::string_view(reinterpret_cast<char*>(mac), len)),
                       "alg not accepted");
    }
}

TEST_F(staff_oidc, refuses_rs384_outside_the_allowed_list) {
    // Signed with the right key under a JWK that names no alg: valid in itself (verify_jwt accepts
    // it when RS384 is allowed), so only the RS256/ES256 list refuses it.
    const std::string token = sign(good_claims(), "RS384", "rsa-any");
    auth::verify_options o;
    o.algorithms = {"RS384"};
    o.issuer = issuer;
    o.audience = client;
    o.now = now;
    o.nonce = nonce;
    std::string why;
    ASSERT_TRUE(auth::verify_jwt(token, keys(), o, &why)) << why;
    expect_refused(token, "alg not accepted");
}

TEST_F(staff_oidc, refuses_unknown_kid) {
    expect_refused(sign(good_claims(), "RS256", "rsa-2"), "unknown kid");
    expect_refused(sign(good_claims(), "ES256", "rsa-1"), "bad signature");  // EC token, RSA key's kid
}

TEST_F(staff_oidc, refuses_token_response_without_id_token) {
    std::string why;
    auto r = check(R"({"access_token":"a","token_type":"Bearer","expires_in":3600})", &why);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), oidc_errc::bad_token_response);
    EXPECT_EQ(why, "no id_token");
    r = check(R"({"access_token":"a","token_type":"Bearer","id_token":""})", &why);
    ASSERT_FALSE(r);
    EXPECT_EQ(why, "no id_token");
    r = check(R"({"error":"invalid_grant","error_description":"grant request is invalid"})", &why);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), oidc_errc::bad_token_response);
}

TEST_F(staff_oidc, refuses_malformed_token_response) {
    const std::string token = sign(good_claims());
    for (const std::string& bad : {std::string(), std::string("{"), std::string("[]"), std::string("\"") + token + "\"",
                                  response_with(token).substr(1)}) {
        std::string why;
        auto r = check(bad, &why);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error(), oidc_errc::bad_token_response);
        EXPECT_EQ(why, "token response is not a JSON object");
    }
    std::string why;
    auto r = check(json::serialize(json::object{{"token_type", "mac"}, {"id_token", token}}), &why);
    ASSERT_FALSE(r);
    EXPECT_EQ(why, "token_type is not Bearer");
    r = check(json::serialize(json::object{{"id_token", 17}}), &why);
    ASSERT_FALSE(r);
    EXPECT_EQ(why, "no id_token");
    r = check(response_with("not.a-jwt"), &why);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), oidc_errc::id_token_invalid);
}

// ---- discovery ----

namespace {

// Shaped like oidc-provider's document (tests/peers/oidc).
json::object discovery_doc() {
    return {{"issuer", issuer},
            {"authorization_endpoint", issuer + "/auth"},
            {"token_endpoint", issuer + "/token"},
            {"jwks_uri", issuer + "/jwks"},
            {"userinfo_endpoint", issuer + "/me"},
            {"end_session_endpoint", issuer + "/session/end"},
            {"response_types_supported", json::array{"code", "id_token", "code id_token", "none"}},
            {"code_challenge_methods_supported", json::array{"S256"}},
            {"id_token_signing_alg_values_supported", json::array{"RS256", "ES256"}},
            {"token_endpoint_auth_methods_supported", json::array{"client_secret_basic", "private_key_jwt"}},
            {"scopes_supported", json::array{"openid", "profile", "email", "triage"}}};
}

boost::system::result<oidc_provider> discover(const json::object& doc, std::string* why,
                                              std::string_view expected = issuer) {
    return parse_discovery(json::serialize(doc), expected, why);
}

void expect_discovery_refused(const json::object& doc, std::string_view reason, std::string_view expected = issuer) {
    std::string why;
    auto r = discover(doc, &why, expected);
    ASSERT_FALSE(r) << "accepted; expected refusal: " << reason;
    EXPECT_EQ(r.error(), oidc_errc::bad_discovery);
    EXPECT_EQ(why, reason);
}

}  // namespace

TEST(staff_oidc_discovery, reads_the_provider_document) {
    std::string why;
    auto p = discover(discovery_doc(), &why);
    ASSERT_TRUE(p) << why;
    EXPECT_EQ(p->issuer, issuer);
    EXPECT_EQ(p->authorization_endpoint, issuer + "/auth");
    EXPECT_EQ(p->token_endpoint, issuer + "/token");
    EXPECT_EQ(p->jwks_uri, issuer + "/jwks");
    EXPECT_EQ(p->end_session_endpoint, issuer + "/session/end");

    json::object d = discovery_doc();
    d.erase("end_session_endpoint");
    d.erase("response_types_supported");
    d.erase("code_challenge_methods_supported");
    p = discover(d, &why);
    ASSERT_TRUE(p) << why;
    EXPECT_TRUE(p->end_session_endpoint.empty());
}

TEST(staff_oidc_discovery, refuses_issuer_mismatch) {
    expect_discovery_refused(discovery_doc(), "issuer does not match the configured issuer", issuer + "/");
    expect_discovery_refused(discovery_doc(), "issuer does not match the configured issuer", "http://localhost:9400");
    json::object d = discovery_doc();
    d.erase("issuer");
    expect_discovery_refused(d, "issuer missing");
}

TEST(staff_oidc_discovery, refuses_http_off_loopback) {
    json::object d = discovery_doc();
    d["token_endpoint"] = "http://idp.example/token";
    expect_discovery_refused(d, "token_endpoint is not an https URL (http only on loopback)");
    d = discovery_doc();
    d["jwks_uri"] = "http://127.0.0.1.evil.example/jwks";
    expect_discovery_refused(d, "jwks_uri is not an https URL (http only on loopback)");
    d = discovery_doc();
    d["end_session_endpoint"] = "http://10.0.0.1/logout";
    expect_discovery_refused(d, "end_session_endpoint is not an https URL (http only on loopback)");
    // The issuer itself is held to the same rule.
    d = discovery_doc();
    d["issuer"] = "http://idp.example";
    expect_discovery_refused(d, "issuer is not an https URL (http only on loopback)", "http://idp.example");
}

TEST(staff_oidc_discovery, endpoint_rule) {
    for (const char* ok : {"https://idp.example/token", "https://idp.example:8443/a?b=c", "http://127.0.0.1:9400/token",
                           "http://localhost:9400/auth", "http://LOCALHOST/auth", "http://[::1]:9400/jwks",
                           "HTTPS://idp.example/"})
        EXPECT_TRUE(acceptable_endpoint(ok)) << ok;
    for (const char* bad : {"", "/token", "idp.example/token", "http://idp.example/token", "http://localhost.evil.example/",
                            // Boost.URL 1.81 reads these as host 127.0.0.1 (or 1.2.3.4) plus a path.
                            "http://127.0.0.1.nip.io/", "http://127.0.0.1:80.evil.example/", "http://[::1].evil.example/",
                            "https://1.2.3.4.evil.example/", "http://127.0.0.1@evil.example/", "ftp://idp.example/",
                            "https:///token", "https://idp.example/a#frag", "https://user:pw@idp.example/token",
                            "javascript:alert(1)", "https://idp .example/"})
        EXPECT_FALSE(acceptable_endpoint(bad)) << bad;
}

TEST(staff_oidc_discovery, refuses_missing_s256) {
    json::object d = discovery_doc();
    d["code_challenge_methods_supported"] = json::array{"plain"};
    expect_discovery_refused(d, "PKCE S256 not supported");
    d["code_challenge_methods_supported"] = json::array{};
    expect_discovery_refused(d, "PKCE S256 not supported");
    d["code_challenge_methods_supported"] = "S256";  // not a list
    expect_discovery_refused(d, "PKCE S256 not supported");
}

TEST(staff_oidc_discovery, refuses_without_code_flow) {
    json::object d = discovery_doc();
    d["response_types_supported"] = json::array{"id_token", "token id_token"};
    expect_discovery_refused(d, "response type code not supported");
}

TEST(staff_oidc_discovery, refuses_malformed_documents) {
    for (const char* bad : {"", "{", "[]", "null", "\"issuer\""}) {
        std::string why;
        auto r = parse_discovery(bad, issuer, &why);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(why, "not a JSON object");
    }
    for (const char* field : {"authorization_endpoint", "token_endpoint", "jwks_uri"}) {
        json::object d = discovery_doc();
        d.erase(field);
        expect_discovery_refused(d, std::string(field) + " missing");
        d[field] = 5;
        expect_discovery_refused(d, std::string(field) + " is not a string");
    }
}

// ---- logout ----

TEST(staff_oidc_logout, url_carries_hint_redirect_and_client) {
    const std::string url = logout_url(provider(), "eyJ.hdr.sig", "http://127.0.0.1:8443/staff/?signed_out=1", client);
    EXPECT_EQ(url, issuer +
                       "/session/end?id_token_hint=eyJ.hdr.sig"
                       "&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A8443%2Fstaff%2F%3Fsigned_out%3D1"
                       "&client_id=staff-console");
    auto q = query_of(url);
    EXPECT_EQ(q["post_logout_redirect_uri"], "http://127.0.0.1:8443/staff/?signed_out=1");
}

TEST(staff_oidc_logout, leaves_out_empty_values_and_needs_an_endpoint) {
    EXPECT_EQ(logout_url(provider(), "", "", client), issuer + "/session/end?client_id=staff-console");
    oidc_provider p = provider();
    p.end_session_endpoint.clear();
    EXPECT_EQ(logout_url(p, "eyJ.hdr.sig", "https://clinic.example/", client), "");
}

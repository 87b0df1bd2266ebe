// JWT signing and verification with keys made here, including the attacks a verifier must refuse.
#include "integrations/auth/jwt.hpp"

#include <boost/json.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <gtest/gtest.h>

namespace triage::integrations::auth {
namespace {

namespace json = boost::json;

struct test_key {
    std::string private_pem;
    std::string public_pem;
    json::object jwk;
};

std::string bn_bytes(EVP_PKEY* k, const char* name) {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(k, name, &bn);
    std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    return out;
}

std::string pem(EVP_PKEY* k, bool is_private) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (is_private) PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
    else PEM_write_bio_PUBKEY(bio, k);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    return out;
}

test_key make_rsa(const std::string& kid) {
    EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
    test_key t{pem(k, true), pem(k, false),
               json::object{{"kty", "RSA"}, {"kid", kid}, {"use", "sig"},
                            {"n", base64url_encode(bn_bytes(k, OSSL_PKEY_PARAM_RSA_N))},
                            {"e", base64url_encode(bn_bytes(k, OSSL_PKEY_PARAM_RSA_E))}}};
    EVP_PKEY_free(k);
    return t;
}

test_key make_ec(const std::string& kid, const char* curve, const char* crv, std::size_t n) {
    EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
    unsigned char point[200];
    std::size_t len = 0;
    EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len);
    std::string p(reinterpret_cast<char*>(point) + 1, len - 1);  // skip the 0x04 prefix
    test_key t{pem(k, true), pem(k, false),
               json::object{{"kty", "EC"}, {"kid", kid}, {"crv", crv},
                            {"x", base64url_encode(p.substr(0, n))}, {"y", base64url_encode(p.substr(n, n))}}};
    EVP_PKEY_free(k);
    return t;
}

const test_key& rsa() { static const test_key k = make_rsa("rsa-1"); return k; }
const test_key& p256() { static const test_key k = make_ec("ec-1", "P-256", "P-256", 32); return k; }
const test_key& p384() { static const test_key k = make_ec("ec-2", "P-384", "P-384", 48); return k; }

key_set jwks() {
    json::array keys{rsa().jwk, p256().jwk, p384().jwk};
    auto set = key_set::from_jwks(json::serialize(json::object{{"keys", keys}}));
    EXPECT_TRUE(set);
    return std::move(*set);
}

const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));

json::object claims(long long exp_offset = 300) {
    const long long t = 1'800'000'000;
    return json::object{{"iss", "https://idp.example"}, {"aud", "triage"}, {"sub", "u1"},
                        {"iat", t}, {"exp", t + exp_offset}, {"nonce", "n-123"}};
}

verify_options options(std::vector<std::string> algs = {"RS256", "RS384", "ES256", "ES384"}) {
    verify_options o;
    o.algorithms = std::move(algs);
    o.issuer = "https://idp.example";
    o.audience = "triage";
    o.now = now;
    o.nonce = "n-123";
    return o;
}

std::string sign_with(const test_key& k, const std::string& alg, const std::string& kid, const json::object& c = claims()) {
    auto key = signing_key::from_pem(k.private_pem, alg, kid);
    EXPECT_TRUE(key) << alg;
    return key ? *key->sign(c) : std::string();
}

TEST(base64url, round_trip_without_padding) {
    for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\xff\xfe\x00\x01", 4)}) {
        EXPECT_EQ(base64url_decode(base64url_encode(s)), s);
        EXPECT_EQ(base64url_encode(s).find('='), std::string::npos);
    }
    EXPECT_FALSE(base64url_decode("ab+c"));  // not the URL alphabet
    EXPECT_FALSE(base64url_decode("abc=")); // no padding in JWTs
}

TEST(jwt, every_algorithm_signs_and_verifies) {
    const key_set keys = jwks();
    EXPECT_EQ(keys.size(), 3u);
    for (auto [k, alg, kid] : {std::tuple{&rsa(), "RS256", "rsa-1"}, std::tuple{&rsa(), "RS384", "rsa-1"},
                               std::tuple{&p256(), "ES256", "ec-1"}, std::tuple{&p384(), "ES384", "ec-2"}}) {
        std::string why;
        auto v = verify_jwt(sign_with(*k, alg, kid), keys, options(), &why);
        ASSERT_TRUE(v) << alg << ": " << why;
        EXPECT_EQ(v->claims.at("sub").as_string(), "u1");
        EXPECT_EQ(v->header.at("alg").as_string(), alg);
    }
}

TEST(jwt, an_algorithm_must_fit_its_key) {
    EXPECT_FALSE(signing_key::from_pem(rsa().private_pem, "ES256"));
    EXPECT_FALSE(signing_key::from_pem(p256().private_pem, "ES384"));  // curve and hash must agree
    EXPECT_FALSE(signing_key::from_pem(p256().private_pem, "HS256"));
    EXPECT_FALSE(signing_key::from_pem("not a key", "RS256"));
}

TEST(jwt, refuses_what_it_must) {
    const key_set keys = jwks();
    std::string why;
    const std::string good = sign_with(rsa(), "RS256", "rsa-1");
    ASSERT_TRUE(verify_jwt(good, keys, options()));

    // A changed payload.
    auto parts = good;
    const auto d1 = parts.find('.'), d2 = parts.rfind('.');
    json::object other = claims();
    other["sub"] = "admin";
    std::string tampered = parts.substr(0, d1) + "." + base64url_encode(json::serialize(other)) + parts.substr(d2);
    EXPECT_FALSE(verify_jwt(tampered, keys, options(), &why));
    EXPECT_EQ(why, "bad signature");

    // alg none, with or without a signature.
    std::string none_header = base64url_encode(R"({"alg":"none","typ":"JWT"})");
    std::string body = base64url_encode(json::serialize(claims()));
    EXPECT_FALSE(verify_jwt(none_header + "." + body + ".", keys, options(), &why));
    EXPECT_FALSE(verify_jwt(none_header + "." + body + "." + parts.substr(d2 + 1), keys, options(), &why));
    EXPECT_EQ(why, "alg not accepted");

    // Algorithm confusion: HS256 "signed" with the RSA public key as the HMAC secret.
    const std::string hs_input = base64url_encode(R"({"alg":"HS256","typ":"JWT","kid":"rsa-1"})") + "." + body;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    HMAC(EVP_sha256(), rsa().public_pem.data(), static_cast<int>(rsa().public_pem.size()),
         reinterpret_cast<const unsigned char*>(hs_input.data()), hs_input.size(), mac, &mac_len);
    const std::string forged = hs_input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), mac_len));
    auto hs_opts = options({"RS256", "HS256"});  // even a careless caller listing HS256
    EXPECT_FALSE(verify_jwt(forged, keys, hs_opts, &why));
    EXPECT_EQ(why, "alg not accepted");

    // An accepted alg on the wrong key type: ES256 header over an RSA-keyed kid.
    EXPECT_FALSE(verify_jwt(sign_with(p256(), "ES256", "rsa-1"), keys, options(), &why));
    // An alg the caller does not accept.
    EXPECT_FALSE(verify_jwt(sign_with(rsa(), "RS384", "rsa-1"), keys, options({"RS256"}), &why));
    EXPECT_EQ(why, "alg not accepted");
    // Unknown kid.
    EXPECT_FALSE(verify_jwt(sign_with(rsa(), "RS256", "rotated-away"), keys, options(), &why));
    EXPECT_EQ(why, "unknown kid");
}

TEST(jwt, claims_are_checked) {
    const key_set keys = jwks();
    std::string why;
    EXPECT_FALSE(verify_jwt(sign_with(rsa(), "RS256", "rsa-1", claims(-120)), keys, options(), &why));
    EXPECT_EQ(why, "expired");
    EXPECT_TRUE(verify_jwt(sign_with(rsa(), "RS256", "rsa-1", claims(-30)), keys, options()));  // within leeway

    auto c = claims();
    c["aud"] = json::array{"other", "triage"};
    EXPECT_TRUE(verify_jwt(sign_with(rsa(), "RS256", "rsa-1", c), keys, options()));
    c["aud"] = "other";
    EXPECT_FALSE(verify_jwt(sign_with(rsa(), "RS256", "rsa-1", c), keys, options(), &why));
    EXPECT_EQ(why, "wrong audience");

    c = claims();
    c["iss"] = "https://evil.example";
    EXPECT_FALSE(verify_jwt(sign_with(rsa(), "RS256", "rsa-1", c), keys, options(), &why));
    EXPECT_EQ(why, "wrong issuer");

    c = claims();
    c["nonce"] = "replayed";
    EXPECT_FALSE(verify_jwt(sign_with(rsa(), "RS256", "rsa-1", c), keys, options(), &why));
    EXPECT_EQ(why, "wrong nonce");

    c = claims();
    c.erase("exp");
    EXPECT_FALSE(verify_jwt(sign_with(rsa(), "RS256", "rsa-1", c), keys, options(), &why));
    EXPECT_EQ(why, "no exp");

    auto typed = options();
    typed.typ = "at+jwt";
    EXPECT_FALSE(verify_jwt(sign_with(rsa(), "RS256", "rsa-1"), keys, typed, &why));
    EXPECT_EQ(why, "wrong typ");
}

TEST(jwt, malformed_tokens) {
    const key_set keys = jwks();
    for (std::string_view bad : {"", "a", "a.b", "a.b.c.d", "!!.??.**", "e30.e30.", "e30.e30.AAAA"}) {
        EXPECT_FALSE(verify_jwt(bad, keys, options())) << bad;
    }
    EXPECT_FALSE(key_set::from_jwks("{}"));
    EXPECT_FALSE(key_set::from_jwks("not json"));
    auto empty = key_set::from_jwks(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->size(), 0u);  // symmetric keys are never used
}

}  // namespace
}  // namespace triage::integrations::auth

#include "integrations/auth/jwt.hpp"

#include "integrations/errc.hpp"

#include <boost/json.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>

namespace json = boost::json;

namespace triage::integrations::auth {

namespace {

struct pkey_free {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

struct alg_info {
    std::string_view name;
    bool rsa;
    const EVP_MD* (*md)();
    int ec_bits;  // coordinate size for ES*, 0 for RS*
};

constexpr std::array<alg_info, 4> algs{
    alg_info{"RS256", true, EVP_sha256, 0},
    alg_info{"RS384", true, EVP_sha384, 0},
    alg_info{"ES256", false, EVP_sha256, 256},
    alg_info{"ES384", false, EVP_sha384, 384},
};

const alg_info* find_alg(std::string_view name) {
    for (const auto& a : algs)
        if (a.name == name) return &a;
    return nullptr;
}

// The key's type and, for EC, its curve size in bits; the alg must agree with both.
bool key_fits(EVP_PKEY* key, const alg_info& a) {
    const int id = EVP_PKEY_get_base_id(key);
    if (a.rsa) return id == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) >= 2048;
    return id == EVP_PKEY_EC && EVP_PKEY_get_bits(key) == a.ec_bits;
}

// ES* signatures are R||S, fixed width; OpenSSL speaks DER.
std::optional<std::string> der_to_raw(const unsigned char* der, std::size_t len, int bits) {
    const std::size_t n = static_cast<std::size_t>(bits) / 8;
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(len));
    if (!sig) return std::nullopt;
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig, &r, &s);
    std::string out(2 * n, '\0');
    const bool ok = BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) == static_cast<int>(n) &&
                    BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + n, static_cast<int>(n)) == static_cast<int>(n);
    ECDSA_SIG_free(sig);
    if (!ok) return std::nullopt;
    return out;
}

std::optional<std::string> raw_to_der(std::string_view raw, int bits) {
    const std::size_t n = static_cast<std::size_t>(bits) / 8;
    if (raw.size() != 2 * n) return std::nullopt;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(n), nullptr);
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + n, static_cast<int>(n), nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return std::nullopt;
    }
    unsigned char* der = nullptr;
    const int len = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    if (len <= 0) return std::nullopt;
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return out;
}

std::string b64url_json(const json::object& o) { return base64url_encode(json::serialize(o)); }

const char* curve_name(std::string_view crv) {
    if (crv == "P-256") return "prime256v1";
    if (crv == "P-384") return "secp384r1";
    return nullptr;
}

pkey_ptr pkey_from_params(const char* type, OSSL_PARAM* params) {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
    EVP_PKEY* key = nullptr;
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1) EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    return pkey_ptr(key);
}

pkey_ptr rsa_from_jwk(const std::string& n, const std::string& e) {
    BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr);
    BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    pkey_ptr key;
    if (bn_n && bn_e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1) {
        OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
        if (params) key = pkey_from_params("RSA", params);
        OSSL_PARAM_free(params);
    }
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    return key;
}

pkey_ptr ec_from_jwk(const char* curve, const std::string& x, const std::string& y) {
    std::string point;
    point += '\x04';  // uncompressed
    point += x;
    point += y;
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    pkey_ptr key;
    if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) == 1) {
        OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
        if (params) key = pkey_from_params("EC", params);
        OSSL_PARAM_free(params);
    }
    OSSL_PARAM_BLD_free(bld);
    return key;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
    static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                           static_cast<unsigned char>(bytes[i + 2]);
        out += table[v >> 18 & 63];
        out += table[v >> 12 & 63];
        out += table[v >> 6 & 63];
        out += table[v & 63];
    }
    if (i + 1 == bytes.size()) {
        const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        out += table[v >> 18 & 63];
        out += table[v >> 12 & 63];
    } else if (i + 2 == bytes.size()) {
        const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8;
        out += table[v >> 18 & 63];
        out += table[v >> 12 & 63];
        out += table[v >> 6 & 63];
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '-') return 62;
        if (c == '_') return 63;
        return -1;
    };
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (char c : text) {
        const int v = value(c);
        if (v < 0) return std::nullopt;  // no padding, no other alphabet: JWTs use neither
        acc = acc << 6 | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>(acc >> bits & 0xFF);
        }
    }
    return out;
}

// ---------------------------------------------------------------- signing

struct signing_key::impl {
    pkey_ptr key;
};

signing_key::~signing_key() = default;
signing_key::signing_key(signing_key&&) noexcept = default;
signing_key& signing_key::operator=(signing_key&&) noexcept = default;

std::optional<signing_key> signing_key::from_pem(std::string_view pem, std::string alg, std::string kid) {
    const alg_info* a = find_alg(alg);
    if (!a) return std::nullopt;
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (!bio) return std::nullopt;
    pkey_ptr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
    BIO_free(bio);
    if (!key || !key_fits(key.get(), *a)) return std::nullopt;
    signing_key k;
    k.impl_ = std::make_unique<impl>();
    k.impl_->key = std::move(key);
    k.alg_ = std::move(alg);
    k.kid_ = std::move(kid);
    return k;
}

std::optional<std::string> signing_key::sign(const json::object& claims, const json::object& extra_header) const {
    const alg_info* a = find_alg(alg_);
    if (!impl_ || !a) return std::nullopt;
    json::object header{{"alg", alg_}, {"typ", "JWT"}};
    if (!kid_.empty()) header["kid"] = kid_;
    for (const auto& kv : extra_header) header[kv.key()] = kv.value();
    const std::string input = b64url_json(header) + "." + b64url_json(claims);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::string sig;
    bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, a->md(), nullptr, impl_->key.get()) == 1;
    std::size_t len = 0;
    ok = ok && EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    if (ok) {
        sig.resize(len);
        ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                            reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
        sig.resize(len);
    }
    EVP_MD_CTX_free(ctx);
    if (!ok) return std::nullopt;
    if (!a->rsa) {
        auto raw = der_to_raw(reinterpret_cast<const unsigned char*>(sig.data()), sig.size(), a->ec_bits);
        if (!raw) return std::nullopt;
        sig = std::move(*raw);
    }
    return input + "." + base64url_encode(sig);
}

// ---------------------------------------------------------------- verifying

struct key_set::impl {
    struct entry {
        std::string kid;
        std::string alg;  // optional "alg" of the JWK
        pkey_ptr key;
    };
    std::vector<entry> keys;
};

key_set::key_set() : impl_(std::make_unique<impl>()) {}
key_set::~key_set() = default;
key_set::key_set(key_set&&) noexcept = default;
key_set& key_set::operator=(key_set&&) noexcept = default;
std::size_t key_set::size() const noexcept { return impl_ ? impl_->keys.size() : 0; }
bool key_set::has_kid(std::string_view kid) const {
    return impl_ && std::any_of(impl_->keys.begin(), impl_->keys.end(), [&](const auto& e) { return e.kid == kid; });
}

boost::system::result<key_set> key_set::from_jwks(std::string_view text) {
    json::error_code ec;
    auto v = json::parse(text, ec);
    const json::object* root = ec ? nullptr : v.if_object();
    const json::value* list = root ? root->if_contains("keys") : nullptr;
    if (!list || !list->is_array()) return errc::token_invalid;
    key_set set;
    for (const auto& k : list->as_array()) {
        const json::object* o = k.if_object();
        if (!o) continue;
        auto str = [&](std::string_view name) -> std::string {
            const json::value* x = o->if_contains(name);
            return x && x->is_string() ? std::string(x->as_string()) : std::string();
        };
        if (const std::string use = str("use"); !use.empty() && use != "sig") continue;
        impl::entry e{str("kid"), str("alg"), nullptr};
        if (str("kty") == "RSA") {
            auto n = base64url_decode(str("n"));
            auto ex = base64url_decode(str("e"));
            if (n && ex && !n->empty() && !ex->empty()) e.key = rsa_from_jwk(*n, *ex);
        } else if (str("kty") == "EC") {
            const char* curve = curve_name(str("crv"));
            auto x = base64url_decode(str("x"));
            auto y = base64url_decode(str("y"));
            if (curve && x && y) e.key = ec_from_jwk(curve, *x, *y);
        }
        if (e.key) set.impl_->keys.push_back(std::move(e));
    }
    return set;
}

boost::system::result<verified_token> verify_jwt(std::string_view token, const key_set& keys, const verify_options& o,
                                                 std::string* why) {
    auto fail = [&](const char* reason) -> boost::system::result<verified_token> {
        if (why) *why = reason;
        return errc::token_invalid;
    };
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? std::string_view::npos : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) return fail("not a signed JWT");
    auto header_text = base64url_decode(token.substr(0, dot1));
    auto claims_text = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
    auto sig = base64url_decode(token.substr(dot2 + 1));
    if (!header_text || !claims_text || !sig) return fail("bad base64url");
    json::error_code ec;
    auto hv = json::parse(*header_text, ec);
    if (ec || !hv.is_object()) return fail("bad header");
    auto cv = json::parse(*claims_text, ec);
    if (ec || !cv.is_object()) return fail("bad claims");
    verified_token out{std::move(hv.as_object()), std::move(cv.as_object())};

    auto str = [](const json::object& obj, std::string_view name) -> std::optional<std::string> {
        const json::value* x = obj.if_contains(name);
        if (!x || !x->is_string()) return std::nullopt;
        return std::string(x->as_string());
    };
    const auto alg = str(out.header, "alg");
    if (!alg) return fail("no alg");
    // Only algorithms the caller accepts, and never "none" or HMAC, whatever the caller says.
    const alg_info* a = find_alg(*alg);
    if (!a || std::find(o.algorithms.begin(), o.algorithms.end(), *alg) == o.algorithms.end()) return fail("alg not accepted");
    if (out.header.contains("crit")) return fail("unsupported critical header");
    if (o.typ && str(out.header, "typ") != o.typ) return fail("wrong typ");

    // The key: by kid when the token names one, else every key of the right type.
    const auto kid = str(out.header, "kid");
    std::string der;
    std::string_view signature(*sig);
    if (!a->rsa) {
        auto d = raw_to_der(*sig, a->ec_bits);
        if (!d) return fail("bad ES signature length");
        der = std::move(*d);
        signature = der;
    }
    const std::string_view input = token.substr(0, dot2);
    bool verified = false;
    if (keys.impl_) {
        for (const auto& e : keys.impl_->keys) {
            if (kid && e.kid != *kid) continue;
            if (!e.alg.empty() && e.alg != *alg) continue;
            if (!key_fits(e.key.get(), *a)) continue;
            EVP_MD_CTX* ctx = EVP_MD_CTX_new();
            const bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, a->md(), nullptr, e.key.get()) == 1 &&
                            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                             reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
            EVP_MD_CTX_free(ctx);
            if (ok) {
                verified = true;
                break;
            }
        }
    }
    if (!verified) return fail(kid && !keys.has_kid(*kid) ? "unknown kid" : "bad signature");

    // Claims.
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(o.now.time_since_epoch()).count();
    const auto leeway = o.leeway.count();
    auto number = [&](std::string_view name) -> std::optional<long long> {
        const json::value* x = out.claims.if_contains(name);
        if (!x) return std::nullopt;
        if (x->is_int64()) return x->as_int64();
        if (x->is_uint64()) return static_cast<long long>(x->as_uint64());
        if (x->is_double()) return static_cast<long long>(x->as_double());
        return std::nullopt;
    };
    const auto exp = number("exp");
    if (!exp) return fail("no exp");
    if (*exp + leeway < now) return fail("expired");
    if (auto nbf = number("nbf"); nbf && *nbf - leeway > now) return fail("not yet valid");
    if (auto iat = number("iat"); iat && *iat - leeway > now) return fail("issued in the future");
    if (str(out.claims, "iss") != o.issuer) return fail("wrong issuer");
    bool audience_ok = false;
    if (const json::value* aud = out.claims.if_contains("aud")) {
        if (aud->is_string()) audience_ok = aud->as_string() == o.audience;
        if (aud->is_array()) {
            for (const auto& x : aud->as_array()) audience_ok = audience_ok || (x.is_string() && x.as_string() == o.audience);
        }
    }
    if (!audience_ok) return fail("wrong audience");
    if (o.nonce && str(out.claims, "nonce") != o.nonce) return fail("wrong nonce");
    return out;
}

}  // namespace triage::integrations::auth

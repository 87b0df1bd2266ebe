#include "integrations/phi/keyring.hpp"

#include "integrations/errc.hpp"

#include <sodium.h>

#include <stdexcept>

namespace triage::integrations::phi {
namespace {

constexpr std::size_t npub = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t abytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;

std::string seal_with(const key& k, std::string_view plaintext, std::string_view ad) {
    std::string out(npub + plaintext.size() + abytes, '\0');
    auto* nonce = reinterpret_cast<unsigned char*>(out.data());
    randombytes_buf(nonce, npub);  // 192-bit random nonces: collisions are not a concern
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        nonce + npub, &clen, reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
        reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce, k.data());
    out.resize(npub + clen);
    return out;
}

boost::system::result<std::string> open_with(const key& k, std::string_view bytes, std::string_view ad) {
    if (bytes.size() < npub + abytes) return make_error_code(errc::decrypt_failed);
    const auto* nonce = reinterpret_cast<const unsigned char*>(bytes.data());
    std::string out(bytes.size() - npub - abytes, '\0');
    unsigned long long mlen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            reinterpret_cast<unsigned char*>(out.data()), &mlen, nullptr, nonce + npub, bytes.size() - npub,
            reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nonce, k.data()) != 0)
        return make_error_code(errc::decrypt_failed);
    out.resize(mlen);
    return out;
}

std::string wrap_ad(std::uint32_t id) { return "phi_keys.wrapped|" + std::to_string(id); }

}  // namespace

boost::system::result<key> parse_master_key(std::string_view hex) {
    key k{};
    std::size_t len = 0;
    if (hex.size() != key_bytes * 2 ||
        sodium_hex2bin(k.data(), k.size(), hex.data(), hex.size(), nullptr, &len, nullptr) != 0 || len != key_bytes)
        return make_error_code(errc::decrypt_failed);
    return k;
}

std::string generate_master_key_hex() {
    key k{};
    randombytes_buf(k.data(), k.size());
    std::string hex(key_bytes * 2 + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), k.data(), k.size());
    hex.pop_back();
    sodium_memzero(k.data(), k.size());
    return hex;
}

bool keyring::init() noexcept { return sodium_init() >= 0; }

keyring::keyring(const key& master) : master_(master) {
    // Separate keys for separate jobs, derived from the master key.
    crypto_kdf_derive_from_key(index_key_.data(), index_key_.size(), 1, "blindidx", master_.data());
}

keyring::~keyring() {
    sodium_memzero(master_.data(), master_.size());
    sodium_memzero(index_key_.data(), index_key_.size());
    for (auto& [id, k] : data_keys_) sodium_memzero(k.data(), k.size());
}

boost::system::result<void> keyring::add_wrapped_data_key(std::uint32_t id, std::string_view wrapped) {
    auto plain = open_with(master_, wrapped, wrap_ad(id));
    if (!plain || plain->size() != key_bytes) return make_error_code(errc::decrypt_failed);
    key k{};
    std::copy(plain->begin(), plain->end(), k.begin());
    sodium_memzero(plain->data(), plain->size());
    data_keys_[id] = k;
    if (id > current_) current_ = id;
    return {};
}

std::string keyring::create_data_key(std::uint32_t id) {
    key k{};
    crypto_aead_xchacha20poly1305_ietf_keygen(k.data());
    std::string wrapped = seal_with(master_, std::string_view(reinterpret_cast<const char*>(k.data()), k.size()),
                                    wrap_ad(id));
    data_keys_[id] = k;
    if (id > current_) current_ = id;
    return wrapped;
}

sealed keyring::seal(std::string_view plaintext, std::string_view associated) const {
    auto it = data_keys_.find(current_);
    if (it == data_keys_.end()) throw std::logic_error("keyring has no data key");
    return {current_, seal_with(it->second, plaintext, associated)};
}

boost::system::result<std::string> keyring::open(std::uint32_t key_id, std::string_view bytes,
                                                 std::string_view associated) const {
    auto it = data_keys_.find(key_id);
    if (it == data_keys_.end()) return make_error_code(errc::decrypt_failed);
    return open_with(it->second, bytes, associated);
}

std::string keyring::blind_index(std::string_view value, std::string_view purpose) const {
    unsigned char out[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, index_key_.data(), index_key_.size(), sizeof out);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size());
    const unsigned char sep = 0;
    crypto_generichash_update(&st, &sep, 1);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(value.data()), value.size());
    crypto_generichash_final(&st, out, sizeof out);
    return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

}  // namespace triage::integrations::phi

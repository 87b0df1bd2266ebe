#pragma once
// PHI encryption with libsodium: XChaCha20-Poly1305 (IETF) with associated data that binds each
// ciphertext to where it belongs (table, column, row, clinic), so a ciphertext copied to another
// row or clinic fails to open. Envelope encryption: data keys are stored wrapped by a master key
// that only this process holds.
//
// runs on: any thread; immutable after construction except add_data_key (startup only).

#include <boost/system/result.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace triage::integrations::phi {

inline constexpr std::size_t key_bytes = 32;
using key = std::array<unsigned char, key_bytes>;

struct sealed {
    std::uint32_t key_id = 0;
    std::string bytes;  // nonce || ciphertext || tag
};

// Reads a master key given as 64 hex characters. Fails (never throws) on anything else.
boost::system::result<key> parse_master_key(std::string_view hex);
std::string generate_master_key_hex();

class keyring {
public:
    // REQUIRES: sodium_init() succeeded (keyring::init does it).
    static bool init() noexcept;

    explicit keyring(const key& master);
    ~keyring();
    keyring(const keyring&) = delete;
    keyring& operator=(const keyring&) = delete;

    // Unwraps a stored data key; fails with errc::decrypt_failed if the master key is wrong.
    boost::system::result<void> add_wrapped_data_key(std::uint32_t id, std::string_view wrapped);
    // Creates a new data key and returns its wrapped form for storage; it becomes current.
    std::string create_data_key(std::uint32_t id);
    bool has_data_key() const noexcept { return !data_keys_.empty(); }
    std::uint32_t current_key_id() const noexcept { return current_; }

    sealed seal(std::string_view plaintext, std::string_view associated) const;
    boost::system::result<std::string> open(std::uint32_t key_id, std::string_view bytes,
                                            std::string_view associated) const;

    // Keyed BLAKE2b of a value, for lookups on secrets without storing them (blind index).
    std::string blind_index(std::string_view value, std::string_view purpose) const;

private:
    key master_;
    key index_key_;
    std::map<std::uint32_t, key> data_keys_;
    std::uint32_t current_ = 0;
};

}  // namespace triage::integrations::phi

#include "integrations/phi/keyring.hpp"

#include <gtest/gtest.h>

using namespace triage::integrations::phi;

namespace {
key master_of(char c) {
    auto k = parse_master_key(std::string(64, c));
    EXPECT_TRUE(k);
    return *k;
}
}  // namespace

TEST(keyring, seal_and_open_round_trip) {
    ASSERT_TRUE(keyring::init());
    keyring k(master_of('a'));
    k.create_data_key(1);
    auto s = k.seal("chest pain since noon", "messages.body|c1|1|clinic");
    EXPECT_EQ(s.key_id, 1u);
    EXPECT_EQ(s.bytes.find("chest"), std::string::npos);
    auto p = k.open(s.key_id, s.bytes, "messages.body|c1|1|clinic");
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, "chest pain since noon");
}

TEST(keyring, ciphertext_bound_to_its_place) {
    keyring k(master_of('b'));
    k.create_data_key(1);
    auto s = k.seal("secret", "messages.body|c1|1|clinicA");
    EXPECT_FALSE(k.open(1, s.bytes, "messages.body|c1|2|clinicA"));  // another row
    EXPECT_FALSE(k.open(1, s.bytes, "messages.body|c1|1|clinicB"));  // another clinic
    std::string tampered = s.bytes;
    tampered.back() ^= 1;
    EXPECT_FALSE(k.open(1, tampered, "messages.body|c1|1|clinicA"));
}

TEST(keyring, data_keys_unwrap_only_with_their_master) {
    keyring a(master_of('c'));
    std::string wrapped = a.create_data_key(3);
    keyring same(master_of('c'));
    EXPECT_TRUE(same.add_wrapped_data_key(3, wrapped));
    keyring other(master_of('d'));
    EXPECT_FALSE(other.add_wrapped_data_key(3, wrapped));
    EXPECT_FALSE(same.add_wrapped_data_key(4, wrapped));  // the id is bound too
}

TEST(keyring, blind_index_is_keyed_and_stable) {
    keyring a(master_of('e')), b(master_of('f'));
    EXPECT_EQ(a.blind_index("token", "conversation.token"), a.blind_index("token", "conversation.token"));
    EXPECT_NE(a.blind_index("token", "conversation.token"), b.blind_index("token", "conversation.token"));
    EXPECT_NE(a.blind_index("token", "conversation.token"), a.blind_index("token", "other.purpose"));
}

TEST(keyring, master_key_format) {
    EXPECT_FALSE(parse_master_key("abc"));
    EXPECT_FALSE(parse_master_key(std::string(64, 'z')));
    EXPECT_EQ(generate_master_key_hex().size(), 64u);
}

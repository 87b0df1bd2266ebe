#include "integrations/redis/session_store.hpp"

#include "integrations/errc.hpp"

#include <charconv>

namespace asio = boost::asio;
using boost::system::error_code;

namespace triage::integrations::redis {
namespace {

// Compare-and-set in one round trip: Redis runs a script atomically, so no WATCH/MULTI dance.
constexpr const char* save_script = R"lua(
local current = redis.call('HGET', KEYS[1], 'v')
if current == false then current = '0' end
if current ~= ARGV[1] then return -1 end
local next = tonumber(ARGV[1]) + 1
redis.call('HSET', KEYS[1], 'v', tostring(next), 's', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return next
)lua";

std::optional<std::uint64_t> parse_u64(const std::string& s) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

session_store::session_store(std::shared_ptr<connection> conn, std::string key_prefix, std::chrono::seconds ttl)
    : conn_(std::move(conn)), prefix_(std::move(key_prefix)), ttl_(ttl) {}

asio::awaitable<boost::system::result<std::optional<stored_session>>> session_store::async_load(
    std::string conversation_id) {
    // Arguments are built before co_await: GCC 12 miscompiles braced lists of literals there.
    std::vector<std::string> args{"HMGET", key(conversation_id), "v", "s"};
    auto r = co_await conn_->async_command(std::move(args));
    if (!r) co_return r.error();
    const reply& rep = *r;
    if (rep.type != reply::kind::array || rep.elements.size() != 2) co_return error_code(errc::redis_protocol);
    if (rep.elements[0].type == reply::kind::nil) co_return std::optional<stored_session>{};
    auto v = parse_u64(rep.elements[0].str);
    if (!v || rep.elements[1].type != reply::kind::string) co_return error_code(errc::redis_protocol);
    co_return std::optional<stored_session>{stored_session{*v, rep.elements[1].str}};
}

asio::awaitable<boost::system::result<std::uint64_t>> session_store::async_save(
    std::string conversation_id, std::uint64_t expected_version, std::string sealed_state) {
    std::vector<std::string> args{"EVAL", save_script, "1", key(conversation_id),
                                  std::to_string(expected_version), std::move(sealed_state),
                                  std::to_string(ttl_.count())};
    auto r = co_await conn_->async_command(std::move(args));
    if (!r) co_return r.error();
    if (r->type != reply::kind::integer) co_return error_code(errc::redis_protocol);
    if (r->integer < 0) co_return error_code(errc::version_conflict);
    co_return static_cast<std::uint64_t>(r->integer);
}

asio::awaitable<boost::system::result<void>> session_store::async_ping() {
    std::vector<std::string> args{"PING"};
    auto r = co_await conn_->async_command(std::move(args));
    if (!r) co_return r.error();
    if (r->type != reply::kind::status) co_return error_code(errc::redis_protocol);
    co_return boost::system::result<void>{};
}

}  // namespace triage::integrations::redis

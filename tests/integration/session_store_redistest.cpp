// The Redis session store against a real Redis started by tests/peers/stack.sh.
#include "integrations/errc.hpp"
#include "integrations/redis/session_store.hpp"
#include "test_env.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

namespace asio = boost::asio;
using namespace triage::integrations;

namespace {

class redis_store : public ::testing::Test {
protected:
    void SetUp() override {
        auto env = triage::test::stack_env();
        ASSERT_TRUE(env.contains("TRIAGE_TEST_REDIS_PORT")) << "run through ctest (stack fixture)";
        redis::connection_settings s;
        s.port = static_cast<unsigned short>(std::stoi(env["TRIAGE_TEST_REDIS_PORT"]));
        conn_ = std::make_shared<redis::connection>(ctx_.get_executor(), s, sink_);
        store_ = std::make_unique<redis::session_store>(conn_, "test:" + std::to_string(::getpid()) + ":",
                                                        std::chrono::seconds(60));
    }
    // Runs the loop until the operation is done. Not ctx_.run(): a live Redis connection keeps a
    // read armed for good, so the loop never runs out of work.
    template <class T>
    T run(asio::awaitable<T> a) {
        auto f = asio::co_spawn(ctx_, std::move(a), asio::use_future);
        run_until_ready(f);
        return f.get();
    }
    template <class F>
    void run_until_ready(F& f) {
        ctx_.restart();
        while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ctx_.run_one();
    }
    asio::io_context ctx_;
    null_event_sink sink_;
    std::shared_ptr<redis::connection> conn_;
    std::unique_ptr<redis::session_store> store_;
};

}  // namespace

TEST_F(redis_store, missing_session_is_empty) {
    auto r = run(store_->async_load("nobody"));
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r);
}

TEST_F(redis_store, save_then_load_binary_value) {
    std::string value("\x00\x01sealed\xff", 9);
    auto v = run(store_->async_save("c1", 0, value));
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, 1u);
    auto r = run(store_->async_load("c1"));
    ASSERT_TRUE(r && *r);
    EXPECT_EQ((*r)->version, 1u);
    EXPECT_EQ((*r)->sealed_state, value);
}

TEST_F(redis_store, two_writers_from_the_same_version_one_wins) {
    ASSERT_TRUE(run(store_->async_save("c2", 0, "v1")));
    // Two writers both read version 1 and write concurrently, on two connections.
    redis::connection_settings s;
    s.port = static_cast<unsigned short>(std::stoi(triage::test::stack_env()["TRIAGE_TEST_REDIS_PORT"]));
    auto conn_b = std::make_shared<redis::connection>(ctx_.get_executor(), s, sink_);
    redis::session_store store_b(conn_b, "test:" + std::to_string(::getpid()) + ":", std::chrono::seconds(60));
    auto fa = asio::co_spawn(ctx_, store_->async_save("c2", 1, "from-a"), asio::use_future);
    auto fb = asio::co_spawn(ctx_, store_b.async_save("c2", 1, "from-b"), asio::use_future);
    run_until_ready(fa);
    run_until_ready(fb);
    auto a = fa.get(), b = fb.get();
    EXPECT_NE(static_cast<bool>(a), static_cast<bool>(b)) << "exactly one writer must win";
    const auto& loser = a ? b : a;
    ASSERT_FALSE(loser);
    EXPECT_EQ(loser.error(), errc::version_conflict);
    auto r = run(store_->async_load("c2"));
    ASSERT_TRUE(r && *r);
    EXPECT_EQ((*r)->version, 2u);
    EXPECT_EQ((*r)->sealed_state, a ? "from-a" : "from-b");
}

TEST_F(redis_store, many_concurrent_writers_never_lose_an_update) {
    // 20 writers each increment a counter with read-modify-write and retry on conflict: the
    // final value must be exactly 20.
    ASSERT_TRUE(run(store_->async_save("c3", 0, "0")));
    std::vector<std::future<int>> done;
    for (int i = 0; i < 20; ++i) {
        done.push_back(asio::co_spawn(ctx_, [this]() -> asio::awaitable<int> {
            for (int attempt = 0; attempt < 100; ++attempt) {
                auto cur = co_await store_->async_load("c3");
                if (!cur || !*cur) co_return -1;
                int n = std::stoi((*cur)->sealed_state);
                auto w = co_await store_->async_save("c3", (*cur)->version, std::to_string(n + 1));
                if (w) co_return attempt;
                if (w.error() != errc::version_conflict) co_return -1;
            }
            co_return -1;
        }, asio::use_future));
    }
    for (auto& f : done) run_until_ready(f);
    for (auto& f : done) EXPECT_GE(f.get(), 0);
    auto r = run(store_->async_load("c3"));
    ASSERT_TRUE(r && *r);
    EXPECT_EQ((*r)->sealed_state, "20");
    EXPECT_EQ((*r)->version, 21u);
}

TEST(redis_down, fails_fast_with_unavailable) {
    asio::io_context ctx;
    null_event_sink sink;
    redis::connection_settings s;
    s.port = 1;  // nothing listens on port 1
    auto conn = std::make_shared<redis::connection>(ctx.get_executor(), s, sink);
    redis::session_store store(conn, "x:", std::chrono::seconds(60));
    auto f = asio::co_spawn(ctx, store.async_load("c"), asio::use_future);
    ctx.run();
    auto r = f.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::redis_unavailable);
}

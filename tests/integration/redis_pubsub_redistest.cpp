// Redis pub/sub between "instances" (separate subscribers) against the real Redis of the test
// stack: delivery to every subscriber, unsubscribing, and recovery after Redis drops the
// subscribers (they reconnect, resubscribe and say so, so their owners can catch up).
#include "integrations/errc.hpp"
#include "integrations/redis/connection.hpp"
#include "integrations/redis/subscriber.hpp"
#include "test_env.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <unistd.h>

namespace asio = boost::asio;
using namespace triage::integrations;

namespace {

struct inbox {
    std::vector<std::pair<std::string, std::string>> messages;
    int resubscribed = 0;
};

class redis_pubsub : public ::testing::Test {
protected:
    void SetUp() override {
        auto env = triage::test::stack_env();
        ASSERT_TRUE(env.contains("TRIAGE_TEST_REDIS_PORT")) << "run through ctest (stack fixture)";
        settings_.port = static_cast<unsigned short>(std::stoi(env["TRIAGE_TEST_REDIS_PORT"]));
        settings_.reconnect_backoff = std::chrono::milliseconds(50);
        publisher_ = std::make_shared<redis::connection>(ctx_.get_executor(), settings_, sink_);
        channel_ = "test:pubsub:" + std::to_string(::getpid()) + ":" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name();
    }
    std::shared_ptr<redis::subscriber> make(inbox& box) {
        return std::make_shared<redis::subscriber>(
            ctx_.get_executor(), settings_, sink_,
            [&box](std::string_view ch, std::string_view payload) { box.messages.emplace_back(ch, payload); },
            [&box] { ++box.resubscribed; });
    }
    // Runs the loop until `done` holds; fails after 5 s of loop time (a live Redis connection
    // keeps a read armed, so the loop never runs out of work by itself).
    template <class Pred>
    bool run_until(Pred done) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        ctx_.restart();
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            ctx_.run_one_for(std::chrono::milliseconds(20));
        }
        return true;
    }
    long long publish(const std::string& payload) {
        std::vector<std::string> cmd{"PUBLISH", channel_, payload};
        auto f = asio::co_spawn(ctx_, publisher_->async_command(std::move(cmd)), asio::use_future);
        run_until([&] { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
        auto r = f.get();
        return r && r->type == redis::reply::kind::integer ? r->integer : -1;
    }
    asio::io_context ctx_;
    null_event_sink sink_;
    redis::connection_settings settings_;
    std::shared_ptr<redis::connection> publisher_;
    std::string channel_;
};

}  // namespace

TEST_F(redis_pubsub, every_subscriber_gets_every_message_in_order) {
    inbox a, b;
    auto sa = make(a), sb = make(b);
    sa->subscribe(channel_);
    sb->subscribe(channel_);
    ASSERT_TRUE(run_until([&] { return sa->subscribed(channel_) && sb->subscribed(channel_); }));
    const std::string binary("id=1\x00\xff end", 11);
    EXPECT_EQ(publish("first"), 2);
    EXPECT_EQ(publish(binary), 2);
    ASSERT_TRUE(run_until([&] { return a.messages.size() == 2 && b.messages.size() == 2; }));
    for (auto* box : {&a, &b}) {
        EXPECT_EQ(box->messages[0].first, channel_);
        EXPECT_EQ(box->messages[0].second, "first");
        EXPECT_EQ(box->messages[1].second, binary);
        EXPECT_EQ(box->resubscribed, 0);
    }
}

TEST_F(redis_pubsub, an_unsubscribed_channel_is_no_longer_delivered) {
    inbox a, b;
    auto sa = make(a), sb = make(b);
    sa->subscribe(channel_);
    sb->subscribe(channel_);
    ASSERT_TRUE(run_until([&] { return sa->subscribed(channel_) && sb->subscribed(channel_); }));
    sb->unsubscribe(channel_);
    ASSERT_TRUE(run_until([&] { return !sb->subscribed(channel_); }));
    EXPECT_EQ(publish("only a"), 1);
    ASSERT_TRUE(run_until([&] { return a.messages.size() == 1; }));
    EXPECT_TRUE(b.messages.empty());
}

TEST_F(redis_pubsub, after_redis_drops_the_subscribers_they_resubscribe_and_say_so) {
    inbox a;
    auto sa = make(a);
    sa->subscribe(channel_);
    ASSERT_TRUE(run_until([&] { return sa->subscribed(channel_); }));
    std::vector<std::string> kill{"CLIENT", "KILL", "TYPE", "pubsub"};
    auto f = asio::co_spawn(ctx_, publisher_->async_command(std::move(kill)), asio::use_future);
    ASSERT_TRUE(run_until([&] { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }));
    ASSERT_TRUE(f.get());
    ASSERT_TRUE(run_until([&] { return a.resubscribed == 1 && sa->subscribed(channel_); }));
    EXPECT_GE(publish("after"), 1);
    ASSERT_TRUE(run_until([&] { return a.messages.size() == 1; }));
    EXPECT_EQ(a.messages[0].second, "after");
}

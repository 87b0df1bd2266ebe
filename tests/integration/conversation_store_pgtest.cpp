// The PostgreSQL conversation store against a real, migrated PostgreSQL (tests/peers/stack.sh).
#include "integrations/errc.hpp"
#include "integrations/postgres/conversation_store.hpp"
#include "test_env.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <random>

namespace asio = boost::asio;
using namespace triage::integrations;
using namespace triage::integrations::postgres;

namespace {

std::string uuid() {
    static std::mt19937_64 rng(std::random_device{}());
    char b[37];
    std::snprintf(b, sizeof b, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(rng()), static_cast<unsigned>(rng() & 0xffff),
                  static_cast<unsigned>(rng() & 0xfff), static_cast<unsigned>(rng() & 0xfff),
                  static_cast<unsigned long long>(rng() & 0xffffffffffffULL));
    return b;
}

class pg_store : public ::testing::Test {
protected:
    void SetUp() override {
        auto env = triage::test::stack_env();
        ASSERT_TRUE(env.contains("TRIAGE_TEST_PG_PORT")) << "run through ctest (stack fixture)";
        connection_settings s;
        s.port = static_cast<unsigned short>(std::stoi(env["TRIAGE_TEST_PG_PORT"]));
        pool_ = std::make_unique<pool>(ctx_.get_executor(), s, sink_, 4);
        store_ = std::make_unique<conversation_store>(*pool_);
        auto clinics = run(store_->async_clinics());
        ASSERT_TRUE(clinics);
        for (const auto& c : *clinics) {
            if (c.slug == "demo") clinic_ = c.id;
            if (c.slug == "other") other_clinic_ = c.id;
        }
        ASSERT_FALSE(clinic_.empty());
        auto keys = run(store_->async_phi_keys());
        ASSERT_TRUE(keys);
        ASSERT_FALSE(keys->empty()) << "triaged creates key 1 at its first start";
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
    turn_write start(const std::string& id) {
        turn_write w;
        w.clinic_id = clinic_;
        w.conversation_id = id;
        w.start = new_conversation{"idx-" + id, "en", "default", "1"};
        w.entries.push_back({1, "bot", std::nullopt, 1, "sealed-1"});
        return w;
    }
    asio::io_context ctx_;
    null_event_sink sink_;
    std::unique_ptr<pool> pool_;
    std::unique_ptr<conversation_store> store_;
    std::string clinic_;
    std::string other_clinic_;
};

}  // namespace

TEST_F(pg_store, turn_is_durable_and_read_back_in_order) {
    auto id = uuid();
    ASSERT_FALSE(run(store_->async_record(start(id))));
    turn_write t;
    t.clinic_id = clinic_;
    t.conversation_id = id;
    t.entries.push_back({2, "patient", std::string("m-1"), 1, std::string("\x00\xffpatient", 9)});
    t.entries.push_back({3, "bot", std::nullopt, 1, "bot-3"});
    t.escalations.push_back({uuid(), "red_flag", "emergency", R"({"rules":["chest_pain"]})"});
    t.audit.push_back({"patient", "message.received", R"({"seq":2})"});
    t.highest_urgency = "emergency";
    ASSERT_FALSE(run(store_->async_record(t)));
    auto found = run(store_->async_find_by_token(clinic_, "idx-" + id));
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->id, id);
    auto entries = run(store_->async_transcript_after(clinic_, id, 1));
    ASSERT_TRUE(entries);
    ASSERT_EQ(entries->size(), 2u);
    EXPECT_EQ((*entries)[0].seq, 2u);
    EXPECT_EQ((*entries)[0].client_msg_id, "m-1");
    EXPECT_EQ((*entries)[0].sealed_body, std::string("\x00\xffpatient", 9));
    EXPECT_EQ((*entries)[1].author, "bot");
    auto seq = run(store_->async_seq_of_client_message(clinic_, id, "m-1"));
    ASSERT_TRUE(seq && *seq);
    EXPECT_EQ(**seq, 2u);
}

TEST_F(pg_store, resend_of_a_stored_message_is_a_unique_violation_and_stores_nothing) {
    auto id = uuid();
    ASSERT_FALSE(run(store_->async_record(start(id))));
    turn_write t;
    t.clinic_id = clinic_;
    t.conversation_id = id;
    t.entries.push_back({2, "patient", std::string("m-1"), 1, "a"});
    ASSERT_FALSE(run(store_->async_record(t)));
    turn_write again = t;
    again.entries[0].seq = 3;  // same client id, new seq: must still be refused
    again.audit.push_back({"patient", "message.received", "{}"});
    EXPECT_EQ(run(store_->async_record(again)), errc::pg_unique_violation);
    auto entries = run(store_->async_transcript_after(clinic_, id, 0));
    ASSERT_TRUE(entries);
    EXPECT_EQ(entries->size(), 2u) << "the failed turn must leave nothing behind";
}

TEST_F(pg_store, concurrent_turns_are_group_committed_and_one_bad_turn_fails_alone) {
    std::vector<std::string> ids;
    for (int i = 0; i < 40; ++i) {
        ids.push_back(uuid());
        ASSERT_FALSE(run(store_->async_record(start(ids.back()))));
    }
    auto transactions_before = store_->transactions();
    std::vector<std::future<boost::system::error_code>> results;
    for (int i = 0; i < 40; ++i) {
        turn_write t;
        t.clinic_id = clinic_;
        t.conversation_id = ids[static_cast<std::size_t>(i)];
        // Turn 7 collides with the stored bot message at seq 1.
        t.entries.push_back({i == 7 ? 1u : 2u, "patient", "m-" + std::to_string(i), 1, "x"});
        results.push_back(asio::co_spawn(ctx_, store_->async_record(t), asio::use_future));
    }
    for (auto& f : results) run_until_ready(f);
    for (int i = 0; i < 40; ++i) {
        auto ec = results[static_cast<std::size_t>(i)].get();
        if (i == 7) EXPECT_EQ(ec, errc::pg_unique_violation);
        else EXPECT_FALSE(ec) << i;
    }
    for (int i = 0; i < 40; ++i) {
        auto entries = run(store_->async_transcript_after(clinic_, ids[static_cast<std::size_t>(i)], 0));
        ASSERT_TRUE(entries);
        EXPECT_EQ(entries->size(), i == 7 ? 1u : 2u);
    }
    // The batch with the bad turn failed as a whole and was retried turn by turn.
    EXPECT_GE(store_->transactions() - transactions_before, 2u);
}

TEST_F(pg_store, concurrent_turns_share_commits) {
    std::vector<std::string> ids;
    for (int i = 0; i < 40; ++i) {
        ids.push_back(uuid());
        ASSERT_FALSE(run(store_->async_record(start(ids.back()))));
    }
    auto before = store_->transactions();
    std::vector<std::future<boost::system::error_code>> results;
    for (int i = 0; i < 40; ++i) {
        turn_write t;
        t.clinic_id = clinic_;
        t.conversation_id = ids[static_cast<std::size_t>(i)];
        t.entries.push_back({2u, "patient", "m-" + std::to_string(i), 1, "x"});
        results.push_back(asio::co_spawn(ctx_, store_->async_record(t), asio::use_future));
    }
    for (auto& f : results) run_until_ready(f);
    for (auto& r : results) EXPECT_FALSE(r.get());
    // 40 turns that arrive together must not cost 40 commits.
    EXPECT_LE(store_->transactions() - before, 4u);
}

TEST_F(pg_store, row_level_security_keeps_clinics_apart) {
    ASSERT_FALSE(other_clinic_.empty()) << "the stack seeds a second clinic";
    auto id = uuid();
    ASSERT_FALSE(run(store_->async_record(start(id))));
    // Another clinic's scope sees none of this conversation, even asking for it by id.
    auto seen = run(store_->async_transcript_after(other_clinic_, id, 0));
    ASSERT_TRUE(seen);
    EXPECT_TRUE(seen->empty());
    std::vector<statement> peek{clinic_scope(other_clinic_), {"SELECT count(*) FROM messages WHERE conversation_id = $1", {text(id)}}};
    auto counted = run(pool_->async_transaction(peek));
    ASSERT_TRUE(counted);
    EXPECT_EQ(counted->back().at(0, 0), "0");
    // Without a scope nothing is visible at all.
    auto unscoped = run(pool_->async_query({"SELECT count(*) FROM messages WHERE conversation_id = $1", {text(id)}}));
    ASSERT_TRUE(unscoped);
    EXPECT_EQ(unscoped->at(0, 0), "0");
    // Writing a row of one clinic under another clinic's scope is refused.
    std::vector<statement> forged{clinic_scope(other_clinic_),
                                  {"INSERT INTO messages (conversation_id, seq, clinic_id, author, key_id, body) "
                                   "VALUES ($1, 9, $2, 'bot', 1, '\\x00')", {text(id), text(clinic_)}}};
    EXPECT_FALSE(run(pool_->async_transaction(forged)));
    auto own = run(store_->async_transcript_after(clinic_, id, 0));
    ASSERT_TRUE(own);
    EXPECT_EQ(own->size(), 1u);
}

TEST(pg_down, connect_fails_with_unavailable) {
    asio::io_context ctx;
    null_event_sink sink;
    connection_settings s;
    s.port = 1;
    pool p(ctx.get_executor(), s, sink, 1);
    auto f = asio::co_spawn(ctx, p.async_query({"SELECT 1", {}}), asio::use_future);
    ctx.run();
    auto r = f.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::pg_unavailable);
}

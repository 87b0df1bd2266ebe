// The escalation desk's store against a real, migrated PostgreSQL (tests/peers/stack.sh):
// staff users, sessions, the escalation lifecycle and its audit trail, notes, canned replies, and
// that one clinic's rows stay invisible to another.
#include "integrations/errc.hpp"
#include "integrations/postgres/conversation_store.hpp"
#include "integrations/postgres/staff_store.hpp"
#include "test_env.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <random>
#include <thread>

namespace asio = boost::asio;
using namespace triage::integrations;
using namespace triage::integrations::postgres;
using namespace std::chrono_literals;

namespace {

std::string uuid() {
    static std::mt19937_64 rng(std::random_device{}());
    char b[37];
    std::snprintf(b, sizeof b, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(rng()),
                  static_cast<unsigned>(rng() & 0xffff), static_cast<unsigned>(rng() & 0xfff),
                  static_cast<unsigned>(rng() & 0xfff), static_cast<unsigned long long>(rng() & 0xffffffffffffULL));
    return b;
}

// 32 random bytes, like a SHA-256 of a token; with a zero byte to prove bytes pass unharmed.
std::string hash_bytes() {
    static std::mt19937 rng(std::random_device{}());
    std::string out(32, '\0');
    for (std::size_t i = 1; i < out.size(); ++i) out[i] = static_cast<char>(rng() & 0xff);
    return out;
}

// Runs the loop until the operation is done (see conversation_store_pgtest.cpp).
template <class T>
T run_on(asio::io_context& ctx, asio::awaitable<T> a) {
    auto f = asio::co_spawn(ctx, std::move(a), asio::use_future);
    ctx.restart();
    while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ctx.run_one();
    return f.get();
}

bool contains(const escalation_snapshot& s, const std::string& id) {
    return std::any_of(s.escalations.begin(), s.escalations.end(), [&](const auto& e) { return e.id == id; });
}
const escalation_record* find_in(const escalation_snapshot& s, const std::string& id) {
    for (const auto& e : s.escalations)
        if (e.id == id) return &e;
    return nullptr;
}

struct audit_row {
    std::string actor;
    std::string action;
    std::string detail;
};

class staff_pg : public ::testing::Test {
protected:
    void SetUp() override {
        auto env = triage::test::stack_env();
        ASSERT_TRUE(env.contains("TRIAGE_TEST_PG_PORT")) << "run through ctest (stack fixture)";
        settings_.port = static_cast<unsigned short>(std::stoi(env["TRIAGE_TEST_PG_PORT"]));
        pool_ = std::make_unique<pool>(ctx_.get_executor(), settings_, sink_, 4);
        conversations_ = std::make_unique<conversation_store>(*pool_);
        store_ = std::make_unique<staff_store>(*pool_);
        auto clinics = run(conversations_->async_clinics());
        ASSERT_TRUE(clinics);
        for (const auto& c : *clinics) {
            if (c.slug == "demo") clinic_ = c.id;
            if (c.slug == "other") other_ = c.id;
        }
        ASSERT_FALSE(clinic_.empty());
        ASSERT_FALSE(other_.empty()) << "the stack seeds a second clinic";
    }
    template <class T>
    T run(asio::awaitable<T> a) {
        return run_on(ctx_, std::move(a));
    }

    // A conversation with one escalation, as a patient turn stores it.
    std::string raise(const std::string& clinic, const std::string& urgency = "emergency") {
        auto conversation = uuid();
        auto id = uuid();
        turn_write w;
        w.clinic_id = clinic;
        w.conversation_id = conversation;
        w.start = new_conversation{"idx-" + conversation, "en", "default", "1"};
        w.escalations.push_back({id, "red_flag", urgency, R"({"rules":["chest_pain"]})"});
        EXPECT_FALSE(run(conversations_->async_record(w)));
        return id;
    }
    std::string user(const std::string& clinic, const std::string& role, const std::string& name) {
        auto id = run(store_->async_create_user(clinic, name + "-" + uuid() + "@Clinic.example", name, role, ""));
        EXPECT_TRUE(id);
        return id ? *id : std::string();
    }
    std::vector<audit_row> audit_of(const std::string& clinic, const std::string& escalation) {
        std::vector<statement> sts{clinic_scope(clinic),
                                   {"SELECT actor, action, detail::text FROM audit_events "
                                    "WHERE clinic_id = $1::uuid AND detail->>'escalation' = $2 ORDER BY id",
                                    {text(clinic), text(escalation)}}};
        auto r = run(pool_->async_transaction(sts));
        EXPECT_TRUE(r);
        std::vector<audit_row> out;
        if (!r) return out;
        for (std::size_t i = 0; i < r->back().size(); ++i)
            out.push_back({*r->back().at(i, 0), *r->back().at(i, 1), *r->back().at(i, 2)});
        return out;
    }
    std::vector<std::string> actions_of(const std::string& clinic, const std::string& escalation) {
        std::vector<std::string> out;
        for (auto& a : audit_of(clinic, escalation)) out.push_back(a.action);
        return out;
    }
    void set_priority(const std::string& clinic, const std::string& escalation, int priority) {
        std::vector<statement> sts{clinic_scope(clinic),
                                   {"UPDATE escalations SET priority = $2::integer WHERE id = $1::uuid",
                                    {text(escalation), text(std::to_string(priority))}}};
        auto r = run(pool_->async_transaction(sts));
        ASSERT_TRUE(r);
        ASSERT_EQ(r->back().affected, 1u);
    }
    std::string count_unscoped(const std::string& table) {
        auto r = run(pool_->async_query({"SELECT count(*) FROM " + table, {}}));
        EXPECT_TRUE(r);
        return r ? r->at(0, 0).value_or("") : "";
    }

    asio::io_context ctx_;
    null_event_sink sink_;
    connection_settings settings_;
    std::unique_ptr<pool> pool_;
    std::unique_ptr<conversation_store> conversations_;
    std::unique_ptr<staff_store> store_;
    std::string clinic_;
    std::string other_;
};

}  // namespace

TEST_F(staff_pg, users_are_upserted_by_clinic_and_lower_case_email) {
    auto email = "Ana.Lopez-" + uuid() + "@Clinic.Example";
    auto id = run(store_->async_create_user(clinic_, email, "Ana", "front_desk", "$argon2id$v=19$first"));
    ASSERT_TRUE(id);
    auto found = run(store_->async_find_user_by_email(clinic_, email));
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->id, *id);
    EXPECT_EQ((*found)->clinic_id, clinic_);
    std::string lower = email;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    EXPECT_EQ((*found)->email, lower);
    EXPECT_EQ((*found)->display_name, "Ana");
    EXPECT_EQ((*found)->role, "front_desk");
    EXPECT_EQ((*found)->password_hash, "$argon2id$v=19$first");
    EXPECT_TRUE((*found)->active);

    // Again with the same email in other case: the same user, updated, hash kept when none given.
    auto again = run(store_->async_create_user(clinic_, lower, "Ana M.", "nurse", ""));
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *id);
    found = run(store_->async_find_user_by_email(clinic_, lower));
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->display_name, "Ana M.");
    EXPECT_EQ((*found)->role, "nurse");
    EXPECT_EQ((*found)->password_hash, "$argon2id$v=19$first");

    EXPECT_FALSE(run(store_->async_set_password(clinic_, *id, "$argon2id$v=19$second")));
    found = run(store_->async_find_user_by_email(clinic_, email));
    EXPECT_EQ((*found)->password_hash, "$argon2id$v=19$second");
    EXPECT_FALSE(run(store_->async_set_password(clinic_, *id, "")));
    found = run(store_->async_find_user_by_email(clinic_, email));
    EXPECT_FALSE((*found)->password_hash);

    // A role that does not exist is refused by the schema.
    auto bad = run(store_->async_create_user(clinic_, "x-" + uuid() + "@e.example", "X", "superuser", ""));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), errc::pg_query_failed);
    EXPECT_EQ(run(store_->async_set_password(clinic_, uuid(), "h")), errc::not_found);
}

TEST_F(staff_pg, oidc_identity_finds_its_user_across_clinics_and_is_unique) {
    auto a = user(clinic_, "nurse", "Ana");
    auto b = user(other_, "nurse", "Bea");
    auto issuer = "http://127.0.0.1:1/" + uuid();
    EXPECT_FALSE(run(store_->async_link_oidc(clinic_, a, issuer, "sub-ana")));
    EXPECT_FALSE(run(store_->async_link_oidc(other_, b, issuer, "sub-bea")));
    auto ana = run(store_->async_find_user_by_oidc(issuer, "sub-ana"));
    ASSERT_TRUE(ana && *ana);
    EXPECT_EQ((*ana)->id, a);
    EXPECT_EQ((*ana)->clinic_id, clinic_);
    EXPECT_EQ((*ana)->oidc_subject, "sub-ana");
    auto bea = run(store_->async_find_user_by_oidc(issuer, "sub-bea"));
    ASSERT_TRUE(bea && *bea);
    EXPECT_EQ((*bea)->clinic_id, other_);
    auto nobody = run(store_->async_find_user_by_oidc(issuer, "sub-nobody"));
    ASSERT_TRUE(nobody);
    EXPECT_FALSE(*nobody);
    auto empty = run(store_->async_find_user_by_oidc("", ""));
    ASSERT_TRUE(empty);
    EXPECT_FALSE(*empty);
    // One identity, one user, whatever the clinic.
    auto c = user(clinic_, "nurse", "Cy");
    EXPECT_EQ(run(store_->async_link_oidc(clinic_, c, issuer, "sub-bea")), errc::pg_unique_violation);
    // Unlinking frees the identity.
    EXPECT_FALSE(run(store_->async_link_oidc(other_, b, "", "")));
    auto gone = run(store_->async_find_user_by_oidc(issuer, "sub-bea"));
    ASSERT_TRUE(gone);
    EXPECT_FALSE(*gone);
    EXPECT_FALSE(run(store_->async_link_oidc(clinic_, c, issuer, "sub-bea")));
}

TEST_F(staff_pg, lifecycle_happy_path_is_audited_step_by_step) {
    auto ana = user(clinic_, "nurse", "Ana");
    auto id = raise(clinic_);
    auto raised = run(store_->async_escalation(clinic_, id));
    ASSERT_TRUE(raised && *raised);
    EXPECT_EQ((*raised)->status, "raised");
    EXPECT_EQ((*raised)->summary_json, "{}");
    EXPECT_EQ((*raised)->triage_json, R"({"rules": ["chest_pain"]})");

    auto notified = run(store_->async_mark_notified(clinic_, id));
    ASSERT_TRUE(notified);
    EXPECT_TRUE(notified->applied);
    EXPECT_EQ(notified->escalation.status, "notified");
    EXPECT_TRUE(notified->escalation.notified_at);
    EXPECT_GE(notified->escalation.updated_at, (*raised)->updated_at);

    auto claimed = run(store_->async_claim(clinic_, id, ana));
    ASSERT_TRUE(claimed);
    EXPECT_TRUE(claimed->applied);
    EXPECT_EQ(claimed->escalation.status, "claimed");
    EXPECT_EQ(claimed->escalation.claimed_by, ana);
    EXPECT_EQ(claimed->escalation.claimed_by_name, "Ana");
    EXPECT_TRUE(claimed->escalation.claimed_at);

    auto talking = run(store_->async_start_conversation(clinic_, id, ana));
    ASSERT_TRUE(talking);
    EXPECT_TRUE(talking->applied);
    EXPECT_EQ(talking->escalation.status, "in_conversation");

    auto resolved = run(store_->async_resolve(clinic_, id, ana, "callback_booked", "patient_stable"));
    ASSERT_TRUE(resolved);
    EXPECT_TRUE(resolved->applied);
    EXPECT_EQ(resolved->escalation.status, "resolved");
    EXPECT_EQ(resolved->escalation.outcome, "callback_booked");
    EXPECT_TRUE(resolved->escalation.resolved_at);

    auto audit = audit_of(clinic_, id);
    ASSERT_EQ(audit.size(), 4u);
    EXPECT_EQ(audit[0].action, "escalation.notified");
    EXPECT_EQ(audit[0].actor, "system");
    EXPECT_EQ(audit[1].action, "escalation.claimed");
    EXPECT_EQ(audit[1].actor, "staff:" + ana);
    EXPECT_EQ(audit[2].action, "escalation.conversation_started");
    EXPECT_EQ(audit[3].action, "escalation.resolved");
    EXPECT_EQ(audit[3].actor, "staff:" + ana);
    EXPECT_EQ(audit[3].detail, R"({"user": ")" + ana + R"(", "reason": "patient_stable", "outcome": "callback_booked", "escalation": ")" + id + R"("})");

    // Handing back to the bot, with the flow state in the audit detail.
    auto other = raise(clinic_);
    ASSERT_TRUE(run(store_->async_claim(clinic_, other, ana))->applied);
    auto back = run(store_->async_hand_back(clinic_, other, ana, "main_menu"));
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->applied);
    EXPECT_EQ(back->escalation.status, "handed_back");
    EXPECT_EQ(back->escalation.outcome, "handed_back");
    auto back_audit = audit_of(clinic_, other);
    ASSERT_EQ(back_audit.size(), 2u);
    EXPECT_EQ(back_audit[1].action, "escalation.handed_back");
    EXPECT_NE(back_audit[1].detail.find(R"("flow_state": "main_menu")"), std::string::npos);
}

TEST_F(staff_pg, sla_marks_happen_once_and_stop_once_claimed) {
    auto ana = user(clinic_, "front_desk", "Ana");
    auto id = raise(clinic_);
    auto first = run(store_->async_mark_renotified(clinic_, id));
    ASSERT_TRUE(first);
    EXPECT_TRUE(first->applied);
    EXPECT_EQ(first->escalation.status, "notified");
    EXPECT_TRUE(first->escalation.renotified_at);
    EXPECT_TRUE(first->escalation.notified_at);
    EXPECT_FALSE(run(store_->async_mark_renotified(clinic_, id))->applied) << "another instance already did";
    EXPECT_FALSE(run(store_->async_mark_notified(clinic_, id))->applied) << "notified already";
    EXPECT_TRUE(run(store_->async_mark_oncall_sent(clinic_, id))->applied);
    EXPECT_FALSE(run(store_->async_mark_oncall_sent(clinic_, id))->applied);
    auto late = raise(clinic_);
    ASSERT_TRUE(run(store_->async_claim(clinic_, late, ana))->applied);
    EXPECT_FALSE(run(store_->async_mark_renotified(clinic_, late))->applied) << "claimed: nothing to re-notify";
    EXPECT_FALSE(run(store_->async_mark_oncall_sent(clinic_, late))->applied);
    std::vector<std::string> expected{"escalation.renotified", "escalation.oncall_sent"};
    EXPECT_EQ(actions_of(clinic_, id), expected);
}

TEST_F(staff_pg, illegal_transitions_are_refused_and_leave_no_audit) {
    auto ana = user(clinic_, "nurse", "Ana");
    auto bea = user(clinic_, "front_desk", "Bea");
    auto boss = user(clinic_, "clinic_admin", "Cora");
    auto auditor = user(clinic_, "auditor", "Dan");
    auto id = raise(clinic_);

    auto early = run(store_->async_resolve(clinic_, id, ana, "advice_given", ""));
    ASSERT_TRUE(early);
    EXPECT_FALSE(early->applied) << "resolve before claim";
    EXPECT_EQ(early->escalation.status, "raised");
    EXPECT_FALSE(run(store_->async_resolve(clinic_, id, boss, "advice_given", ""))->applied)
        << "not even an admin resolves an unclaimed escalation";
    EXPECT_FALSE(run(store_->async_start_conversation(clinic_, id, ana))->applied) << "talk before claim";
    EXPECT_FALSE(run(store_->async_hand_back(clinic_, id, ana, "main_menu"))->applied);
    EXPECT_FALSE(run(store_->async_claim(clinic_, id, auditor))->applied) << "auditors only read";
    EXPECT_TRUE(actions_of(clinic_, id).empty());

    ASSERT_TRUE(run(store_->async_claim(clinic_, id, ana))->applied);
    auto twice = run(store_->async_claim(clinic_, id, ana));
    ASSERT_TRUE(twice);
    EXPECT_FALSE(twice->applied) << "claim twice";
    auto taken = run(store_->async_claim(clinic_, id, bea));
    ASSERT_TRUE(taken);
    EXPECT_FALSE(taken->applied);
    EXPECT_EQ(taken->escalation.claimed_by, ana);
    EXPECT_EQ(taken->escalation.claimed_by_name, "Ana") << "so the console can say 'taken by Ana'";

    EXPECT_FALSE(run(store_->async_start_conversation(clinic_, id, bea))->applied) << "only the claimer talks";
    auto stolen = run(store_->async_resolve(clinic_, id, bea, "advice_given", ""));
    ASSERT_TRUE(stolen);
    EXPECT_FALSE(stolen->applied) << "non-claimer resolve";
    EXPECT_EQ(stolen->escalation.status, "claimed");
    EXPECT_FALSE(run(store_->async_hand_back(clinic_, id, bea, "main_menu"))->applied);

    auto bad_outcome = run(store_->async_resolve(clinic_, id, ana, "made_up", ""));
    ASSERT_FALSE(bad_outcome);
    EXPECT_EQ(bad_outcome.error(), errc::pg_query_failed);
    auto not_an_outcome = run(store_->async_resolve(clinic_, id, ana, "handed_back", ""));
    ASSERT_FALSE(not_an_outcome) << "handing back has its own transition";

    // A clinic admin may close someone else's escalation.
    auto closed = run(store_->async_resolve(clinic_, id, boss, "no_action_needed", "duplicate"));
    ASSERT_TRUE(closed);
    EXPECT_TRUE(closed->applied);
    EXPECT_EQ(closed->escalation.claimed_by, ana);
    EXPECT_FALSE(run(store_->async_claim(clinic_, id, bea))->applied) << "resolved is final";
    EXPECT_FALSE(run(store_->async_hand_back(clinic_, id, ana, "main_menu"))->applied);
    EXPECT_FALSE(run(store_->async_resolve(clinic_, id, ana, "other", ""))->applied);

    std::vector<std::string> expected{"escalation.claimed", "escalation.resolved"};
    EXPECT_EQ(actions_of(clinic_, id), expected);
    auto audit = audit_of(clinic_, id);
    EXPECT_EQ(audit.back().actor, "staff:" + boss);

    auto missing = run(store_->async_claim(clinic_, uuid(), ana));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), errc::not_found);
}

TEST_F(staff_pg, concurrent_claims_from_eight_instances_have_exactly_one_winner) {
    constexpr std::size_t instances = 8;
    std::vector<std::string> users;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < instances; ++i) {
        names.push_back("Staff" + std::to_string(i));
        users.push_back(user(clinic_, i % 2 ? "nurse" : "front_desk", names.back()));
    }
    for (int round = 0; round < 5; ++round) {
        auto id = raise(clinic_);
        ASSERT_TRUE(run(store_->async_mark_notified(clinic_, id))->applied);
        std::vector<std::optional<boost::system::result<escalation_transition>>> results(instances);
        std::latch connected(static_cast<std::ptrdiff_t>(instances));
        std::vector<std::thread> threads;
        // Each thread is an instance: its own loop, pool and connection, as on another server.
        for (std::size_t i = 0; i < instances; ++i) {
            threads.emplace_back([&, i] {
                asio::io_context ctx;
                null_event_sink sink;
                pool p(ctx.get_executor(), settings_, sink, 1);
                staff_store store(p);
                auto warm = run_on(ctx, p.async_query({"SELECT 1", {}}));
                connected.arrive_and_wait();
                if (warm) results[i] = run_on(ctx, store.async_claim(clinic_, id, users[i]));
            });
        }
        for (auto& t : threads) t.join();
        std::vector<std::size_t> winners;
        for (std::size_t i = 0; i < instances; ++i) {
            ASSERT_TRUE(results[i] && *results[i]) << "round " << round << " instance " << i;
            if ((*results[i])->applied) winners.push_back(i);
        }
        ASSERT_EQ(winners.size(), 1u) << "round " << round;
        auto winner = winners[0];
        for (std::size_t i = 0; i < instances; ++i) {
            const auto& e = (*results[i])->escalation;
            EXPECT_EQ(e.status, "claimed");
            EXPECT_EQ(e.claimed_by, users[winner]) << "instance " << i << " is told who won";
            EXPECT_EQ(e.claimed_by_name, names[winner]);
        }
        std::vector<std::string> expected{"escalation.notified", "escalation.claimed"};
        EXPECT_EQ(actions_of(clinic_, id), expected) << "one claim, one audit row";
    }
}

TEST_F(staff_pg, queue_is_ordered_by_priority_then_age_and_holds_open_ones_only) {
    auto ana = user(clinic_, "nurse", "Ana");
    auto oldest_low = raise(clinic_, "routine");
    auto older_high = raise(clinic_);
    auto newer_low = raise(clinic_, "routine");
    auto newest_high = raise(clinic_);
    auto done = raise(clinic_);
    set_priority(clinic_, older_high, 10);
    set_priority(clinic_, newest_high, 10);
    ASSERT_TRUE(run(store_->async_claim(clinic_, done, ana))->applied);
    ASSERT_TRUE(run(store_->async_resolve(clinic_, done, ana, "advice_given", ""))->applied);
    auto claimed = raise(clinic_);
    ASSERT_TRUE(run(store_->async_claim(clinic_, claimed, ana))->applied);

    auto queue = run(store_->async_open_escalations(clinic_, timestamp{}));
    ASSERT_TRUE(queue);
    std::vector<std::string> mine;
    for (const auto& e : queue->escalations)
        if (e.id == oldest_low || e.id == older_high || e.id == newer_low || e.id == newest_high || e.id == done ||
            e.id == claimed)
            mine.push_back(e.id);
    std::vector<std::string> expected{older_high, newest_high, oldest_low, newer_low, claimed};
    EXPECT_EQ(mine, expected) << "priority first, then oldest; resolved ones are not in the queue";
    // Across the whole queue too.
    for (std::size_t i = 1; i < queue->escalations.size(); ++i) {
        const auto& a = queue->escalations[i - 1];
        const auto& b = queue->escalations[i];
        EXPECT_TRUE(a.priority > b.priority || (a.priority == b.priority && a.raised_at <= b.raised_at));
    }
    // raised_since bounds the queue.
    auto newest = run(store_->async_escalation(clinic_, claimed));
    ASSERT_TRUE(newest && *newest);
    auto later = run(store_->async_open_escalations(clinic_, (*newest)->raised_at + 1us));
    ASSERT_TRUE(later);
    EXPECT_FALSE(contains(*later, claimed));
    EXPECT_FALSE(contains(*later, older_high));
    auto from_newest = run(store_->async_open_escalations(clinic_, (*newest)->raised_at));
    ASSERT_TRUE(from_newest);
    EXPECT_TRUE(contains(*from_newest, claimed));
}

TEST_F(staff_pg, catch_up_after_reconnect_misses_nothing_even_a_late_commit) {
    auto ana = user(clinic_, "nurse", "Ana");
    auto quiet = raise(clinic_);
    auto late = raise(clinic_);
    // Servers from other tests share this database and sweep its raised escalations (marking them
    // notified); claimed ones they leave alone, so every change below is one only this test makes.
    ASSERT_TRUE(run(store_->async_claim(clinic_, quiet, ana))->applied);
    ASSERT_TRUE(run(store_->async_claim(clinic_, late, ana))->applied);
    // Another instance's transition that began before the console's read and commits after it.
    connection slow(ctx_.get_executor(), settings_, sink_);
    ASSERT_FALSE(run(slow.async_connect()));
    ASSERT_FALSE(run(slow.async_script("BEGIN; SELECT set_config('triage.clinic_id', '" + clinic_ +
                                       "', true); UPDATE escalations SET status = 'in_conversation' "
                                       "WHERE id = '" + late + "'")));
    // With no margin, the cursor would pass the late transaction (it began before the read)
    // unless it is held back to that transaction's start: nothing else can catch its commit.
    staff_store no_margin(*pool_, std::chrono::microseconds(0));
    auto read = run(no_margin.async_escalations_changed_since(clinic_, timestamp{}));
    ASSERT_TRUE(read);
    ASSERT_TRUE(find_in(*read, late));
    EXPECT_EQ(find_in(*read, late)->status, "claimed") << "not committed yet";
    ASSERT_FALSE(run(slow.async_script("COMMIT")));

    auto caught = run(no_margin.async_escalations_changed_since(clinic_, read->cursor));
    ASSERT_TRUE(caught);
    ASSERT_TRUE(find_in(*caught, late)) << "the late commit is caught up";
    EXPECT_EQ(find_in(*caught, late)->status, "in_conversation");
    for (const auto& e : caught->escalations) EXPECT_GE(e.updated_at, read->cursor);

    // Nothing running now: the next cursor moves past both, and only a new change comes back.
    auto settled = run(no_margin.async_escalations_changed_since(clinic_, caught->cursor));
    ASSERT_TRUE(settled);
    auto next = run(no_margin.async_escalations_changed_since(clinic_, settled->cursor));
    ASSERT_TRUE(next);
    EXPECT_FALSE(contains(*next, quiet));
    EXPECT_FALSE(contains(*next, late));
    ASSERT_TRUE(run(store_->async_start_conversation(clinic_, quiet, ana))->applied);
    auto changed = run(no_margin.async_escalations_changed_since(clinic_, settled->cursor));
    ASSERT_TRUE(changed);
    ASSERT_TRUE(find_in(*changed, quiet));
    EXPECT_EQ(find_in(*changed, quiet)->status, "in_conversation");
    EXPECT_FALSE(contains(*changed, late));
    // Resolved escalations come back too: the console must learn that they left the queue.
    ASSERT_TRUE(run(store_->async_resolve(clinic_, quiet, ana, "other", ""))->applied);
    auto after = run(no_margin.async_escalations_changed_since(clinic_, settled->cursor));
    ASSERT_TRUE(after);
    ASSERT_TRUE(find_in(*after, quiet));
    EXPECT_EQ(find_in(*after, quiet)->status, "resolved");
}

TEST_F(staff_pg, sessions_are_found_touched_and_revoked_everywhere) {
    auto ana = user(clinic_, "nurse", "Ana");
    std::vector<std::string> hashes;
    for (int i = 0; i < 3; ++i) {
        hashes.push_back(hash_bytes());
        new_staff_session s{hashes.back(), ana, std::string("\x00csrf", 5), i == 2 ? "oidc" : "local", 8h,
                            i == 2 ? std::optional<std::string>("id-token-hint") : std::nullopt};
        ASSERT_FALSE(run(store_->async_create_session(clinic_, s)));
    }
    auto found = run(store_->async_find_session(hashes[0]));
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->user_id, ana);
    EXPECT_EQ((*found)->clinic_id, clinic_);
    EXPECT_EQ((*found)->role, "nurse");
    EXPECT_EQ((*found)->display_name, "Ana");
    EXPECT_EQ((*found)->csrf_hash, std::string("\x00csrf", 5));
    EXPECT_EQ((*found)->kind, "local");
    EXPECT_FALSE((*found)->idp_session_hint);
    EXPECT_LE((*found)->idle, 5s);
    EXPECT_GT((*found)->expires_in, 8h - 60s);
    EXPECT_LE((*found)->expires_in, 8h);
    auto sso = run(store_->async_find_session(hashes[2]));
    ASSERT_TRUE(sso && *sso);
    EXPECT_EQ((*sso)->kind, "oidc");
    EXPECT_EQ((*sso)->idp_session_hint, "id-token-hint");
    EXPECT_FALSE(run(store_->async_touch_session(clinic_, hashes[0])));
    auto unknown = run(store_->async_find_session(hash_bytes()));
    ASSERT_TRUE(unknown);
    EXPECT_FALSE(*unknown);
    new_staff_session dup{hashes[0], ana, "c", "local", 1h, std::nullopt};
    EXPECT_EQ(run(store_->async_create_session(clinic_, dup)), errc::pg_unique_violation);

    // Sign out here, then everywhere.
    EXPECT_FALSE(run(store_->async_revoke_session(clinic_, hashes[0])));
    EXPECT_FALSE(run(store_->async_revoke_session(clinic_, hashes[0]))) << "sign-out is idempotent";
    EXPECT_FALSE(*run(store_->async_find_session(hashes[0])));
    EXPECT_EQ(run(store_->async_touch_session(clinic_, hashes[0])), errc::not_found);
    auto revoked = run(store_->async_revoke_user_sessions(clinic_, ana));
    ASSERT_TRUE(revoked);
    EXPECT_EQ(*revoked, 2u);
    for (const auto& h : hashes) EXPECT_FALSE(*run(store_->async_find_session(h)));

    // Past its absolute expiry.
    new_staff_session expired{hash_bytes(), ana, "c", "local", 0s, std::nullopt};
    ASSERT_FALSE(run(store_->async_create_session(clinic_, expired)));
    EXPECT_FALSE(*run(store_->async_find_session(expired.id_hash)));
    EXPECT_EQ(run(store_->async_touch_session(clinic_, expired.id_hash)), errc::not_found);

    // A deactivated user loses its sessions and gets no new one; re-creating reactivates.
    new_staff_session live{hash_bytes(), ana, "c", "local", 1h, std::nullopt};
    ASSERT_FALSE(run(store_->async_create_session(clinic_, live)));
    EXPECT_FALSE(run(store_->async_set_active(clinic_, ana, false)));
    EXPECT_FALSE(*run(store_->async_find_session(live.id_hash)));
    EXPECT_EQ(run(store_->async_touch_session(clinic_, live.id_hash)), errc::not_found);
    new_staff_session refused{hash_bytes(), ana, "c", "local", 1h, std::nullopt};
    EXPECT_EQ(run(store_->async_create_session(clinic_, refused)), errc::not_found);
    EXPECT_FALSE(run(store_->async_set_active(clinic_, ana, true)));
    EXPECT_FALSE(*run(store_->async_find_session(live.id_hash))) << "reactivation does not revive sessions";
    EXPECT_FALSE(run(store_->async_create_session(clinic_, refused)));
    EXPECT_TRUE(*run(store_->async_find_session(refused.id_hash)));
}

TEST_F(staff_pg, notes_are_stored_as_given_and_listed_in_order) {
    auto ana = user(clinic_, "nurse", "Ana");
    auto id = raise(clinic_);
    std::vector<new_escalation_note> notes;
    for (int i = 0; i < 3; ++i) {
        std::string body("\x00\xff sealed ", 9);
        body += std::to_string(i);
        notes.push_back({uuid(), id, ana, 1, body});
        ASSERT_FALSE(run(store_->async_add_note(clinic_, notes.back())));
    }
    auto listed = run(store_->async_notes(clinic_, id));
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ((*listed)[i].id, notes[i].id);
        EXPECT_EQ((*listed)[i].escalation_id, id);
        EXPECT_EQ((*listed)[i].author, ana);
        EXPECT_EQ((*listed)[i].key_id, 1u);
        EXPECT_EQ((*listed)[i].sealed_body, notes[i].sealed_body);
    }
    EXPECT_LE((*listed)[0].created_at, (*listed)[2].created_at);
    std::vector<std::string> expected(3, "escalation.note_added");
    EXPECT_EQ(actions_of(clinic_, id), expected);
    auto audit = audit_of(clinic_, id);
    EXPECT_EQ(audit[0].actor, "staff:" + ana);
    EXPECT_NE(audit[0].detail.find(notes[0].id), std::string::npos);
    // Unknown escalation, or an author who is not an active user of the clinic.
    new_escalation_note orphan{uuid(), uuid(), ana, 1, "x"};
    EXPECT_EQ(run(store_->async_add_note(clinic_, orphan)), errc::not_found);
    new_escalation_note stranger{uuid(), id, uuid(), 1, "x"};
    EXPECT_EQ(run(store_->async_add_note(clinic_, stranger)), errc::not_found);
    EXPECT_EQ(run(store_->async_notes(clinic_, id))->size(), 3u);
}

TEST_F(staff_pg, canned_replies_are_upserted_by_title_and_listed_by_position) {
    auto title = "Call back " + uuid();
    auto first = run(store_->async_upsert_canned_reply(clinic_, {"", title, "We will call you.", "Le llamaremos.", 50}));
    ASSERT_TRUE(first);
    auto before = run(store_->async_upsert_canned_reply(clinic_, {"", "A " + title, "Hello", "Hola", 49}));
    ASSERT_TRUE(before);
    auto again = run(store_->async_upsert_canned_reply(clinic_, {"", title, "We will call you soon.", "Pronto.", 48}));
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *first);
    auto listed = run(store_->async_canned_replies(clinic_));
    ASSERT_TRUE(listed);
    std::vector<std::string> mine;
    for (const auto& c : *listed) {
        if (c.title == title) {
            EXPECT_EQ(c.body_en, "We will call you soon.");
            EXPECT_EQ(c.body_es, "Pronto.");
            EXPECT_EQ(c.position, 48);
        }
        if (c.title.find(title) != std::string::npos) mine.push_back(c.id);
    }
    std::vector<std::string> expected{*first, *before};
    EXPECT_EQ(mine, expected);
}

TEST_F(staff_pg, repeat_contact_links_once_within_the_clinic) {
    auto earlier = raise(clinic_);
    auto now = raise(clinic_);
    auto linked = run(store_->async_link_repeat(clinic_, now, earlier));
    ASSERT_TRUE(linked);
    EXPECT_TRUE(linked->applied);
    EXPECT_EQ(linked->escalation.linked_escalation, earlier);
    EXPECT_FALSE(run(store_->async_link_repeat(clinic_, now, earlier))->applied) << "once";
    EXPECT_FALSE(run(store_->async_link_repeat(clinic_, earlier, earlier))->applied) << "not to itself";
    auto elsewhere = raise(other_);
    EXPECT_FALSE(run(store_->async_link_repeat(clinic_, earlier, elsewhere))->applied) << "not across clinics";
    std::vector<std::string> expected{"escalation.linked"};
    EXPECT_EQ(actions_of(clinic_, now), expected);
    EXPECT_NE(audit_of(clinic_, now)[0].detail.find(earlier), std::string::npos);
}

TEST_F(staff_pg, a_clinic_sees_nothing_of_another_clinic) {
    // Clinic A (demo): a user with an identity and a session, an escalation with a note, a reply.
    auto email = "ana-" + uuid() + "@a.example";
    auto ana = run(store_->async_create_user(clinic_, email, "Ana", "nurse", "$argon2id$secret"));
    ASSERT_TRUE(ana);
    auto issuer = "http://127.0.0.1:1/" + uuid();
    ASSERT_FALSE(run(store_->async_link_oidc(clinic_, *ana, issuer, "ana")));
    auto hash = hash_bytes();
    new_staff_session s{hash, *ana, "csrf", "local", 1h, std::nullopt};
    ASSERT_FALSE(run(store_->async_create_session(clinic_, s)));
    auto esc = raise(clinic_);
    new_escalation_note note{uuid(), esc, *ana, 1, "sealed"};
    ASSERT_FALSE(run(store_->async_add_note(clinic_, note)));
    auto title = "Clinic A only " + uuid();
    ASSERT_TRUE(run(store_->async_upsert_canned_reply(clinic_, {"", title, "a", "a", 0})));
    // Clinic B (other): its own user and escalation.
    auto bea = user(other_, "clinic_admin", "Bea");
    auto esc_b = raise(other_);

    // Every read scoped to B.
    auto by_email = run(store_->async_find_user_by_email(other_, email));
    ASSERT_TRUE(by_email);
    EXPECT_FALSE(*by_email);
    auto open = run(store_->async_open_escalations(other_, timestamp{}));
    ASSERT_TRUE(open);
    EXPECT_FALSE(contains(*open, esc));
    EXPECT_TRUE(contains(*open, esc_b));
    for (const auto& e : open->escalations) EXPECT_EQ(e.clinic_id, other_);
    auto changed = run(store_->async_escalations_changed_since(other_, timestamp{}));
    ASSERT_TRUE(changed);
    EXPECT_FALSE(contains(*changed, esc));
    for (const auto& e : changed->escalations) EXPECT_EQ(e.clinic_id, other_);
    auto one = run(store_->async_escalation(other_, esc));
    ASSERT_TRUE(one);
    EXPECT_FALSE(*one);
    auto notes = run(store_->async_notes(other_, esc));
    ASSERT_TRUE(notes);
    EXPECT_TRUE(notes->empty());
    auto replies = run(store_->async_canned_replies(other_));
    ASSERT_TRUE(replies);
    for (const auto& c : *replies) EXPECT_NE(c.title, title);

    // Every write scoped to B misses A's rows.
    EXPECT_EQ(run(store_->async_set_password(other_, *ana, "x")), errc::not_found);
    EXPECT_EQ(run(store_->async_link_oidc(other_, *ana, issuer, "other")), errc::not_found);
    EXPECT_EQ(run(store_->async_set_active(other_, *ana, false)), errc::not_found);
    new_staff_session forged{hash_bytes(), *ana, "c", "local", 1h, std::nullopt};
    EXPECT_EQ(run(store_->async_create_session(other_, forged)), errc::not_found);
    EXPECT_EQ(run(store_->async_touch_session(other_, hash)), errc::not_found);
    EXPECT_FALSE(run(store_->async_revoke_session(other_, hash)));
    EXPECT_EQ(*run(store_->async_revoke_user_sessions(other_, *ana)), 0u);
    EXPECT_TRUE(*run(store_->async_find_session(hash))) << "still live: B could not revoke it";
    EXPECT_EQ(run(store_->async_claim(other_, esc, bea)).error(), errc::not_found);
    EXPECT_EQ(run(store_->async_mark_notified(other_, esc)).error(), errc::not_found);
    EXPECT_EQ(run(store_->async_resolve(other_, esc, bea, "other", "")).error(), errc::not_found);
    EXPECT_FALSE(run(store_->async_link_repeat(other_, esc_b, esc))->applied);
    new_escalation_note foreign{uuid(), esc, bea, 1, "x"};
    EXPECT_EQ(run(store_->async_add_note(other_, foreign)), errc::not_found);
    // B's staff cannot act on A's escalation from A's scope either.
    auto crossed = run(store_->async_claim(clinic_, esc, bea));
    ASSERT_TRUE(crossed);
    EXPECT_FALSE(crossed->applied);
    EXPECT_EQ(run(store_->async_notes(clinic_, esc))->size(), 1u);

    // The two cross-clinic lookups find exactly the named row and tell its clinic.
    auto session = run(store_->async_find_session(hash));
    ASSERT_TRUE(session && *session);
    EXPECT_EQ((*session)->clinic_id, clinic_);
    auto by_oidc = run(store_->async_find_user_by_oidc(issuer, "ana"));
    ASSERT_TRUE(by_oidc && *by_oidc);
    EXPECT_EQ((*by_oidc)->clinic_id, clinic_);

    // Without a scope, row-level security shows nothing of the new tables.
    for (const char* table : {"staff_users", "staff_sessions", "escalation_notes", "canned_replies"})
        EXPECT_EQ(count_unscoped(table), "0") << table;
    // The lookup keys show the one named row, for reading only.
    std::vector<statement> lookup{{"SELECT set_config('triage.oidc_issuer', $1, true), "
                                   "set_config('triage.oidc_subject', 'ana', true)", {text(issuer)}},
                                  {"SELECT count(*) FROM staff_users", {}},
                                  {"UPDATE staff_users SET role = 'clinic_admin' WHERE oidc_issuer = $1", {text(issuer)}}};
    auto looked = run(pool_->async_transaction(lookup));
    ASSERT_TRUE(looked);
    EXPECT_EQ((*looked)[1].at(0, 0), "1");
    EXPECT_EQ((*looked)[2].affected, 0u) << "the lookup policy does not admit writes";
    // A forged row for A's user under B's scope is refused by the schema.
    std::vector<statement> forged_row{clinic_scope(other_),
                                      {"INSERT INTO staff_sessions (id_hash, user_id, clinic_id, csrf_hash, kind, "
                                       "absolute_expiry) VALUES ('\\x01', $1::uuid, $2::uuid, '\\x01', 'local', "
                                       "now() + interval '1 hour')",
                                       {text(*ana), text(other_)}}};
    EXPECT_FALSE(run(pool_->async_transaction(forged_row)));
}

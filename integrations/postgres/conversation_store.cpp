#include "integrations/postgres/conversation_store.hpp"

#include "integrations/errc.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;
using boost::system::error_code;

namespace triage::integrations::postgres {

struct conversation_store::queued {
    explicit queued(const asio::any_io_executor& ex, turn_write tw) : w(std::move(tw)), signal(ex) {
        signal.expires_at(asio::steady_timer::time_point::max());
    }
    turn_write w;
    asio::steady_timer signal;
    error_code result;
    bool done = false;
};

// A batch larger than this is split: one huge transaction would hold locks and delay everyone.
constexpr std::size_t max_batch_turns = 64;

statement clinic_scope(const std::string& clinic_id) {
    // Row-level security (migration 002) shows and accepts only this clinic's rows for the rest of
    // the transaction; a turn of another clinic in the same batch sets its own.
    return {"SELECT set_config('triage.clinic_id', $1, true)", {text(clinic_id)}};
}

std::vector<statement> statements_for(const turn_write& w) {
    std::vector<statement> out;
    out.push_back(clinic_scope(w.clinic_id));
    if (w.start) {
        out.push_back({"INSERT INTO conversations (id, clinic_id, token_index, lang, flow_id, flow_version, "
                       "contact_index) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                       {text(w.conversation_id), text(w.clinic_id), bytes(w.start->token_index), text(w.start->lang),
                        text(w.start->flow_id), text(w.start->flow_version),
                        w.start->contact_index ? bytes(*w.start->contact_index) : null()}});
    }
    for (const auto& e : w.entries) {
        out.push_back({"INSERT INTO messages (conversation_id, seq, clinic_id, author, client_msg_id, key_id, body) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                       {text(w.conversation_id), text(std::to_string(e.seq)), text(w.clinic_id), text(e.author),
                        e.client_msg_id ? text(*e.client_msg_id) : null(), text(std::to_string(e.key_id)),
                        bytes(e.sealed_body)}});
    }
    for (const auto& e : w.escalations) {
        out.push_back({"INSERT INTO escalations (id, clinic_id, conversation_id, reason, urgency, triage, priority, "
                       "summary, linked_escalation) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::integer, $8::jsonb, $9)",
                       {text(e.id), text(w.clinic_id), text(w.conversation_id), text(e.reason), text(e.urgency),
                        text(e.triage_json), text(std::to_string(e.priority)), text(e.summary_json),
                        e.linked_escalation ? text(*e.linked_escalation) : null()}});
    }
    for (const auto& a : w.audit) {
        out.push_back({"INSERT INTO audit_events (clinic_id, actor, action, conversation_id, detail) "
                       "VALUES ($1, $2, $3, $4, $5::jsonb)",
                       {text(w.clinic_id), text(a.actor), text(a.action), text(w.conversation_id),
                        text(a.detail_json)}});
    }
    if (w.highest_urgency || w.ended) {
        out.push_back({"UPDATE conversations SET highest_urgency = coalesce($3, highest_urgency), "
                       "ended_at = CASE WHEN $4 THEN coalesce(ended_at, now()) ELSE ended_at END "
                       "WHERE id = $1 AND clinic_id = $2",
                       {text(w.conversation_id), text(w.clinic_id),
                        w.highest_urgency ? text(*w.highest_urgency) : null(), text(w.ended ? "true" : "false")}});
    }
    return out;
}

conversation_store::conversation_store(pool& p) : pool_(p) {}
conversation_store::~conversation_store() = default;

asio::awaitable<error_code> conversation_store::async_record(turn_write w) {
    auto ex = co_await asio::this_coro::executor;
    auto q = std::make_shared<queued>(ex, std::move(w));
    queue_.push_back(q);
    if (!flushing_) {
        flushing_ = true;
        asio::co_spawn(ex, flush_loop(), [this](std::exception_ptr e) {
            if (!e) return;
            // Never leave writers waiting: fail whatever is queued, and let the next turn restart.
            flushing_ = false;
            for (auto& waiting : queue_) {
                waiting->result = errc::pg_query_failed;
                waiting->done = true;
                waiting->signal.cancel();
            }
            queue_.clear();
        });
    }
    // co_spawn may run the flush inline and finish it (e.g. failing fast while PostgreSQL is down)
    // before we get here; waiting then would wait for a cancel that already happened.
    if (!q->done) co_await q->signal.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return q->done ? q->result : error_code(errc::shutting_down);
}

asio::awaitable<void> conversation_store::flush_loop() {
    // Runs while turns are waiting; each round commits everything that queued up during the last.
    while (!queue_.empty()) {
        std::vector<std::shared_ptr<queued>> batch;
        while (!queue_.empty() && batch.size() < max_batch_turns) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        std::vector<statement> sts;
        for (const auto& q : batch) {
            auto s = statements_for(q->w);
            sts.insert(sts.end(), std::make_move_iterator(s.begin()), std::make_move_iterator(s.end()));
        }
        ++transactions_;
        auto r = co_await pool_.async_transaction(std::move(sts));
        if (r || batch.size() == 1 || r.error() == errc::pg_unavailable || r.error() == errc::timeout) {
            error_code ec = r ? error_code{} : r.error();
            for (auto& q : batch) {
                q->result = ec;
                q->done = true;
                q->signal.cancel();
            }
            continue;
        }
        // One bad turn (typically a resend that is already stored) must not fail the others:
        // retry each on its own.
        for (auto& q : batch) {
            ++transactions_;
            auto one = co_await pool_.async_transaction(statements_for(q->w));
            q->result = one ? error_code{} : one.error();
            q->done = true;
            q->signal.cancel();
        }
    }
    flushing_ = false;
}

// Reads of clinical tables run as a two-statement transaction: the clinic scope, then the query.
asio::awaitable<boost::system::result<rows>> conversation_store::scoped_query(std::string clinic_id, statement st) {
    std::vector<statement> sts{clinic_scope(clinic_id), std::move(st)};
    auto r = co_await pool_.async_transaction(std::move(sts));
    if (!r) co_return r.error();
    co_return std::move(r->back());
}

asio::awaitable<boost::system::result<std::optional<conversation_ref>>> conversation_store::async_find_by_token(
    std::string clinic_id, std::string token_index) {
    statement st{"SELECT id, lang FROM conversations WHERE clinic_id = $1 AND token_index = $2",
                 {text(clinic_id), bytes(std::move(token_index))}};
    auto r = co_await scoped_query(clinic_id, std::move(st));
    if (!r) co_return r.error();
    if (r->size() == 0) co_return std::optional<conversation_ref>{};
    co_return std::optional<conversation_ref>{conversation_ref{*r->at(0, 0), *r->at(0, 1)}};
}

asio::awaitable<boost::system::result<std::vector<transcript_entry>>> conversation_store::async_transcript_after(
    std::string clinic_id, std::string conversation_id, std::uint64_t after_seq) {
    statement st{"SELECT seq, author, client_msg_id, key_id, body FROM messages "
                 "WHERE clinic_id = $1 AND conversation_id = $2 AND seq > $3 ORDER BY seq",
                 {text(clinic_id), text(std::move(conversation_id)), text(std::to_string(after_seq))}};
    auto r = co_await scoped_query(clinic_id, std::move(st));
    if (!r) co_return r.error();
    std::vector<transcript_entry> out;
    for (std::size_t i = 0; i < r->size(); ++i) {
        transcript_entry e;
        e.seq = std::stoull(*r->at(i, 0));
        e.author = *r->at(i, 1);
        e.client_msg_id = r->at(i, 2);
        e.key_id = static_cast<std::uint32_t>(std::stoul(*r->at(i, 3)));
        auto body = decode_bytea(*r->at(i, 4));
        if (!body) co_return error_code(errc::pg_query_failed);
        e.sealed_body = std::move(*body);
        out.push_back(std::move(e));
    }
    co_return out;
}

asio::awaitable<boost::system::result<std::optional<std::uint64_t>>> conversation_store::async_seq_of_client_message(
    std::string clinic_id, std::string conversation_id, std::string client_msg_id) {
    statement st{"SELECT seq FROM messages WHERE clinic_id = $1 AND conversation_id = $2 AND client_msg_id = $3",
                 {text(clinic_id), text(std::move(conversation_id)), text(std::move(client_msg_id))}};
    auto r = co_await scoped_query(clinic_id, std::move(st));
    if (!r) co_return r.error();
    if (r->size() == 0) co_return std::optional<std::uint64_t>{};
    co_return std::optional<std::uint64_t>{std::stoull(*r->at(0, 0))};
}

namespace {

constexpr const char* clinic_columns = "SELECT id, slug, name, array_to_json(allowed_origins)::text, flow, timezone FROM clinics";

clinic_record clinic_of_row(const rows& r, std::size_t i) {
    clinic_record c{*r.at(i, 0), *r.at(i, 1), *r.at(i, 2), {}, *r.at(i, 4), *r.at(i, 5)};
    // array_to_json gives ["a","b"]; origins never contain quotes or commas.
    std::string cur;
    bool in = false;
    for (char ch : *r.at(i, 3)) {
        if (ch == '"') {
            if (in) c.allowed_origins.push_back(cur);
            cur.clear();
            in = !in;
        } else if (in) {
            cur += ch;
        }
    }
    return c;
}

}  // namespace

asio::awaitable<boost::system::result<std::vector<clinic_record>>> conversation_store::async_clinics() {
    statement st{clinic_columns, {}};
    auto r = co_await pool_.async_query(std::move(st));
    if (!r) co_return r.error();
    std::vector<clinic_record> out;
    for (std::size_t i = 0; i < r->size(); ++i) out.push_back(clinic_of_row(*r, i));
    co_return out;
}

asio::awaitable<boost::system::result<std::optional<clinic_record>>> conversation_store::async_clinic(std::string key,
                                                                                                   clinic_key kind) {
    // Compared as text so that a key that is not a uuid is simply not found.
    statement st{std::string(clinic_columns) + (kind == clinic_key::slug ? " WHERE slug = $1" : " WHERE id::text = $1"),
                 {text(std::move(key))}};
    auto r = co_await pool_.async_query(std::move(st));
    if (!r) co_return r.error();
    if (r->size() == 0) co_return std::optional<clinic_record>{};
    co_return std::optional<clinic_record>{clinic_of_row(*r, 0)};
}

asio::awaitable<boost::system::result<std::optional<std::string>>>
conversation_store::async_recent_escalation_of_contact(std::string clinic_id, std::string contact_index,
                                                       std::string exclude_conversation) {
    statement st{"SELECT e.id FROM escalations e JOIN conversations c ON c.id = e.conversation_id "
                 "JOIN clinics k ON k.id = e.clinic_id "
                 "WHERE e.clinic_id = $1::uuid AND c.clinic_id = $1::uuid AND c.contact_index = $2 "
                 "AND c.id <> $3::uuid AND e.raised_at > now() - k.repeat_window_s * interval '1 second' "
                 "ORDER BY e.raised_at DESC LIMIT 1",
                 {text(clinic_id), bytes(contact_index), text(exclude_conversation)}};
    auto r = co_await scoped_query(std::move(clinic_id), std::move(st));
    if (!r) co_return r.error();
    if (r->size() == 0) co_return std::optional<std::string>{};
    co_return std::optional<std::string>{*r->at(0, 0)};
}

asio::awaitable<boost::system::result<std::uint64_t>> conversation_store::async_last_seq(std::string clinic_id,
                                                                                        std::string conversation_id) {
    statement st{"SELECT coalesce(max(seq), 0) FROM messages WHERE clinic_id = $1::uuid AND conversation_id = $2::uuid",
                 {text(clinic_id), text(conversation_id)}};
    auto r = co_await scoped_query(std::move(clinic_id), std::move(st));
    if (!r) co_return r.error();
    co_return static_cast<std::uint64_t>(std::stoull(*r->at(0, 0)));
}

asio::awaitable<boost::system::result<std::vector<phi_key_record>>> conversation_store::async_phi_keys() {
    statement st{"SELECT id, wrapped FROM phi_keys ORDER BY id", {}};
    auto r = co_await pool_.async_query(std::move(st));
    if (!r) co_return r.error();
    std::vector<phi_key_record> out;
    for (std::size_t i = 0; i < r->size(); ++i) {
        auto w = decode_bytea(*r->at(i, 1));
        if (!w) co_return error_code(errc::pg_query_failed);
        out.push_back({static_cast<std::uint32_t>(std::stoul(*r->at(i, 0))), std::move(*w)});
    }
    co_return out;
}

asio::awaitable<error_code> conversation_store::async_store_phi_key(phi_key_record k) {
    statement st{"INSERT INTO phi_keys (id, wrapped) VALUES ($1, $2)",
                 {text(std::to_string(k.id)), bytes(std::move(k.wrapped))}};
    auto r = co_await pool_.async_query(std::move(st));
    co_return r ? error_code{} : r.error();
}

asio::awaitable<error_code> conversation_store::async_audit(std::string clinic_id, std::string actor,
                                                           std::string action, std::string detail) {
    statement st{"INSERT INTO audit_events (clinic_id, actor, action, detail) VALUES ($1, $2, $3, $4::jsonb)",
                 {text(clinic_id), text(std::move(actor)), text(std::move(action)), text(std::move(detail))}};
    auto r = co_await scoped_query(std::move(clinic_id), std::move(st));
    co_return r ? error_code{} : r.error();
}

asio::awaitable<error_code> conversation_store::async_ping() {
    statement st{"SELECT 1", {}};
    auto r = co_await pool_.async_query(std::move(st));
    co_return r ? error_code{} : r.error();
}

}  // namespace triage::integrations::postgres

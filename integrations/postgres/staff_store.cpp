#include "integrations/postgres/staff_store.hpp"

#include "integrations/errc.hpp"
#include "integrations/postgres/conversation_store.hpp"

#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;
using boost::system::error_code;
using boost::system::result;

namespace triage::integrations::postgres {

namespace {

// Timestamps cross the wire as integer microseconds since the epoch: exact both ways, and
// independent of the session's DateStyle and TimeZone.
std::string micros(const char* column) {
    return std::string("(extract(epoch FROM ") + column + ") * 1000000)::bigint";
}
std::string at_micros(int param) {
    return "('epoch'::timestamptz + $" + std::to_string(param) + "::bigint * interval '1 microsecond')";
}
param micros_param(timestamp t) { return text(std::to_string(t.time_since_epoch().count())); }

timestamp to_timestamp(const std::string& v) { return timestamp(std::chrono::microseconds(std::stoll(v))); }
std::optional<timestamp> to_timestamp(const std::optional<std::string>& v) {
    if (!v) return std::nullopt;
    return to_timestamp(*v);
}

const std::string user_columns =
    "id, clinic_id, email, display_name, role, password_hash, oidc_issuer, oidc_subject, active";

staff_user user_from(const rows& r, std::size_t i) {
    staff_user u;
    u.id = *r.at(i, 0);
    u.clinic_id = *r.at(i, 1);
    u.email = *r.at(i, 2);
    u.display_name = *r.at(i, 3);
    u.role = *r.at(i, 4);
    u.password_hash = r.at(i, 5);
    u.oidc_issuer = r.at(i, 6);
    u.oidc_subject = r.at(i, 7);
    u.active = r.at(i, 8) == "t";
    return u;
}

// The escalation as staff see it, with the claimer's display name.
const std::string escalation_select =
    "SELECT e.id, e.clinic_id, e.conversation_id, e.reason, e.urgency, e.status, e.priority, e.triage::text, "
    "e.summary::text, e.claimed_by, su.display_name, e.outcome, e.linked_escalation, " +
    micros("e.raised_at") + ", " + micros("e.updated_at") + ", " + micros("e.notified_at") + ", " +
    micros("e.renotified_at") + ", " + micros("e.oncall_sent_at") + ", " + micros("e.claimed_at") + ", " +
    micros("e.resolved_at") + ", su.role" +
    " FROM escalations e LEFT JOIN staff_users su ON su.id = e.claimed_by AND su.clinic_id = e.clinic_id ";

escalation_record escalation_from(const rows& r, std::size_t i) {
    escalation_record e;
    e.id = *r.at(i, 0);
    e.clinic_id = *r.at(i, 1);
    e.conversation_id = *r.at(i, 2);
    e.reason = *r.at(i, 3);
    e.urgency = *r.at(i, 4);
    e.status = *r.at(i, 5);
    e.priority = std::stoi(*r.at(i, 6));
    e.triage_json = *r.at(i, 7);
    e.summary_json = *r.at(i, 8);
    e.claimed_by = r.at(i, 9);
    e.claimed_by_name = r.at(i, 10);
    e.outcome = r.at(i, 11);
    e.linked_escalation = r.at(i, 12);
    e.raised_at = to_timestamp(*r.at(i, 13));
    e.updated_at = to_timestamp(*r.at(i, 14));
    e.notified_at = to_timestamp(r.at(i, 15));
    e.renotified_at = to_timestamp(r.at(i, 16));
    e.oncall_sent_at = to_timestamp(r.at(i, 17));
    e.claimed_at = to_timestamp(r.at(i, 18));
    e.resolved_at = to_timestamp(r.at(i, 19));
    e.claimed_by_role = r.at(i, 20);
    return e;
}

// A staff member who may act on escalations: active, of this clinic ($2), not an auditor.
constexpr const char* acting_staff =
    "EXISTS (SELECT 1 FROM staff_users u WHERE u.id = $4::uuid AND u.clinic_id = $2::uuid AND u.active "
    "AND u.role <> 'auditor')";
// The claimer, or a clinic admin.
constexpr const char* claimer_or_admin =
    "(claimed_by = $4::uuid OR EXISTS (SELECT 1 FROM staff_users a WHERE a.id = $4::uuid AND a.clinic_id = $2::uuid "
    "AND a.role = 'clinic_admin'))";

}  // namespace

// One lifecycle transition. Parameters: $1 escalation, $2 clinic, $3 actor, then `extra` from $4.
struct staff_store::transition_spec {
    const char* action;   // audit action, a literal
    std::string set;      // the SET list
    std::string guard;    // the allowed-transition check, over the row as it is when locked
    std::string detail;   // more jsonb_build_object arguments after 'escalation', id
    std::string actor;    // "system" or "staff:<uuid>"
    std::vector<param> extra;
};

staff_store::staff_store(pool& p, std::chrono::microseconds commit_margin) : pool_(p), commit_margin_(commit_margin) {}

asio::awaitable<result<std::vector<rows>>> staff_store::scoped(std::string clinic_id, std::vector<statement> sts) {
    std::vector<statement> all;
    all.reserve(sts.size() + 1);
    all.push_back(clinic_scope(clinic_id));
    for (auto& s : sts) all.push_back(std::move(s));
    auto r = co_await pool_.async_transaction(std::move(all));
    if (!r) co_return r.error();
    r->erase(r->begin());
    co_return std::move(*r);
}

// ---- staff users ----

asio::awaitable<result<std::string>> staff_store::async_create_user(std::string clinic_id, std::string email,
                                                                    std::string display_name, std::string role,
                                                                    std::string password_hash) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(text(std::move(email)));
    ps.push_back(text(std::move(display_name)));
    ps.push_back(text(std::move(role)));
    ps.push_back(text(std::move(password_hash)));
    std::vector<statement> sts;
    sts.push_back({"INSERT INTO staff_users (clinic_id, email, display_name, role, password_hash) "
                   "VALUES ($1::uuid, lower($2::text), $3::text, $4::text, nullif($5::text, '')) "
                   "ON CONFLICT (clinic_id, email) DO UPDATE SET display_name = EXCLUDED.display_name, "
                   "role = EXCLUDED.role, active = true, "
                   "password_hash = coalesce(EXCLUDED.password_hash, staff_users.password_hash) "
                   "RETURNING id",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    if (r->at(0).size() != 1) co_return error_code(errc::pg_query_failed);
    co_return *r->at(0).at(0, 0);
}

asio::awaitable<result<std::optional<staff_user>>> staff_store::async_find_user_by_email(std::string clinic_id,
                                                                                         std::string email) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(text(std::move(email)));
    std::vector<statement> sts;
    sts.push_back({"SELECT " + user_columns + " FROM staff_users WHERE clinic_id = $1::uuid AND email = lower($2::text)",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    if (r->at(0).size() == 0) co_return std::optional<staff_user>{};
    co_return std::optional<staff_user>{user_from(r->at(0), 0)};
}

asio::awaitable<result<std::optional<staff_user>>> staff_store::async_find_user_by_oidc(std::string issuer,
                                                                                        std::string subject) {
    // No clinic scope: the identity names the row, through the read-only oidc_sign_in policy
    // (migration 003). The settings are transaction-local, so they end with this lookup.
    std::vector<param> key;
    key.push_back(text(issuer));
    key.push_back(text(subject));
    std::vector<param> ps;
    ps.push_back(text(std::move(issuer)));
    ps.push_back(text(std::move(subject)));
    std::vector<statement> sts;
    sts.push_back({"SELECT set_config('triage.oidc_issuer', $1::text, true), "
                   "set_config('triage.oidc_subject', $2::text, true)",
                   std::move(key)});
    sts.push_back({"SELECT " + user_columns + " FROM staff_users WHERE oidc_issuer = $1::text AND oidc_subject = $2::text",
                   std::move(ps)});
    auto r = co_await pool_.async_transaction(std::move(sts));
    if (!r) co_return r.error();
    if (r->at(1).size() == 0) co_return std::optional<staff_user>{};
    co_return std::optional<staff_user>{user_from(r->at(1), 0)};
}

asio::awaitable<error_code> staff_store::async_link_oidc(std::string clinic_id, std::string user_id,
                                                         std::string issuer, std::string subject) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(text(std::move(user_id)));
    ps.push_back(text(std::move(issuer)));
    ps.push_back(text(std::move(subject)));
    std::vector<statement> sts;
    sts.push_back({"UPDATE staff_users SET oidc_issuer = nullif($3::text, ''), oidc_subject = nullif($4::text, '') "
                   "WHERE id = $2::uuid AND clinic_id = $1::uuid",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    co_return r->at(0).affected == 0 ? error_code(errc::not_found) : error_code{};
}

asio::awaitable<error_code> staff_store::async_set_password(std::string clinic_id, std::string user_id,
                                                            std::string password_hash) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(text(std::move(user_id)));
    ps.push_back(text(std::move(password_hash)));
    std::vector<statement> sts;
    sts.push_back({"UPDATE staff_users SET password_hash = nullif($3::text, '') "
                   "WHERE id = $2::uuid AND clinic_id = $1::uuid",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    co_return r->at(0).affected == 0 ? error_code(errc::not_found) : error_code{};
}

asio::awaitable<error_code> staff_store::async_set_active(std::string clinic_id, std::string user_id, bool active) {
    std::vector<param> user;
    user.push_back(text(clinic_id));
    user.push_back(text(user_id));
    user.push_back(text(active ? "true" : "false"));
    std::vector<param> sessions = user;
    std::vector<statement> sts;
    sts.push_back({"UPDATE staff_users SET active = $3::boolean WHERE id = $2::uuid AND clinic_id = $1::uuid",
                   std::move(user)});
    sts.push_back({"UPDATE staff_sessions SET revoked_at = now() "
                   "WHERE user_id = $2::uuid AND clinic_id = $1::uuid AND revoked_at IS NULL AND NOT $3::boolean",
                   std::move(sessions)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    co_return r->at(0).affected == 0 ? error_code(errc::not_found) : error_code{};
}

// ---- sessions ----

asio::awaitable<error_code> staff_store::async_create_session(std::string clinic_id, new_staff_session s) {
    std::vector<param> ps;
    ps.push_back(bytes(std::move(s.id_hash)));
    ps.push_back(text(std::move(s.user_id)));
    ps.push_back(text(clinic_id));
    ps.push_back(bytes(std::move(s.csrf_hash)));
    ps.push_back(text(std::move(s.kind)));
    ps.push_back(s.idp_session_hint ? text(std::move(*s.idp_session_hint)) : null());
    ps.push_back(text(std::to_string(s.lifetime.count())));
    std::vector<statement> sts;
    // Only for an active user of this clinic (the composite foreign key would refuse another
    // clinic's user too, but with a less telling error).
    sts.push_back({"INSERT INTO staff_sessions (id_hash, user_id, clinic_id, csrf_hash, kind, idp_session_hint, "
                   "absolute_expiry) "
                   "SELECT $1::bytea, u.id, u.clinic_id, $4::bytea, $5::text, $6::text, "
                   "now() + $7::bigint * interval '1 second' "
                   "FROM staff_users u WHERE u.id = $2::uuid AND u.clinic_id = $3::uuid AND u.active",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    co_return r->at(0).affected == 0 ? error_code(errc::not_found) : error_code{};
}

asio::awaitable<result<std::optional<staff_session>>> staff_store::async_find_session(std::string id_hash) {
    // The cookie does not say which clinic it belongs to; the session row does. The read-only
    // session_lookup policy (migration 003) shows the one session whose hash this transaction
    // names; its clinic then becomes the scope under which the user row is read.
    std::vector<param> key;
    key.push_back(bytes(id_hash));
    std::vector<param> scope;
    scope.push_back(bytes(id_hash));
    std::vector<param> ps;
    ps.push_back(bytes(std::move(id_hash)));
    std::vector<statement> sts;
    sts.push_back({"SELECT set_config('triage.session_id_hash', encode($1::bytea, 'hex'), true)", std::move(key)});
    sts.push_back({"SELECT set_config('triage.clinic_id', "
                   "coalesce((SELECT clinic_id::text FROM staff_sessions WHERE id_hash = $1::bytea), ''), true)",
                   std::move(scope)});
    sts.push_back({"SELECT s.user_id, s.clinic_id, u.role, u.display_name, u.email, s.csrf_hash, s.kind, "
                   "s.idp_session_hint, floor(extract(epoch FROM now() - s.last_seen_at))::bigint, "
                   "floor(extract(epoch FROM s.absolute_expiry - now()))::bigint "
                   "FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id AND u.clinic_id = s.clinic_id "
                   "WHERE s.id_hash = $1::bytea AND s.revoked_at IS NULL AND s.absolute_expiry > now() AND u.active",
                   std::move(ps)});
    auto r = co_await pool_.async_transaction(std::move(sts));
    if (!r) co_return r.error();
    const rows& found = r->at(2);
    if (found.size() == 0) co_return std::optional<staff_session>{};
    staff_session s;
    s.user_id = *found.at(0, 0);
    s.clinic_id = *found.at(0, 1);
    s.role = *found.at(0, 2);
    s.display_name = *found.at(0, 3);
    s.email = *found.at(0, 4);
    auto csrf = decode_bytea(*found.at(0, 5));
    if (!csrf) co_return error_code(errc::pg_query_failed);
    s.csrf_hash = std::move(*csrf);
    s.kind = *found.at(0, 6);
    s.idp_session_hint = found.at(0, 7);
    s.idle = std::chrono::seconds(std::stoll(*found.at(0, 8)));
    s.expires_in = std::chrono::seconds(std::stoll(*found.at(0, 9)));
    co_return std::optional<staff_session>{std::move(s)};
}

asio::awaitable<error_code> staff_store::async_touch_session(std::string clinic_id, std::string id_hash) {
    std::vector<param> ps;
    ps.push_back(bytes(std::move(id_hash)));
    ps.push_back(text(clinic_id));
    std::vector<statement> sts;
    sts.push_back({"UPDATE staff_sessions SET last_seen_at = now() WHERE id_hash = $1::bytea AND clinic_id = $2::uuid "
                   "AND revoked_at IS NULL AND absolute_expiry > now()",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    co_return r->at(0).affected == 0 ? error_code(errc::not_found) : error_code{};
}

asio::awaitable<error_code> staff_store::async_revoke_session(std::string clinic_id, std::string id_hash) {
    std::vector<param> ps;
    ps.push_back(bytes(std::move(id_hash)));
    ps.push_back(text(clinic_id));
    std::vector<statement> sts;
    sts.push_back({"UPDATE staff_sessions SET revoked_at = now() WHERE id_hash = $1::bytea AND clinic_id = $2::uuid "
                   "AND revoked_at IS NULL",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    co_return r ? error_code{} : r.error();
}

asio::awaitable<result<std::size_t>> staff_store::async_revoke_user_sessions(std::string clinic_id,
                                                                             std::string user_id) {
    std::vector<param> ps;
    ps.push_back(text(std::move(user_id)));
    ps.push_back(text(clinic_id));
    std::vector<statement> sts;
    sts.push_back({"UPDATE staff_sessions SET revoked_at = now() WHERE user_id = $1::uuid AND clinic_id = $2::uuid "
                   "AND revoked_at IS NULL",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    co_return r->at(0).affected;
}

// ---- the queue ----

asio::awaitable<result<escalation_snapshot>> staff_store::snapshot(std::string clinic_id, statement query) {
    // The cursor must not pass a change that commits after this read. Each change stamps
    // updated_at with its transaction's start (the trigger uses now()), so hold the cursor back to
    // the oldest transaction still running: pg_stat_activity shows them for our own role, which
    // every instance connects as. Read it before the rows, so that a transaction it misses
    // started after this statement did. The margin covers the instant between a transaction
    // taking its start time and publishing it.
    std::vector<statement> sts;
    std::vector<param> margin;
    margin.push_back(text(std::to_string(commit_margin_.count())));
    sts.push_back({"SELECT " + micros("least(statement_timestamp(), (SELECT min(xact_start) FROM pg_stat_activity "
                                      "WHERE pid <> pg_backend_pid() AND datname = current_database())) "
                                      "- $1::bigint * interval '1 microsecond'"),
                   std::move(margin)});
    sts.push_back(std::move(query));
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    escalation_snapshot out;
    out.cursor = to_timestamp(*r->at(0).at(0, 0));
    const rows& found = r->at(1);
    out.escalations.reserve(found.size());
    for (std::size_t i = 0; i < found.size(); ++i) out.escalations.push_back(escalation_from(found, i));
    co_return out;
}

asio::awaitable<result<escalation_snapshot>> staff_store::async_open_escalations(std::string clinic_id,
                                                                                 timestamp raised_since) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(micros_param(raised_since));
    statement query{escalation_select +
                        "WHERE e.clinic_id = $1::uuid AND e.status NOT IN ('resolved', 'handed_back') "
                        "AND e.raised_at >= " + at_micros(2) + " ORDER BY e.priority DESC, e.raised_at, e.id",
                    std::move(ps)};
    auto r = co_await snapshot(std::move(clinic_id), std::move(query));
    co_return r;
}

asio::awaitable<result<escalation_snapshot>> staff_store::async_escalations_changed_since(std::string clinic_id,
                                                                                         timestamp since) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(micros_param(since));
    statement query{escalation_select + "WHERE e.clinic_id = $1::uuid AND e.updated_at >= " + at_micros(2) +
                        " ORDER BY e.updated_at, e.id",
                    std::move(ps)};
    auto r = co_await snapshot(std::move(clinic_id), std::move(query));
    co_return r;
}

asio::awaitable<result<std::optional<escalation_record>>> staff_store::async_escalation(std::string clinic_id,
                                                                                       std::string escalation_id) {
    std::vector<param> ps;
    ps.push_back(text(std::move(escalation_id)));
    ps.push_back(text(clinic_id));
    std::vector<statement> sts;
    sts.push_back({escalation_select + "WHERE e.id = $1::uuid AND e.clinic_id = $2::uuid", std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    if (r->at(0).size() == 0) co_return std::optional<escalation_record>{};
    co_return std::optional<escalation_record>{escalation_from(r->at(0), 0)};
}

asio::awaitable<result<std::vector<escalation_record>>> staff_store::async_escalations_of_conversation(
    std::string clinic_id, std::string conversation_id) {
    std::vector<param> ps;
    ps.push_back(text(std::move(conversation_id)));
    ps.push_back(text(clinic_id));
    std::vector<statement> sts;
    sts.push_back({escalation_select + "WHERE e.conversation_id = $1::uuid AND e.clinic_id = $2::uuid "
                                       "ORDER BY e.raised_at, e.id",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    std::vector<escalation_record> out;
    for (std::size_t i = 0; i < r->at(0).size(); ++i) out.push_back(escalation_from(r->at(0), i));
    co_return out;
}

// ---- transitions ----

asio::awaitable<result<escalation_transition>> staff_store::transition(std::string clinic_id,
                                                                       std::string escalation_id,
                                                                       transition_spec spec) {
    // The guard is evaluated on the row as it stands once its lock is ours: a concurrent
    // transition that committed first is seen (READ COMMITTED re-checks the updated row), so of
    // two claims exactly one changes it. The audit row is inserted from the UPDATE's RETURNING,
    // so it exists exactly when the transition happened, in the same transaction.
    std::vector<param> ps;
    ps.push_back(text(escalation_id));
    ps.push_back(text(clinic_id));
    ps.push_back(text(std::move(spec.actor)));
    for (auto& p : spec.extra) ps.push_back(std::move(p));
    std::string sql = "WITH t AS (UPDATE escalations SET " + spec.set +
                      " WHERE id = $1::uuid AND clinic_id = $2::uuid AND (" + spec.guard +
                      ") RETURNING id, conversation_id), "
                      "a AS (INSERT INTO audit_events (clinic_id, actor, action, conversation_id, detail) "
                      "SELECT $2::uuid, $3::text, '" + spec.action + "', t.conversation_id, "
                      "jsonb_strip_nulls(jsonb_build_object('escalation', t.id" + spec.detail + ")) FROM t) "
                      "SELECT count(*) FROM t";
    std::vector<param> read;
    read.push_back(text(std::move(escalation_id)));
    read.push_back(text(clinic_id));
    std::vector<statement> sts;
    sts.push_back({std::move(sql), std::move(ps)});
    // A new statement sees what the winner committed, so a loser learns who holds it.
    sts.push_back({escalation_select + "WHERE e.id = $1::uuid AND e.clinic_id = $2::uuid", std::move(read)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    if (r->at(1).size() == 0) co_return error_code(errc::not_found);
    escalation_transition out;
    out.applied = r->at(0).size() == 1 && r->at(0).at(0, 0) != "0";
    out.escalation = escalation_from(r->at(1), 0);
    co_return out;
}

asio::awaitable<result<escalation_transition>> staff_store::async_mark_notified(std::string clinic_id,
                                                                                std::string escalation_id) {
    transition_spec spec{"escalation.notified", "status = 'notified', notified_at = now()", "status = 'raised'", "",
                         "system", {}};
    auto r = co_await transition(std::move(clinic_id), std::move(escalation_id), std::move(spec));
    co_return r;
}

asio::awaitable<result<escalation_transition>> staff_store::async_mark_renotified(std::string clinic_id,
                                                                                  std::string escalation_id) {
    transition_spec spec{"escalation.renotified",
                         "status = 'notified', notified_at = coalesce(notified_at, now()), renotified_at = now()",
                         "status IN ('raised', 'notified') AND renotified_at IS NULL", "", "system", {}};
    auto r = co_await transition(std::move(clinic_id), std::move(escalation_id), std::move(spec));
    co_return r;
}

asio::awaitable<result<escalation_transition>> staff_store::async_mark_oncall_sent(std::string clinic_id,
                                                                                   std::string escalation_id) {
    transition_spec spec{"escalation.oncall_sent", "oncall_sent_at = now()",
                         "status IN ('raised', 'notified') AND oncall_sent_at IS NULL", "", "system", {}};
    auto r = co_await transition(std::move(clinic_id), std::move(escalation_id), std::move(spec));
    co_return r;
}

asio::awaitable<result<escalation_transition>> staff_store::async_claim(std::string clinic_id,
                                                                        std::string escalation_id,
                                                                        std::string user_id) {
    std::vector<param> extra;
    extra.push_back(text(user_id));
    transition_spec spec{"escalation.claimed", "status = 'claimed', claimed_by = $4::uuid, claimed_at = now()",
                         std::string("status IN ('raised', 'notified') AND ") + acting_staff,
                         ", 'user', $4::uuid", "staff:" + user_id, std::move(extra)};
    auto r = co_await transition(std::move(clinic_id), std::move(escalation_id), std::move(spec));
    co_return r;
}

asio::awaitable<result<escalation_transition>> staff_store::async_start_conversation(std::string clinic_id,
                                                                                     std::string escalation_id,
                                                                                     std::string user_id) {
    std::vector<param> extra;
    extra.push_back(text(user_id));
    transition_spec spec{"escalation.conversation_started", "status = 'in_conversation'",
                         std::string("status = 'claimed' AND claimed_by = $4::uuid AND ") + acting_staff,
                         ", 'user', $4::uuid", "staff:" + user_id, std::move(extra)};
    auto r = co_await transition(std::move(clinic_id), std::move(escalation_id), std::move(spec));
    co_return r;
}

asio::awaitable<result<escalation_transition>> staff_store::async_resolve(std::string clinic_id,
                                                                          std::string escalation_id,
                                                                          std::string user_id, std::string outcome,
                                                                          std::string reason) {
    std::vector<param> extra;
    extra.push_back(text(user_id));
    extra.push_back(text(std::move(outcome)));
    extra.push_back(text(std::move(reason)));
    transition_spec spec{"escalation.resolved", "status = 'resolved', outcome = $5::text, resolved_at = now()",
                         std::string("status IN ('claimed', 'in_conversation') AND ") + acting_staff + " AND " +
                             claimer_or_admin,
                         ", 'user', $4::uuid, 'outcome', $5::text, 'reason', nullif($6::text, '')",
                         "staff:" + user_id, std::move(extra)};
    auto r = co_await transition(std::move(clinic_id), std::move(escalation_id), std::move(spec));
    co_return r;
}

asio::awaitable<result<escalation_transition>> staff_store::async_hand_back(std::string clinic_id,
                                                                            std::string escalation_id,
                                                                            std::string user_id,
                                                                            std::string flow_state) {
    std::vector<param> extra;
    extra.push_back(text(user_id));
    extra.push_back(text(std::move(flow_state)));
    transition_spec spec{"escalation.handed_back",
                         "status = 'handed_back', outcome = 'handed_back', resolved_at = now()",
                         std::string("status IN ('claimed', 'in_conversation') AND ") + acting_staff + " AND " +
                             claimer_or_admin,
                         ", 'user', $4::uuid, 'flow_state', nullif($5::text, '')", "staff:" + user_id,
                         std::move(extra)};
    auto r = co_await transition(std::move(clinic_id), std::move(escalation_id), std::move(spec));
    co_return r;
}

asio::awaitable<result<escalation_transition>> staff_store::async_link_repeat(std::string clinic_id,
                                                                              std::string escalation_id,
                                                                              std::string earlier_id) {
    std::vector<param> extra;
    extra.push_back(text(std::move(earlier_id)));
    transition_spec spec{"escalation.linked", "linked_escalation = $4::uuid",
                         "linked_escalation IS NULL AND id <> $4::uuid AND EXISTS (SELECT 1 FROM escalations x "
                         "WHERE x.id = $4::uuid AND x.clinic_id = $2::uuid)",
                         ", 'earlier', $4::uuid", "system", std::move(extra)};
    auto r = co_await transition(std::move(clinic_id), std::move(escalation_id), std::move(spec));
    co_return r;
}

// ---- internal notes ----

asio::awaitable<error_code> staff_store::async_add_note(std::string clinic_id, new_escalation_note n) {
    std::vector<param> audit;
    audit.push_back(text(clinic_id));
    audit.push_back(text("staff:" + n.author));
    audit.push_back(text(n.id));
    std::vector<param> ps;
    ps.push_back(text(std::move(n.id)));
    ps.push_back(text(std::move(n.escalation_id)));
    ps.push_back(text(clinic_id));
    ps.push_back(text(std::move(n.author)));
    ps.push_back(text(std::to_string(n.key_id)));
    ps.push_back(bytes(std::move(n.sealed_body)));
    std::vector<statement> sts;
    sts.push_back({"INSERT INTO escalation_notes (id, escalation_id, clinic_id, author, key_id, body) "
                   "SELECT $1::uuid, e.id, e.clinic_id, u.id, $5::integer, $6::bytea "
                   "FROM escalations e JOIN staff_users u ON u.clinic_id = e.clinic_id AND u.id = $4::uuid AND u.active "
                   "WHERE e.id = $2::uuid AND e.clinic_id = $3::uuid",
                   std::move(ps)});
    sts.push_back({"INSERT INTO audit_events (clinic_id, actor, action, conversation_id, detail) "
                   "SELECT $1::uuid, $2::text, 'escalation.note_added', e.conversation_id, "
                   "jsonb_build_object('escalation', e.id, 'note', n.id) "
                   "FROM escalation_notes n JOIN escalations e ON e.id = n.escalation_id AND e.clinic_id = n.clinic_id "
                   "WHERE n.id = $3::uuid AND n.clinic_id = $1::uuid",
                   std::move(audit)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    co_return r->at(0).affected == 0 ? error_code(errc::not_found) : error_code{};
}

asio::awaitable<result<std::vector<escalation_note>>> staff_store::async_notes(std::string clinic_id,
                                                                               std::string escalation_id) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(text(std::move(escalation_id)));
    std::vector<statement> sts;
    sts.push_back({"SELECT id, escalation_id, author, key_id, body, " + micros("created_at") +
                       " FROM escalation_notes WHERE clinic_id = $1::uuid AND escalation_id = $2::uuid ORDER BY seq",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    const rows& found = r->at(0);
    std::vector<escalation_note> out;
    out.reserve(found.size());
    for (std::size_t i = 0; i < found.size(); ++i) {
        escalation_note n;
        n.id = *found.at(i, 0);
        n.escalation_id = *found.at(i, 1);
        n.author = *found.at(i, 2);
        n.key_id = static_cast<std::uint32_t>(std::stoul(*found.at(i, 3)));
        auto body = decode_bytea(*found.at(i, 4));
        if (!body) co_return error_code(errc::pg_query_failed);
        n.sealed_body = std::move(*body);
        n.created_at = to_timestamp(*found.at(i, 5));
        out.push_back(std::move(n));
    }
    co_return out;
}

// ---- canned replies ----

asio::awaitable<result<std::vector<canned_reply>>> staff_store::async_canned_replies(std::string clinic_id) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    std::vector<statement> sts;
    sts.push_back({"SELECT id, title, body_en, body_es, position FROM canned_replies WHERE clinic_id = $1::uuid "
                   "ORDER BY position, title",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    const rows& found = r->at(0);
    std::vector<canned_reply> out;
    out.reserve(found.size());
    for (std::size_t i = 0; i < found.size(); ++i)
        out.push_back({*found.at(i, 0), *found.at(i, 1), *found.at(i, 2), *found.at(i, 3), std::stoi(*found.at(i, 4))});
    co_return out;
}

asio::awaitable<result<std::string>> staff_store::async_upsert_canned_reply(std::string clinic_id, canned_reply c) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(text(std::move(c.title)));
    ps.push_back(text(std::move(c.body_en)));
    ps.push_back(text(std::move(c.body_es)));
    ps.push_back(text(std::to_string(c.position)));
    std::vector<statement> sts;
    sts.push_back({"INSERT INTO canned_replies (clinic_id, title, body_en, body_es, position) "
                   "VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::integer) "
                   "ON CONFLICT (clinic_id, title) DO UPDATE SET body_en = EXCLUDED.body_en, "
                   "body_es = EXCLUDED.body_es, position = EXCLUDED.position RETURNING id",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    if (r->at(0).size() != 1) co_return error_code(errc::pg_query_failed);
    co_return *r->at(0).at(0, 0);
}

// ---- desk settings and the audit trail ----

asio::awaitable<result<desk_settings>> staff_store::async_desk_settings(std::string clinic_id) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    std::vector<statement> sts;
    sts.push_back({"SELECT sla_renotify_s, sla_oncall_s, oncall_webhook_url, repeat_window_s, review_sample_percent FROM clinics "
                   "WHERE id = $1::uuid",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    if (r->at(0).size() != 1) co_return error_code(errc::not_found);
    const rows& row = r->at(0);
    desk_settings d;
    d.renotify_after = std::chrono::seconds(std::stoll(*row.at(0, 0)));
    d.oncall_after = std::chrono::seconds(std::stoll(*row.at(0, 1)));
    d.oncall_webhook_url = row.at(0, 2);
    d.repeat_window = std::chrono::seconds(std::stoll(*row.at(0, 3)));
    d.review_sample_percent = std::stoi(*row.at(0, 4));
    co_return d;
}

asio::awaitable<error_code> staff_store::async_set_desk_settings(std::string clinic_id, desk_settings d) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(text(std::to_string(d.renotify_after.count())));
    ps.push_back(text(std::to_string(d.oncall_after.count())));
    ps.push_back(d.oncall_webhook_url ? text(*d.oncall_webhook_url) : null());
    ps.push_back(text(std::to_string(d.repeat_window.count())));
    ps.push_back(text(std::to_string(d.review_sample_percent)));
    std::vector<statement> sts;
    sts.push_back({"UPDATE clinics SET sla_renotify_s = $2::integer, sla_oncall_s = $3::integer, "
                   "oncall_webhook_url = $4::text, repeat_window_s = $5::integer, review_sample_percent = $6::integer "
                   "WHERE id = $1::uuid RETURNING id",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    if (r->at(0).size() != 1) co_return error_code(errc::not_found);
    co_return error_code{};
}

asio::awaitable<result<std::vector<audit_record>>> staff_store::async_audit_of_conversation(
    std::string clinic_id, std::string conversation_id, std::string escalation_id) {
    std::vector<param> ps;
    ps.push_back(text(clinic_id));
    ps.push_back(text(std::move(conversation_id)));
    ps.push_back(text(std::move(escalation_id)));
    std::vector<statement> sts;
    sts.push_back({"SELECT " + micros("at") + ", actor, action, detail::text FROM audit_events "
                   "WHERE clinic_id = $1::uuid AND (conversation_id = $2::uuid OR detail->>'escalation' = $3::text) "
                   "ORDER BY id LIMIT 1000",
                   std::move(ps)});
    auto r = co_await scoped(std::move(clinic_id), std::move(sts));
    if (!r) co_return r.error();
    const rows& found = r->at(0);
    std::vector<audit_record> out;
    out.reserve(found.size());
    for (std::size_t i = 0; i < found.size(); ++i)
        out.push_back({to_timestamp(*found.at(i, 0)), *found.at(i, 1), *found.at(i, 2), *found.at(i, 3)});
    co_return out;
}

}  // namespace triage::integrations::postgres

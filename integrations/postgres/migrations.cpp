#include "integrations/postgres/migrations.hpp"

#include "integrations/errc.hpp"

namespace asio = boost::asio;

namespace triage::integrations::postgres {

// Defined in the generated migrations_data.cpp.
extern const std::vector<migration> embedded_migrations;

const std::vector<migration>& all_migrations() { return embedded_migrations; }

asio::awaitable<boost::system::result<int>> async_schema_version(connection& conn) {
    statement st{"SELECT coalesce(max(version), 0) FROM schema_migrations", {}};
    auto r = co_await conn.async_query(std::move(st));
    if (!r) {
        if (r.error() == errc::pg_query_failed) co_return 0;  // table missing: nothing applied yet
        co_return r.error();
    }
    co_return std::stoi(r->at(0, 0).value_or("0"));
}

asio::awaitable<boost::system::result<int>> async_migrate(connection& conn) {
    if (auto ec = co_await conn.async_script(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())"))
        co_return ec;
    int applied = 0;
    for (const auto& m : all_migrations()) {
        std::string script = "BEGIN; SELECT pg_advisory_xact_lock(727274); DO $m$ BEGIN IF EXISTS (SELECT 1 FROM "
                             "schema_migrations WHERE version = " + std::to_string(m.version) +
                             ") THEN RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'already applied'; END IF; "
                             "END $m$;\n";
        script += m.sql;
        script += "\nINSERT INTO schema_migrations (version, name) VALUES (" + std::to_string(m.version) + ", '" +
                  std::string(m.name) + "'); COMMIT;";
        auto ver = co_await async_schema_version(conn);
        if (!ver) co_return ver.error();
        if (*ver >= m.version) continue;
        if (auto ec = co_await conn.async_script(script)) {
            // Another instance applied it between our check and our lock: roll back and go on.
            co_await conn.async_script("ROLLBACK");
            auto again = co_await async_schema_version(conn);
            if (again && *again >= m.version) continue;
            co_return ec;
        }
        ++applied;
    }
    co_return applied;
}

}  // namespace triage::integrations::postgres

// The PostgreSQL backend: one database shared by any number of scimd instances, which hold no state
// of their own. The database holds every invariant: userName unique per tenant in any case and
// group displayName unique per tenant (unique indexes), read-modify-write of a resource serialised
// by a row lock (WriteTxn::Get locks the row it reads), membership as rows, OAuth codes and refresh
// tokens consumed once (UPDATE ... WHERE used IS NULL), a tenant's change events numbered in commit
// order (a per-tenant advisory lock taken just before COMMIT), webhook fan-out serialised per
// webhook (the webhook row is locked).
//
// Threads: every method is thread-safe. Reads run on the caller's thread on a pooled connection.
// Writes go to a queue served by `writers` threads, each with its own connection; a writer commits
// the writes queued at that moment (up to max_batch) in one transaction, each in its own savepoint
// (group commit, decisions/0009), so one write's failure never undoes another's; a write's
// completion runs on that writer thread once COMMIT has returned (durable: synchronous_commit on).
//
// Connection loss (the server restarts, the network drops): the statements in flight fail with
// kUnavailable (503 with a SCIM error body), the pool drops its idle connections, and later
// requests connect afresh. A read whose connection died while idle is retried once on a new one.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "storage/store.h"

namespace scim::storage {

struct PostgresOptions {
  std::string url;               // postgres://user:password@host:port/database?sslmode=...
  size_t read_connections = 8;   // at most this many reads at once; more wait (up to 5 s)
  size_t writers = 1;            // writer threads, one connection each (decisions/0009)
  size_t max_batch = 32;         // writes per transaction (each in a savepoint when > 1)
};

// Whether a `storage` setting names a PostgreSQL database (postgres:// or postgresql://).
bool IsPostgresUrl(std::string_view storage);

// Connects, brings the schema up to date (migrations run once even when several instances start
// together) and starts the writers.
// Errors: kUnavailable when the server cannot be reached; kInternal when the database was written
// by a newer scimd (its schema version is unknown to this binary) or a migration fails.
Result<std::unique_ptr<Store>> OpenPostgresStore(const PostgresOptions& options);

// Only the migrations (`scimd migrate`, and before opening): the schema version the database was
// at (0: it had no scimd schema) and the one it is at now. Errors: as OpenPostgresStore.
struct MigrationOutcome {
  int from = 0;
  int to = 0;
};
Result<MigrationOutcome> MigratePostgres(const std::string& url);

// The schema version this scimd writes.
int PostgresSchemaVersion();

}  // namespace scim::storage

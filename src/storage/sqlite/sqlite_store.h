// The embedded SQLite backend: one database file, WAL mode, synchronous=FULL (a committed write
// survives kill -9 and power loss), readers on their own connections, one writer thread that
// commits whatever requests are queued in one transaction (group commit), each in a savepoint.
// Several processes may open the same file (the CLI while the server runs): SQLite's locking and a
// busy timeout serialise their writers, and readers always see the latest commit.
#pragma once

#include <memory>
#include <string>

#include "storage/store.h"

namespace scim::storage {

// Opens or creates the database at `path` and brings its schema up to date.
// Errors: kUnavailable when the file cannot be opened or is locked for too long; kInternal when the
// database was written by a newer scimd (its schema version is unknown to this binary).
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

// The schema version this scimd writes (PRAGMA user_version of its databases).
int SqliteSchemaVersion();

}  // namespace scim::storage

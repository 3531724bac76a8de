// Online backup and restore of the embedded SQLite database, with SQLite's backup API: the copy is
// one consistent snapshot taken while the server keeps serving (in WAL mode a reader never blocks
// the writer), and a restore replaces the live database's content in one transaction, so a running
// server answers from the restored data on its next request.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"

namespace scim::storage {

struct BackupSummary {
  int64_t bytes = 0;
  int schema_version = 0;
  int64_t tenants = 0;
  int64_t users = 0;
  int64_t groups = 0;
  int64_t events = 0;
};

// Copies the database at `db_path` into the new file `file` (written beside it as FILE.partial,
// checked with PRAGMA integrity_check, then renamed: never half a backup under the final name).
// The copy is a single self-contained file (rollback journal, not WAL).
// Errors: kConflict when `file` exists; kUnavailable when either file cannot be opened or written;
// kInternal when the copy fails its integrity check.
core::Result<BackupSummary> BackupDatabase(const std::string& db_path, const std::string& file);

// What `file` holds, after checking that it is a scimd database this binary can open: an SQLite
// file that passes integrity_check, with scimd's tables and a schema version not newer than this
// scimd's. Errors: kInvalidValue saying which check failed.
core::Result<BackupSummary> InspectBackup(const std::string& file);

// Replaces the content of the database at `db_path` (created when missing) with `file`'s, in one
// write transaction, after InspectBackup; then brings the schema up to date (an older backup).
// Errors: as InspectBackup; kUnavailable when the live database stays locked (5 s) or cannot be
// written. On any error the live database is unchanged.
core::Result<BackupSummary> RestoreDatabase(const std::string& file, const std::string& db_path);

// What the database at `db_path` holds (for `scimd restore` to say what it replaces).
core::Result<BackupSummary> SummarizeDatabase(const std::string& db_path);

}  // namespace scim::storage

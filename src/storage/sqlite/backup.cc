#include "storage/sqlite/backup.h"

#include <sqlite3.h>

#include <filesystem>
#include <system_error>

#include "storage/sqlite/connection.h"
#include "storage/sqlite/sqlite_store.h"

namespace scim::storage {
namespace {

using core::ErrorType;
using core::Fail;
using sqlite::Connection;

// Copies every page of `from` into `to` in one step (one read snapshot of `from`, one write
// transaction on `to`).
core::Result<void> CopyPages(sqlite3* from, sqlite3* to) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr) return std::unexpected(sqlite::SqliteError(sqlite3_errcode(to), sqlite3_errmsg(to)));
  int rc = sqlite3_backup_step(backup, -1);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return std::unexpected(sqlite::SqliteError(rc, sqlite3_errmsg(to)));
  return {};
}

core::Result<int64_t> Scalar(Connection& db, const std::string& sql) {
  auto s = db.Prepare(sql);
  if (!s) return std::unexpected(s.error());
  auto row = s->Step();
  if (!row) return std::unexpected(row.error());
  return *row ? s->Int(0) : 0;
}

core::Result<BackupSummary> Summarize(Connection& db, const std::string& path) {
  BackupSummary summary;
  std::error_code ec;
  summary.bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  auto version = Scalar(db, "PRAGMA user_version");
  if (!version) return std::unexpected(version.error());
  summary.schema_version = static_cast<int>(*version);
  struct Count {
    const char* sql;
    int64_t* into;
  } counts[] = {{"SELECT count(*) FROM tenants", &summary.tenants},
                {"SELECT count(*) FROM resources WHERE kind = 1", &summary.users},
                {"SELECT count(*) FROM resources WHERE kind = 2", &summary.groups}};
  for (const auto& c : counts) {
    auto n = Scalar(db, c.sql);
    if (!n) return std::unexpected(n.error());
    *c.into = *n;
  }
  if (summary.schema_version >= 3) {  // the outbox came with schema 3
    auto n = Scalar(db, "SELECT count(*) FROM events");
    if (!n) return std::unexpected(n.error());
    summary.events = *n;
  }
  return summary;
}

}  // namespace

core::Result<BackupSummary> BackupDatabase(const std::string& db_path, const std::string& file) {
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    return Fail(ErrorType::kConflict, "'" + file + "' exists; a backup never overwrites a file (remove it first)");
  }
  auto source = Connection::Open(db_path, /*read_only=*/true);
  if (!source) return std::unexpected(source.error());
  std::string partial = file + ".partial";
  std::filesystem::remove(partial, ec);
  {
    auto target = Connection::Open(partial, /*read_only=*/false);
    if (!target) return std::unexpected(target.error());
    if (auto r = CopyPages((*source)->handle(), (*target)->handle()); !r) {
      std::filesystem::remove(partial, ec);
      return std::unexpected(r.error());
    }
    // One file on its own: no -wal beside it.
    if (auto r = (*target)->Exec("PRAGMA journal_mode=DELETE"); !r) {
      std::filesystem::remove(partial, ec);
      return std::unexpected(r.error());
    }
  }
  auto summary = InspectBackup(partial);
  if (!summary) {
    std::filesystem::remove(partial, ec);
    return Fail(ErrorType::kInternal, "the copy failed its check: " + summary.error().detail);
  }
  std::filesystem::rename(partial, file, ec);
  if (ec) {
    std::filesystem::remove(partial, ec);
    return Fail(ErrorType::kUnavailable, "cannot rename the backup to '" + file + "': " + ec.message());
  }
  summary->bytes = static_cast<int64_t>(std::filesystem::file_size(file, ec));
  return summary;
}

core::Result<BackupSummary> InspectBackup(const std::string& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return Fail(ErrorType::kInvalidValue, "no file '" + file + "'");
  auto db = Connection::Open(file, /*read_only=*/true);
  if (!db) {
    return Fail(ErrorType::kInvalidValue, "'" + file + "' is not an SQLite database, or cannot be read (" +
                                              db.error().detail + ")");
  }
  auto check = (*db)->Prepare("PRAGMA integrity_check");
  if (!check) return Fail(ErrorType::kInvalidValue, "'" + file + "' is not an SQLite database");
  auto row = check->Step();
  if (!row || !*row || check->Text(0) != "ok") {
    return Fail(ErrorType::kInvalidValue,
                "'" + file + "' is damaged or not an SQLite database (integrity_check: " +
                    (row && *row ? check->Text(0) : row ? std::string("no answer") : row.error().detail) + ")");
  }
  auto version = Scalar(**db, "PRAGMA user_version");
  if (!version) return Fail(ErrorType::kInvalidValue, version.error().detail);
  auto tables = Scalar(**db,
                       "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('tenants', 'tokens', "
                       "'resources', 'memberships')");
  if (!tables || *tables != 4 || *version < 1) {
    return Fail(ErrorType::kInvalidValue, "'" + file + "' is an SQLite database but not one of scimd's");
  }
  if (*version > SqliteSchemaVersion()) {
    return Fail(ErrorType::kInvalidValue, "'" + file + "' has schema version " + std::to_string(*version) +
                                              ", written by a newer scimd (this one knows up to " +
                                              std::to_string(SqliteSchemaVersion()) + "); upgrade scimd first");
  }
  return Summarize(**db, file);
}

core::Result<BackupSummary> RestoreDatabase(const std::string& file, const std::string& db_path) {
  auto summary = InspectBackup(file);
  if (!summary) return std::unexpected(summary.error());
  auto source = Connection::Open(file, /*read_only=*/true);
  if (!source) return std::unexpected(source.error());
  {
    auto live = Connection::Open(db_path, /*read_only=*/false);
    if (!live) return std::unexpected(live.error());
    if (auto r = (*live)->Exec("PRAGMA journal_mode=WAL"); !r) return std::unexpected(r.error());
    if (auto r = CopyPages((*source)->handle(), (*live)->handle()); !r) return std::unexpected(r.error());
    // The copied header says journal_mode=DELETE (backups are single files); scimd runs in WAL.
    if (auto r = (*live)->Exec("PRAGMA journal_mode=WAL"); !r) return std::unexpected(r.error());
  }
  // An older backup gets today's schema (the store migrates when it opens).
  auto store = OpenSqliteStore(db_path);
  if (!store) return std::unexpected(store.error());
  store->reset();
  return SummarizeDatabase(db_path);
}

core::Result<BackupSummary> SummarizeDatabase(const std::string& db_path) {
  auto db = Connection::Open(db_path, /*read_only=*/true);
  if (!db) return std::unexpected(db.error());
  return Summarize(**db, db_path);
}

}  // namespace scim::storage

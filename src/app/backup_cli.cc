// `scimd backup` and `scimd restore`: online copies of the SQLite database (docs/operations.md).
// Both work while a server uses the data directory. `scimd migrate`: the schema, on either engine.
#include <fmt/format.h>

#include <filesystem>
#include <system_error>

#include "app/commands.h"
#include "app/wiring.h"
#include "storage/sqlite/backup.h"

namespace scim::app {
namespace {

std::string Describe(const storage::BackupSummary& s) {
  return fmt::format("{} tenant(s), {} user(s), {} group(s), {} event(s); schema version {}, {:.1f} MB", s.tenants,
                     s.users, s.groups, s.events, s.schema_version, static_cast<double>(s.bytes) / 1e6);
}

int ExitFor(const core::Error& error) {
  return error.type == core::ErrorType::kUnavailable || error.type == core::ErrorType::kInternal ? kExitFailure
                                                                                                  : kExitUsage;
}

// PostgreSQL has its own tools for this; scimd's backup copies the SQLite file.
bool RefusePostgres(const Config& config, const char* command) {
  if (!config.storage.starts_with("postgres")) return false;
  PrintError(std::string("'scimd ") + command + "' copies the SQLite database; with PostgreSQL storage use pg_dump and " +
             "pg_restore (docs/postgres.md)");
  return true;
}

}  // namespace

int Migrate(const CommonFlags& flags) {
  auto config = LoadEffectiveConfig(flags);
  if (!config) return config.error();
  auto migrated = MigrateStorage(*config);
  if (!migrated) {
    PrintError(migrated.error().detail);
    return ExitFor(migrated.error());
  }
  fmt::print("{}\n", *migrated);
  return kExitOk;
}

int Backup(const CommonFlags& flags, const std::string& file) {
  auto config = LoadEffectiveConfig(flags);
  if (!config) return config.error();
  if (RefusePostgres(*config, "backup")) return kExitUsage;
  std::string db_path = DatabasePath(*config);
  std::error_code ec;
  if (!std::filesystem::exists(db_path, ec)) {
    PrintError("no database in '" + config->data_dir + "' (pass --data DIR)");
    return kExitFailure;
  }
  auto summary = storage::BackupDatabase(db_path, file);
  if (!summary) {
    PrintError(summary.error().detail);
    return ExitFor(summary.error());
  }
  fmt::print("Backed up {} to {}: {}\n", db_path, file, Describe(*summary));
  return kExitOk;
}

int Restore(const CommonFlags& flags, const std::string& file, bool force) {
  auto config = LoadEffectiveConfig(flags);
  if (!config) return config.error();
  if (RefusePostgres(*config, "restore")) return kExitUsage;
  auto incoming = storage::InspectBackup(file);
  if (!incoming) {
    PrintError(incoming.error().detail);
    return kExitUsage;
  }
  std::error_code ec;
  std::filesystem::create_directories(config->data_dir, ec);
  std::string db_path = DatabasePath(*config);
  if (std::filesystem::exists(db_path, ec)) {
    auto current = storage::SummarizeDatabase(db_path);
    if (!current) {
      PrintError("cannot read the current database: " + current.error().detail);
      return kExitFailure;
    }
    if ((current->users > 0 || current->groups > 0 || current->tenants > 1) && !force) {
      PrintError("the database in '" + config->data_dir + "' holds " + Describe(*current) +
                 "; restoring replaces all of it. Run again with --force to do so.");
      return kExitUsage;
    }
  }
  auto restored = storage::RestoreDatabase(file, db_path);
  if (!restored) {
    PrintError(restored.error().detail);
    return ExitFor(restored.error());
  }
  fmt::print("Restored {} into {}: {}. A running server answers from it on its next request.\n", file, db_path,
             Describe(*restored));
  return kExitOk;
}

}  // namespace scim::app

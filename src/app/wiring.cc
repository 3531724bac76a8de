#include "app/wiring.h"
#include "core/json.h"

#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <system_error>

#include "auth/crypto.h"
#include "storage/postgres/postgres_store.h"
#include "storage/sqlite/sqlite_store.h"

namespace scim::app {

core::Result<Config> EffectiveConfig(const CommonFlags& flags, const std::optional<std::string>& listen) {
  auto config = LoadConfig(flags.config_file);
  if (!config) return config;
  if (flags.data_dir) config->data_dir = *flags.data_dir;
  if (listen) config->listen = *listen;
  return config;
}

std::expected<Config, int> LoadEffectiveConfig(const CommonFlags& flags, const std::optional<std::string>& listen) {
  auto config = EffectiveConfig(flags, listen);
  if (!config) {
    fmt::print(stderr, "scimd: error: {}\n", config.error().detail);
    return std::unexpected(kExitUsage);
  }
  return *config;
}

std::expected<Environment, int> OpenEnvironment(const CommonFlags& flags, bool create_data_dir,
                                                const std::optional<std::string>& listen) {
  auto config = LoadEffectiveConfig(flags, listen);
  if (!config) return std::unexpected(config.error());
  if (!auth::InitCrypto()) {
    fmt::print(stderr, "scimd: error: libsodium could not initialise (no entropy source?)\n");
    return std::unexpected(kExitFailure);
  }
  if (storage::IsPostgresUrl(config->storage)) {
    // Every instance migrates at start (one at a time: the migrations take a lock); the one that
    // created the schema seeds the demo tenant, as the first start on a new SQLite file does.
    auto migrated = storage::MigratePostgres(config->storage);
    if (!migrated) {
      fmt::print(stderr, "scimd: error: {}\n", migrated.error().detail);
      return std::unexpected(kExitFailure);
    }
    auto store = storage::OpenPostgresStore(storage::PostgresOptions{.url = config->storage});
    if (!store) {
      fmt::print(stderr, "scimd: error: {}\n", store.error().detail);
      return std::unexpected(kExitFailure);
    }
    bool fresh = migrated->from == 0 && create_data_dir;
    return Environment{std::move(*config), std::move(*store), fresh};
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(config->data_dir, ec)) {
    if (!create_data_dir) {
      fmt::print(stderr, "scimd: error: data directory '{}' does not exist (start 'scimd serve' or pass --data DIR)\n",
                 config->data_dir);
      return std::unexpected(kExitFailure);
    }
    std::filesystem::create_directories(config->data_dir, ec);
    if (ec) {
      fmt::print(stderr, "scimd: error: cannot create data directory '{}': {}\n", config->data_dir, ec.message());
      return std::unexpected(kExitFailure);
    }
  }
  std::string db_path = DatabasePath(*config);
  bool fresh = !std::filesystem::exists(db_path, ec);
  if (fresh && !create_data_dir) {
    fmt::print(stderr, "scimd: error: no database in '{}' (start 'scimd serve' first or pass --data DIR)\n",
               config->data_dir);
    return std::unexpected(kExitFailure);
  }
  auto store = storage::OpenSqliteStore(db_path);
  if (!store) {
    fmt::print(stderr, "scimd: error: {}\n", store.error().detail);
    return std::unexpected(kExitFailure);
  }
  return Environment{std::move(*config), std::move(*store), fresh};
}

core::Result<std::string> MigrateStorage(const Config& config) {
  if (storage::IsPostgresUrl(config.storage)) {
    auto migrated = storage::MigratePostgres(config.storage);
    if (!migrated) return std::unexpected(migrated.error());
    if (migrated->from == migrated->to) {
      return fmt::format("The PostgreSQL schema is at version {}, this scimd's: nothing to do.", migrated->to);
    }
    return fmt::format("Migrated the PostgreSQL schema from version {} to {}.", migrated->from, migrated->to);
  }
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return core::Fail(core::ErrorType::kUnavailable, "cannot create '" + config.data_dir + "': " + ec.message());
  auto store = storage::OpenSqliteStore(DatabasePath(config));  // migrates on open
  if (!store) return std::unexpected(store.error());
  return fmt::format("The SQLite database {} is at schema version {}.", DatabasePath(config),
                     storage::SqliteSchemaVersion());
}

void PrintError(const std::string& message) { fmt::print(stderr, "scimd: error: {}\n", message); }

int FailWith(const core::Error& error) {
  PrintError(error.detail);
  switch (error.type) {
    case core::ErrorType::kInvalidValue:
    case core::ErrorType::kConflict:
    case core::ErrorType::kUniqueness:
      return kExitUsage;
    case core::ErrorType::kNotFound:
      return kExitNotFound;
    default:
      return kExitFailure;
  }
}

std::expected<std::string, int> ReadPasswordFromStdin(std::string_view example) {
  std::string password;
  if (!std::getline(std::cin, password) && password.empty()) {
    PrintError(fmt::format("no password on standard input (e.g. {})", example));
    return std::unexpected(kExitUsage);
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

int WriteExisting(storage::Store& store, const std::function<core::Result<bool>(storage::WriteTxn&)>& change,
                  const std::string& missing, const std::optional<storage::AuditEntry>& audit) {
  bool found = false;
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> core::Result<void> {
    auto done = change(txn);
    if (!done) return std::unexpected(done.error());
    found = *done;
    if (found && audit) return txn.AppendAudit(*audit);
    return {};
  });
  if (!r) {
    PrintError(r.error().detail);
    return kExitFailure;
  }
  if (!found) {
    PrintError(missing);
    return kExitNotFound;
  }
  return kExitOk;
}

auth::Actor CliActor() {
  std::string user = "uid " + std::to_string(::geteuid());
  if (passwd* entry = ::getpwuid(::geteuid()); entry != nullptr && entry->pw_name != nullptr) user = entry->pw_name;
  return auth::Actor{"cli:" + user, "local"};
}

storage::AuditEntry CliAudit(std::string action, std::string tenant_name, std::string target, std::string detail) {
  return auth::AuditOf(CliActor(), std::move(action), std::move(tenant_name), std::move(target), std::move(detail));
}

std::expected<storage::Tenant, int> RequireTenant(storage::Store& store, const std::string& name) {
  auto tenant = store.FindTenant(name);
  if (!tenant) {
    PrintError(tenant.error().detail);
    return std::unexpected(kExitFailure);
  }
  if (!*tenant) {
    PrintError("no tenant named '" + name + "' (see: scimd tenant list)");
    return std::unexpected(kExitNotFound);
  }
  return **tenant;
}

}  // namespace scim::app

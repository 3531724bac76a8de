#include "app/wiring.h"
#include "core/json.h"

#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <filesystem>
#include <system_error>

#include "api/scim_api.h"
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

core::Result<void> ValidateTenantName(const std::string& name) {
  auto invalid = [&](std::string why) {
    return core::Fail(core::ErrorType::kInvalidValue, "invalid tenant name '" + name + "': " + why);
  };
  if (name.empty() || name.size() > 63) return invalid("it must be 1 to 63 characters long");
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front())) return invalid("it must start with a letter or a digit");
  for (char c : name) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return invalid("use only letters, digits, '-', '_' and '.'");
  }
  if (api::ScimApi::IsReservedTenantName(name)) return invalid("it is the name of a SCIM endpoint");
  return {};
}

void PrintError(const std::string& message) { fmt::print(stderr, "scimd: error: {}\n", message); }

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

storage::AuditEntry CliAudit(std::string action, std::string tenant_name, std::string target, std::string detail) {
  std::string user = "uid " + std::to_string(::geteuid());
  if (passwd* entry = ::getpwuid(::geteuid()); entry != nullptr && entry->pw_name != nullptr) user = entry->pw_name;
  storage::AuditEntry audit;
  audit.time = api::NowRfc3339();
  audit.actor = "cli:" + user;
  audit.source = "local";
  audit.action = std::move(action);
  audit.tenant_name = std::move(tenant_name);
  audit.target = std::move(target);
  audit.detail = std::move(detail);
  return audit;
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

core::Result<storage::Tenant> CreateTenant(storage::Store& store, const std::string& name) {
  if (auto valid = ValidateTenantName(name); !valid) return std::unexpected(valid.error());
  storage::Tenant tenant;
  std::string now = api::NowRfc3339();
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> core::Result<void> {
    auto created = txn.CreateTenant(name, now);
    if (!created) return std::unexpected(created.error());
    tenant = *created;
    return txn.AppendAudit(CliAudit("tenant.create", tenant.name, tenant.name));
  });
  if (!r) return std::unexpected(r.error());
  return tenant;
}

namespace {

// A new token's record and secret; `label` and `expires` as given.
std::pair<storage::TokenRecord, IssuedToken> NewToken(const storage::Tenant& tenant, const std::string& label,
                                                      const std::optional<std::string>& expires) {
  IssuedToken issued{"tok_" + auth::RandomHex(8), auth::NewTokenSecret()};
  storage::TokenRecord record;
  record.id = issued.id;
  record.tenant = tenant.id;
  record.label = label;
  record.created = api::NowRfc3339();
  record.expires = expires;
  return {record, issued};
}

}  // namespace

core::Result<IssuedToken> IssueToken(storage::Store& store, const storage::Tenant& tenant, const std::string& label,
                                     const std::optional<std::string>& expires) {
  auto [record, issued] = NewToken(tenant, label, expires);
  std::string hash = auth::HashTokenSecret(issued.secret);
  core::Json detail = {{"label", label}, {"expires", expires.value_or("")}};
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> core::Result<void> {
    if (auto inserted = txn.InsertToken(record, hash); !inserted) return inserted;
    return txn.AppendAudit(CliAudit("token.issue", tenant.name, record.id, core::DumpJson(detail)));
  });
  if (!r) return std::unexpected(r.error());
  return issued;
}

core::Result<IssuedToken> RotateToken(storage::Store& store, const storage::Tenant& tenant, const std::string& old_token_id,
                                      const std::string& label, const std::string& old_expires) {
  auto [record, issued] = NewToken(tenant, label, std::nullopt);
  std::string hash = auth::HashTokenSecret(issued.secret);
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> core::Result<void> {
    auto expired = txn.ExpireToken(tenant.id, old_token_id, old_expires);
    if (!expired) return std::unexpected(expired.error());
    if (!*expired) {
      return core::Fail(core::ErrorType::kNotFound, "tenant '" + tenant.name + "' has no live token '" + old_token_id +
                                                        "' (see: scimd token list " + tenant.name + ")");
    }
    if (auto inserted = txn.InsertToken(record, hash); !inserted) return inserted;
    core::Json detail = {{"replaces", old_token_id}, {"old_expires", old_expires}, {"label", label}};
    return txn.AppendAudit(CliAudit("token.rotate", tenant.name, record.id, core::DumpJson(detail)));
  });
  if (!r) return std::unexpected(r.error());
  return issued;
}

}  // namespace scim::app

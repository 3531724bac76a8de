// Builds what the commands need from the configuration: the only code that names a concrete
// storage backend (STYLE §3.19).
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/commands.h"
#include "app/config.h"
#include "core/error.h"
#include "storage/store.h"

namespace scim::app {

struct Environment {
  Config config;
  std::unique_ptr<storage::Store> store;
  bool fresh = false;  // the database did not exist before this start
};

// The configuration: flags over environment over file over defaults. Errors: kInvalidValue.
core::Result<Config> EffectiveConfig(const CommonFlags& flags, const std::optional<std::string>& listen = std::nullopt);

// The same; on failure prints why to stderr and returns the exit code.
std::expected<Config, int> LoadEffectiveConfig(const CommonFlags& flags,
                                               const std::optional<std::string>& listen = std::nullopt);

// Loads the configuration (flags over environment over file over defaults), initialises crypto
// and opens the database. On failure prints why to stderr and returns the exit code.
std::expected<Environment, int> OpenEnvironment(const CommonFlags& flags, bool create_data_dir,
                                                const std::optional<std::string>& listen = std::nullopt);

// Brings the configured database's schema up to date (`scimd migrate`; serve does it too) and
// says what it did. Errors: kUnavailable (cannot reach or create it), kInternal (a newer schema).
core::Result<std::string> MigrateStorage(const Config& config);

// Tenant names are URL path segments: 1-63 of [A-Za-z0-9._-], starting with a letter or digit,
// and never an endpoint name of the shared base URL. Errors: kInvalidValue saying what is allowed.
core::Result<void> ValidateTenantName(const std::string& name);

core::Result<storage::Tenant> CreateTenant(storage::Store& store, const std::string& name);

// CLI helpers. "scimd: error: MESSAGE" on stderr.
void PrintError(const std::string& message);
// Runs `change` on the writer; it says whether what it changes exists. Returns kExitOk, or after
// printing why: kExitFailure (database) or kExitNotFound with `missing`.
// When `audit` is given, it is appended in the same transaction if the change found its target.
int WriteExisting(storage::Store& store, const std::function<core::Result<bool>(storage::WriteTxn&)>& change,
                  const std::string& missing, const std::optional<storage::AuditEntry>& audit = std::nullopt);

// An audit entry for a CLI action (docs/audit.md): the actor is "cli:" + the user running scimd,
// the source "local". `detail` is a JSON object's text ("{}" when empty); never a secret.
storage::AuditEntry CliAudit(std::string action, std::string tenant_name, std::string target,
                             std::string detail = "{}");
// The tenant named `name`, or an exit code after saying why there is none.
std::expected<storage::Tenant, int> RequireTenant(storage::Store& store, const std::string& name);

struct IssuedToken {
  std::string id;
  std::string secret;
};
core::Result<IssuedToken> IssueToken(storage::Store& store, const storage::Tenant& tenant, const std::string& label,
                                     const std::optional<std::string>& expires);
// A new token, and `old_token_id` expiring at `old_expires` at the latest, in one transaction.
// Errors: kNotFound when the tenant has no such live token.
core::Result<IssuedToken> RotateToken(storage::Store& store, const storage::Tenant& tenant, const std::string& old_token_id,
                                      const std::string& label, const std::string& old_expires);

}  // namespace scim::app

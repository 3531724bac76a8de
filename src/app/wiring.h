// Builds what the commands need from the configuration: the only code that names a concrete
// storage backend (STYLE §3.19).
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "app/commands.h"
#include "app/config.h"
#include "auth/administration.h"
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

// CLI helpers. "scimd: error: MESSAGE" on stderr.
void PrintError(const std::string& message);
// Prints `error` and returns its exit code: kExitUsage for input the user can correct
// (kInvalidValue, a name taken), kExitNotFound, else kExitFailure.
int FailWith(const core::Error& error);
// One line of standard input (a password: never on the command line, where other users of the
// machine could read it). On failure prints why, with `example` of a command that works, and
// returns kExitUsage.
std::expected<std::string, int> ReadPasswordFromStdin(std::string_view example);
// Runs `change` on the writer; it says whether what it changes exists. Returns kExitOk, or after
// printing why: kExitFailure (database) or kExitNotFound with `missing`.
// When `audit` is given, it is appended in the same transaction if the change found its target.
int WriteExisting(storage::Store& store, const std::function<core::Result<bool>(storage::WriteTxn&)>& change,
                  const std::string& missing, const std::optional<storage::AuditEntry>& audit = std::nullopt);

// Who acts for the audit log when the CLI changes something (docs/audit.md): "cli:" + the user
// running scimd, from "local".
auth::Actor CliActor();
// An audit entry for a CLI action by CliActor(). `detail` is a JSON object's text; never a secret.
storage::AuditEntry CliAudit(std::string action, std::string tenant_name, std::string target,
                             std::string detail = "{}");
// The tenant named `name`, or an exit code after saying why there is none.
std::expected<storage::Tenant, int> RequireTenant(storage::Store& store, const std::string& name);

}  // namespace scim::app

// `scimd operator create|list|delete|password|key`: the admin API's operator accounts
// (docs/admin-api.md). `operator create` bootstraps the first operator; the rest is also on the
// admin API. Like the other commands they work on the data directory a running server uses.
#include <fmt/format.h>

#include "app/commands.h"
#include "app/wiring.h"
#include "auth/admin_accounts.h"

namespace scim::app {
namespace {

// The operator named `name`, or an exit code after saying why there is none.
std::expected<storage::AdminAccount, int> RequireOperator(storage::Store& store, const std::string& name) {
  auto account = store.FindAdminAccount(name);
  if (!account) return std::unexpected(FailWith(account.error()));
  if (!*account || (*account)->role != auth::kOperatorRole) {
    return std::unexpected(
        FailWith({core::ErrorType::kNotFound, "no operator named '" + name + "' (see: scimd operator list)"}));
  }
  return **account;
}

}  // namespace

int OperatorCreate(const CommonFlags& flags, const std::string& name) {
  if (auto valid = auth::ValidateAccountName(name); !valid) return FailWith(valid.error());
  auto password = ReadPasswordFromStdin("echo \"$PASSWORD\" | scimd operator create NAME");
  if (!password) return password.error();
  auto env = OpenEnvironment(flags, /*create_data_dir=*/true);
  if (!env) return env.error();
  auto account = auth::CreateAdminAccount(*env->store, name, *password, std::nullopt, CliActor());
  if (!account) return FailWith(account.error());
  fmt::print("Created operator '{}' ({}). Log in with POST /api/v1/admin/login, or issue an API key with: "
             "scimd operator key {}\n",
             account->name, account->id, account->name);
  return kExitOk;
}

int OperatorList(const CommonFlags& flags) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto accounts = env->store->ListAdminAccounts(std::nullopt);
  if (!accounts) return FailWith(accounts.error());
  fmt::print("{:<22} {:<32} {:<14} {:<20} {}\n", "ID", "NAME", "ROLE", "TENANT", "CREATED");
  for (const auto& a : *accounts) {
    fmt::print("{:<22} {:<32} {:<14} {:<20} {}\n", a.id, a.name, a.role, a.tenant ? a.tenant_name : "-", a.created);
  }
  return kExitOk;
}

int OperatorDelete(const CommonFlags& flags, const std::string& name) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto account = RequireOperator(*env->store, name);
  if (!account) return account.error();
  auto deleted = auth::DeleteAdminAccount(*env->store, *account, CliActor());
  if (!deleted) return FailWith(deleted.error());
  if (!*deleted) return FailWith({core::ErrorType::kNotFound, "no operator named '" + name + "'"});
  fmt::print("Deleted operator '{}' with its sessions and API keys.\n", name);
  return kExitOk;
}

int OperatorPassword(const CommonFlags& flags, const std::string& name) {
  auto password = ReadPasswordFromStdin("echo \"$PASSWORD\" | scimd operator password NAME");
  if (!password) return password.error();
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto account = RequireOperator(*env->store, name);
  if (!account) return account.error();
  if (auto set = auth::SetAdminPassword(*env->store, *account, *password, CliActor()); !set) {
    return FailWith(set.error());
  }
  fmt::print("Operator '{}' has a new password; its console sessions have ended.\n", name);
  return kExitOk;
}

int OperatorKey(const CommonFlags& flags, const std::string& name, const std::string& label) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto account = RequireOperator(*env->store, name);
  if (!account) return account.error();
  auto issued = auth::IssueAdminKey(*env->store, *account, label, CliActor());
  if (!issued) return FailWith(issued.error());
  // Everything but the key goes to stderr so that `KEY=$(scimd operator key alice)` works.
  fmt::print(stderr, "Issued admin API key {} for operator '{}'. It is shown once; store it now.\n",
             issued->record.id, name);
  fmt::print("{}\n", issued->secret);
  return kExitOk;
}

}  // namespace scim::app

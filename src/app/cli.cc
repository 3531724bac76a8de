// tenant, token, login and audit subcommands: they open the same database as a running server
// (SQLite allows it) and what they change is seen by that server on its next request.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "api/scim_api.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/wiring.h"
#include "auth/administration.h"
#include "core/json.h"
#include "core/tenant_settings.h"

namespace scim::app {


int TenantCreate(const CommonFlags& flags, const std::string& name) {
  if (auto valid = core::ValidateTenantName(name); !valid) return FailWith(valid.error());
  auto env = OpenEnvironment(flags, /*create_data_dir=*/true);
  if (!env) return env.error();
  auto created = auth::CreateTenant(*env->store, name, CliActor());
  if (!created) return FailWith(created.error());
  fmt::print("Created tenant '{}'. Issue its token with: scimd token issue {}\n", name, name);
  return kExitOk;
}

int TenantList(const CommonFlags& flags) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenants = env->store->ListTenants();
  if (!tenants) {
    PrintError(tenants.error().detail);
    return kExitFailure;
  }
  fmt::print("{:<32} {}\n", "NAME", "CREATED");
  for (const auto& t : *tenants) fmt::print("{:<32} {}\n", t.name, t.created);
  return kExitOk;
}

int TenantDelete(const CommonFlags& flags, const std::string& name) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto deleted = auth::DeleteTenant(*env->store, name, CliActor());
  if (!deleted) return FailWith(deleted.error());
  if (!*deleted) return FailWith({core::ErrorType::kNotFound, "no tenant named '" + name + "'"});
  fmt::print("Deleted tenant '{}' with all its users, groups, tokens, events and webhooks.\n", name);
  return kExitOk;
}

int TenantShow(const CommonFlags& flags, const std::string& name) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, name);
  if (!tenant) return tenant.error();
  auto settings = core::ParseTenantSettings(tenant->settings);
  if (!settings) {
    PrintError("tenant '" + name + "' has unreadable settings: " + settings.error().detail);
    return kExitFailure;
  }
  fmt::print("{:<16} {}\n{:<16} {}\n", "name", tenant->name, "created", tenant->created);
  for (const auto& [key, value] : core::DescribeTenantSettings(*settings)) fmt::print("{:<16} {}\n", key, value);
  return kExitOk;
}

int TenantSet(const CommonFlags& flags, const std::string& name, const std::string& key, const std::string& value) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, name);
  if (!tenant) return tenant.error();
  if (auto set = auth::SetTenantSettings(*env->store, *tenant, {{key, value}}, CliActor()); !set) {
    return FailWith(set.error());
  }
  fmt::print("Tenant '{}': {} = {} (takes effect on the next request)\n", tenant->name, key, value);
  return kExitOk;
}

int TokenIssue(const CommonFlags& flags, const std::string& tenant_name, std::optional<int> expires_days,
               const std::string& label) {
  if (expires_days && (*expires_days < 1 || *expires_days > 36500)) {
    PrintError("--expires must be a number of days between 1 and 36500");
    return kExitUsage;
  }
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  auto issued = auth::IssueToken(*env->store, *tenant, label, expires_days, CliActor());
  if (!issued) return FailWith(issued.error());
  // Everything but the token goes to stderr so that `TOKEN=$(scimd token issue acme)` works.
  fmt::print(stderr, "Issued token {} for tenant '{}'{}. It is shown once; store it now.\n", issued->id,
             tenant->name, issued->expires ? " (expires " + *issued->expires + ")" : "");
  fmt::print("{}\n", issued->secret);
  return kExitOk;
}

int TokenRotate(const CommonFlags& flags, const std::string& tenant_name, const std::string& token_id,
                int overlap_hours, const std::optional<std::string>& label) {
  if (overlap_hours < 0 || overlap_hours > 24 * 90) {
    PrintError("--overlap must be a number of hours between 0 and 2160");
    return kExitUsage;
  }
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  auto rotated = auth::RotateToken(*env->store, *tenant, token_id, overlap_hours, label, CliActor());
  if (!rotated) {
    if (rotated.error().type == core::ErrorType::kNotFound) {
      PrintError(rotated.error().detail + " (see: scimd token list " + tenant->name + ")");
      return kExitNotFound;
    }
    return FailWith(rotated.error());
  }
  fmt::print(stderr, "Issued token {} for tenant '{}'; the old token {} works until {}. The new token is shown once; "
                     "store it now and give it to the IdP.\n",
             rotated->issued.id, tenant->name, token_id, rotated->old_expires);
  fmt::print("{}\n", rotated->issued.secret);
  return kExitOk;
}

int TokenList(const CommonFlags& flags, const std::string& tenant_name) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  auto tokens = env->store->ListTokens(tenant->id);
  if (!tokens) {
    PrintError(tokens.error().detail);
    return kExitFailure;
  }
  fmt::print("{:<22} {:<16} {:<25} {:<25} {:<25} {}\n", "ID", "LABEL", "CREATED", "EXPIRES", "LAST USED", "STATUS");
  std::string now = auth::NowRfc3339();
  for (const auto& t : *tokens) {
    std::string status = t.revoked ? "revoked" : (t.expires && *t.expires <= now ? "expired" : "active");
    fmt::print("{:<22} {:<16} {:<25} {:<25} {:<25} {}\n", t.id, t.label.empty() ? "-" : t.label, t.created,
               t.expires.value_or("never"), t.last_used.value_or("never"), status);
  }
  return kExitOk;
}

int TokenRevoke(const CommonFlags& flags, const std::string& tenant_name, const std::string& token_id) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  auto revoked = auth::RevokeToken(*env->store, *tenant, token_id, CliActor());
  if (!revoked) return FailWith(revoked.error());
  if (!*revoked) {
    return FailWith({core::ErrorType::kNotFound, "tenant '" + tenant_name + "' has no token '" + token_id +
                                                     "' (see: scimd token list " + tenant_name + ")"});
  }
  fmt::print("Revoked token {}; requests using it are refused from now on.\n", token_id);
  return kExitOk;
}

int LoginSet(const CommonFlags& flags, const std::string& tenant_name, const std::string& username) {
  auto password = ReadPasswordFromStdin("echo \"$PASSWORD\" | scimd login set TENANT USERNAME");
  if (!password) return password.error();
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  if (auto set = auth::SetLogin(*env->store, *tenant, username, *password, CliActor()); !set) {
    return FailWith(set.error());
  }
  fmt::print("Tenant '{}': SCIM username '{}' set with its new password (HTTP Basic; takes effect on the next "
             "request).\n", tenant->name, username);
  return kExitOk;
}

int LoginShow(const CommonFlags& flags, const std::string& tenant_name) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  auto login = env->store->LoginOf(tenant->id);
  if (!login) {
    PrintError(login.error().detail);
    return kExitFailure;
  }
  if (!*login) {
    fmt::print("Tenant '{}' has no SCIM login (set one with: scimd login set {} USERNAME)\n", tenant->name,
               tenant->name);
    return kExitOk;
  }
  fmt::print("{:<16} {}\n{:<16} {}\n", "username", (*login)->username, "password set", (*login)->updated);
  return kExitOk;
}

int LoginRemove(const CommonFlags& flags, const std::string& tenant_name) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  auto removed = auth::RemoveLogin(*env->store, *tenant, CliActor());
  if (!removed) return FailWith(removed.error());
  if (!*removed) return FailWith({core::ErrorType::kNotFound, "tenant '" + tenant_name + "' has no SCIM login"});
  fmt::print("Removed the SCIM login of tenant '{}'; HTTP Basic is refused from now on.\n", tenant->name);
  return kExitOk;
}

int AuditShow(const CommonFlags& flags, const std::optional<std::string>& tenant, int64_t limit) {
  if (limit < 1 || limit > 10000) {
    PrintError("--limit must be between 1 and 10000");
    return kExitUsage;
  }
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  storage::AuditQuery query;
  query.tenant_name = tenant;
  query.limit = limit;
  auto entries = env->store->ReadAudit(query);
  if (!entries) {
    PrintError(entries.error().detail);
    return kExitFailure;
  }
  fmt::print("{:<25} {:<22} {:<16} {:<20} {:<16} {:<26} {}\n", "TIME", "ACTOR", "FROM", "ACTION", "TENANT", "TARGET",
             "DETAIL");
  for (const auto& e : *entries) {
    fmt::print("{:<25} {:<22} {:<16} {:<20} {:<16} {:<26} {}\n", e.time, e.actor, e.source, e.action,
               e.tenant_name.empty() ? "-" : e.tenant_name, e.target.empty() ? "-" : e.target, e.detail);
  }
  return kExitOk;
}

}  // namespace scim::app

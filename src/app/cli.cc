// tenant, token, login and audit subcommands: they open the same database as a running server
// (SQLite allows it) and what they change is seen by that server on its next request.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "api/scim_api.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/wiring.h"
#include "auth/crypto.h"
#include "core/json.h"
#include "core/tenant_settings.h"

namespace scim::app {


int TenantCreate(const CommonFlags& flags, const std::string& name) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/true);
  if (!env) return env.error();
  if (auto valid = ValidateTenantName(name); !valid) {
    PrintError(valid.error().detail);
    return kExitUsage;
  }
  auto created = CreateTenant(*env->store, name);
  if (!created) {
    PrintError(created.error().detail);
    return created.error().type == core::ErrorType::kConflict ? kExitUsage : kExitFailure;
  }
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
  int code = WriteExisting(
      *env->store, [&](storage::WriteTxn& txn) { return txn.DeleteTenant(name); }, "no tenant named '" + name + "'",
      CliAudit("tenant.delete", name, name));
  if (code != kExitOk) return code;
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
  auto settings = core::ParseTenantSettings(tenant->settings);
  if (!settings) settings = core::TenantSettings{};  // unreadable: start again from the defaults
  if (auto r = core::SetTenantSetting(*settings, key, value); !r) {
    PrintError(r.error().detail);
    return kExitUsage;
  }
  std::string text = core::DumpTenantSettings(*settings);
  auto updated = std::make_shared<bool>(false);
  auto r = env->store->WriteSync([&](storage::WriteTxn& txn) -> core::Result<void> {
    auto set = txn.SetTenantSettings(name, text);
    if (!set) return std::unexpected(set.error());
    *updated = *set;
    if (!*set) return {};
    return txn.AppendAudit(CliAudit("tenant.set", tenant->name, key, core::DumpJson(core::Json{{key, value}})));
  });
  if (!r) {
    PrintError(r.error().detail);
    return kExitFailure;
  }
  if (!*updated) {
    PrintError("no tenant named '" + name + "' (it was deleted meanwhile)");
    return kExitNotFound;
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
  std::optional<std::string> expires;
  if (expires_days) {
    expires = api::FormatRfc3339(std::chrono::system_clock::now() + std::chrono::hours(24) * *expires_days);
  }
  auto issued = IssueToken(*env->store, *tenant, label, expires);
  if (!issued) {
    PrintError(issued.error().detail);
    return kExitFailure;
  }
  // Everything but the token goes to stderr so that `TOKEN=$(scimd token issue acme)` works.
  fmt::print(stderr, "Issued token {} for tenant '{}'{}. It is shown once; store it now.\n", issued->id,
             tenant->name, expires ? " (expires " + *expires + ")" : "");
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
  std::string label_text = label.value_or("");
  if (!label) {  // the new token keeps the old one's label
    auto tokens = env->store->ListTokens(tenant->id);
    if (tokens) {
      for (const auto& t : *tokens) {
        if (t.id == token_id) label_text = t.label;
      }
    }
  }
  std::string until = api::FormatRfc3339(std::chrono::system_clock::now() + std::chrono::hours(overlap_hours));
  auto issued = RotateToken(*env->store, *tenant, token_id, label_text, until);
  if (!issued) {
    PrintError(issued.error().detail);
    return issued.error().type == core::ErrorType::kNotFound ? kExitNotFound : kExitFailure;
  }
  fmt::print(stderr, "Issued token {} for tenant '{}'; the old token {} works until {}. The new token is shown once; "
                     "store it now and give it to the IdP.\n",
             issued->id, tenant->name, token_id, until);
  fmt::print("{}\n", issued->secret);
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
  std::string now = api::NowRfc3339();
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
  std::string now = api::NowRfc3339();
  storage::TenantId id = tenant->id;
  int code = WriteExisting(
      *env->store, [&](storage::WriteTxn& txn) { return txn.RevokeToken(id, token_id, now); },
      "tenant '" + tenant_name + "' has no token '" + token_id + "' (see: scimd token list " + tenant_name + ")",
      CliAudit("token.revoke", tenant->name, token_id));
  if (code != kExitOk) return code;
  fmt::print("Revoked token {}; requests using it are refused from now on.\n", token_id);
  return kExitOk;
}

int LoginSet(const CommonFlags& flags, const std::string& tenant_name, const std::string& username) {
  if (username.empty() || username.size() > 128) {
    PrintError("the username must be 1 to 128 characters long");
    return kExitUsage;
  }
  for (char c : username) {
    if (c == ':' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      PrintError("the username cannot hold ':' or control characters (HTTP Basic separates it from the password "
                 "with ':')");
      return kExitUsage;
    }
  }
  // The password comes on standard input (one line), never on the command line, where other users
  // of the machine could read it.
  std::string password;
  if (!std::getline(std::cin, password) && password.empty()) {
    PrintError("no password on standard input (e.g. echo \"$PASSWORD\" | scimd login set TENANT USERNAME)");
    return kExitUsage;
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.size() < 12 || password.size() > 1024) {
    PrintError("the password must be 12 to 1024 characters long");
    return kExitUsage;
  }
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  auto hash = auth::HashPassword(password);
  if (!hash) {
    PrintError("out of memory while hashing the password");
    return kExitFailure;
  }
  std::string now = api::NowRfc3339();
  auto r = env->store->WriteSync([&](storage::WriteTxn& txn) -> core::Result<void> {
    if (auto set = txn.SetLogin(tenant->id, username, *hash, now); !set) return set;
    return txn.AppendAudit(CliAudit("login.set", tenant->name, username));
  });
  if (!r) {
    PrintError(r.error().detail);
    return r.error().type == core::ErrorType::kUniqueness ? kExitUsage : kExitFailure;
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
  int code = WriteExisting(
      *env->store, [&](storage::WriteTxn& txn) { return txn.RemoveLogin(tenant->id); },
      "tenant '" + tenant_name + "' has no SCIM login", CliAudit("login.remove", tenant->name, ""));
  if (code == kExitOk) fmt::print("Removed the SCIM login of tenant '{}'; HTTP Basic is refused from now on.\n", tenant->name);
  return code;
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

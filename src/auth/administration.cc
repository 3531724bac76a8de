#include "auth/administration.h"

#include <chrono>

#include "auth/crypto.h"
#include "core/json.h"
#include "core/tenant_settings.h"
#include "core/time.h"

namespace scim::auth {
namespace {

using core::ErrorType;
using core::Fail;
using core::Result;

// Runs `change` on the writer and appends `audit` in the same transaction when the change found
// what it acts on. Returns whether it did.
Result<bool> ChangeAudited(storage::Store& store, const std::function<Result<bool>(storage::WriteTxn&)>& change,
                           const storage::AuditEntry& audit) {
  bool found = false;
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    auto done = change(txn);
    if (!done) return std::unexpected(done.error());
    found = *done;
    if (!found) return {};
    return txn.AppendAudit(audit);
  });
  if (!r) return std::unexpected(r.error());
  return found;
}

std::string InHours(int hours) {
  return core::FormatRfc3339(std::chrono::system_clock::now() + std::chrono::hours(hours));
}

storage::TokenRecord NewTokenRecord(const storage::Tenant& tenant, const std::string& label,
                                    const std::optional<std::string>& expires) {
  storage::TokenRecord record;
  record.id = "tok_" + RandomHex(8);
  record.tenant = tenant.id;
  record.label = label;
  record.created = NowRfc3339();
  record.expires = expires;
  return record;
}

Result<void> ValidateLabel(const std::string& label) {
  if (label.size() > 200) return Fail(ErrorType::kInvalidValue, "a label is at most 200 characters long");
  for (char c : label) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Fail(ErrorType::kInvalidValue, "a label cannot hold control characters");
    }
  }
  return {};
}

}  // namespace

std::string NowRfc3339() { return core::FormatRfc3339(std::chrono::system_clock::now()); }

storage::AuditEntry AuditOf(const Actor& actor, std::string action, std::string tenant_name, std::string target,
                            std::string detail) {
  storage::AuditEntry audit;
  audit.time = NowRfc3339();
  audit.actor = actor.name;
  audit.source = actor.source;
  audit.action = std::move(action);
  audit.tenant_name = std::move(tenant_name);
  audit.target = std::move(target);
  audit.detail = std::move(detail);
  return audit;
}

Result<storage::Tenant> CreateTenant(storage::Store& store, const std::string& name, const Actor& actor) {
  if (auto valid = core::ValidateTenantName(name); !valid) return std::unexpected(valid.error());
  storage::Tenant tenant;
  std::string now = NowRfc3339();
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    auto created = txn.CreateTenant(name, now);
    if (!created) return std::unexpected(created.error());
    tenant = *created;
    return txn.AppendAudit(AuditOf(actor, "tenant.create", tenant.name, tenant.name));
  });
  if (!r) return std::unexpected(r.error());
  return tenant;
}

Result<bool> DeleteTenant(storage::Store& store, const std::string& name, const Actor& actor) {
  return ChangeAudited(
      store, [&](storage::WriteTxn& txn) { return txn.DeleteTenant(name); },
      AuditOf(actor, "tenant.delete", name, name));
}

Result<void> SetTenantSettings(storage::Store& store, const storage::Tenant& tenant,
                               const std::vector<std::pair<std::string, std::string>>& settings,
                               const Actor& actor) {
  if (settings.empty()) return Fail(ErrorType::kInvalidValue, "no setting to change");
  auto parsed = core::ParseTenantSettings(tenant.settings);
  if (!parsed) parsed = core::TenantSettings{};  // unreadable: start again from the defaults
  core::Json detail = core::Json::object();
  for (const auto& [key, value] : settings) {
    if (auto set = core::SetTenantSetting(*parsed, key, value); !set) return set;
    detail[key] = value;
  }
  std::string text = core::DumpTenantSettings(*parsed);
  auto updated = ChangeAudited(
      store, [&](storage::WriteTxn& txn) { return txn.SetTenantSettings(tenant.name, text); },
      AuditOf(actor, "tenant.set", tenant.name, settings.size() == 1 ? settings.front().first : "",
              core::DumpJson(detail)));
  if (!updated) return std::unexpected(updated.error());
  if (!*updated) return Fail(ErrorType::kNotFound, "no tenant named '" + tenant.name + "' (it was deleted meanwhile)");
  return {};
}

Result<IssuedBearerToken> IssueToken(storage::Store& store, const storage::Tenant& tenant, const std::string& label,
                               std::optional<int> expires_days, const Actor& actor) {
  if (expires_days && (*expires_days < 1 || *expires_days > 36500)) {
    return Fail(ErrorType::kInvalidValue, "a token's expiry must be a number of days between 1 and 36500");
  }
  if (auto valid = ValidateLabel(label); !valid) return std::unexpected(valid.error());
  std::optional<std::string> expires;
  if (expires_days) expires = InHours(24 * *expires_days);
  storage::TokenRecord record = NewTokenRecord(tenant, label, expires);
  IssuedBearerToken issued{record.id, NewTokenSecret(), expires};
  std::string hash = HashTokenSecret(issued.secret);
  core::Json detail = {{"label", label}, {"expires", expires.value_or("")}};
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    if (auto inserted = txn.InsertToken(record, hash); !inserted) return inserted;
    return txn.AppendAudit(AuditOf(actor, "token.issue", tenant.name, record.id, core::DumpJson(detail)));
  });
  if (!r) return std::unexpected(r.error());
  return issued;
}

Result<RotatedToken> RotateToken(storage::Store& store, const storage::Tenant& tenant, const std::string& old_token_id,
                                 int overlap_hours, const std::optional<std::string>& label, const Actor& actor) {
  if (overlap_hours < 0 || overlap_hours > 24 * 90) {
    return Fail(ErrorType::kInvalidValue, "the overlap must be a number of hours between 0 and 2160");
  }
  std::string label_text = label.value_or("");
  if (auto valid = ValidateLabel(label_text); !valid) return std::unexpected(valid.error());
  if (!label) {  // the new token keeps the old one's label
    if (auto tokens = store.ListTokens(tenant.id)) {
      for (const auto& t : *tokens) {
        if (t.id == old_token_id) label_text = t.label;
      }
    }
  }
  std::string old_expires = InHours(overlap_hours);
  storage::TokenRecord record = NewTokenRecord(tenant, label_text, std::nullopt);
  RotatedToken rotated{{record.id, NewTokenSecret(), std::nullopt}, old_expires};
  std::string hash = HashTokenSecret(rotated.issued.secret);
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    auto expired = txn.ExpireToken(tenant.id, old_token_id, old_expires);
    if (!expired) return std::unexpected(expired.error());
    if (!*expired) {
      return Fail(ErrorType::kNotFound, "tenant '" + tenant.name + "' has no live token '" + old_token_id + "'");
    }
    if (auto inserted = txn.InsertToken(record, hash); !inserted) return inserted;
    core::Json detail = {{"replaces", old_token_id}, {"old_expires", old_expires}, {"label", label_text}};
    return txn.AppendAudit(AuditOf(actor, "token.rotate", tenant.name, record.id, core::DumpJson(detail)));
  });
  if (!r) return std::unexpected(r.error());
  return rotated;
}

Result<bool> RevokeToken(storage::Store& store, const storage::Tenant& tenant, const std::string& token_id,
                         const Actor& actor) {
  std::string now = NowRfc3339();
  return ChangeAudited(
      store, [&](storage::WriteTxn& txn) { return txn.RevokeToken(tenant.id, token_id, now); },
      AuditOf(actor, "token.revoke", tenant.name, token_id));
}

Result<void> ValidatePassword(const std::string& password) {
  if (password.size() < 12 || password.size() > 1024) {
    return Fail(ErrorType::kInvalidValue, "the password must be 12 to 1024 characters long");
  }
  return {};
}

Result<void> SetLogin(storage::Store& store, const storage::Tenant& tenant, const std::string& username,
                      const std::string& password, const Actor& actor) {
  if (username.empty() || username.size() > 128) {
    return Fail(ErrorType::kInvalidValue, "the username must be 1 to 128 characters long");
  }
  for (char c : username) {
    if (c == ':' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Fail(ErrorType::kInvalidValue,
                  "the username cannot hold ':' or control characters (HTTP Basic separates it from the password "
                  "with ':')");
    }
  }
  if (auto valid = ValidatePassword(password); !valid) return valid;
  auto hash = HashPassword(password);
  if (!hash) return Fail(ErrorType::kInternal, "out of memory while hashing the password");
  std::string now = NowRfc3339();
  return store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    if (auto set = txn.SetLogin(tenant.id, username, *hash, now); !set) return set;
    return txn.AppendAudit(AuditOf(actor, "login.set", tenant.name, username));
  });
}

Result<bool> RemoveLogin(storage::Store& store, const storage::Tenant& tenant, const Actor& actor) {
  return ChangeAudited(
      store, [&](storage::WriteTxn& txn) { return txn.RemoveLogin(tenant.id); },
      AuditOf(actor, "login.remove", tenant.name, ""));
}

Result<IssuedClient> CreateOAuthClient(storage::Store& store, const std::optional<storage::Tenant>& tenant,
                                       const std::vector<std::string>& redirect_uris, const std::string& okta_app,
                                       const Actor& actor) {
  if (redirect_uris.size() > 50) return Fail(ErrorType::kInvalidValue, "a client has at most 50 redirect URIs");
  for (const std::string& uri : redirect_uris) {
    if (auto valid = ValidateRedirectUri(uri); !valid) return std::unexpected(valid.error());
  }
  if (!okta_app.empty()) {
    if (auto valid = ValidateOktaAppName(okta_app); !valid) return std::unexpected(valid.error());
  }
  IssuedClient issued = NewOAuthClient(tenant, redirect_uris, okta_app, NowRfc3339());
  core::Json detail = {{"shared", !tenant.has_value()},
                       {"redirect_uris", issued.record.redirect_uris},
                       {"okta_app", issued.record.okta_app}};
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    if (auto inserted = txn.InsertOAuthClient(issued.record); !inserted) return inserted;
    return txn.AppendAudit(AuditOf(actor, "oauth_client.create", issued.record.tenant_name, issued.record.id,
                                   core::DumpJson(detail)));
  });
  if (!r) return std::unexpected(r.error());
  return issued;
}

Result<bool> DeleteOAuthClient(storage::Store& store, const std::string& client_id,
                               const std::optional<storage::Tenant>& tenant, const Actor& actor) {
  auto client = store.FindOAuthClient(client_id);
  if (!client) return std::unexpected(client.error());
  if (!*client) return false;
  if (tenant && (*client)->tenant != std::optional<storage::TenantId>(tenant->id)) return false;
  std::string tenant_name = (*client)->tenant_name;
  return ChangeAudited(
      store, [&](storage::WriteTxn& txn) { return txn.DeleteOAuthClient(client_id); },
      AuditOf(actor, "oauth_client.delete", tenant_name, client_id));
}

Result<IssuedApiKey> IssueApiKey(storage::Store& store, const std::optional<storage::Tenant>& tenant,
                                 const std::string& label, const Actor& actor) {
  if (auto valid = ValidateLabel(label); !valid) return std::unexpected(valid.error());
  IssuedApiKey issued;
  if (tenant) {
    issued.record.tenant = tenant->id;
    issued.record.tenant_name = tenant->name;
  }
  issued.record.id = "key_" + RandomHex(8);
  issued.record.label = label;
  issued.record.created = NowRfc3339();
  issued.secret = NewApiKeySecret();
  std::string hash = HashTokenSecret(issued.secret);
  core::Json detail = {{"label", label}, {"all_tenants", !tenant}};
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    if (auto inserted = txn.InsertApiKey(issued.record, hash); !inserted) return inserted;
    return txn.AppendAudit(
        AuditOf(actor, "apikey.issue", issued.record.tenant_name, issued.record.id, core::DumpJson(detail)));
  });
  if (!r) return std::unexpected(r.error());
  return issued;
}

Result<bool> RevokeApiKey(storage::Store& store, const std::string& key_id, const Actor& actor) {
  std::string tenant_name;  // for the audit entry: the tenant whose key it was
  if (auto keys = store.ListApiKeys()) {
    for (const auto& key : *keys) {
      if (key.id == key_id) tenant_name = key.tenant_name;
    }
  }
  std::string now = NowRfc3339();
  return ChangeAudited(
      store, [&](storage::WriteTxn& txn) { return txn.RevokeApiKey(key_id, now); },
      AuditOf(actor, "apikey.revoke", tenant_name, key_id));
}

}  // namespace scim::auth

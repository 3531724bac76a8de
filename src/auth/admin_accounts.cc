#include "auth/admin_accounts.h"

#include <chrono>

#include "auth/crypto.h"
#include "core/json.h"
#include "core/time.h"

namespace scim::auth {
namespace {

using core::ErrorType;
using core::Fail;
using core::Result;

constexpr std::string_view kInvalidLogin = "Invalid name or password";
constexpr std::string_view kInvalidCredential =
    "The admin session or API key is not valid (unknown, expired, revoked or logged out); log in again";

std::string InHours(int hours) {
  return core::FormatRfc3339(std::chrono::system_clock::now() + std::chrono::hours(hours));
}

// The value of an "Authorization: Bearer <key>" header, or empty.
std::string_view BearerValue(std::string_view authorization) {
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  while (!authorization.empty() && authorization.back() == ' ') authorization.remove_suffix(1);
  if (authorization.size() <= 7 || !core::IEquals(authorization.substr(0, 7), "bearer ")) return {};
  std::string_view key = authorization.substr(7);
  while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
  return key;
}

}  // namespace

bool AdminPrincipal::Manages(storage::TenantId tenant) const {
  return IsOperator() || (account.tenant && *account.tenant == tenant);
}

Actor AdminPrincipal::AsActor(std::string source) const {
  return Actor{account.role + ":" + account.name, std::move(source)};
}

Result<void> ValidateAccountName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return Fail(ErrorType::kInvalidValue, "an account name must be 1 to 64 characters long");
  }
  for (char c : name) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                   c == '_' || c == '-' || c == '@';
    if (!allowed) {
      return Fail(ErrorType::kInvalidValue, "invalid account name '" + std::string(name) +
                                                "': use only letters, digits, '.', '_', '-' and '@'");
    }
  }
  return {};
}

Result<storage::AdminAccount> CreateAdminAccount(storage::Store& store, const std::string& name,
                                                 const std::string& password,
                                                 const std::optional<storage::Tenant>& tenant, const Actor& actor) {
  if (auto valid = ValidateAccountName(name); !valid) return std::unexpected(valid.error());
  if (auto valid = ValidatePassword(password); !valid) return std::unexpected(valid.error());
  auto hash = HashPassword(password);
  if (!hash) return Fail(ErrorType::kInternal, "out of memory while hashing the password");
  storage::AdminAccount account;
  account.id = "adm_" + RandomHex(8);
  account.name = name;
  account.role = std::string(tenant ? kTenantAdminRole : kOperatorRole);
  if (tenant) {
    account.tenant = tenant->id;
    account.tenant_name = tenant->name;
  }
  account.password_hash = *hash;
  account.created = NowRfc3339();
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    if (auto inserted = txn.InsertAdminAccount(account); !inserted) return inserted;
    return txn.AppendAudit(AuditOf(actor, account.role + ".create", account.tenant_name, account.name,
                                   core::DumpJson(core::Json{{"id", account.id}})));
  });
  if (!r) return std::unexpected(r.error());
  return account;
}

Result<bool> DeleteAdminAccount(storage::Store& store, const storage::AdminAccount& account, const Actor& actor) {
  if (account.role == kOperatorRole) {
    auto accounts = store.ListAdminAccounts(std::nullopt);
    if (!accounts) return std::unexpected(accounts.error());
    int operators = 0;
    for (const auto& a : *accounts) operators += a.role == kOperatorRole ? 1 : 0;
    if (operators <= 1) {
      return Fail(ErrorType::kConflict, "'" + account.name +
                                            "' is the last operator; create another one before deleting it");
    }
  }
  bool found = false;
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    auto deleted = txn.DeleteAdminAccount(account.id);
    if (!deleted) return std::unexpected(deleted.error());
    found = *deleted;
    if (!found) return {};
    return txn.AppendAudit(AuditOf(actor, account.role + ".delete", account.tenant_name, account.name,
                                   core::DumpJson(core::Json{{"id", account.id}})));
  });
  if (!r) return std::unexpected(r.error());
  return found;
}

Result<void> SetAdminPassword(storage::Store& store, const storage::AdminAccount& account, const std::string& password,
                              const Actor& actor) {
  if (auto valid = ValidatePassword(password); !valid) return valid;
  auto hash = HashPassword(password);
  if (!hash) return Fail(ErrorType::kInternal, "out of memory while hashing the password");
  std::string now = NowRfc3339();
  return store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    auto set = txn.SetAdminPassword(account.id, *hash, now);
    if (!set) return std::unexpected(set.error());
    if (!*set) return Fail(ErrorType::kNotFound, "no admin account '" + account.name + "'");
    return txn.AppendAudit(AuditOf(actor, account.role + ".password", account.tenant_name, account.name));
  });
}

Result<OpenedSession> LogIn(storage::Store& store, FailureThrottle& throttle, const std::string& name,
                            const std::string& password, const std::string& source, std::string_view client_key) {
  auto now = FailureThrottle::Clock::now();
  if (int seconds = throttle.LockedFor(client_key, now); seconds > 0) {
    return std::unexpected(core::Error{ErrorType::kRateLimited,
                                       "Too many failed logins from this address; try again in " +
                                           std::to_string(seconds) + " seconds",
                                       seconds});
  }
  std::optional<storage::AdminAccount> account;
  if (name.size() <= 64 && password.size() <= 1024) {
    auto found = store.FindAdminAccount(name);
    if (!found) return std::unexpected(found.error());
    account = std::move(*found);
  }
  if (!VerifyPasswordOrDecoy(account ? std::optional<std::string>(account->password_hash) : std::nullopt, password)) {
    throttle.RecordFailure(client_key, now);
    // Failed logins are audited (without the password) so that an operator sees guessing.
    std::string shown_name = name.size() <= 64 ? name : name.substr(0, 64);
    (void)store.WriteSync([&](storage::WriteTxn& txn) {
      return txn.AppendAudit(AuditOf(Actor{"anonymous", source}, "admin.login_failed",
                                     account ? account->tenant_name : "", shown_name));
    });
    return Fail(ErrorType::kUnauthorized, std::string(kInvalidLogin));
  }
  OpenedSession session;
  session.account = *account;
  session.secret = NewAdminSessionSecret();
  session.csrf = RandomHex(24);
  session.expires = InHours(kSessionHours);
  storage::AdminCredential record;
  record.id = "ses_" + RandomHex(8);
  record.kind = "session";
  record.account_id = account->id;
  record.csrf = session.csrf;
  record.created = NowRfc3339();
  record.expires = session.expires;
  record.last_used = record.created;
  session.session_id = record.id;
  std::string hash = HashTokenSecret(session.secret);
  Actor actor{account->role + ":" + account->name, source};
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    if (auto inserted = txn.InsertAdminCredential(record, hash); !inserted) return inserted;
    return txn.AppendAudit(AuditOf(actor, "admin.login", account->tenant_name, record.id));
  });
  if (!r) return std::unexpected(r.error());
  return session;
}

Result<void> LogOut(storage::Store& store, const AdminPrincipal& principal, const std::string& source) {
  if (principal.credential.kind != "session") {
    return Fail(ErrorType::kBadRequest, "this request came with an API key, not a session: there is nothing to log out");
  }
  std::string now = NowRfc3339();
  return store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    auto revoked = txn.RevokeAdminCredential(principal.account.id, principal.credential.id, now);
    if (!revoked) return std::unexpected(revoked.error());
    return txn.AppendAudit(
        AuditOf(principal.AsActor(source), "admin.logout", principal.account.tenant_name, principal.credential.id));
  });
}

Result<IssuedAdminKey> IssueAdminKey(storage::Store& store, const storage::AdminAccount& account,
                                     const std::string& label, const Actor& actor) {
  if (label.size() > 200) return Fail(ErrorType::kInvalidValue, "a label is at most 200 characters long");
  IssuedAdminKey issued;
  issued.record.id = "akey_" + RandomHex(8);
  issued.record.kind = "key";
  issued.record.account_id = account.id;
  issued.record.label = label;
  issued.record.created = NowRfc3339();
  issued.secret = NewAdminKeySecret();
  std::string hash = HashTokenSecret(issued.secret);
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    if (auto inserted = txn.InsertAdminCredential(issued.record, hash); !inserted) return inserted;
    return txn.AppendAudit(AuditOf(actor, "admin_key.issue", account.tenant_name, issued.record.id,
                                   core::DumpJson(core::Json{{"account", account.name}, {"label", label}})));
  });
  if (!r) return std::unexpected(r.error());
  return issued;
}

Result<bool> RevokeAdminKey(storage::Store& store, const storage::AdminAccount& account, const std::string& key_id,
                            const Actor& actor) {
  bool found = false;
  std::string now = NowRfc3339();
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    auto revoked = txn.RevokeAdminCredential(account.id, key_id, now);
    if (!revoked) return std::unexpected(revoked.error());
    found = *revoked;
    if (!found) return {};
    return txn.AppendAudit(AuditOf(actor, "admin_key.revoke", account.tenant_name, key_id,
                                   core::DumpJson(core::Json{{"account", account.name}})));
  });
  if (!r) return std::unexpected(r.error());
  return found;
}

Result<AdminPrincipal> AuthenticateAdmin(storage::Store& store, std::string_view authorization,
                                         std::string_view session_cookie) {
  std::string_view secret = BearerValue(authorization);
  bool by_key = !secret.empty();
  if (!by_key) secret = session_cookie;
  if (secret.empty()) {
    return Fail(ErrorType::kUnauthorized,
                "Authentication required: log in (POST /api/v1/admin/login) or send an admin API key as "
                "'Authorization: Bearer <key>'");
  }
  if (secret.size() > 256) return Fail(ErrorType::kUnauthorized, std::string(kInvalidCredential));
  auto found = store.FindAdminCredentialByHash(HashTokenSecret(secret));
  if (!found) return std::unexpected(found.error());
  std::string now = NowRfc3339();
  // A key must come as a bearer token and a session as the cookie: neither is accepted as the other.
  if (!*found || (*found)->credential.revoked || ((*found)->credential.kind == "key") != by_key ||
      ((*found)->credential.expires && *(*found)->credential.expires <= now)) {
    return Fail(ErrorType::kUnauthorized, std::string(kInvalidCredential));
  }
  AdminPrincipal principal{std::move((*found)->account), std::move((*found)->credential)};
  const auto& last_used = principal.credential.last_used;
  if (!last_used || last_used->compare(0, 16, now, 0, 16) != 0) {
    store.Write([id = principal.credential.id, now](storage::WriteTxn& txn) { return txn.TouchAdminCredential(id, now); },
                [](Result<void>) {});
  }
  return principal;
}

Result<IssuedInvite> InviteTenantAdmin(storage::Store& store, const storage::Tenant& tenant, int days,
                                       const AdminPrincipal& inviter, const std::string& source) {
  if (days < 1 || days > 30) return Fail(ErrorType::kInvalidValue, "an invitation lasts 1 to 30 days");
  IssuedInvite issued;
  issued.code = NewInviteCode();
  issued.record.id = "inv_" + RandomHex(8);
  issued.record.tenant = tenant.id;
  issued.record.tenant_name = tenant.name;
  issued.record.created_by = inviter.account.name;
  issued.record.created = NowRfc3339();
  issued.record.expires = InHours(24 * days);
  std::string hash = HashTokenSecret(issued.code);
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    if (auto inserted = txn.InsertAdminInvite(issued.record, hash); !inserted) return inserted;
    return txn.AppendAudit(AuditOf(inviter.AsActor(source), "invite.create", tenant.name, issued.record.id,
                                   core::DumpJson(core::Json{{"expires", issued.record.expires}})));
  });
  if (!r) return std::unexpected(r.error());
  return issued;
}

Result<storage::AdminAccount> AcceptInvite(storage::Store& store, const std::string& code, const std::string& name,
                                           const std::string& password, const std::string& source) {
  if (auto valid = ValidateAccountName(name); !valid) return std::unexpected(valid.error());
  if (auto valid = ValidatePassword(password); !valid) return std::unexpected(valid.error());
  if (code.empty() || code.size() > 256) return Fail(ErrorType::kNotFound, "No such invitation (unknown, used or expired)");
  auto hash = HashPassword(password);
  if (!hash) return Fail(ErrorType::kInternal, "out of memory while hashing the password");
  std::string now = NowRfc3339();
  storage::AdminAccount account;
  // Consuming the code and creating the account are one transaction: a taken name leaves the
  // invitation usable, and two requests with one code create one account.
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    auto invite = txn.ConsumeAdminInvite(HashTokenSecret(code), now);
    if (!invite) return std::unexpected(invite.error());
    if (!*invite || (*invite)->used || (*invite)->expires <= now) {
      return Fail(ErrorType::kNotFound, "No such invitation (unknown, used or expired)");
    }
    account.id = "adm_" + RandomHex(8);
    account.name = name;
    account.role = std::string(kTenantAdminRole);
    account.tenant = (*invite)->tenant;
    account.tenant_name = (*invite)->tenant_name;
    account.password_hash = *hash;
    account.created = now;
    if (auto inserted = txn.InsertAdminAccount(account); !inserted) return inserted;
    return txn.AppendAudit(AuditOf(Actor{"tenant_admin:" + name, source}, "invite.accept", account.tenant_name,
                                   (*invite)->id, core::DumpJson(core::Json{{"account", account.id}})));
  });
  if (!r) return std::unexpected(r.error());
  return account;
}

}  // namespace scim::auth

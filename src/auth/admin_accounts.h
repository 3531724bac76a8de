// The admin API's accounts and their credentials (docs/admin-api.md).
//
// - An operator manages every tenant; a tenant admin manages one tenant's credentials (tokens, its
//   SCIM login, its OAuth clients) and reads its audit log, nothing else.
// - Passwords are Argon2id hashes. Logging in opens a console session: a random secret for a
//   cookie plus an anti-CSRF token the console sends back in a header on every change. Sessions
//   last kSessionHours and end at logout or a password change.
// - API keys ("scimdak_…", a bearer token) are for automation and act as their account.
// - An operator invites a tenant admin with a single-use code that expires; accepting it creates
//   the account. The CLI bootstraps the first operator (scimd operator create).
//
// Every change and every login (failed ones too) is audited; secrets are hashed at rest and
// never logged.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/administration.h"
#include "auth/failure_throttle.h"
#include "core/error.h"
#include "storage/store.h"

namespace scim::auth {

inline constexpr std::string_view kOperatorRole = "operator";
inline constexpr std::string_view kTenantAdminRole = "tenant_admin";
inline constexpr int kSessionHours = 12;
inline constexpr int kInviteDefaultDays = 7;

// What acts on an admin request: the account and the credential it came with.
struct AdminPrincipal {
  storage::AdminAccount account;
  storage::AdminCredential credential;

  bool IsOperator() const { return account.role == kOperatorRole; }
  // Whether the account may manage `tenant`'s credentials.
  bool Manages(storage::TenantId tenant) const;
  // The audit log's actor: "operator:alice", "tenant_admin:bob", from `source`.
  Actor AsActor(std::string source) const;
};

// Account names: 1-64 of [A-Za-z0-9._@-]. Errors: kInvalidValue.
core::Result<void> ValidateAccountName(std::string_view name);

// An operator (no `tenant`) or a tenant admin of `tenant`. kUniqueness when the name is taken.
core::Result<storage::AdminAccount> CreateAdminAccount(storage::Store& store, const std::string& name,
                                                       const std::string& password,
                                                       const std::optional<storage::Tenant>& tenant,
                                                       const Actor& actor);
// false: no such account. Deleting the last operator is refused (kConflict): nobody could manage
// scimd through the API any more.
core::Result<bool> DeleteAdminAccount(storage::Store& store, const storage::AdminAccount& account, const Actor& actor);
// A new password; the account's sessions end.
core::Result<void> SetAdminPassword(storage::Store& store, const storage::AdminAccount& account,
                                    const std::string& password, const Actor& actor);

struct OpenedSession {
  storage::AdminAccount account;
  std::string session_id;
  std::string secret;  // the cookie's value
  std::string csrf;    // to be sent back in X-CSRF-Token
  std::string expires;
};
// Checks the name and password (an unknown name costs the same hash as a known one, and gets the
// same answer) and opens a session. Failures count against `client_key` in `throttle`; when it is
// locked, kRateLimited with the seconds left. Errors: kUnauthorized "invalid name or password".
core::Result<OpenedSession> LogIn(storage::Store& store, FailureThrottle& throttle, const std::string& name,
                                  const std::string& password, const std::string& source,
                                  std::string_view client_key);
core::Result<void> LogOut(storage::Store& store, const AdminPrincipal& principal, const std::string& source);

struct IssuedAdminKey {
  storage::AdminCredential record;
  std::string secret;
};
core::Result<IssuedAdminKey> IssueAdminKey(storage::Store& store, const storage::AdminAccount& account,
                                           const std::string& label, const Actor& actor);
core::Result<bool> RevokeAdminKey(storage::Store& store, const storage::AdminAccount& account,
                                  const std::string& key_id, const Actor& actor);

// The account a request's credentials name: an "Authorization: Bearer scimdak_…" key, else the
// session in `session_cookie` (the cookie's value). Errors: kUnauthorized (none, unknown, revoked,
// expired); kUnavailable (the database). Records use at most once a minute per credential.
core::Result<AdminPrincipal> AuthenticateAdmin(storage::Store& store, std::string_view authorization,
                                               std::string_view session_cookie);

struct IssuedInvite {
  storage::AdminInvite record;
  std::string code;  // shown once
};
// `days`: 1..30.
core::Result<IssuedInvite> InviteTenantAdmin(storage::Store& store, const storage::Tenant& tenant, int days,
                                             const AdminPrincipal& inviter, const std::string& source);
// Creates the tenant admin the invitation is for. Errors: kNotFound for a code that is unknown,
// used or expired (the same answer for each); those of CreateAdminAccount.
core::Result<storage::AdminAccount> AcceptInvite(storage::Store& store, const std::string& code,
                                                 const std::string& name, const std::string& password,
                                                 const std::string& source);

}  // namespace scim::auth

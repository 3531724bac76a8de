// Changes to tenants and their credentials, made by a person or a program through the CLI or the
// admin API (api/admin_api.h). Each operation validates its input, then writes the change and its
// audit entry in one transaction, so the audit log holds every change that happened and none that
// did not. New secrets are returned once, to be shown once; they are never stored or logged.
//
// Errors are values: kInvalidValue (bad input, with a detail a person can act on), kNotFound,
// kConflict / kUniqueness (a name taken), kUnavailable or kInternal (the database).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/oauth.h"
#include "core/error.h"
#include "storage/store.h"

namespace scim::auth {

// Who acts, for the audit log: "cli:root", "operator:alice", "tenant_admin:bob"; and from where:
// "local" (the CLI) or the client's address.
struct Actor {
  std::string name;
  std::string source;
};

// The current time as RFC 3339 UTC (what every record here is stamped with).
std::string NowRfc3339();

// An audit entry by `actor` stamped now. `detail` is a JSON object's text ("{}" when empty).
storage::AuditEntry AuditOf(const Actor& actor, std::string action, std::string tenant_name, std::string target,
                            std::string detail = "{}");

// ---- tenants -------------------------------------------------------------------------------------

core::Result<storage::Tenant> CreateTenant(storage::Store& store, const std::string& name, const Actor& actor);
// Deletes the tenant with everything it holds. false: no such tenant.
core::Result<bool> DeleteTenant(storage::Store& store, const std::string& name, const Actor& actor);
// Sets each (key, value) by core::SetTenantSetting's names, all or none. kInvalidValue names the
// first bad one; kNotFound when the tenant was deleted meanwhile.
core::Result<void> SetTenantSettings(storage::Store& store, const storage::Tenant& tenant,
                                     const std::vector<std::pair<std::string, std::string>>& settings,
                                     const Actor& actor);

// ---- bearer tokens -------------------------------------------------------------------------------

struct IssuedBearerToken {
  std::string id;
  std::string secret;
  std::optional<std::string> expires;
};
// `expires_days`: 1..36500, or none (never expires).
core::Result<IssuedBearerToken> IssueToken(storage::Store& store, const storage::Tenant& tenant, const std::string& label,
                                     std::optional<int> expires_days, const Actor& actor);
// A new token, the old one expiring after `overlap_hours` (0..2160) at the latest, in one
// transaction. The new token keeps the old one's label unless `label` is given. kNotFound when the
// tenant has no such live token. `old_expires` in the result is when the old token stops working.
struct RotatedToken {
  IssuedBearerToken issued;
  std::string old_expires;
};
core::Result<RotatedToken> RotateToken(storage::Store& store, const storage::Tenant& tenant,
                                       const std::string& old_token_id, int overlap_hours,
                                       const std::optional<std::string>& label, const Actor& actor);
// false: the tenant has no such token.
core::Result<bool> RevokeToken(storage::Store& store, const storage::Tenant& tenant, const std::string& token_id,
                               const Actor& actor);

// ---- the tenant's SCIM login (HTTP Basic, the OAuth authorize page) -------------------------------

// Username 1-128 characters without ':' or control characters; password 12-1024 characters.
// kUniqueness when another tenant has the username.
core::Result<void> SetLogin(storage::Store& store, const storage::Tenant& tenant, const std::string& username,
                            const std::string& password, const Actor& actor);
core::Result<bool> RemoveLogin(storage::Store& store, const storage::Tenant& tenant, const Actor& actor);

// A password a person chose for a login or an account: 12 to 1024 characters. kInvalidValue.
core::Result<void> ValidatePassword(const std::string& password);

// ---- OAuth clients and host API keys -----------------------------------------------------------------

// A client of `tenant`, or a shared one (nullopt). Each redirect URI and the Okta app name are
// validated (auth/oauth.h).
core::Result<IssuedClient> CreateOAuthClient(storage::Store& store, const std::optional<storage::Tenant>& tenant,
                                             const std::vector<std::string>& redirect_uris,
                                             const std::string& okta_app, const Actor& actor);
// false: no such client (or, with `tenant`, not that tenant's client).
core::Result<bool> DeleteOAuthClient(storage::Store& store, const std::string& client_id,
                                     const std::optional<storage::Tenant>& tenant, const Actor& actor);

struct IssuedApiKey {
  storage::ApiKeyRecord record;
  std::string secret;
};
// A host API key for `tenant`, or for every tenant (nullopt).
core::Result<IssuedApiKey> IssueApiKey(storage::Store& store, const std::optional<storage::Tenant>& tenant,
                                       const std::string& label, const Actor& actor);
core::Result<bool> RevokeApiKey(storage::Store& store, const std::string& key_id, const Actor& actor);

}  // namespace scim::auth

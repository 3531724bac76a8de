// A tenant's settings (stored as a JSON object with the tenant): which identity provider it
// connects, how strictly its requests are read, and what to do with unknown group members.
// Parsing, validation and the names the CLI and docs use; pure, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/quirks.h"

namespace scim::core {

// RFC-strict or lenient reading of IdP dialects (docs/idp-compatibility.md).
enum class Compatibility { kLenient, kStrict };

// The identity provider a tenant connects. kAuto: told from each request (IdentifyClient).
enum class IdpProfile { kAuto, kGeneric, kOkta, kEntra, kOneLogin, kJumpCloud, kPing };

// No tenant may be limited below this many requests a second (Entra quarantines a connection whose
// calls keep failing; Okta waits five minutes after a 429).
inline constexpr int64_t kMinTenantRateLimit = 25;
inline constexpr int64_t kMaxTenantRateLimit = 1'000'000;

struct TenantSettings {
  IdpProfile profile = IdpProfile::kAuto;
  Compatibility compatibility = Compatibility::kLenient;
  std::optional<bool> reject_unknown_members;  // unset: the server's reject_unknown_members
  // Passwords the IdP sends (Okta sends a placeholder on every create): stored as an Argon2id
  // hash, or accepted and dropped. Unset: the server's `passwords` setting.
  std::optional<bool> store_passwords;
  // Webhook delivery: paused holds deliveries (events keep accumulating in the outbox and flow, in
  // order, once active again).
  bool notifications_paused = false;
  // The initial-sync window: events written in it carry "initial_sync": true so the app can skip
  // welcome mail. "off", "on" (until turned off) or an RFC 3339 UTC time it ends at.
  std::string initial_sync = "off";
  // Requests a second this tenant may make (docs/limits.md); unset: the server's
  // rate_limit_tenant; 0: unlimited.
  std::optional<int64_t> rate_limit;
  // How the tenant's admins are told to send the token: "any" (what `compatibility` allows: any
  // form when lenient, "Bearer <token>" when strict), "bearer" (only that), or the text that comes
  // before the token, as a vendor's setup guide spells it ("Token token="), accepted besides
  // "Bearer <token>" whatever the compatibility.
  std::string auth_scheme = "any";
  // Attributes no schema of the tenant declares: refused (400 naming them), or kept apart from
  // the document and reported as unmapped (directory/tenant_schemas.h).
  bool keep_unknown_attributes = false;
  // How an enterprise manager.value is matched to a user, in order (directory/managers.h): each of
  // "id", "userName", "email", "externalId" at most once.
  std::vector<std::string> manager_match = {"id", "userName", "email", "externalId"};
  // Pushed groups are departments too (directory/directory_view.h).
  bool groups_as_departments = false;
  // Email domains a user's userName (when it is an address) and emails must be in, or below;
  // empty: any. Stored lower-case.
  std::vector<std::string> email_domains;
  // A new connection's trial: writes are validated (uniqueness included) and journaled, answered as
  // if applied, and rolled back.
  bool dry_run = false;
  // DELETE keeps a tombstone (the resource's ids) for delete_retention_days, so that an IdP re-creating
  // it gets the same SCIM id back; soft also keeps the document for that long.
  bool soft_delete = false;
  // Show the tenant's enumerated roles to Okta as /Roles (directory/okta_roles.h).
  bool okta_roles = false;
  // The deprovisioning circuit breaker (directory/deprovision_guard.h): when deactivations and
  // deletes within the window would exceed this share of the tenant's users, further ones are held
  // for an operator. 0: off.
  int64_t deprovision_limit_percent = 0;
  int64_t deprovision_window_minutes = 60;
  // Account linking: a create for someone who already exists here updates that user instead of
  // failing with 409 (matched by externalId, then userName, then email when trusted).
  bool link_accounts = false;
  bool trust_idp_emails = false;
  int64_t delete_retention_days = 30;
  // Counts the changes to the tenant's schemas (storage::WriteTxn::BumpSchemaRevision); 0: none
  // declared ever. Not a setting: stored with them, never written by SetTenantSetting.
  int64_t schema_revision = 0;

  // Whether the window is open at `now` (RFC 3339 UTC).
  bool InInitialSync(std::string_view now) const;
};

std::string_view ToString(IdpProfile profile);  // "okta", "entra", ... "auto"

inline constexpr std::string_view kSchemaRevisionKey = "schema_revision";

// Reads the stored JSON text ("{}" and "" give the defaults). Errors: kInvalidValue naming the key.
Result<TenantSettings> ParseTenantSettings(std::string_view json_text);
std::string DumpTenantSettings(const TenantSettings& settings);

// Sets one setting by the names of docs/cli.md: profile (auto, generic, okta, entra, onelogin,
// jumpcloud, ping), compatibility (lenient, strict), unknown_members (server, skip, reject),
// notifications (active, paused), initial_sync (off, on, or an RFC 3339 UTC end time), passwords
// (server, ignore, store), rate_limit (server, off, or requests a second from kMinTenantRateLimit),
// auth_scheme (any, bearer, or up to 40 printable ASCII characters ending the header's text before
// the token, e.g. "Token token="), unknown_attributes (reject, keep), manager_match (a comma-separated
// order of id, userName, email, externalId), groups_as_departments (true, false), email_domains (any,
// or a comma-separated list of domains), dry_run (true, false), delete_mode (hard, soft),
// delete_retention_days (1 to 3650), okta_roles (on, off), deprovision_limit (off, or a percentage
// 1-100 followed by %), deprovision_window_minutes (1 to 10080), account_linking (off, on),
// trust_idp_emails (false, true).
// Errors: kInvalidValue naming the key or listing the allowed values.
Result<void> SetTenantSetting(TenantSettings& settings, std::string_view key, std::string_view value);
// Every setting as (key, value) in the spelling SetTenantSetting takes.
std::vector<std::pair<std::string, std::string>> DescribeTenantSettings(const TenantSettings& settings);

// Tenant names are URL path segments: 1-63 of [A-Za-z0-9._-], starting with a letter or digit,
// and never an endpoint name of the shared base URL ("Users", "Schemas", …: IsReservedTenantName).
// Errors: kInvalidValue saying what is allowed.
Result<void> ValidateTenantName(std::string_view name);
bool IsReservedTenantName(std::string_view name);

// Which IdP sent a request: the tenant's profile when set, else the User-Agent's product
// ("Okta SCIM Client 1.0.0"), else Entra when the request used its op casing [Q1], else generic.
IdpProfile IdentifyClient(IdpProfile configured, std::string_view user_agent, const QuirkLog& quirks);

}  // namespace scim::core

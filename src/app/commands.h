// The scimd subcommands. Each returns the process exit code:
//   0 success, 1 failure (database, I/O), 2 wrong usage, 3 the named tenant or token does not exist.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scim::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotFound = 3;

struct CommonFlags {
  std::optional<std::string> config_file;
  std::optional<std::string> data_dir;
};

struct ServeFlags {
  CommonFlags common;
  std::optional<std::string> listen;
};

int Serve(const ServeFlags& flags);
int TenantCreate(const CommonFlags& flags, const std::string& name);
int TenantList(const CommonFlags& flags);
int TenantDelete(const CommonFlags& flags, const std::string& name);
int TenantShow(const CommonFlags& flags, const std::string& name);
int TenantSet(const CommonFlags& flags, const std::string& name, const std::string& key, const std::string& value);
int TokenIssue(const CommonFlags& flags, const std::string& tenant, std::optional<int> expires_days,
               const std::string& label);
// A new token (printed alone on the last line) with the old one expiring after `overlap_hours`.
int TokenRotate(const CommonFlags& flags, const std::string& tenant, const std::string& token_id, int overlap_hours,
                const std::optional<std::string>& label);
int TokenList(const CommonFlags& flags, const std::string& tenant);
int TokenRevoke(const CommonFlags& flags, const std::string& tenant, const std::string& token_id);
// The tenant's SCIM login for HTTP Basic: the password is read from standard input (one line).
int LoginSet(const CommonFlags& flags, const std::string& tenant, const std::string& username);
int LoginShow(const CommonFlags& flags, const std::string& tenant);
int LoginRemove(const CommonFlags& flags, const std::string& tenant);
// The audit log, newest first (docs/audit.md).
int AuditShow(const CommonFlags& flags, const std::optional<std::string>& tenant, int64_t limit);
// A tenant's schemas (docs/schemas.md): apply FILE (an RFC 7643 Schema or an array of them), list,
// remove an extension (or, for a core URN, every attribute the tenant added to it), and the report
// of attributes IdPs sent that no schema declares.
int SchemaApply(const CommonFlags& flags, const std::string& tenant, const std::string& file);
int SchemaList(const CommonFlags& flags, const std::string& tenant);
int SchemaRemove(const CommonFlags& flags, const std::string& tenant, const std::string& urn);
int SchemaUnmapped(const CommonFlags& flags, const std::string& tenant);
// Admin API accounts (docs/admin-api.md). create and password read the password from standard
// input (one line); key prints an API key for the operator alone on the last line.
int OperatorCreate(const CommonFlags& flags, const std::string& name);
int OperatorList(const CommonFlags& flags);
int OperatorDelete(const CommonFlags& flags, const std::string& name);
int OperatorPassword(const CommonFlags& flags, const std::string& name);
int OperatorKey(const CommonFlags& flags, const std::string& name, const std::string& label);
int ApiKeyIssue(const CommonFlags& flags, const std::optional<std::string>& tenant, const std::string& label);
int ApiKeyList(const CommonFlags& flags);
int ApiKeyRevoke(const CommonFlags& flags, const std::string& key_id);
struct OAuthClientFlags {
  std::optional<std::string> tenant;  // a client of this tenant; exclusive with `shared`
  bool shared = false;
  std::vector<std::string> redirect_uris;
  std::optional<std::string> okta_app;  // allow Okta's callbacks for this app name
};
// Prints client_id=… and client_secret=… as its last two lines (the secret is shown once).
int OAuthClientCreate(const CommonFlags& flags, const OAuthClientFlags& client);
int OAuthClientList(const CommonFlags& flags);
int OAuthClientDelete(const CommonFlags& flags, const std::string& client_id);
// Prints the tenant's events after `after`, one JSON object a line (flushed each), and follows new
// ones until SIGINT/SIGTERM, then exits 0.
// webhook add prints the signing secret alone on the last line of stdout; rotate prints the new one.
int WebhookAdd(const CommonFlags& flags, const std::string& tenant, const std::string& url,
               const std::string& event_types);
int WebhookList(const CommonFlags& flags, const std::string& tenant);
int WebhookRemove(const CommonFlags& flags, const std::string& tenant, const std::string& webhook_id);
int WebhookRotate(const CommonFlags& flags, const std::string& tenant, const std::string& webhook_id);
int WebhookDeliveries(const CommonFlags& flags, const std::string& tenant, const std::optional<std::string>& webhook_id,
                      const std::optional<std::string>& state, int64_t limit);
int WebhookRedeliver(const CommonFlags& flags, const std::string& tenant, int64_t delivery_id);
struct JournalFlags {
  bool errors_only = false;
  std::optional<std::string> resource;
  std::optional<std::string> text;
  int64_t limit = 50;
};
// The tenant's provisioning journal, newest first, one line per request.
int JournalShow(const CommonFlags& flags, const std::string& tenant, const JournalFlags& journal);
// An online, consistent copy of the database into FILE, and its restore (--force to replace a
// database that holds users or groups).
int Backup(const CommonFlags& flags, const std::string& file);
int Migrate(const CommonFlags& flags);
int Restore(const CommonFlags& flags, const std::string& file, bool force);
int EventsTail(const CommonFlags& flags, const std::string& tenant, const std::optional<std::string>& after);

}  // namespace scim::app

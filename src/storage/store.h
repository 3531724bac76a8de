// The storage interface: tenants, credentials, SCIM resources and group membership, per tenant.
// Backends (SQLite now, PostgreSQL later) implement Store; nothing above this layer names SQL.
//
// Model: a resource is its canonical JSON document (no id, meta, members or groups in it) plus a few
// columns the database indexes and enforces (userName unique per tenant case-insensitively,
// externalId, displayName, email values). Group membership is rows, changed by set algebra.
//
// Threads: every method of Store is thread-safe. Reads run on the caller's thread (microseconds on
// SQLite). Writes run as transaction functions on the backend's writer, which may commit several
// requests' functions in one transaction (group commit); each function runs in its own savepoint,
// so one request's failure never undoes another's. A write's completion runs once its commit is
// durable, on the writer's thread: keep completions short.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/filter.h"
#include "core/resource.h"
#include "core/schema.h"

namespace scim::storage {

using core::Result;

// The tenant is a type and always the first argument (STYLE §3.11).
struct TenantId {
  int64_t value = 0;
  bool operator==(const TenantId&) const = default;
};

enum class Kind { kUser = 1, kGroup = 2 };
const char* KindName(Kind kind);  // "User", "Group"

struct Tenant {
  TenantId id;
  std::string name;
  std::string created;   // RFC 3339
  std::string settings;  // JSON object text
};

struct TokenRecord {
  std::string id;        // public identifier, safe to show ("tok_…")
  TenantId tenant;
  std::string tenant_name;
  std::string label;
  std::string created;
  std::optional<std::string> expires;
  std::optional<std::string> last_used;
  std::optional<std::string> revoked;
  std::string tenant_settings;  // the tenant's settings (JSON object text), read with the token
};

// A resource row as stored.
struct ResourceRow {
  std::string id;
  std::string body;                        // canonical JSON text
  std::optional<std::string> user_name;    // User: userName
  std::optional<std::string> external_id;
  std::optional<std::string> display_name;
  std::vector<std::string> emails;         // email values, for the emails.value index
  std::optional<std::string> password_hash;  // unchanged on update when nullopt
  std::string created;                     // RFC 3339, UTC
  std::string last_modified;
  int64_t version = 1;
};

struct StoredResource {
  std::string id;
  Kind kind = Kind::kUser;
  std::string body;
  std::string created;
  std::string last_modified;
  int64_t version = 0;
};

// A member as stored, with what a response shows of it.
struct MemberRow {
  std::string value;    // member id
  Kind kind = Kind::kUser;
  std::string display;  // the member's displayName, else userName
};

// A group a user belongs to (for the user's read-only `groups`).
struct GroupRef {
  std::string value;
  std::string display;
};

// One resource type a list covers: /Users and /Groups cover one, a search at the root both.
struct ListScope {
  Kind kind;
  const core::ResourceType* type;
};

// sortBy (RFC 7644 §3.4.2.3). Ascending puts resources without a value last; descending is the
// exact reverse. Ties keep creation order, so pages are stable.
struct SortSpec {
  core::AttrPath path;
  bool descending = false;
};

struct ListRequest {
  const core::Filter* filter = nullptr;  // may be null: everything
  std::optional<SortSpec> sort;          // absent: creation order
  int64_t start_index = 1;               // 1-based; ignored when `cursor` is set
  int64_t count = 100;                   // page size (0: only totalResults)
  // Cursor pagination (RFC 9865): "" asks for the first page, otherwise a next/previous cursor this
  // store returned for the same filter and sort. Pages are found by key, not offset, so each costs
  // the same at any depth, and rows inserted or deleted meanwhile shift nothing.
  std::optional<std::string> cursor;
};

struct ListResult {
  int64_t total = 0;
  std::vector<StoredResource> resources;  // in the requested order
  std::optional<std::string> next_cursor;      // cursor paging: set when more follow
  std::optional<std::string> previous_cursor;  // cursor paging: set when this is not the first page
};

// A member as a membership change names it.
struct MemberRef {
  std::string value;
  Kind kind = Kind::kUser;
};

struct MemberChangeResult {
  bool changed = false;
  std::vector<std::string> unknown_members;  // ids that name no user or group of the tenant
  std::vector<MemberRef> added;              // in the order they were added
  std::vector<MemberRef> removed;
};

// What deleting a resource did.
struct DeleteResult {
  bool found = false;
  std::vector<std::string> left_groups;  // the groups the deleted resource was a member of
};

// ---- the outbox (events) ------------------------------------------------------------------------

// A change event as the outbox keeps it, written in the same transaction as the change. `body` is
// the event's JSON object without its cursor: the cursor is the store's sequence number, given out
// in commit order and spliced in when the event is read.
struct EventRow {
  std::string id;    // "evt_…", stable across redeliveries
  std::string type;  // core::EventTypeName
  std::string time;  // RFC 3339
  Kind kind = Kind::kUser;
  std::string resource_id;
  std::string body;  // JSON object text
};

struct StoredEvent {
  int64_t seq = 0;  // the cursor: strictly increasing per store, in commit order, never reused
  TenantId tenant;
  std::string id;
  std::string type;
  Kind kind = Kind::kUser;
  std::string resource_id;
  std::string body;
};

// The event as the feed and webhooks show it: `body` with "cursor" first.
std::string EventJson(const StoredEvent& event);

// ---- webhooks -----------------------------------------------------------------------------------

// A tenant's webhook endpoint. The signing secret is kept as it is (HMAC needs it); while a rotation
// overlaps, deliveries are signed with both secrets.
struct WebhookRecord {
  std::string id;  // "wh_…"
  TenantId tenant;
  std::string tenant_name;
  std::string url;
  std::string secret;
  std::optional<std::string> previous_secret;
  std::optional<std::string> previous_secret_until;  // RFC 3339: the old secret signs until then
  std::vector<std::string> event_types;              // empty: every type
  std::string created;
  int64_t cursor = 0;  // the last event seq turned into deliveries for this webhook
};

enum class DeliveryState { kPending = 0, kDelivered = 1, kDead = 2 };
const char* DeliveryStateName(DeliveryState state);  // "pending", "delivered", "dead"
std::optional<DeliveryState> ParseDeliveryState(std::string_view name);  // nullopt: none of those

// One event to one webhook, with what became of it.
struct DeliveryRecord {
  int64_t id = 0;
  std::string webhook_id;
  TenantId tenant;
  int64_t event_seq = 0;
  std::string event_id;
  std::string event_type;
  DeliveryState state = DeliveryState::kPending;
  int64_t attempts = 0;         // since the delivery was (re)queued
  int64_t next_attempt_ms = 0;  // Unix time in ms; pending deliveries are due from then
  std::optional<int64_t> last_status;  // the receiver's HTTP status; absent: no response
  std::string last_error;
  std::optional<std::string> last_attempt;
  std::optional<std::string> delivered;
};

// How far a webhook is: its deliveries by state, and the tenant's events it has not yet looked at
// (paused, or fan-out behind).
struct WebhookStats {
  int64_t pending = 0;
  int64_t delivered = 0;
  int64_t dead = 0;
  int64_t events_behind = 0;
};

// A due delivery with what sending it needs.
struct DueDelivery {
  DeliveryRecord delivery;
  WebhookRecord webhook;
  StoredEvent event;
};

// One try of a delivery, for the delivery log.
struct DeliveryAttempt {
  int64_t delivery_id = 0;
  std::string time;
  int64_t status = 0;  // 0: no HTTP response (connection failed, timed out)
  std::string error;   // empty on 2xx
  double duration_ms = 0;
  std::string response;  // the start of the receiver's body, for the operator
};

// What a finished attempt does to its delivery.
struct DeliveryOutcome {
  DeliveryState state = DeliveryState::kPending;
  int64_t attempts = 0;
  int64_t next_attempt_ms = 0;
};

// ---- the provisioning journal ------------------------------------------------------------------

// One SCIM request as an operator reads it later ("user X never arrived": what did the IdP send,
// what did we answer, what did it change).
struct JournalEntry {
  int64_t seq = 0;  // set by the store
  TenantId tenant;
  std::string time;  // RFC 3339, when the request arrived
  std::string credential;  // the credential's public id ("tok_…"); empty when authentication failed
  std::string idp;         // the IdP the request came from (okta, entra, …)
  std::string method;
  std::string path;
  std::string query;   // raw, as sent (filters are what IdPs look users up by)
  int64_t status = 0;
  std::string scim_type;
  std::string detail;  // the error's detail; empty on success
  double duration_ms = 0;
  std::optional<std::string> resource_type;  // "User" / "Group" when the request named or made one
  std::optional<std::string> resource_id;
  std::string request_body;  // secrets redacted, truncated
  std::vector<std::string> events;  // the ids of the events the request produced
  std::string note;  // IdP-dialect readings used, members skipped
};

// Which entries to read, newest first. Every condition is optional.
struct JournalQuery {
  std::optional<std::string> resource_id;
  std::optional<int64_t> status_min;  // inclusive
  std::optional<int64_t> status_max;  // inclusive
  std::optional<std::string> since;   // RFC 3339, inclusive
  std::optional<std::string> until;   // RFC 3339, exclusive
  std::optional<std::string> text;    // a substring of the path, query or body (case-insensitive)
  std::optional<int64_t> before_seq;  // paging: entries older than this one
  int64_t limit = 100;
};

// ---- SCIM logins (HTTP Basic) --------------------------------------------------------------------

// A tenant's SCIM username and the Argon2id hash of its password, for HTTP Basic (Okta's "Basic
// Auth" mode) and the OAuth authorize page. Usernames are unique across tenants, in any case, so
// that a shared base URL can tell the tenant from the username alone.
struct LoginRecord {
  TenantId tenant;
  std::string tenant_name;
  std::string tenant_settings;  // read with the login, as with tokens
  std::string username;
  std::string password_hash;
  std::string updated;
};

// ---- host API keys ------------------------------------------------------------------------------

// A key for the vendor's app (the host API: change feed, directory reads). Never a SCIM
// credential. A key without a tenant may read every tenant.
struct ApiKeyRecord {
  std::string id;  // public identifier ("key_…")
  std::optional<TenantId> tenant;
  std::string tenant_name;  // empty for an all-tenants key
  std::string label;
  std::string created;
  std::optional<std::string> last_used;
  std::optional<std::string> revoked;
};

// ---- OAuth 2 (RFC 6749): clients and the tokens issued to them -----------------------------------

// A client of scimd's authorization server. A tenant's client (Entra gallery apps: one per
// customer) gets tokens for its tenant; a shared client (Okta Integration Network apps: one for
// every customer) has no tenant, and the login on the authorize page decides.
struct OAuthClientRecord {
  std::string id;                          // client_id ("scimdc_…"), public
  std::optional<TenantId> tenant;          // absent: shared
  std::string tenant_name;                 // empty for a shared client
  std::string secret_hash;                 // auth::HashTokenSecret of the client secret
  std::vector<std::string> redirect_uris;  // exact match
  std::string okta_app;                    // not empty: Okta's callback URLs for this app are allowed
  std::string created;
};

// An access or refresh token, found by the hash of its secret. Refresh tokens of one grant share a
// `family`, so that reusing a rotated one can revoke them all.
struct OAuthTokenRecord {
  std::string id;          // public identifier, for logs ("oat_…")
  std::string kind;        // "access" or "refresh"
  std::string client_id;
  TenantId tenant;
  std::string tenant_name;
  std::string tenant_settings;  // read with the token, as for bearer tokens
  std::string family;
  std::string created;
  std::string expires;     // RFC 3339
  std::optional<std::string> used;     // a refresh token: when it was exchanged
  std::optional<std::string> revoked;
};

// An authorization code (RFC 6749 §4.1), found by the hash of the code. Single use: `used` is set
// by the exchange that consumes it.
struct OAuthCodeRecord {
  std::string client_id;
  TenantId tenant;
  std::string tenant_name;
  std::string redirect_uri;
  std::string code_challenge;  // PKCE S256 challenge; empty when none was sent
  std::string scope;
  std::string family;          // the tokens issued from this code carry it
  std::string created;
  std::string expires;
  std::optional<std::string> used;
};

// ---- the admin API's accounts --------------------------------------------------------------------

// A person or program that manages scimd through the admin API: an operator (every tenant) or a
// tenant admin (one tenant's credentials). Names are unique in any case.
struct AdminAccount {
  std::string id;    // public identifier ("adm_…")
  std::string name;
  std::string role;  // "operator" or "tenant_admin"
  std::optional<TenantId> tenant;  // a tenant admin's tenant
  std::string tenant_name;
  std::string password_hash;  // Argon2id
  std::string created;
};

// A credential of an account: a console session (a cookie) or an API key (a bearer token). Stored
// as the HashTokenSecret of its secret.
struct AdminCredential {
  std::string id;    // public identifier ("ses_…", "akey_…")
  std::string kind;  // "session" or "key"
  std::string account_id;
  std::string label;
  std::string csrf;  // a session's anti-CSRF token (empty for keys)
  std::string created;
  std::optional<std::string> expires;
  std::optional<std::string> last_used;
  std::optional<std::string> revoked;
};

// A credential found by its hash, with the account it belongs to.
struct AdminCredentialMatch {
  AdminCredential credential;
  AdminAccount account;
};

// An invitation to become a tenant admin: a single-use code an operator hands to a customer's admin.
struct AdminInvite {
  std::string id;  // public identifier ("inv_…")
  TenantId tenant;
  std::string tenant_name;
  std::string created_by;  // the inviting account's name
  std::string created;
  std::string expires;
  std::optional<std::string> used;
};

// ---- manager links (directory/managers.h) ---------------------------------------------------------

// The user fields a manager reference may name.
enum class UserKey { kId, kUserName, kEmail, kExternalId };

// A user's enterprise manager as the IdP sent it (`raw`: an id, userName, email or externalId) and
// whom it resolved to; pending (no manager_id) until that user exists.
struct ManagerLink {
  std::string report_id;
  std::string raw;
  std::optional<std::string> manager_id;
};

// ---- tombstones ---------------------------------------------------------------------------------

// What stays of a deleted resource for a while (the tenant's delete_retention_days): its ids, so
// that an IdP re-creating it (a reactivation) gets it back under the same SCIM id, and, for a
// tenant whose delete_mode is soft, its document.
struct Tombstone {
  std::string id;
  Kind kind = Kind::kUser;
  std::optional<std::string> user_name;
  std::optional<std::string> external_id;
  std::optional<std::string> display_name;
  std::optional<std::string> body;  // soft deletes only
  std::string created;              // the resource's
  std::string deleted;
  std::string purge_after;
};

// ---- held deprovisioning (the circuit breaker, directory/deprovision_guard.h) ----------------------

// A deprovisioning request (a deactivation or a delete) held for an operator's decision, as the IdP
// sent it: replayed when applied.
struct HeldChange {
  std::string id;  // "held_…"
  TenantId tenant;
  std::string resource_id;
  std::string action;   // "deactivate" or "delete"
  std::string method;   // "PATCH", "PUT", "DELETE"
  std::string path;     // below the tenant's base URL: "/Users/{id}"
  std::string body;
  std::string created;
  std::string state = "pending";  // "pending", "applied", "discarded"
  std::optional<std::string> decided_by;
  std::optional<std::string> decided;
};

// ---- tenant schemas ------------------------------------------------------------------------------

// A schema a tenant declared (directory/tenant_schemas.h): an extension, or the attributes it adds
// to a core schema, as an RFC 7643 §7 document (JSON text).
struct TenantSchemaRecord {
  std::string urn;
  std::string definition;
  std::string updated;
};

// ---- the audit log: every credential and admin action -------------------------------------------

// Who did what to which credential or setting, when and from where; never a secret. Entries
// outlive their tenant (tenant_name stays; tenant is not a reference).
struct AuditEntry {
  int64_t seq = 0;          // set when stored; increases
  std::string time;         // RFC 3339
  std::string actor;        // "cli:root", "login:okta-admin", "oauth:scimdc_…"
  std::string source;       // "local" (the CLI) or the client's address
  std::string action;       // "token.issue", "oauth.authorize", … (docs/audit.md)
  std::string tenant_name;  // empty for server-wide actions
  std::string target;       // the public id of what was acted on ("tok_…", a username, a client id)
  std::string detail;       // a JSON object
};

struct AuditQuery {
  std::optional<std::string> tenant_name;  // any case
  std::optional<int64_t> before;           // seq: entries older than this
  int64_t limit = 100;
};

// What a write transaction function may do. Only valid inside Store::Write's function.
class WriteTxn {
 public:
  virtual ~WriteTxn() = default;

  virtual Result<std::optional<StoredResource>> Get(TenantId tenant, Kind kind, const std::string& id) = 0;
  // Errors: kUniqueness when userName (users) or displayName (groups) is taken in the tenant,
  // case-insensitively.
  virtual Result<void> Insert(TenantId tenant, Kind kind, const ResourceRow& row) = 0;
  // Replaces the row with id row.id. Errors: kNotFound, kUniqueness (as Insert).
  virtual Result<void> Update(TenantId tenant, Kind kind, const ResourceRow& row) = 0;
  // Sets last_modified and version only (a membership-only change). Errors: kNotFound.
  virtual Result<void> Touch(TenantId tenant, Kind kind, const std::string& id, const std::string& last_modified,
                             int64_t version) = 0;
  // Deletes the resource and every membership row that names it; groups that lose a member get
  // `now` as lastModified and a new version (they are listed in the result). found = false when
  // absent.
  virtual Result<DeleteResult> Delete(TenantId tenant, Kind kind, const std::string& id, const std::string& now) = 0;
  // Applies `ops` in order to the group's membership rows. Members that name no resource of the
  // tenant are skipped and listed in the result, or, when `reject_unknown`, fail with kInvalidValue.
  // The result lists the members actually added and removed (a no-op names nobody).
  virtual Result<MemberChangeResult> ApplyMemberOps(TenantId tenant, const std::string& group_id,
                                                    const std::vector<core::MemberOp>& ops, bool reject_unknown) = 0;

  // Tenants and tokens.
  virtual Result<Tenant> CreateTenant(const std::string& name, const std::string& created) = 0;  // kConflict
  virtual Result<bool> DeleteTenant(const std::string& name) = 0;
  // Replaces the tenant's settings (JSON object text). Returns false when there is no such tenant.
  virtual Result<bool> SetTenantSettings(const std::string& name, const std::string& settings) = 0;
  virtual Result<void> InsertToken(const TokenRecord& token, const std::string& hash) = 0;
  virtual Result<bool> RevokeToken(TenantId tenant, const std::string& token_id, const std::string& when) = 0;
  // Makes a live token expire at `when` at the latest (an earlier expiry stays). Returns false when
  // the tenant has no such token, or it is revoked.
  virtual Result<bool> ExpireToken(TenantId tenant, const std::string& token_id, const std::string& when) = 0;
  virtual Result<void> TouchToken(const std::string& token_id, const std::string& when) = 0;

  // The outbox: appended in the transaction of the change it describes.
  virtual Result<void> AppendEvent(TenantId tenant, const EventRow& event) = 0;

  // Webhooks. InsertWebhook starts the webhook's cursor at the tenant's newest event: it receives
  // what happens from now on.
  virtual Result<void> InsertWebhook(const WebhookRecord& webhook) = 0;
  // Deletes the webhook with its deliveries and their log. Returns false when there is none.
  virtual Result<bool> DeleteWebhook(TenantId tenant, const std::string& webhook_id) = 0;
  // Replaces the secret; the old one keeps signing until `previous_until`. False when absent.
  virtual Result<bool> RotateWebhookSecret(TenantId tenant, const std::string& webhook_id, const std::string& secret,
                                           const std::string& previous_until) = 0;
  // Turns up to `limit` of the tenant's events after the webhook's cursor into pending deliveries
  // (those of the types it takes), due at `now_ms`, and advances the cursor. Returns how many
  // events it looked at.
  virtual Result<int64_t> FanOut(const std::string& webhook_id, int64_t now_ms, int64_t limit) = 0;
  // Logs an attempt and moves its delivery to `outcome` (delivered, dead, or pending again later).
  virtual Result<void> RecordAttempt(const DeliveryAttempt& attempt, const DeliveryOutcome& outcome) = 0;
  // Queues a delivery again (a dead letter, or a delivered one to resend) with a fresh attempt count,
  // due at `now_ms`. False when the tenant has no such delivery.
  virtual Result<bool> Redeliver(TenantId tenant, int64_t delivery_id, int64_t now_ms) = 0;

  // The journal: entries are appended in batches; PurgeJournal deletes up to `limit` entries older
  // than `before` (RFC 3339) and returns how many it deleted.
  virtual Result<void> AppendJournal(const std::vector<JournalEntry>& entries) = 0;
  virtual Result<int64_t> PurgeJournal(const std::string& before, int64_t limit) = 0;

  // Sets (adds or replaces) the tenant's login. Errors: kUniqueness when another tenant has that
  // username (in any case).
  virtual Result<void> SetLogin(TenantId tenant, const std::string& username, const std::string& password_hash,
                                const std::string& now) = 0;
  // Returns false when the tenant had no login.
  virtual Result<bool> RemoveLogin(TenantId tenant) = 0;

  // Host API keys. `hash` is auth::HashTokenSecret of the secret.
  virtual Result<void> InsertApiKey(const ApiKeyRecord& key, const std::string& hash) = 0;
  // Returns false when there is no such key.
  virtual Result<bool> RevokeApiKey(const std::string& key_id, const std::string& when) = 0;
  virtual Result<void> TouchApiKey(const std::string& key_id, const std::string& when) = 0;

  // OAuth. Deleting a client deletes its tokens; returns false when there was no such client.
  virtual Result<void> InsertOAuthClient(const OAuthClientRecord& client) = 0;
  virtual Result<bool> DeleteOAuthClient(const std::string& client_id) = 0;
  // `hash` is auth::HashTokenSecret of the token. Also deletes up to a few hundred tokens that
  // expired before `record.created`, so that expired tokens do not pile up.
  virtual Result<void> InsertOAuthToken(const OAuthTokenRecord& record, const std::string& hash) = 0;
  // Also deletes codes that expired before `record.created`.
  virtual Result<void> InsertOAuthCode(const OAuthCodeRecord& record, const std::string& hash) = 0;
  // The code or refresh token as it was, marking it used at `now` when it was not yet: a second
  // exchange sees `used` set. nullopt when there is none (a refresh lookup sees refresh tokens only).
  virtual Result<std::optional<OAuthCodeRecord>> ConsumeOAuthCode(const std::string& hash, const std::string& now) = 0;
  virtual Result<std::optional<OAuthTokenRecord>> ConsumeOAuthRefreshToken(const std::string& hash,
                                                                           const std::string& now) = 0;
  // Revokes every token of the family (a reused code or refresh token: RFC 6749 §4.1.2, §10.4).
  virtual Result<void> RevokeOAuthFamily(const std::string& family, const std::string& when) = 0;

  virtual Result<void> AppendAudit(const AuditEntry& entry) = 0;

  // Admin accounts. Errors: kUniqueness when the name is taken (in any case). Deleting an account
  // deletes its sessions and keys; returns false when there was none.
  virtual Result<void> InsertAdminAccount(const AdminAccount& account) = 0;
  virtual Result<bool> DeleteAdminAccount(const std::string& account_id) = 0;
  // Replaces the password hash and revokes the account's sessions; false when there is no account.
  virtual Result<bool> SetAdminPassword(const std::string& account_id, const std::string& password_hash,
                                        const std::string& when) = 0;
  // `hash` is auth::HashTokenSecret of the secret. Also deletes sessions that expired before
  // `credential.created`, so that they do not pile up.
  virtual Result<void> InsertAdminCredential(const AdminCredential& credential, const std::string& hash) = 0;
  // Revokes the account's credential; false when the account has no such live credential.
  virtual Result<bool> RevokeAdminCredential(const std::string& account_id, const std::string& credential_id,
                                             const std::string& when) = 0;
  virtual Result<void> TouchAdminCredential(const std::string& credential_id, const std::string& when) = 0;
  virtual Result<void> InsertAdminInvite(const AdminInvite& invite, const std::string& hash) = 0;
  // The invitation as it was, marking it used at `now` when it was not yet (single use).
  virtual Result<std::optional<AdminInvite>> ConsumeAdminInvite(const std::string& hash, const std::string& now) = 0;

  // Tenant schemas. Put adds or replaces the tenant's schema `urn`; Delete returns false when there
  // was none. BumpSchemaRevision adds one to the tenant's settings' "schema_revision" (which
  // SetTenantSettings never changes), so every process sees that its schemas changed.
  virtual Result<std::vector<TenantSchemaRecord>> TenantSchemas(TenantId tenant) = 0;
  virtual Result<void> PutTenantSchema(TenantId tenant, const TenantSchemaRecord& schema) = 0;
  virtual Result<bool> DeleteTenantSchema(TenantId tenant, const std::string& urn) = 0;
  virtual Result<void> BumpSchemaRevision(TenantId tenant) = 0;
  // What a resource holds that its tenant's schemas do not declare (a JSON object's text), kept
  // apart from the document: attributes an IdP sent that the tenant keeps unmapped, and attributes
  // a schema change hid. nullopt: nothing. Deleted with the resource.
  virtual Result<std::optional<std::string>> GetUnmapped(TenantId tenant, Kind kind, const std::string& id) = 0;
  virtual Result<void> SetUnmapped(TenantId tenant, Kind kind, const std::string& id,
                                   const std::optional<std::string>& unmapped) = 0;
  // Up to `limit` of the tenant's resources of `kind` with id > `after_id`, in id order (with
  // their unmapped parts), for rewriting every document after a schema change.
  virtual Result<std::vector<std::pair<StoredResource, std::optional<std::string>>>> ResourcesAfter(
      TenantId tenant, Kind kind, const std::string& after_id, int64_t limit) = 0;
  // The tenant's user whose `key` equals `value`: id and externalId exactly, userName and email in
  // any case; of several with one email, the first created.
  virtual Result<std::optional<StoredResource>> FindUser(TenantId tenant, UserKey key, const std::string& value) = 0;
  // Sets (adds or replaces) the report's link; RemoveManagerLink returns false when it had none.
  virtual Result<void> SetManagerLink(TenantId tenant, const ManagerLink& link) = 0;
  virtual Result<bool> RemoveManagerLink(TenantId tenant, const std::string& report_id) = 0;
  // Pending links whose raw value is one of `keys` (any case).
  virtual Result<std::vector<ManagerLink>> PendingManagerLinks(TenantId tenant, const std::vector<std::string>& keys) = 0;
  // The links resolved to `manager_id` (its direct reports).
  virtual Result<std::vector<ManagerLink>> ReportsOf(TenantId tenant, const std::string& manager_id) = 0;
  // Tombstones. Insert replaces one of the same id; Delete returns false when there was none;
  // Purge deletes up to `limit` whose purge_after is before `now` and returns how many.
  virtual Result<void> InsertTombstone(TenantId tenant, const Tombstone& tombstone) = 0;
  virtual Result<bool> DeleteTombstone(TenantId tenant, const std::string& id) = 0;
  virtual Result<int64_t> PurgeTombstones(const std::string& now, int64_t limit) = 0;
  virtual Result<void> InsertHeldChange(const HeldChange& change) = 0;
  // Moves a pending held change to `state` ("applied", "discarded"); false when it is not pending.
  virtual Result<bool> DecideHeldChange(TenantId tenant, const std::string& id, const std::string& state,
                                        const std::string& decided_by, const std::string& when) = 0;
  // Replaces a document's body only (no indexed column may change) and sets its version.
  virtual Result<void> RewriteBody(TenantId tenant, Kind kind, const std::string& id, const std::string& body,
                                   int64_t version) = 0;
};

using WriteFn = std::function<Result<void>(WriteTxn&)>;
using WriteDone = std::function<void(Result<void>)>;

class Store {
 public:
  virtual ~Store() = default;

  // Runs `fn` in a transaction on the writer. `done` gets fn's error, or a commit error, or success
  // once the change is durable. Returns at once.
  virtual void Write(WriteFn fn, WriteDone done) = 0;
  // Convenience: Write and wait (CLI, tests, start-up).
  Result<void> WriteSync(WriteFn fn);

  // Reads.
  virtual Result<std::optional<Tenant>> FindTenant(const std::string& name) = 0;
  virtual Result<std::vector<Tenant>> ListTenants() = 0;
  // Looks a token up by the hash of its secret. Revoked tokens are returned with `revoked` set.
  virtual Result<std::optional<TokenRecord>> FindTokenByHash(const std::string& hash) = 0;
  virtual Result<std::vector<TokenRecord>> ListTokens(TenantId tenant) = 0;

  virtual Result<std::optional<StoredResource>> Get(TenantId tenant, Kind kind, const std::string& id) = 0;
  // The resources of `scopes` (one or more types) that match the request's filter, one page of them.
  // With several scopes, a filter or sortBy naming an attribute one type lacks excludes that type
  // (filter) or sorts its resources as having no value (sortBy).
  // Errors: kInvalidFilter when the filter names something that cannot be queried (in every scope);
  // kInvalidValue when sortBy names nothing sortable; kInvalidCursor for a cursor this store did not
  // issue for this filter and sort.
  virtual Result<ListResult> List(TenantId tenant, const std::vector<ListScope>& scopes,
                                  const core::SchemaRegistry& registry, const ListRequest& request) = 0;
  // How the database would run List's page query: one line per step of its plan, as the engine
  // words it. For operators checking that a filter or sort uses an index, and for tests that pin it.
  virtual Result<std::string> ExplainList(TenantId tenant, const std::vector<ListScope>& scopes,
                                          const core::SchemaRegistry& registry, const ListRequest& request) = 0;
  virtual Result<std::vector<MemberRow>> Members(TenantId tenant, const std::string& group_id) = 0;
  virtual Result<std::vector<GroupRef>> GroupsOf(TenantId tenant, const std::string& member_id) = 0;

  // The change feed: the tenant's events with seq > `after`, in seq order, at most `limit`. Seqs
  // are given out in commit order, so a reader that resumes after the last seq it saw misses
  // nothing and sees nothing twice.
  virtual Result<std::vector<StoredEvent>> EventsAfter(TenantId tenant, int64_t after, int64_t limit) = 0;
  // The tenant's newest event seq (0: none yet).
  virtual Result<int64_t> LastEventSeq(TenantId tenant) = 0;

  // Webhooks: one tenant's, or every tenant's (nullopt).
  virtual Result<std::vector<WebhookRecord>> ListWebhooks(std::optional<TenantId> tenant) = 0;
  // nullopt when the tenant has no such webhook.
  virtual Result<std::optional<WebhookStats>> GetWebhookStats(TenantId tenant, const std::string& webhook_id) = 0;
  // Pending deliveries due at `now_ms`, oldest first, at most `limit`, skipping the tenants in
  // `paused`. Per webhook and resource only the oldest pending delivery is ever due, so a resource's
  // events reach a receiver in order even across retries.
  virtual Result<std::vector<DueDelivery>> DueDeliveries(int64_t now_ms, const std::vector<TenantId>& paused,
                                                         int64_t limit) = 0;
  // A tenant's deliveries, newest first, optionally of one webhook and in one state.
  virtual Result<std::vector<DeliveryRecord>> ListDeliveries(TenantId tenant, const std::optional<std::string>& webhook_id,
                                                             std::optional<DeliveryState> state, int64_t limit) = 0;
  virtual Result<std::optional<DeliveryRecord>> FindDelivery(TenantId tenant, int64_t delivery_id) = 0;
  virtual Result<std::vector<DeliveryAttempt>> DeliveryAttempts(TenantId tenant, int64_t delivery_id) = 0;

  virtual Result<std::vector<JournalEntry>> ReadJournal(TenantId tenant, const JournalQuery& query) = 0;

  // The login with this username (any case), if any.
  virtual Result<std::optional<LoginRecord>> FindLogin(const std::string& username) = 0;
  virtual Result<std::optional<LoginRecord>> LoginOf(TenantId tenant) = 0;

  // Host API keys; revoked keys are returned with `revoked` set.
  virtual Result<std::optional<ApiKeyRecord>> FindApiKeyByHash(const std::string& hash) = 0;
  virtual Result<std::vector<ApiKeyRecord>> ListApiKeys() = 0;

  // OAuth clients (with their secret's hash) and tokens; expired and revoked tokens are returned
  // as stored, for the caller to refuse.
  virtual Result<std::optional<OAuthClientRecord>> FindOAuthClient(const std::string& client_id) = 0;
  virtual Result<std::vector<OAuthClientRecord>> ListOAuthClients() = 0;
  virtual Result<std::optional<OAuthTokenRecord>> FindOAuthTokenByHash(const std::string& hash) = 0;

  // Audit entries, newest first.
  virtual Result<std::vector<AuditEntry>> ReadAudit(const AuditQuery& query) = 0;

  // Admin accounts: by name (any case), all of them or one tenant's admins (tenant set).
  virtual Result<std::optional<AdminAccount>> FindAdminAccount(const std::string& name) = 0;
  virtual Result<std::vector<AdminAccount>> ListAdminAccounts(std::optional<TenantId> tenant) = 0;
  // A session or key by the hash of its secret, with its account; revoked and expired ones are
  // returned as stored, for the caller to refuse.
  virtual Result<std::optional<AdminCredentialMatch>> FindAdminCredentialByHash(const std::string& hash) = 0;
  // An account's API keys (not its sessions), oldest first.
  virtual Result<std::vector<AdminCredential>> ListAdminKeys(const std::string& account_id) = 0;

  // As WriteTxn::FindUser, from a reader.
  virtual Result<std::optional<StoredResource>> FindUser(TenantId tenant, UserKey key, const std::string& value) = 0;
  // The newest tombstone of `kind` whose externalId is `external_id` (exactly) or, failing that,
  // whose userName (users) or displayName (groups) is `name` (any case).
  virtual Result<std::optional<Tombstone>> FindTombstone(TenantId tenant, Kind kind,
                                                         const std::optional<std::string>& external_id,
                                                         const std::optional<std::string>& name) = 0;
  virtual Result<std::vector<Tombstone>> ListTombstones(TenantId tenant, int64_t limit) = 0;
  // The tenant's held changes, newest first, optionally in one state.
  virtual Result<std::vector<HeldChange>> ListHeldChanges(TenantId tenant, const std::optional<std::string>& state,
                                                          int64_t limit) = 0;
  // How many of the tenant's events since `since` (RFC 3339) have one of `types`.
  virtual Result<int64_t> CountEventsSince(TenantId tenant, const std::vector<std::string>& types,
                                           const std::string& since) = 0;
  // Every manager link of the tenant (resolved and pending), by report id.
  virtual Result<std::vector<ManagerLink>> ManagerLinks(TenantId tenant) = 0;

  virtual Result<std::vector<TenantSchemaRecord>> TenantSchemas(TenantId tenant) = 0;
  virtual Result<std::optional<std::string>> GetUnmapped(TenantId tenant, Kind kind, const std::string& id) = 0;
  // The unmapped parts of the tenant's resources (JSON objects' text), at most `limit`, for the
  // report of what IdPs send that no schema declares.
  virtual Result<std::vector<std::string>> UnmappedOf(TenantId tenant, int64_t limit) = 0;
  // GroupsOf for each of `member_ids` in one query (a page of users): element i is member_ids[i]'s.
  virtual Result<std::vector<std::vector<GroupRef>>> GroupsOfEach(TenantId tenant,
                                                                  const std::vector<std::string>& member_ids) = 0;
};

}  // namespace scim::storage

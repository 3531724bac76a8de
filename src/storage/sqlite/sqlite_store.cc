// SQLite implementation of Store. See sqlite_store.h for the durability and concurrency model.
#include "storage/sqlite/sqlite_store.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "core/json.h"
#include "storage/cursor.h"
#include "storage/list_query.h"
#include "storage/sql_rows.h"
#include "storage/sqlite/connection.h"

namespace scim::storage {
namespace {

using core::ErrorType;
using core::Fail;
using sqlite::Connection;
using sqlite::Statement;

// Schema versions, applied in order inside one transaction each. Never edit a shipped entry:
// append a new one.
constexpr const char* kMigrations[] = {
    // 1: tenants, tokens, resources with their indexed columns, email index, memberships.
    R"sql(
CREATE TABLE tenants (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  created TEXT NOT NULL,
  settings TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX tenants_name ON tenants(lower(name));

CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  hash TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL,
  expires TEXT,
  last_used TEXT,
  revoked TEXT
);
CREATE INDEX tokens_tenant ON tokens(tenant_id);

CREATE TABLE resources (
  seq INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind INTEGER NOT NULL,
  id TEXT NOT NULL,
  user_name TEXT,
  external_id TEXT,
  display_name TEXT,
  body TEXT NOT NULL,
  password_hash TEXT,
  created TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  version INTEGER NOT NULL
);
CREATE UNIQUE INDEX resources_id ON resources(tenant_id, kind, id);
CREATE UNIQUE INDEX resources_user_name ON resources(tenant_id, kind, lower(user_name)) WHERE user_name IS NOT NULL;
CREATE INDEX resources_external_id ON resources(tenant_id, kind, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX resources_display_name ON resources(tenant_id, kind, lower(display_name));
CREATE INDEX resources_last_modified ON resources(tenant_id, kind, last_modified);

CREATE TABLE resource_emails (
  resource_seq INTEGER NOT NULL REFERENCES resources(seq) ON DELETE CASCADE,
  tenant_id INTEGER NOT NULL,
  value_lower TEXT NOT NULL
);
CREATE INDEX resource_emails_value ON resource_emails(tenant_id, value_lower);
CREATE INDEX resource_emails_seq ON resource_emails(resource_seq);

CREATE TABLE memberships (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  group_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  member_kind INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, group_id, member_id)
) WITHOUT ROWID;
CREATE INDEX memberships_member ON memberships(tenant_id, member_id);
)sql",
    // 2: lists in creation order (and cursor pages) walk an index instead of sorting the tenant's
    // rows per page: the rowid `seq` follows (tenant_id, kind) in this index.
    R"sql(
CREATE INDEX resources_tenant_kind ON resources(tenant_id, kind);
)sql",
    // 3: the outbox of change events (seq is the feed's cursor: AUTOINCREMENT, so never reused even
    // when the newest events are purged) and host API keys.
    R"sql(
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  time TEXT NOT NULL,
  kind INTEGER NOT NULL,
  resource_id TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX events_tenant_seq ON events(tenant_id, seq);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id INTEGER REFERENCES tenants(id) ON DELETE CASCADE,
  hash TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL,
  last_used TEXT,
  revoked TEXT
);
)sql",
    // 4: webhooks, their deliveries (one per event and webhook) and the log of delivery attempts.
    R"sql(
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  previous_secret TEXT,
  previous_secret_until TEXT,
  event_types TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL,
  cursor INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhooks_tenant ON webhooks(tenant_id);

CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  webhook_id TEXT NOT NULL,
  tenant_id INTEGER NOT NULL,
  event_seq INTEGER NOT NULL,
  resource_key TEXT NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  last_status INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  last_attempt TEXT,
  delivered TEXT
);
CREATE INDEX deliveries_pending ON deliveries(state, id);
CREATE INDEX deliveries_order ON deliveries(webhook_id, resource_key, state, id);
CREATE INDEX deliveries_tenant ON deliveries(tenant_id, id);

CREATE TABLE delivery_attempts (
  id INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL,
  time TEXT NOT NULL,
  status INTEGER NOT NULL,
  error TEXT NOT NULL,
  duration_ms REAL NOT NULL,
  response TEXT NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id);
)sql",
    // 5: the provisioning journal: every SCIM request of a tenant, for the operator.
    R"sql(
CREATE TABLE journal (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id INTEGER NOT NULL,
  time TEXT NOT NULL,
  credential TEXT NOT NULL,
  idp TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  query TEXT NOT NULL,
  status INTEGER NOT NULL,
  scim_type TEXT NOT NULL,
  detail TEXT NOT NULL,
  duration_ms REAL NOT NULL,
  resource_type TEXT,
  resource_id TEXT,
  request_body TEXT NOT NULL,
  events TEXT NOT NULL,
  note TEXT NOT NULL
);
CREATE INDEX journal_tenant ON journal(tenant_id, seq);
CREATE INDEX journal_resource ON journal(tenant_id, resource_id, seq) WHERE resource_id IS NOT NULL;
)sql",
    // 6: a SCIM username and password per tenant (HTTP Basic); usernames unique across tenants.
    R"sql(
CREATE TABLE logins (
  tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  username TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  updated TEXT NOT NULL
);
CREATE UNIQUE INDEX logins_username ON logins(lower(username));
)sql",
    // 7: OAuth 2 clients and the access and refresh tokens issued to them (hashed).
    R"sql(
CREATE TABLE oauth_clients (
  id TEXT PRIMARY KEY,
  tenant_id INTEGER REFERENCES tenants(id) ON DELETE CASCADE,
  secret_hash TEXT NOT NULL,
  redirect_uris TEXT NOT NULL,
  okta_app TEXT NOT NULL,
  created TEXT NOT NULL
);
CREATE TABLE oauth_tokens (
  hash TEXT PRIMARY KEY,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  client_id TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  family TEXT NOT NULL,
  created TEXT NOT NULL,
  expires TEXT NOT NULL,
  used TEXT,
  revoked TEXT
) WITHOUT ROWID;
CREATE INDEX oauth_tokens_expires ON oauth_tokens(expires);
CREATE INDEX oauth_tokens_family ON oauth_tokens(family);
CREATE INDEX oauth_tokens_client ON oauth_tokens(client_id);
CREATE INDEX oauth_tokens_tenant ON oauth_tokens(tenant_id);
)sql",
    // 8: OAuth authorization codes (hashed, single use, short-lived).
    R"sql(
CREATE TABLE oauth_codes (
  hash TEXT PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  redirect_uri TEXT NOT NULL,
  code_challenge TEXT NOT NULL,
  scope TEXT NOT NULL,
  family TEXT NOT NULL,
  created TEXT NOT NULL,
  expires TEXT NOT NULL,
  used TEXT
) WITHOUT ROWID;
CREATE INDEX oauth_codes_expires ON oauth_codes(expires);
CREATE INDEX oauth_codes_client ON oauth_codes(client_id);
CREATE INDEX oauth_codes_tenant ON oauth_codes(tenant_id);
)sql",
    // 9: the audit log of credential and admin actions.
    R"sql(
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  source TEXT NOT NULL,
  action TEXT NOT NULL,
  tenant_name TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX audit_tenant ON audit(lower(tenant_name), seq);
)sql",
    // 10: the admin API's accounts (operators, tenant admins), their sessions and keys, invitations.
    R"sql(
CREATE TABLE admin_accounts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('operator', 'tenant_admin')),
  tenant_id INTEGER REFERENCES tenants(id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  created TEXT NOT NULL,
  CHECK ((role = 'operator') = (tenant_id IS NULL))
);
CREATE UNIQUE INDEX admin_accounts_name ON admin_accounts(lower(name));
CREATE INDEX admin_accounts_tenant ON admin_accounts(tenant_id);
CREATE TABLE admin_credentials (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('session', 'key')),
  account_id TEXT NOT NULL REFERENCES admin_accounts(id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  csrf TEXT NOT NULL,
  created TEXT NOT NULL,
  expires TEXT,
  last_used TEXT,
  revoked TEXT
);
CREATE INDEX admin_credentials_account ON admin_credentials(account_id);
CREATE INDEX admin_credentials_expires ON admin_credentials(expires) WHERE kind = 'session';
CREATE TABLE admin_invites (
  hash TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  created_by TEXT NOT NULL,
  created TEXT NOT NULL,
  expires TEXT NOT NULL,
  used TEXT
) WITHOUT ROWID;
CREATE INDEX admin_invites_tenant ON admin_invites(tenant_id);
)sql",
    // 11: the schemas tenants declare, and what resources hold that no schema declares.
    R"sql(
CREATE TABLE tenant_schemas (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  urn TEXT NOT NULL,
  definition TEXT NOT NULL,
  updated TEXT NOT NULL,
  PRIMARY KEY (tenant_id, urn)
) WITHOUT ROWID;
CREATE TABLE resource_unmapped (
  resource_seq INTEGER PRIMARY KEY REFERENCES resources(seq) ON DELETE CASCADE,
  tenant_id INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX resource_unmapped_tenant ON resource_unmapped(tenant_id);
)sql",
    // 12: users' enterprise managers as sent, resolved or pending.
    R"sql(
CREATE TABLE manager_links (
  report_seq INTEGER PRIMARY KEY REFERENCES resources(seq) ON DELETE CASCADE,
  tenant_id INTEGER NOT NULL,
  report_id TEXT NOT NULL,
  raw TEXT NOT NULL,
  manager_id TEXT
);
CREATE INDEX manager_links_manager ON manager_links(tenant_id, manager_id) WHERE manager_id IS NOT NULL;
CREATE INDEX manager_links_pending ON manager_links(tenant_id, lower(raw)) WHERE manager_id IS NULL;
)sql",
    // 13: tombstones of deleted resources.
    R"sql(
CREATE TABLE tombstones (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  kind INTEGER NOT NULL,
  user_name TEXT,
  external_id TEXT,
  display_name TEXT,
  body TEXT,
  created TEXT NOT NULL,
  deleted TEXT NOT NULL,
  purge_after TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX tombstones_external_id ON tombstones(tenant_id, kind, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX tombstones_name ON tombstones(tenant_id, kind, lower(COALESCE(user_name, display_name)));
CREATE INDEX tombstones_purge ON tombstones(purge_after);
)sql",
    // 14: deprovisioning requests held by the circuit breaker; events counted by type and time.
    R"sql(
CREATE TABLE held_changes (
  id TEXT PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  resource_id TEXT NOT NULL,
  action TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  body TEXT NOT NULL,
  created TEXT NOT NULL,
  state TEXT NOT NULL,
  decided_by TEXT,
  decided TEXT
);
CREATE INDEX held_changes_tenant ON held_changes(tenant_id, state, created);
CREATE INDEX events_tenant_type_time ON events(tenant_id, type, time);
)sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

Result<std::optional<StoredResource>> GetResource(Connection& db, TenantId tenant, Kind kind, const std::string& id) {
  auto s = db.Prepare(std::string("SELECT ") + kResourceColumns +
                      " FROM resources r WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3");
  if (!s) return std::unexpected(s.error());
  s->Bind(1, tenant.value).Bind(2, int64_t{static_cast<int>(kind)}).Bind(3, id);
  auto row = s->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<StoredResource>();
  return std::optional<StoredResource>(ReadResource(*s));
}

// Binds a list page's parameters (?1, ?2, ...).
void BindAll(Statement& s, const std::vector<SqlParam>& params) {
  for (size_t i = 0; i < params.size(); ++i) s.Bind(static_cast<int>(i) + 1, params[i]);
}

// Runs `sql` with `bind` applied and collects rows with `read`.
template <class T, class BindFn, class ReadFn>
Result<std::vector<T>> Query(Connection& db, const std::string& sql, BindFn bind, ReadFn read) {
  auto s = db.Prepare(sql);
  if (!s) return std::unexpected(s.error());
  bind(*s);
  std::vector<T> rows;
  while (true) {
    auto row = s->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    rows.push_back(read(*s));
  }
  return rows;
}

// The first row of `sql`, if any (lookups by a unique key).
template <class T, class BindFn, class ReadFn>
Result<std::optional<T>> QueryOne(Connection& db, const std::string& sql, BindFn bind, ReadFn read) {
  auto rows = Query<T>(db, sql, bind, read);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<T>();
  return std::optional<T>(std::move(rows->front()));
}

Result<std::vector<TenantSchemaRecord>> SchemasOf(Connection& db, TenantId tenant) {
  return Query<TenantSchemaRecord>(
      db, "SELECT urn, definition, updated FROM tenant_schemas WHERE tenant_id = ?1 ORDER BY urn",
      [&](Statement& s) { s.Bind(1, tenant.value); },
      [](const Statement& s) { return TenantSchemaRecord{s.Text(0), s.Text(1), s.Text(2)}; });
}

Result<std::optional<StoredResource>> FindUserIn(Connection& db, TenantId tenant, UserKey key, const std::string& value) {
  std::string where;
  switch (key) {
    case UserKey::kId: where = "r.id = ?2"; break;
    case UserKey::kUserName: where = "lower(r.user_name) = lower(?2)"; break;
    case UserKey::kExternalId: where = "r.external_id = ?2"; break;
    case UserKey::kEmail:
      where = "r.seq = (SELECT e.resource_seq FROM resource_emails e WHERE e.tenant_id = ?1 AND "
              "e.value_lower = lower(?2) ORDER BY e.resource_seq LIMIT 1)";
      break;
  }
  return QueryOne<StoredResource>(
      db, std::string("SELECT ") + kResourceColumns + " FROM resources r WHERE r.tenant_id = ?1 AND r.kind = 1 AND " +
              where + " ORDER BY r.seq LIMIT 1",
      [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, value); }, ReadResource<Statement>);
}


Result<std::vector<ManagerLink>> LinksWhere(Connection& db, TenantId tenant, const std::string& where,
                                            const std::function<void(Statement&)>& bind) {
  return Query<ManagerLink>(
      db, "SELECT report_id, raw, manager_id FROM manager_links WHERE tenant_id = ?1 " + where + " ORDER BY report_id",
      [&](Statement& s) {
        s.Bind(1, tenant.value);
        bind(s);
      },
      [](const Statement& s) { return ManagerLink{s.Text(0), s.Text(1), s.OptionalText(2)}; });
}

Result<std::optional<std::string>> UnmappedOfResource(Connection& db, TenantId tenant, Kind kind,
                                                      const std::string& id) {
  auto found = QueryOne<std::string>(
      db,
      "SELECT u.data FROM resource_unmapped u JOIN resources r ON r.seq = u.resource_seq "
      "WHERE r.tenant_id = ?1 AND r.kind = ?2 AND r.id = ?3",
      [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, int64_t{static_cast<int>(kind)}).Bind(3, id); },
      [](const Statement& s) { return s.Text(0); });
  return found;
}


class SqliteWriteTxn final : public WriteTxn {
 public:
  explicit SqliteWriteTxn(Connection& db) : db_(db) {}

  Result<std::optional<StoredResource>> Get(TenantId tenant, Kind kind, const std::string& id) override {
    return GetResource(db_, tenant, kind, id);
  }

  Result<void> Insert(TenantId tenant, Kind kind, const ResourceRow& row) override {
    if (auto unique = GroupNameIsFree(tenant, kind, row); !unique) return unique;
    auto s = db_.Prepare(
        "INSERT INTO resources (tenant_id, kind, id, user_name, external_id, display_name, body, password_hash, "
        "created, last_modified, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, int64_t{static_cast<int>(kind)}).Bind(3, row.id).Bind(4, row.user_name);
    s->Bind(5, row.external_id).Bind(6, row.display_name).Bind(7, row.body).Bind(8, row.password_hash);
    s->Bind(9, row.created).Bind(10, row.last_modified).Bind(11, row.version);
    auto done = s->Run();
    if (!done) return UniquenessOr(done.error(), row);
    return WriteEmails(tenant, db_.LastInsertRowId(), row.emails, /*replace=*/false);
  }

  Result<void> Update(TenantId tenant, Kind kind, const ResourceRow& row) override {
    auto seq = Seq(tenant, kind, row.id);
    if (!seq) return std::unexpected(seq.error());
    if (!*seq) return Fail(ErrorType::kNotFound, std::string(KindName(kind)) + " " + row.id + " not found");
    if (auto unique = GroupNameIsFree(tenant, kind, row); !unique) return unique;
    auto s = db_.Prepare(
        "UPDATE resources SET user_name = ?2, external_id = ?3, display_name = ?4, body = ?5, "
        "password_hash = COALESCE(?6, password_hash), last_modified = ?7, version = ?8 WHERE seq = ?1");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, **seq).Bind(2, row.user_name).Bind(3, row.external_id).Bind(4, row.display_name).Bind(5, row.body);
    s->Bind(6, row.password_hash).Bind(7, row.last_modified).Bind(8, row.version);
    auto done = s->Run();
    if (!done) return UniquenessOr(done.error(), row);
    return WriteEmails(tenant, **seq, row.emails, /*replace=*/true);
  }

  Result<void> Touch(TenantId tenant, Kind kind, const std::string& id, const std::string& last_modified,
                     int64_t version) override {
    auto s = db_.Prepare(
        "UPDATE resources SET last_modified = ?4, version = ?5 WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, int64_t{static_cast<int>(kind)}).Bind(3, id).Bind(4, last_modified);
    s->Bind(5, version);
    auto done = s->Run();
    if (!done) return done;
    if (db_.Changes() == 0) return Fail(ErrorType::kNotFound, std::string(KindName(kind)) + " " + id + " not found");
    return {};
  }

  Result<DeleteResult> Delete(TenantId tenant, Kind kind, const std::string& id, const std::string& now) override {
    DeleteResult result;
    auto seq = Seq(tenant, kind, id);
    if (!seq) return std::unexpected(seq.error());
    if (!*seq) return result;
    result.found = true;
    auto left = Query<std::string>(
        db_, "SELECT group_id FROM memberships WHERE tenant_id = ?1 AND member_id = ?2 ORDER BY group_id",
        [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, id); }, [](const Statement& s) { return s.Text(0); });
    if (!left) return std::unexpected(left.error());
    result.left_groups = std::move(*left);
    // Groups that lose this member change too.
    auto touch = db_.Prepare(
        "UPDATE resources SET version = version + 1, last_modified = ?3 WHERE tenant_id = ?1 AND kind = 2 AND id IN "
        "(SELECT group_id FROM memberships WHERE tenant_id = ?1 AND member_id = ?2)");
    if (!touch) return std::unexpected(touch.error());
    touch->Bind(1, tenant.value).Bind(2, id).Bind(3, now);
    if (auto r = touch->Run(); !r) return std::unexpected(r.error());
    for (const char* sql : {"DELETE FROM memberships WHERE tenant_id = ?1 AND member_id = ?2",
                            "DELETE FROM memberships WHERE tenant_id = ?1 AND group_id = ?2"}) {
      auto s = db_.Prepare(sql);
      if (!s) return std::unexpected(s.error());
      s->Bind(1, tenant.value).Bind(2, id);
      if (auto r = s->Run(); !r) return std::unexpected(r.error());
    }
    for (const char* sql : {"DELETE FROM resource_emails WHERE resource_seq = ?1", "DELETE FROM resources WHERE seq = ?1"}) {
      auto s = db_.Prepare(sql);
      if (!s) return std::unexpected(s.error());
      s->Bind(1, **seq);
      if (auto r = s->Run(); !r) return std::unexpected(r.error());
    }
    return result;
  }

  Result<MemberChangeResult> ApplyMemberOps(TenantId tenant, const std::string& group_id,
                                            const std::vector<core::MemberOp>& ops, bool reject_unknown) override {
    MemberChangeResult result;
    for (const auto& op : ops) {
      Result<void> step;
      switch (op.kind) {
        case core::MemberOp::Kind::kAdd:
          for (const auto& m : op.members) {
            step = AddMember(tenant, group_id, m, reject_unknown, result);
            if (!step) return std::unexpected(step.error());
          }
          break;
        case core::MemberOp::Kind::kRemove:
          for (const auto& m : op.members) {
            step = RemoveMember(tenant, group_id, m.value, result);
            if (!step) return std::unexpected(step.error());
          }
          break;
        case core::MemberOp::Kind::kRemoveAll:
          step = RemoveAll(tenant, group_id, result);
          if (!step) return std::unexpected(step.error());
          break;
        case core::MemberOp::Kind::kReplaceAll: {
          step = ReplaceAll(tenant, group_id, op.members, reject_unknown, result);
          if (!step) return std::unexpected(step.error());
          break;
        }
        case core::MemberOp::Kind::kRemoveWhere: {
          auto current = CurrentMembers(tenant, group_id);
          if (!current) return std::unexpected(current.error());
          for (const auto& [member_id, kind] : *current) {
            core::Json element = {{"value", member_id}, {"type", KindName(kind)}};
            if (op.where && core::Matches(*op.where, element)) {
              step = RemoveMember(tenant, group_id, member_id, result);
              if (!step) return std::unexpected(step.error());
            }
          }
          break;
        }
      }
    }
    return result;
  }

  Result<Tenant> CreateTenant(const std::string& name, const std::string& created) override {
    auto s = db_.Prepare("INSERT INTO tenants (name, created) VALUES (?1, ?2)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, name).Bind(2, created);
    auto done = s->Run();
    if (!done) {
      if (done.error().type == ErrorType::kConflict) {
        return Fail(ErrorType::kConflict, "Tenant '" + name + "' already exists");
      }
      return std::unexpected(done.error());
    }
    return Tenant{TenantId{db_.LastInsertRowId()}, name, created, "{}"};
  }

  Result<bool> SetTenantSettings(const std::string& name, const std::string& settings) override {
    // schema_revision belongs to BumpSchemaRevision: a settings change keeps the stored one.
    auto s = db_.Prepare(
        "UPDATE tenants SET settings = CASE WHEN json_extract(settings, '$.schema_revision') IS NULL THEN ?2 "
        "ELSE json_set(?2, '$.schema_revision', json_extract(settings, '$.schema_revision')) END "
        "WHERE lower(name) = lower(?1)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, name).Bind(2, settings);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes() > 0;
  }

  Result<bool> DeleteTenant(const std::string& name) override {
    auto s = db_.Prepare("SELECT id FROM tenants WHERE lower(name) = lower(?1)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, name);
    auto row = s->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return false;
    int64_t id = s->Int(0);
    for (const char* sql :
         {"DELETE FROM resource_emails WHERE tenant_id = ?1", "DELETE FROM memberships WHERE tenant_id = ?1",
          "DELETE FROM resources WHERE tenant_id = ?1", "DELETE FROM tokens WHERE tenant_id = ?1",
          "DELETE FROM events WHERE tenant_id = ?1", "DELETE FROM api_keys WHERE tenant_id = ?1",
          "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE tenant_id = ?1)",
          "DELETE FROM deliveries WHERE tenant_id = ?1", "DELETE FROM webhooks WHERE tenant_id = ?1",
          "DELETE FROM journal WHERE tenant_id = ?1", "DELETE FROM logins WHERE tenant_id = ?1",
          "DELETE FROM tenants WHERE id = ?1"}) {
      auto d = db_.Prepare(sql);
      if (!d) return std::unexpected(d.error());
      d->Bind(1, id);
      if (auto r = d->Run(); !r) return std::unexpected(r.error());
    }
    return true;
  }

  Result<void> InsertToken(const TokenRecord& token, const std::string& hash) override {
    auto s = db_.Prepare(
        "INSERT INTO tokens (id, tenant_id, hash, label, created, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, token.id).Bind(2, token.tenant.value).Bind(3, hash).Bind(4, token.label).Bind(5, token.created);
    s->Bind(6, token.expires);
    return s->Run();
  }

  Result<bool> RevokeToken(TenantId tenant, const std::string& token_id, const std::string& when) override {
    auto s = db_.Prepare(
        "UPDATE tokens SET revoked = COALESCE(revoked, ?3) WHERE tenant_id = ?1 AND id = ?2");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, token_id).Bind(3, when);
    auto done = s->Run();
    if (!done) return std::unexpected(done.error());
    return db_.Changes() > 0;
  }

  Result<bool> ExpireToken(TenantId tenant, const std::string& token_id, const std::string& when) override {
    auto s = db_.Prepare(
        "UPDATE tokens SET expires = CASE WHEN expires IS NULL OR expires > ?3 THEN ?3 ELSE expires END "
        "WHERE tenant_id = ?1 AND id = ?2 AND revoked IS NULL");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, token_id).Bind(3, when);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes() > 0;
  }

  Result<void> TouchToken(const std::string& token_id, const std::string& when) override {
    auto s = db_.Prepare("UPDATE tokens SET last_used = ?2 WHERE id = ?1");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, token_id).Bind(2, when);
    return s->Run();
  }

  Result<void> AppendEvent(TenantId tenant, const EventRow& event) override {
    auto s = db_.Prepare(
        "INSERT INTO events (tenant_id, id, type, time, kind, resource_id, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, event.id).Bind(3, event.type).Bind(4, event.time);
    s->Bind(5, int64_t{static_cast<int>(event.kind)}).Bind(6, event.resource_id).Bind(7, event.body);
    return s->Run();
  }

  Result<void> InsertWebhook(const WebhookRecord& webhook) override {
    auto s = db_.Prepare(
        "INSERT INTO webhooks (id, tenant_id, url, secret, event_types, created, cursor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
        "(SELECT COALESCE(max(seq), 0) FROM events WHERE tenant_id = ?2))");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, webhook.id).Bind(2, webhook.tenant.value).Bind(3, webhook.url).Bind(4, webhook.secret);
    s->Bind(5, JoinTypes(webhook.event_types)).Bind(6, webhook.created);
    return s->Run();
  }

  Result<bool> DeleteWebhook(TenantId tenant, const std::string& webhook_id) override {
    auto s = db_.Prepare("DELETE FROM webhooks WHERE tenant_id = ?1 AND id = ?2");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, webhook_id);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    if (db_.Changes() == 0) return false;
    for (const char* sql : {"DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE "
                            "webhook_id = ?1)",
                            "DELETE FROM deliveries WHERE webhook_id = ?1"}) {
      auto d = db_.Prepare(sql);
      if (!d) return std::unexpected(d.error());
      d->Bind(1, webhook_id);
      if (auto r = d->Run(); !r) return std::unexpected(r.error());
    }
    return true;
  }

  Result<bool> RotateWebhookSecret(TenantId tenant, const std::string& webhook_id, const std::string& secret,
                                   const std::string& previous_until) override {
    auto s = db_.Prepare(
        "UPDATE webhooks SET previous_secret = secret, previous_secret_until = ?4, secret = ?3 "
        "WHERE tenant_id = ?1 AND id = ?2");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, webhook_id).Bind(3, secret).Bind(4, previous_until);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes() > 0;
  }

  Result<int64_t> FanOut(const std::string& webhook_id, int64_t now_ms, int64_t limit) override {
    // The events to look at: the next `limit` after the cursor.
    auto window = Query<std::pair<int64_t, int64_t>>(
        db_,
        "SELECT count(*), COALESCE(max(e.seq), 0) FROM (SELECT e.seq FROM webhooks w JOIN events e ON "
        "e.tenant_id = w.tenant_id AND e.seq > w.cursor WHERE w.id = ?1 ORDER BY e.seq LIMIT ?2) e",
        [&](Statement& s) { s.Bind(1, webhook_id).Bind(2, limit); },
        [](const Statement& s) { return std::pair{s.Int(0), s.Int(1)}; });
    if (!window) return std::unexpected(window.error());
    auto [count, upto] = window->empty() ? std::pair<int64_t, int64_t>{0, 0} : window->front();
    if (count == 0) return 0;
    auto insert = db_.Prepare(
        "INSERT INTO deliveries (webhook_id, tenant_id, event_seq, resource_key, next_attempt_ms) "
        "SELECT w.id, e.tenant_id, e.seq, e.kind || ':' || e.resource_id, ?3 FROM webhooks w JOIN events e ON "
        "e.tenant_id = w.tenant_id AND e.seq > w.cursor AND e.seq <= ?2 WHERE w.id = ?1 AND "
        "(w.event_types = '' OR instr(',' || w.event_types || ',', ',' || e.type || ',') > 0) ORDER BY e.seq");
    if (!insert) return std::unexpected(insert.error());
    insert->Bind(1, webhook_id).Bind(2, upto).Bind(3, now_ms);
    if (auto r = insert->Run(); !r) return std::unexpected(r.error());
    auto advance = db_.Prepare("UPDATE webhooks SET cursor = ?2 WHERE id = ?1");
    if (!advance) return std::unexpected(advance.error());
    advance->Bind(1, webhook_id).Bind(2, upto);
    if (auto r = advance->Run(); !r) return std::unexpected(r.error());
    return count;
  }

  Result<void> RecordAttempt(const DeliveryAttempt& attempt, const DeliveryOutcome& outcome) override {
    auto log = db_.Prepare(
        "INSERT INTO delivery_attempts (delivery_id, time, status, error, duration_ms, response) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!log) return std::unexpected(log.error());
    log->Bind(1, attempt.delivery_id).Bind(2, attempt.time).Bind(3, attempt.status).Bind(4, attempt.error);
    log->Bind(5, attempt.duration_ms).Bind(6, attempt.response);
    if (auto r = log->Run(); !r) return r;
    auto update = db_.Prepare(
        "UPDATE deliveries SET state = ?2, attempts = ?3, next_attempt_ms = ?4, last_status = ?5, last_error = ?6, "
        "last_attempt = ?7, delivered = CASE WHEN ?2 = 1 THEN ?7 ELSE delivered END WHERE id = ?1");
    if (!update) return std::unexpected(update.error());
    update->Bind(1, attempt.delivery_id).Bind(2, int64_t{static_cast<int>(outcome.state)}).Bind(3, outcome.attempts);
    update->Bind(4, outcome.next_attempt_ms);
    if (attempt.status > 0) update->Bind(5, attempt.status);
    else update->BindNull(5);
    update->Bind(6, attempt.error).Bind(7, attempt.time);
    return update->Run();
  }

  Result<bool> Redeliver(TenantId tenant, int64_t delivery_id, int64_t now_ms) override {
    auto s = db_.Prepare(
        "UPDATE deliveries SET state = 0, attempts = 0, next_attempt_ms = ?3 WHERE tenant_id = ?1 AND id = ?2");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, delivery_id).Bind(3, now_ms);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes() > 0;
  }

  Result<void> AppendJournal(const std::vector<JournalEntry>& entries) override {
    for (const auto& e : entries) {
      auto s = db_.Prepare(
          "INSERT INTO journal (tenant_id, time, credential, idp, method, path, query, status, scim_type, detail, "
          "duration_ms, resource_type, resource_id, request_body, events, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
          "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
      if (!s) return std::unexpected(s.error());
      core::Json events = core::Json::array();
      for (const auto& id : e.events) events.push_back(id);
      s->Bind(1, e.tenant.value).Bind(2, e.time).Bind(3, e.credential).Bind(4, e.idp).Bind(5, e.method);
      s->Bind(6, e.path).Bind(7, e.query).Bind(8, e.status).Bind(9, e.scim_type).Bind(10, e.detail);
      s->Bind(11, e.duration_ms).Bind(12, e.resource_type).Bind(13, e.resource_id).Bind(14, e.request_body);
      s->Bind(15, core::DumpJson(events)).Bind(16, e.note);
      if (auto r = s->Run(); !r) return r;
    }
    return {};
  }

  Result<int64_t> PurgeJournal(const std::string& before, int64_t limit) override {
    // Entries are appended in time order, so the oldest are the lowest seqs: no index on time
    // (one more b-tree insert per request) is needed to find them.
    auto s = db_.Prepare(
        "DELETE FROM journal WHERE seq IN (SELECT seq FROM journal WHERE time < ?1 ORDER BY seq LIMIT ?2)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, before).Bind(2, limit);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes();
  }

  Result<void> SetLogin(TenantId tenant, const std::string& username, const std::string& password_hash,
                        const std::string& now) override {
    auto s = db_.Prepare(
        "INSERT INTO logins (tenant_id, username, password_hash, updated) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (tenant_id) DO UPDATE SET username = ?2, password_hash = ?3, updated = ?4");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, username).Bind(3, password_hash).Bind(4, now);
    auto done = s->Run();
    if (!done && done.error().type == ErrorType::kConflict) {
      return Fail(ErrorType::kUniqueness, "the SCIM username '" + username + "' is taken by another tenant");
    }
    return done;
  }

  Result<bool> RemoveLogin(TenantId tenant) override {
    auto s = db_.Prepare("DELETE FROM logins WHERE tenant_id = ?1");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes() > 0;
  }

  Result<void> InsertApiKey(const ApiKeyRecord& key, const std::string& hash) override {
    auto s = db_.Prepare("INSERT INTO api_keys (id, tenant_id, hash, label, created) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, key.id);
    if (key.tenant) s->Bind(2, key.tenant->value);
    else s->BindNull(2);
    s->Bind(3, hash).Bind(4, key.label).Bind(5, key.created);
    return s->Run();
  }

  Result<bool> RevokeApiKey(const std::string& key_id, const std::string& when) override {
    auto s = db_.Prepare("UPDATE api_keys SET revoked = COALESCE(revoked, ?2) WHERE id = ?1");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, key_id).Bind(2, when);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes() > 0;
  }

  Result<void> TouchApiKey(const std::string& key_id, const std::string& when) override {
    auto s = db_.Prepare("UPDATE api_keys SET last_used = ?2 WHERE id = ?1");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, key_id).Bind(2, when);
    return s->Run();
  }

  Result<void> InsertOAuthClient(const OAuthClientRecord& client) override {
    auto s = db_.Prepare(
        "INSERT INTO oauth_clients (id, tenant_id, secret_hash, redirect_uris, okta_app, created) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, client.id);
    if (client.tenant) s->Bind(2, client.tenant->value);
    else s->BindNull(2);
    s->Bind(3, client.secret_hash).Bind(4, core::DumpJson(core::Json(client.redirect_uris)));
    s->Bind(5, client.okta_app).Bind(6, client.created);
    return s->Run();
  }

  Result<bool> DeleteOAuthClient(const std::string& client_id) override {
    auto s = db_.Prepare("DELETE FROM oauth_clients WHERE id = ?1");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, client_id);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes() > 0;
  }

  Result<void> InsertOAuthCode(const OAuthCodeRecord& c, const std::string& hash) override {
    auto purge = db_.Prepare(
        "DELETE FROM oauth_codes WHERE hash IN (SELECT hash FROM oauth_codes WHERE expires < ?1 LIMIT 256)");
    if (!purge) return std::unexpected(purge.error());
    purge->Bind(1, c.created);
    if (auto r = purge->Run(); !r) return std::unexpected(r.error());
    auto s = db_.Prepare(
        "INSERT INTO oauth_codes (hash, client_id, tenant_id, redirect_uri, code_challenge, scope, family, created, "
        "expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, hash).Bind(2, c.client_id).Bind(3, c.tenant.value).Bind(4, c.redirect_uri).Bind(5, c.code_challenge);
    s->Bind(6, c.scope).Bind(7, c.family).Bind(8, c.created).Bind(9, c.expires);
    return s->Run();
  }

  Result<std::optional<OAuthCodeRecord>> ConsumeOAuthCode(const std::string& hash, const std::string& now) override {
    auto found = QueryOne<OAuthCodeRecord>(
        db_,
        "SELECT c.client_id, c.tenant_id, n.name, c.redirect_uri, c.code_challenge, c.scope, c.family, c.created, "
        "c.expires, c.used FROM oauth_codes c JOIN tenants n ON n.id = c.tenant_id WHERE c.hash = ?1",
        [&](Statement& s) { s.Bind(1, hash); },
        [](const Statement& s) {
          return OAuthCodeRecord{s.Text(0), TenantId{s.Int(1)}, s.Text(2), s.Text(3), s.Text(4), s.Text(5),
                                 s.Text(6), s.Text(7), s.Text(8), s.OptionalText(9)};
        });
    if (!found || !*found || (*found)->used) return found;
    if (auto r = MarkUsed("UPDATE oauth_codes SET used = ?2 WHERE hash = ?1", hash, now); !r) {
      return std::unexpected(r.error());
    }
    return found;
  }

  Result<std::optional<OAuthTokenRecord>> ConsumeOAuthRefreshToken(const std::string& hash,
                                                                   const std::string& now) override {
    auto found = QueryOne<OAuthTokenRecord>(
        db_,
        "SELECT t.id, t.kind, t.client_id, t.tenant_id, n.name, n.settings, t.family, t.created, t.expires, t.used, "
        "t.revoked FROM oauth_tokens t JOIN tenants n ON n.id = t.tenant_id WHERE t.hash = ?1 AND t.kind = 'refresh'",
        [&](Statement& s) { s.Bind(1, hash); }, ReadOAuthToken<Statement>);
    if (!found || !*found || (*found)->used) return found;
    if (auto r = MarkUsed("UPDATE oauth_tokens SET used = ?2 WHERE hash = ?1", hash, now); !r) {
      return std::unexpected(r.error());
    }
    return found;
  }

  Result<void> AppendAudit(const AuditEntry& e) override {
    auto s = db_.Prepare(
        "INSERT INTO audit (time, actor, source, action, tenant_name, target, detail) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, e.time).Bind(2, e.actor).Bind(3, e.source).Bind(4, e.action).Bind(5, e.tenant_name);
    s->Bind(6, e.target).Bind(7, e.detail.empty() ? std::string("{}") : e.detail);
    return s->Run();
  }

  Result<void> InsertAdminAccount(const AdminAccount& account) override {
    auto s = db_.Prepare(
        "INSERT INTO admin_accounts (id, name, role, tenant_id, password_hash, created) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, account.id).Bind(2, account.name).Bind(3, account.role);
    if (account.tenant) s->Bind(4, account.tenant->value);
    else s->BindNull(4);
    s->Bind(5, account.password_hash).Bind(6, account.created);
    auto done = s->Run();
    if (!done && done.error().type == ErrorType::kConflict) {
      return Fail(ErrorType::kUniqueness, "the admin account name '" + account.name + "' is taken");
    }
    return done;
  }

  Result<bool> DeleteAdminAccount(const std::string& account_id) override {
    auto s = db_.Prepare("DELETE FROM admin_accounts WHERE id = ?1");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, account_id);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes() > 0;
  }

  Result<bool> SetAdminPassword(const std::string& account_id, const std::string& password_hash,
                                const std::string& when) override {
    auto s = db_.Prepare("UPDATE admin_accounts SET password_hash = ?2 WHERE id = ?1");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, account_id).Bind(2, password_hash);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    if (db_.Changes() == 0) return false;
    auto revoke = db_.Prepare(
        "UPDATE admin_credentials SET revoked = ?2 WHERE account_id = ?1 AND kind = 'session' AND revoked IS NULL");
    if (!revoke) return std::unexpected(revoke.error());
    revoke->Bind(1, account_id).Bind(2, when);
    if (auto r = revoke->Run(); !r) return std::unexpected(r.error());
    return true;
  }

  Result<void> InsertAdminCredential(const AdminCredential& c, const std::string& hash) override {
    auto purge = db_.Prepare(
        "DELETE FROM admin_credentials WHERE rowid IN (SELECT rowid FROM admin_credentials "
        "WHERE kind = 'session' AND expires < ?1 LIMIT 200)");
    if (!purge) return std::unexpected(purge.error());
    purge->Bind(1, c.created);
    if (auto r = purge->Run(); !r) return r;
    auto s = db_.Prepare(
        "INSERT INTO admin_credentials (id, hash, kind, account_id, label, csrf, created, expires) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, c.id).Bind(2, hash).Bind(3, c.kind).Bind(4, c.account_id).Bind(5, c.label).Bind(6, c.csrf);
    s->Bind(7, c.created);
    if (c.expires) s->Bind(8, *c.expires);
    else s->BindNull(8);
    return s->Run();
  }

  Result<bool> RevokeAdminCredential(const std::string& account_id, const std::string& credential_id,
                                     const std::string& when) override {
    auto s = db_.Prepare(
        "UPDATE admin_credentials SET revoked = ?3 WHERE id = ?2 AND account_id = ?1 AND revoked IS NULL");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, account_id).Bind(2, credential_id).Bind(3, when);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes() > 0;
  }

  Result<void> TouchAdminCredential(const std::string& credential_id, const std::string& when) override {
    auto s = db_.Prepare("UPDATE admin_credentials SET last_used = ?2 WHERE id = ?1");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, credential_id).Bind(2, when);
    return s->Run();
  }

  Result<void> InsertAdminInvite(const AdminInvite& invite, const std::string& hash) override {
    auto purge = db_.Prepare("DELETE FROM admin_invites WHERE expires < ?1");
    if (!purge) return std::unexpected(purge.error());
    purge->Bind(1, invite.created);
    if (auto r = purge->Run(); !r) return r;
    auto s = db_.Prepare(
        "INSERT INTO admin_invites (hash, id, tenant_id, created_by, created, expires) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, hash).Bind(2, invite.id).Bind(3, invite.tenant.value).Bind(4, invite.created_by);
    s->Bind(5, invite.created).Bind(6, invite.expires);
    return s->Run();
  }

  Result<std::optional<AdminInvite>> ConsumeAdminInvite(const std::string& hash, const std::string& now) override {
    auto found = QueryOne<AdminInvite>(
        db_,
        "SELECT i.id, i.tenant_id, n.name, i.created_by, i.created, i.expires, i.used FROM admin_invites i "
        "JOIN tenants n ON n.id = i.tenant_id WHERE i.hash = ?1",
        [&](Statement& s) { s.Bind(1, hash); },
        [](const Statement& s) {
          return AdminInvite{s.Text(0), TenantId{s.Int(1)}, s.Text(2), s.Text(3),
                             s.Text(4), s.Text(5),          s.OptionalText(6)};
        });
    if (!found || !*found || (*found)->used) return found;
    if (auto r = MarkUsed("UPDATE admin_invites SET used = ?2 WHERE hash = ?1", hash, now); !r) {
      return std::unexpected(r.error());
    }
    return found;
  }

  Result<std::vector<TenantSchemaRecord>> TenantSchemas(TenantId tenant) override {
    return SchemasOf(db_, tenant);
  }

  Result<void> PutTenantSchema(TenantId tenant, const TenantSchemaRecord& schema) override {
    auto s = db_.Prepare(
        "INSERT INTO tenant_schemas (tenant_id, urn, definition, updated) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (tenant_id, urn) DO UPDATE SET definition = ?3, updated = ?4");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, schema.urn).Bind(3, schema.definition).Bind(4, schema.updated);
    return s->Run();
  }

  Result<bool> DeleteTenantSchema(TenantId tenant, const std::string& urn) override {
    auto s = db_.Prepare("DELETE FROM tenant_schemas WHERE tenant_id = ?1 AND urn = ?2");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, urn);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes() > 0;
  }

  Result<void> BumpSchemaRevision(TenantId tenant) override {
    auto s = db_.Prepare(
        "UPDATE tenants SET settings = json_set(settings, '$.schema_revision', "
        "COALESCE(json_extract(settings, '$.schema_revision'), 0) + 1) WHERE id = ?1");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value);
    return s->Run();
  }

  Result<std::optional<std::string>> GetUnmapped(TenantId tenant, Kind kind, const std::string& id) override {
    return UnmappedOfResource(db_, tenant, kind, id);
  }

  Result<void> SetUnmapped(TenantId tenant, Kind kind, const std::string& id,
                           const std::optional<std::string>& unmapped) override {
    auto s = db_.Prepare(
        unmapped ? "INSERT INTO resource_unmapped (resource_seq, tenant_id, data) "
                   "SELECT seq, tenant_id, ?4 FROM resources WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3 "
                   "ON CONFLICT (resource_seq) DO UPDATE SET data = ?4"
                 : "DELETE FROM resource_unmapped WHERE resource_seq = "
                   "(SELECT seq FROM resources WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, int64_t{static_cast<int>(kind)}).Bind(3, id);
    if (unmapped) s->Bind(4, *unmapped);
    return s->Run();
  }

  Result<std::vector<std::pair<StoredResource, std::optional<std::string>>>> ResourcesAfter(
      TenantId tenant, Kind kind, const std::string& after_id, int64_t limit) override {
    using Row = std::pair<StoredResource, std::optional<std::string>>;
    return Query<Row>(
        db_,
        std::string("SELECT ") + kResourceColumns +
            ", u.data FROM resources r LEFT JOIN resource_unmapped u ON u.resource_seq = r.seq "
            "WHERE r.tenant_id = ?1 AND r.kind = ?2 AND r.id > ?3 ORDER BY r.id LIMIT ?4",
        [&](Statement& s) {
          s.Bind(1, tenant.value).Bind(2, int64_t{static_cast<int>(kind)}).Bind(3, after_id).Bind(4, limit);
        },
        [](const Statement& s) { return Row{ReadResource(s), s.OptionalText(kResourceColumnCount)}; });
  }

  Result<std::optional<StoredResource>> FindUser(TenantId tenant, UserKey key, const std::string& value) override {
    return FindUserIn(db_, tenant, key, value);
  }

  Result<void> InsertHeldChange(const HeldChange& c) override {
    auto s = db_.Prepare(
        "INSERT INTO held_changes (id, tenant_id, resource_id, action, method, path, body, created, state) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, c.id).Bind(2, c.tenant.value).Bind(3, c.resource_id).Bind(4, c.action).Bind(5, c.method);
    s->Bind(6, c.path).Bind(7, c.body).Bind(8, c.created).Bind(9, c.state);
    return s->Run();
  }

  Result<bool> DecideHeldChange(TenantId tenant, const std::string& id, const std::string& state,
                                const std::string& decided_by, const std::string& when) override {
    auto s = db_.Prepare(
        "UPDATE held_changes SET state = ?3, decided_by = ?4, decided = ?5 "
        "WHERE tenant_id = ?1 AND id = ?2 AND state = 'pending'");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, id).Bind(3, state).Bind(4, decided_by).Bind(5, when);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes() > 0;
  }

  Result<void> InsertTombstone(TenantId tenant, const Tombstone& t) override {
    auto s = db_.Prepare(std::string("INSERT OR REPLACE INTO tombstones (tenant_id, ") + kTombstoneColumns +
                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, t.id).Bind(3, int64_t{static_cast<int>(t.kind)}).Bind(4, t.user_name);
    s->Bind(5, t.external_id).Bind(6, t.display_name).Bind(7, t.body).Bind(8, t.created).Bind(9, t.deleted);
    s->Bind(10, t.purge_after);
    return s->Run();
  }

  Result<bool> DeleteTombstone(TenantId tenant, const std::string& id) override {
    auto s = db_.Prepare("DELETE FROM tombstones WHERE tenant_id = ?1 AND id = ?2");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, id);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes() > 0;
  }

  Result<int64_t> PurgeTombstones(const std::string& now, int64_t limit) override {
    auto s = db_.Prepare(
        "DELETE FROM tombstones WHERE rowid IN (SELECT rowid FROM tombstones WHERE purge_after < ?1 LIMIT ?2)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, now).Bind(2, limit);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes();
  }

  Result<void> SetManagerLink(TenantId tenant, const ManagerLink& link) override {
    auto s = db_.Prepare(
        "INSERT INTO manager_links (report_seq, tenant_id, report_id, raw, manager_id) "
        "SELECT seq, tenant_id, id, ?3, ?4 FROM resources WHERE tenant_id = ?1 AND kind = 1 AND id = ?2 "
        "ON CONFLICT (report_seq) DO UPDATE SET raw = ?3, manager_id = ?4");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, link.report_id).Bind(3, link.raw);
    if (link.manager_id) s->Bind(4, *link.manager_id);
    else s->BindNull(4);
    return s->Run();
  }

  Result<bool> RemoveManagerLink(TenantId tenant, const std::string& report_id) override {
    auto s = db_.Prepare("DELETE FROM manager_links WHERE tenant_id = ?1 AND report_id = ?2");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, report_id);
    if (auto r = s->Run(); !r) return std::unexpected(r.error());
    return db_.Changes() > 0;
  }

  Result<std::vector<ManagerLink>> PendingManagerLinks(TenantId tenant, const std::vector<std::string>& keys) override {
    std::vector<ManagerLink> links;
    for (const std::string& key : keys) {
      auto found = LinksWhere(db_, tenant, "AND manager_id IS NULL AND lower(raw) = lower(?2)",
                              [&](Statement& s) { s.Bind(2, key); });
      if (!found) return std::unexpected(found.error());
      for (auto& link : *found) {
        bool seen = std::any_of(links.begin(), links.end(), [&](const ManagerLink& l) { return l.report_id == link.report_id; });
        if (!seen) links.push_back(std::move(link));
      }
    }
    return links;
  }

  Result<std::vector<ManagerLink>> ReportsOf(TenantId tenant, const std::string& manager_id) override {
    return LinksWhere(db_, tenant, "AND manager_id = ?2", [&](Statement& s) { s.Bind(2, manager_id); });
  }

  Result<void> RewriteBody(TenantId tenant, Kind kind, const std::string& id, const std::string& body,
                           int64_t version) override {
    auto s = db_.Prepare("UPDATE resources SET body = ?4, version = ?5 WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, int64_t{static_cast<int>(kind)}).Bind(3, id).Bind(4, body).Bind(5, version);
    return s->Run();
  }

  Result<void> RevokeOAuthFamily(const std::string& family, const std::string& when) override {
    auto s = db_.Prepare("UPDATE oauth_tokens SET revoked = COALESCE(revoked, ?2) WHERE family = ?1");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, family).Bind(2, when);
    return s->Run();
  }

  Result<void> InsertOAuthToken(const OAuthTokenRecord& t, const std::string& hash) override {
    auto purge = db_.Prepare(
        "DELETE FROM oauth_tokens WHERE hash IN (SELECT hash FROM oauth_tokens WHERE expires < ?1 LIMIT 256)");
    if (!purge) return std::unexpected(purge.error());
    purge->Bind(1, t.created);
    if (auto r = purge->Run(); !r) return std::unexpected(r.error());
    auto s = db_.Prepare(
        "INSERT INTO oauth_tokens (hash, id, kind, client_id, tenant_id, family, created, expires) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, hash).Bind(2, t.id).Bind(3, t.kind).Bind(4, t.client_id).Bind(5, t.tenant.value);
    s->Bind(6, t.family).Bind(7, t.created).Bind(8, t.expires);
    return s->Run();
  }

 private:
  Result<void> MarkUsed(const char* sql, const std::string& hash, const std::string& now) {
    auto s = db_.Prepare(sql);
    if (!s) return std::unexpected(s.error());
    s->Bind(1, hash).Bind(2, now);
    return s->Run();
  }

  // A unique-constraint failure on insert/update of a resource means the userName is taken (the id
  // is generated by us and never collides in practice).
  static Result<void> UniquenessOr(const core::Error& error, const ResourceRow& row) {
    if (error.type == ErrorType::kConflict && row.user_name) {
      return Fail(ErrorType::kUniqueness, "userName '" + *row.user_name + "' is already taken in this tenant");
    }
    return std::unexpected(error);
  }

  // Group displayName is unique per tenant, case-insensitively (Entra requires it and JumpCloud
  // matches groups by name; decisions/0006). Checked on the one writer, so no race slips through;
  // the resources_display_name index answers it.
  Result<void> GroupNameIsFree(TenantId tenant, Kind kind, const ResourceRow& row) {
    if (kind != Kind::kGroup || !row.display_name) return {};
    auto s = db_.Prepare(
        "SELECT id FROM resources WHERE tenant_id = ?1 AND kind = 2 AND lower(display_name) = lower(?2) AND id <> ?3 "
        "LIMIT 1");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, *row.display_name).Bind(3, row.id);
    auto found = s->Step();
    if (!found) return std::unexpected(found.error());
    if (!*found) return {};
    return Fail(ErrorType::kUniqueness, "A group named '" + *row.display_name + "' already exists in this tenant (id " +
                                            s->Text(0) + "); group names are unique, in any case");
  }

  Result<std::optional<int64_t>> Seq(TenantId tenant, Kind kind, const std::string& id) {
    auto s = db_.Prepare("SELECT seq FROM resources WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, int64_t{static_cast<int>(kind)}).Bind(3, id);
    auto row = s->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<int64_t>();
    return std::optional<int64_t>(s->Int(0));
  }

  Result<void> WriteEmails(TenantId tenant, int64_t seq, const std::vector<std::string>& emails, bool replace) {
    if (replace) {
      auto d = db_.Prepare("DELETE FROM resource_emails WHERE resource_seq = ?1");
      if (!d) return std::unexpected(d.error());
      d->Bind(1, seq);
      if (auto r = d->Run(); !r) return r;
    }
    for (const auto& email : emails) {
      auto s = db_.Prepare("INSERT INTO resource_emails (resource_seq, tenant_id, value_lower) VALUES (?1, ?2, ?3)");
      if (!s) return std::unexpected(s.error());
      s->Bind(1, seq).Bind(2, tenant.value).Bind(3, core::ToLower(email));
      if (auto r = s->Run(); !r) return r;
    }
    return {};
  }

  // The kind of the resource `id` names in the tenant, if any.
  Result<std::optional<Kind>> KindOf(TenantId tenant, const std::string& id) {
    auto s = db_.Prepare("SELECT kind FROM resources WHERE tenant_id = ?1 AND kind IN (1, 2) AND id = ?2");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, id);
    auto row = s->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<Kind>();
    return std::optional<Kind>(static_cast<Kind>(s->Int(0)));
  }

  Result<void> AddMember(TenantId tenant, const std::string& group_id, const core::Member& member, bool reject_unknown,
                         MemberChangeResult& result) {
    auto kind = KindOf(tenant, member.value);
    if (!kind) return std::unexpected(kind.error());
    if (!*kind || member.value == group_id) {
      if (reject_unknown) {
        return Fail(ErrorType::kInvalidValue,
                    "Member '" + member.value + "' is not a user or group of this tenant");
      }
      result.unknown_members.push_back(member.value);
      return {};
    }
    auto s = db_.Prepare(
        "INSERT OR IGNORE INTO memberships (tenant_id, group_id, member_id, member_kind) VALUES (?1, ?2, ?3, ?4)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, group_id).Bind(3, member.value).Bind(4, int64_t{static_cast<int>(**kind)});
    if (auto r = s->Run(); !r) return r;
    if (db_.Changes() > 0) {
      result.changed = true;
      result.added.push_back({member.value, **kind});
    }
    return {};
  }

  Result<void> RemoveMember(TenantId tenant, const std::string& group_id, const std::string& member_id,
                            MemberChangeResult& result) {
    auto s = db_.Prepare(
        "DELETE FROM memberships WHERE tenant_id = ?1 AND group_id = ?2 AND member_id = ?3 RETURNING member_kind");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, tenant.value).Bind(2, group_id).Bind(3, member_id);
    auto row = s->Step();
    if (!row) return std::unexpected(row.error());
    if (*row) {
      result.changed = true;
      result.removed.push_back({member_id, static_cast<Kind>(s->Int(0))});
    }
    return {};
  }

  Result<void> RemoveAll(TenantId tenant, const std::string& group_id, MemberChangeResult& result) {
    auto removed = Query<MemberRef>(
        db_, "DELETE FROM memberships WHERE tenant_id = ?1 AND group_id = ?2 RETURNING member_id, member_kind",
        [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, group_id); },
        [](const Statement& s) { return MemberRef{s.Text(0), static_cast<Kind>(s.Int(1))}; });
    if (!removed) return std::unexpected(removed.error());
    if (!removed->empty()) result.changed = true;
    for (auto& member : *removed) result.removed.push_back(std::move(member));
    return {};
  }

  Result<std::vector<std::pair<std::string, Kind>>> CurrentMembers(TenantId tenant, const std::string& group_id) {
    return Query<std::pair<std::string, Kind>>(
        db_, "SELECT member_id, member_kind FROM memberships WHERE tenant_id = ?1 AND group_id = ?2",
        [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, group_id); },
        [](const Statement& s) { return std::pair{s.Text(0), static_cast<Kind>(s.Int(1))}; });
  }

  // The membership becomes exactly `members`: only the difference is written.
  Result<void> ReplaceAll(TenantId tenant, const std::string& group_id, const std::vector<core::Member>& members,
                          bool reject_unknown, MemberChangeResult& result) {
    auto current = CurrentMembers(tenant, group_id);
    if (!current) return std::unexpected(current.error());
    std::set<std::string> wanted;
    for (const auto& m : members) wanted.insert(m.value);
    for (const auto& [member_id, kind] : *current) {
      if (!wanted.contains(member_id)) {
        if (auto r = RemoveMember(tenant, group_id, member_id, result); !r) return r;
      }
    }
    for (const auto& m : members) {
      if (auto r = AddMember(tenant, group_id, m, reject_unknown, result); !r) return r;
    }
    return {};
  }

  Connection& db_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, std::unique_ptr<Connection> writer) : path_(std::move(path)), writer_(std::move(writer)) {
    writer_thread_ = std::thread([this] { WriterLoop(); });
  }

  ~SqliteStore() override {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    writer_thread_.join();
  }

  void Write(WriteFn fn, WriteDone done) override {
    {
      std::lock_guard lock(queue_mu_);
      queue_.push_back(Job{std::move(fn), std::move(done)});
    }
    queue_cv_.notify_one();
  }

  Result<std::optional<Tenant>> FindTenant(const std::string& name) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return QueryOne<Tenant>(
        *db->connection, "SELECT id, name, created, settings FROM tenants WHERE lower(name) = lower(?1)",
        [&](Statement& s) { s.Bind(1, name); },
        [](const Statement& s) { return Tenant{TenantId{s.Int(0)}, s.Text(1), s.Text(2), s.Text(3)}; });
  }

  Result<std::vector<Tenant>> ListTenants() override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<Tenant>(
        *db->connection, "SELECT id, name, created, settings FROM tenants ORDER BY name", [](Statement&) {},
        [](const Statement& s) { return Tenant{TenantId{s.Int(0)}, s.Text(1), s.Text(2), s.Text(3)}; });
  }

  Result<std::optional<TokenRecord>> FindTokenByHash(const std::string& hash) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return QueryOne<TokenRecord>(
        *db->connection, std::string(kTokenSelect) + "WHERE t.hash = ?1", [&](Statement& s) { s.Bind(1, hash); },
        ReadToken<Statement>);
  }

  Result<std::vector<TokenRecord>> ListTokens(TenantId tenant) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<TokenRecord>(
        *db->connection, std::string(kTokenSelect) + "WHERE t.tenant_id = ?1 ORDER BY t.created, t.id",
        [&](Statement& s) { s.Bind(1, tenant.value); }, ReadToken<Statement>);
  }

  Result<std::optional<StoredResource>> Get(TenantId tenant, Kind kind, const std::string& id) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return GetResource(*db->connection, tenant, kind, id);
  }

  Result<ListResult> List(TenantId tenant, const std::vector<ListScope>& scopes, const core::SchemaRegistry& registry,
                          const ListRequest& request) override {
    auto query = PlanList(tenant, scopes, registry, request, SqlDialect::kSqlite);
    if (!query) return std::unexpected(query.error());
    std::optional<PageCursor> cursor;
    // Only cursor paging needs it, and it renders the filter to text: not for Okta's lookups.
    uint64_t fingerprint = request.cursor ? QueryFingerprint(scopes, request) : 0;
    if (request.cursor && !request.cursor->empty()) {
      auto decoded = DecodeCursor(*request.cursor, fingerprint);
      if (!decoded) return std::unexpected(decoded.error());
      cursor = std::move(*decoded);
    }
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    // One read transaction so the count and the page agree.
    if (auto r = db->connection->Exec("BEGIN"); !r) return std::unexpected(r.error());
    struct EndRead {
      Connection& c;
      ~EndRead() { (void)c.Exec("COMMIT"); }
    } end_read{*db->connection};

    ListResult result;
    auto bind_where = [&](Statement& s) {
      for (size_t i = 0; i < query->params.size(); ++i) s.Bind(static_cast<int>(i) + 1, query->params[i]);
    };
    auto count = Query<int64_t>(*db->connection, "SELECT count(*) FROM resources r WHERE " + query->where,
                                bind_where, [](const Statement& s) { return s.Int(0); });
    if (!count) return std::unexpected(count.error());
    result.total = count->empty() ? 0 : count->front();
    if (request.count <= 0) return result;
    if (!request.cursor && request.start_index > result.total) return result;

    bool backward = cursor && cursor->backward;
    PageQuery page = BuildPageQuery(*query, request, cursor ? &*cursor : nullptr, kResourceColumns);
    struct Row {
      StoredResource resource;
      PageCursor key;
    };
    auto rows = Query<Row>(
        *db->connection, page.sql, [&](Statement& s) { BindAll(s, page.params); },
        [](const Statement& s) {
          return Row{ReadResource(s), PageCursor{false, s.Int(kResourceColumnCount), s.Value(kResourceColumnCount + 1)}};
        });
    if (!rows) return std::unexpected(rows.error());
    bool more_in_scan = static_cast<int64_t>(rows->size()) > request.count;
    if (more_in_scan) rows->pop_back();
    if (backward) std::reverse(rows->begin(), rows->end());
    for (auto& row : *rows) result.resources.push_back(std::move(row.resource));
    if (!request.cursor || rows->empty()) return result;

    // A forward page has a next page when the scan found more, and a previous one unless it is the
    // first; a backward page the other way round.
    bool has_next = backward || more_in_scan;
    bool has_previous = backward ? more_in_scan : cursor.has_value();
    if (has_next) {
      PageCursor next = rows->back().key;
      result.next_cursor = EncodeCursor(next, fingerprint);
    }
    if (has_previous) {
      PageCursor previous = rows->front().key;
      previous.backward = true;
      result.previous_cursor = EncodeCursor(previous, fingerprint);
    }
    return result;
  }

  Result<std::string> ExplainList(TenantId tenant, const std::vector<ListScope>& scopes,
                                  const core::SchemaRegistry& registry, const ListRequest& request) override {
    auto query = PlanList(tenant, scopes, registry, request, SqlDialect::kSqlite);
    if (!query) return std::unexpected(query.error());
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    PageQuery page = BuildPageQuery(*query, request, nullptr, kResourceColumns);
    auto steps = Query<std::string>(
        *db->connection, "EXPLAIN QUERY PLAN " + page.sql, [&](Statement& s) { BindAll(s, page.params); },
        [](const Statement& s) { return s.Text(3); });
    if (!steps) return std::unexpected(steps.error());
    std::string plan;
    for (const auto& step : *steps) plan += step + "\n";
    return plan;
  }

  Result<std::vector<MemberRow>> Members(TenantId tenant, const std::string& group_id) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<MemberRow>(
        *db->connection,
        "SELECT m.member_id, m.member_kind, COALESCE(r.display_name, r.user_name, '') FROM memberships m "
        "LEFT JOIN resources r ON r.tenant_id = m.tenant_id AND r.kind = m.member_kind AND r.id = m.member_id "
        "WHERE m.tenant_id = ?1 AND m.group_id = ?2 ORDER BY m.member_id",
        [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, group_id); },
        [](const Statement& s) { return MemberRow{s.Text(0), static_cast<Kind>(s.Int(1)), s.Text(2)}; });
  }

  Result<std::vector<std::vector<GroupRef>>> GroupsOfEach(TenantId tenant,
                                                          const std::vector<std::string>& member_ids) override {
    std::vector<std::vector<GroupRef>> out(member_ids.size());
    if (member_ids.empty()) return out;
    std::unordered_map<std::string, size_t> index;
    core::Json ids = core::Json::array();
    for (size_t i = 0; i < member_ids.size(); ++i) {
      index.emplace(member_ids[i], i);
      ids.push_back(member_ids[i]);
    }
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    // The ids travel as one JSON array, so the statement is the same for every page size.
    struct Row {
      std::string member;
      GroupRef group;
    };
    auto rows = Query<Row>(
        *db->connection,
        "SELECT m.member_id, m.group_id, COALESCE(g.display_name, '') FROM memberships m "
        "JOIN resources g ON g.tenant_id = m.tenant_id AND g.kind = 2 AND g.id = m.group_id "
        "WHERE m.tenant_id = ?1 AND m.member_id IN (SELECT value FROM json_each(?2)) "
        "ORDER BY g.display_name, m.group_id",
        [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, core::DumpJson(ids)); },
        [](const Statement& s) { return Row{s.Text(0), GroupRef{s.Text(1), s.Text(2)}}; });
    if (!rows) return std::unexpected(rows.error());
    for (auto& row : *rows) {
      auto it = index.find(row.member);
      if (it != index.end()) out[it->second].push_back(std::move(row.group));
    }
    return out;
  }

  Result<std::vector<StoredEvent>> EventsAfter(TenantId tenant, int64_t after, int64_t limit) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<StoredEvent>(
        *db->connection,
        "SELECT seq, tenant_id, id, type, kind, resource_id, body FROM events WHERE tenant_id = ?1 AND seq > ?2 "
        "ORDER BY seq LIMIT ?3",
        [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, after).Bind(3, limit); },
        [](const Statement& s) {
          return StoredEvent{s.Int(0), TenantId{s.Int(1)}, s.Text(2), s.Text(3), static_cast<Kind>(s.Int(4)),
                             s.Text(5), s.Text(6)};
        });
  }

  Result<int64_t> LastEventSeq(TenantId tenant) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    auto rows = Query<int64_t>(
        *db->connection, "SELECT COALESCE(max(seq), 0) FROM events WHERE tenant_id = ?1",
        [&](Statement& s) { s.Bind(1, tenant.value); }, [](const Statement& s) { return s.Int(0); });
    if (!rows) return std::unexpected(rows.error());
    return rows->empty() ? 0 : rows->front();
  }

  Result<std::vector<WebhookRecord>> ListWebhooks(std::optional<TenantId> tenant) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<WebhookRecord>(
        *db->connection,
        std::string(kWebhookSelect) + "WHERE ?1 IS NULL OR w.tenant_id = ?1 ORDER BY w.tenant_id, w.created, w.id",
        [&](Statement& s) {
          if (tenant) s.Bind(1, tenant->value);
          else s.BindNull(1);
        },
        [](const Statement& s) { return ReadWebhook(s, 0); });
  }

  Result<std::optional<WebhookStats>> GetWebhookStats(TenantId tenant, const std::string& webhook_id) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    // One read transaction so the counts and the lag agree.
    if (auto r = db->connection->Exec("BEGIN"); !r) return std::unexpected(r.error());
    struct EndRead {
      Connection& c;
      ~EndRead() { (void)c.Exec("COMMIT"); }
    } end_read{*db->connection};
    auto behind = Query<int64_t>(
        *db->connection,
        "SELECT (SELECT count(*) FROM events e WHERE e.tenant_id = w.tenant_id AND e.seq > w.cursor) FROM webhooks w "
        "WHERE w.tenant_id = ?1 AND w.id = ?2",
        [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, webhook_id); }, [](const Statement& s) { return s.Int(0); });
    if (!behind) return std::unexpected(behind.error());
    if (behind->empty()) return std::optional<WebhookStats>();
    WebhookStats stats;
    stats.events_behind = behind->front();
    auto counts = Query<std::pair<int64_t, int64_t>>(
        *db->connection, "SELECT state, count(*) FROM deliveries WHERE webhook_id = ?1 GROUP BY state",
        [&](Statement& s) { s.Bind(1, webhook_id); },
        [](const Statement& s) { return std::pair{s.Int(0), s.Int(1)}; });
    if (!counts) return std::unexpected(counts.error());
    for (const auto& [state, count] : *counts) {
      switch (static_cast<DeliveryState>(state)) {
        case DeliveryState::kPending: stats.pending = count; break;
        case DeliveryState::kDelivered: stats.delivered = count; break;
        case DeliveryState::kDead: stats.dead = count; break;
      }
    }
    return std::optional<WebhookStats>(stats);
  }

  Result<std::vector<DueDelivery>> DueDeliveries(int64_t now_ms, const std::vector<TenantId>& paused,
                                                 int64_t limit) override {
    core::Json skip = core::Json::array();
    for (const auto& t : paused) skip.push_back(t.value);
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<DueDelivery>(
        *db->connection,
        "SELECT " + std::string(kDeliveryColumns) + ", " + kWebhookColumns +
            ", e.seq, e.tenant_id, e.id, e.type, e.kind, e.resource_id, e.body FROM deliveries d "
            "JOIN webhooks w ON w.id = d.webhook_id JOIN tenants n ON n.id = w.tenant_id "
            "JOIN events e ON e.seq = d.event_seq "
            "WHERE d.state = 0 AND d.next_attempt_ms <= ?1 AND d.tenant_id NOT IN (SELECT value FROM json_each(?2)) "
            "AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.webhook_id = d.webhook_id AND "
            "p.resource_key = d.resource_key AND p.state = 0 AND p.id < d.id) ORDER BY d.id LIMIT ?3",
        [&](Statement& s) { s.Bind(1, now_ms).Bind(2, core::DumpJson(skip)).Bind(3, limit); },
        [](const Statement& s) {
          DueDelivery due;
          due.delivery = ReadDelivery(s);
          due.webhook = ReadWebhook(s, kDeliveryColumnCount);
          int e = kDeliveryColumnCount + kWebhookColumnCount;
          due.event = StoredEvent{s.Int(e),         TenantId{s.Int(e + 1)}, s.Text(e + 2), s.Text(e + 3),
                                  static_cast<Kind>(s.Int(e + 4)), s.Text(e + 5), s.Text(e + 6)};
          return due;
        });
  }

  Result<std::vector<DeliveryRecord>> ListDeliveries(TenantId tenant, const std::optional<std::string>& webhook_id,
                                                     std::optional<DeliveryState> state, int64_t limit) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<DeliveryRecord>(
        *db->connection,
        "SELECT " + std::string(kDeliveryColumns) + " FROM deliveries d JOIN events e ON e.seq = d.event_seq "
            "WHERE d.tenant_id = ?1 AND (?2 IS NULL OR d.webhook_id = ?2) AND (?3 IS NULL OR d.state = ?3) "
            "ORDER BY d.id DESC LIMIT ?4",
        [&](Statement& s) {
          s.Bind(1, tenant.value).Bind(2, webhook_id);
          if (state) s.Bind(3, int64_t{static_cast<int>(*state)});
          else s.BindNull(3);
          s.Bind(4, limit);
        },
        ReadDelivery<Statement>);
  }

  Result<std::optional<DeliveryRecord>> FindDelivery(TenantId tenant, int64_t delivery_id) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return QueryOne<DeliveryRecord>(
        *db->connection,
        "SELECT " + std::string(kDeliveryColumns) + " FROM deliveries d JOIN events e ON e.seq = d.event_seq "
            "WHERE d.tenant_id = ?1 AND d.id = ?2",
        [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, delivery_id); }, ReadDelivery<Statement>);
  }

  Result<std::vector<DeliveryAttempt>> DeliveryAttempts(TenantId tenant, int64_t delivery_id) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<DeliveryAttempt>(
        *db->connection,
        "SELECT a.delivery_id, a.time, a.status, a.error, a.duration_ms, a.response FROM delivery_attempts a "
        "JOIN deliveries d ON d.id = a.delivery_id WHERE d.tenant_id = ?1 AND a.delivery_id = ?2 ORDER BY a.id",
        [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, delivery_id); },
        [](const Statement& s) {
          return DeliveryAttempt{s.Int(0), s.Text(1), s.Int(2), s.Text(3), s.Double(4), s.Text(5)};
        });
  }

  Result<std::vector<JournalEntry>> ReadJournal(TenantId tenant, const JournalQuery& query) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    // Every condition is bound, absent ones as NULL, so the statement text never varies.
    std::optional<std::string> like;
    if (query.text) like = "%" + EscapeLike(core::ToLower(*query.text)) + "%";
    auto optional_int = [](Statement& s, int index, const std::optional<int64_t>& v) {
      if (v) s.Bind(index, *v);
      else s.BindNull(index);
    };
    return Query<JournalEntry>(
        *db->connection,
        "SELECT seq, tenant_id, time, credential, idp, method, path, query, status, scim_type, detail, duration_ms, "
        "resource_type, resource_id, request_body, events, note FROM journal WHERE tenant_id = ?1 "
        "AND (?2 IS NULL OR resource_id = ?2) AND (?3 IS NULL OR status >= ?3) AND (?4 IS NULL OR status <= ?4) "
        "AND (?5 IS NULL OR time >= ?5) AND (?6 IS NULL OR time < ?6) AND (?7 IS NULL OR seq < ?7) "
        "AND (?8 IS NULL OR lower(path || ' ' || query || ' ' || request_body) LIKE ?8 ESCAPE '\\') "
        "ORDER BY seq DESC LIMIT ?9",
        [&](Statement& s) {
          s.Bind(1, tenant.value).Bind(2, query.resource_id);
          optional_int(s, 3, query.status_min);
          optional_int(s, 4, query.status_max);
          s.Bind(5, query.since).Bind(6, query.until);
          optional_int(s, 7, query.before_seq);
          s.Bind(8, like).Bind(9, query.limit);
        },
        ReadJournalEntry<Statement>);
  }

  Result<std::optional<LoginRecord>> FindLogin(const std::string& username) override {
    return OneLogin("WHERE lower(l.username) = lower(?1)", [&](Statement& s) { s.Bind(1, username); });
  }

  Result<std::optional<LoginRecord>> LoginOf(TenantId tenant) override {
    return OneLogin("WHERE l.tenant_id = ?1", [&](Statement& s) { s.Bind(1, tenant.value); });
  }

  Result<std::optional<ApiKeyRecord>> FindApiKeyByHash(const std::string& hash) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return QueryOne<ApiKeyRecord>(*db->connection, std::string(kApiKeySelect) + "WHERE k.hash = ?1",
                                    [&](Statement& s) { s.Bind(1, hash); }, ReadApiKey<Statement>);
  }

  Result<std::vector<ApiKeyRecord>> ListApiKeys() override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<ApiKeyRecord>(*db->connection, std::string(kApiKeySelect) + "ORDER BY k.created, k.id",
                               [](Statement&) {}, ReadApiKey<Statement>);
  }

  Result<std::optional<OAuthClientRecord>> FindOAuthClient(const std::string& client_id) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return QueryOne<OAuthClientRecord>(*db->connection, std::string(kOAuthClientSelect) + "WHERE c.id = ?1",
                                       [&](Statement& s) { s.Bind(1, client_id); }, ReadOAuthClient<Statement>);
  }

  Result<std::vector<OAuthClientRecord>> ListOAuthClients() override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<OAuthClientRecord>(*db->connection, std::string(kOAuthClientSelect) + "ORDER BY c.created, c.id",
                                    [](Statement&) {}, ReadOAuthClient<Statement>);
  }

  Result<std::vector<AuditEntry>> ReadAudit(const AuditQuery& query) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    std::string sql = "SELECT seq, time, actor, source, action, tenant_name, target, detail FROM audit WHERE 1";
    if (query.tenant_name) sql += " AND lower(tenant_name) = lower(?1)";
    if (query.before) sql += " AND seq < ?2";
    sql += " ORDER BY seq DESC LIMIT ?3";
    return Query<AuditEntry>(
        *db->connection, sql,
        [&](Statement& s) {
          if (query.tenant_name) s.Bind(1, *query.tenant_name);
          if (query.before) s.Bind(2, *query.before);
          s.Bind(3, query.limit);
        },
        [](const Statement& s) {
          return AuditEntry{s.Int(0),  s.Text(1), s.Text(2), s.Text(3),
                            s.Text(4), s.Text(5), s.Text(6), s.Text(7)};
        });
  }

  Result<std::optional<AdminAccount>> FindAdminAccount(const std::string& name) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return QueryOne<AdminAccount>(
        *db->connection, std::string("SELECT ") + kAdminAccountColumns + kAdminAccountFrom + "WHERE lower(a.name) = lower(?1)",
        [&](Statement& s) { s.Bind(1, name); }, [](const Statement& s) { return ReadAdminAccount(s); });
  }

  Result<std::vector<AdminAccount>> ListAdminAccounts(std::optional<TenantId> tenant) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    std::string sql = std::string("SELECT ") + kAdminAccountColumns + kAdminAccountFrom +
                      (tenant ? "WHERE a.tenant_id = ?1 " : "") + "ORDER BY a.created, a.id";
    return Query<AdminAccount>(
        *db->connection, sql, [&](Statement& s) { if (tenant) s.Bind(1, tenant->value); },
        [](const Statement& s) { return ReadAdminAccount(s); });
  }

  Result<std::optional<AdminCredentialMatch>> FindAdminCredentialByHash(const std::string& hash) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return QueryOne<AdminCredentialMatch>(
        *db->connection,
        std::string("SELECT ") + kAdminCredentialColumns + ", " + kAdminAccountColumns +
            " FROM admin_credentials c JOIN admin_accounts a ON a.id = c.account_id "
            "LEFT JOIN tenants n ON n.id = a.tenant_id WHERE c.hash = ?1",
        [&](Statement& s) { s.Bind(1, hash); },
        [](const Statement& s) {
          return AdminCredentialMatch{ReadAdminCredential(s), ReadAdminAccount(s, 9)};
        });
  }

  Result<std::vector<AdminCredential>> ListAdminKeys(const std::string& account_id) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<AdminCredential>(
        *db->connection,
        std::string("SELECT ") + kAdminCredentialColumns +
            " FROM admin_credentials c WHERE c.account_id = ?1 AND c.kind = 'key' ORDER BY c.created, c.id",
        [&](Statement& s) { s.Bind(1, account_id); }, ReadAdminCredential<Statement>);
  }

  Result<std::vector<TenantSchemaRecord>> TenantSchemas(TenantId tenant) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return SchemasOf(*db->connection, tenant);
  }

  Result<std::optional<std::string>> GetUnmapped(TenantId tenant, Kind kind, const std::string& id) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return UnmappedOfResource(*db->connection, tenant, kind, id);
  }

  Result<std::optional<StoredResource>> FindUser(TenantId tenant, UserKey key, const std::string& value) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return FindUserIn(*db->connection, tenant, key, value);
  }

  Result<std::optional<Tombstone>> FindTombstone(TenantId tenant, Kind kind, const std::optional<std::string>& external_id,
                                                 const std::optional<std::string>& name) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    if (external_id) {
      auto found = QueryOne<Tombstone>(
          *db->connection,
          std::string("SELECT ") + kTombstoneColumns +
              " FROM tombstones WHERE tenant_id = ?1 AND kind = ?2 AND external_id = ?3 ORDER BY deleted DESC LIMIT 1",
          [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, int64_t{static_cast<int>(kind)}).Bind(3, *external_id); },
          ReadTombstone<Statement>);
      if (!found || *found || !name) return found;
    }
    if (!name) return std::optional<Tombstone>();
    return QueryOne<Tombstone>(
        *db->connection,
        std::string("SELECT ") + kTombstoneColumns +
            " FROM tombstones WHERE tenant_id = ?1 AND kind = ?2 AND lower(COALESCE(user_name, display_name)) = "
            "lower(?3) ORDER BY deleted DESC LIMIT 1",
        [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, int64_t{static_cast<int>(kind)}).Bind(3, *name); },
        ReadTombstone<Statement>);
  }

  Result<std::vector<HeldChange>> ListHeldChanges(TenantId tenant, const std::optional<std::string>& state,
                                                  int64_t limit) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<HeldChange>(
        *db->connection,
        std::string("SELECT ") + kHeldChangeColumns + " FROM held_changes WHERE tenant_id = ?1 " +
            (state ? "AND state = ?2 " : "") + "ORDER BY created DESC, id DESC LIMIT ?3",
        [&](Statement& s) {
          s.Bind(1, tenant.value);
          if (state) s.Bind(2, *state);
          s.Bind(3, limit);
        },
        ReadHeldChange<Statement>);
  }

  Result<int64_t> CountEventsSince(TenantId tenant, const std::vector<std::string>& types,
                                   const std::string& since) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    int64_t total = 0;
    for (const std::string& type : types) {
      auto count = QueryOne<int64_t>(
          *db->connection, "SELECT count(*) FROM events WHERE tenant_id = ?1 AND type = ?2 AND time >= ?3",
          [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, type).Bind(3, since); },
          [](const Statement& s) { return s.Int(0); });
      if (!count) return std::unexpected(count.error());
      total += count->value_or(0);
    }
    return total;
  }

  Result<std::vector<Tombstone>> ListTombstones(TenantId tenant, int64_t limit) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<Tombstone>(
        *db->connection,
        std::string("SELECT ") + kTombstoneColumns + " FROM tombstones WHERE tenant_id = ?1 ORDER BY deleted DESC LIMIT ?2",
        [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, limit); }, ReadTombstone<Statement>);
  }

  Result<std::vector<ManagerLink>> ManagerLinks(TenantId tenant) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return LinksWhere(*db->connection, tenant, "", [](Statement&) {});
  }

  Result<std::vector<std::string>> UnmappedOf(TenantId tenant, int64_t limit) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<std::string>(
        *db->connection, "SELECT data FROM resource_unmapped WHERE tenant_id = ?1 LIMIT ?2",
        [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, limit); }, [](const Statement& s) { return s.Text(0); });
  }

  Result<std::optional<OAuthTokenRecord>> FindOAuthTokenByHash(const std::string& hash) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return QueryOne<OAuthTokenRecord>(
        *db->connection,
        "SELECT t.id, t.kind, t.client_id, t.tenant_id, n.name, n.settings, t.family, t.created, t.expires, t.used, "
        "t.revoked FROM oauth_tokens t JOIN tenants n ON n.id = t.tenant_id WHERE t.hash = ?1",
        [&](Statement& s) { s.Bind(1, hash); }, ReadOAuthToken<Statement>);
  }

  Result<std::vector<GroupRef>> GroupsOf(TenantId tenant, const std::string& member_id) override {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return Query<GroupRef>(
        *db->connection,
        "SELECT m.group_id, COALESCE(g.display_name, '') FROM memberships m "
        "JOIN resources g ON g.tenant_id = m.tenant_id AND g.kind = 2 AND g.id = m.group_id "
        "WHERE m.tenant_id = ?1 AND m.member_id = ?2 ORDER BY g.display_name, m.group_id",
        [&](Statement& s) { s.Bind(1, tenant.value).Bind(2, member_id); },
        [](const Statement& s) { return GroupRef{s.Text(0), s.Text(1)}; });
  }

 private:
  struct Job {
    WriteFn fn;
    WriteDone done;
  };

  template <class BindFn>
  Result<std::optional<LoginRecord>> OneLogin(const std::string& where, BindFn bind) {
    auto db = Reader();
    if (!db) return std::unexpected(db.error());
    return QueryOne<LoginRecord>(
        *db->connection,
        "SELECT l.tenant_id, n.name, n.settings, l.username, l.password_hash, l.updated FROM logins l "
        "JOIN tenants n ON n.id = l.tenant_id " + where,
        bind, [](const Statement& s) {
          return LoginRecord{TenantId{s.Int(0)}, s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5)};
        });
  }

  // A read connection borrowed from the pool for the lifetime of the lease.
  struct ReaderLease {
    SqliteStore* store;
    std::unique_ptr<Connection> connection;
    ReaderLease(SqliteStore* s, std::unique_ptr<Connection> c) : store(s), connection(std::move(c)) {}
    ReaderLease(ReaderLease&& other) noexcept = default;
    ~ReaderLease() {
      if (connection) {
        std::lock_guard lock(store->readers_mu_);
        store->idle_readers_.push_back(std::move(connection));
      }
    }
  };

  Result<ReaderLease> Reader() {
    {
      std::lock_guard lock(readers_mu_);
      if (!idle_readers_.empty()) {
        auto c = std::move(idle_readers_.back());
        idle_readers_.pop_back();
        return ReaderLease(this, std::move(c));
      }
    }
    auto c = Connection::Open(path_, /*read_only=*/true);
    if (!c) return std::unexpected(c.error());
    return ReaderLease(this, std::move(*c));
  }

  // Group commit: everything queued runs in one transaction, each job in its own savepoint; the
  // completions run after the COMMIT is durable.
  void WriterLoop() {
    constexpr size_t kMaxBatch = 512;
    while (true) {
      std::vector<Job> batch;
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping and drained
        while (!queue_.empty() && batch.size() < kMaxBatch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      std::vector<Result<void>> results(batch.size());
      auto begin = writer_->Exec("BEGIN IMMEDIATE");
      if (!begin) {
        for (auto& job : batch) job.done(std::unexpected(begin.error()));
        continue;
      }
      SqliteWriteTxn txn(*writer_);
      for (size_t i = 0; i < batch.size(); ++i) {
        results[i] = RunInSavepoint(txn, batch[i].fn);
      }
      auto commit = writer_->Exec("COMMIT");
      if (!commit) {
        (void)writer_->Exec("ROLLBACK");
        for (auto& r : results) {
          if (r) r = std::unexpected(commit.error());
        }
      }
      for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
    }
  }

  Result<void> RunInSavepoint(SqliteWriteTxn& txn, const WriteFn& fn) {
    if (auto r = writer_->Exec("SAVEPOINT job"); !r) return r;
    Result<void> result;
    try {
      result = fn(txn);
    } catch (const std::exception& e) {
      result = Fail(ErrorType::kInternal, std::string("Write failed: ") + e.what());
    }
    if (!result) (void)writer_->Exec("ROLLBACK TO job");
    (void)writer_->Exec("RELEASE job");
    return result;
  }

  // Constant after construction.
  const std::string path_;
  std::unique_ptr<Connection> writer_;  // used by the writer thread only (and Open before it starts)

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;  // guarded by readers_mu_

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Job> queue_;  // guarded by queue_mu_
  bool stopping_ = false;  // guarded by queue_mu_
  std::thread writer_thread_;
};

// Brings the schema to kSchemaVersion, one version per transaction. The version is read inside
// the write transaction, so two processes opening a new database at once migrate it once.
Result<void> Migrate(Connection& db) {
  if (auto r = db.Exec("PRAGMA journal_mode=WAL;"); !r) return r;
  while (true) {
    if (auto r = db.Exec("BEGIN IMMEDIATE"); !r) return r;
    int version = 0;
    {  // the statement must be reset before COMMIT
      auto version_stmt = db.Prepare("PRAGMA user_version");
      if (!version_stmt) return std::unexpected(version_stmt.error());
      auto row = version_stmt->Step();
      if (!row) return std::unexpected(row.error());
      version = static_cast<int>(version_stmt->Int(0));
    }
    if (version >= kSchemaVersion) {
      (void)db.Exec("COMMIT");
      if (version == kSchemaVersion) return {};
      return Fail(ErrorType::kInternal, "The database schema is version " + std::to_string(version) +
                                            " but this scimd knows up to " + std::to_string(kSchemaVersion) +
                                            ": it was written by a newer scimd. Upgrade scimd.");
    }
    std::string script = std::string(kMigrations[version]) + "PRAGMA user_version = " + std::to_string(version + 1) +
                         ";COMMIT;";
    if (auto r = db.Exec(script.c_str()); !r) {
      (void)db.Exec("ROLLBACK");
      return Fail(r.error().type,
                  "Migration to schema version " + std::to_string(version + 1) + " failed: " + r.error().detail);
    }
  }
}

}  // namespace

int SqliteSchemaVersion() { return kSchemaVersion; }

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  auto writer = Connection::Open(path, /*read_only=*/false);
  if (!writer) return std::unexpected(writer.error());
  if (auto r = Migrate(**writer); !r) return std::unexpected(r.error());
  return std::unique_ptr<Store>(new SqliteStore(path, std::move(*writer)));
}

}  // namespace scim::storage

// PostgreSQL implementation of Store. See postgres_store.h for the concurrency model and
// docs/decisions/0009-postgres-store.md for why writes are one transaction each.
#include "storage/postgres/postgres_store.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "core/filter.h"
#include "core/json.h"
#include "storage/cursor.h"
#include "storage/list_query.h"
#include "storage/postgres/connection.h"
#include "storage/sql_rows.h"

namespace scim::storage {
namespace {

using core::ErrorType;
using core::Fail;
using postgres::Connection;
using postgres::PgParams;
using postgres::PgResult;
using postgres::PgRow;
using postgres::Pool;
namespace pq = postgres;

// Schema versions, applied in order, one transaction each. Never edit a shipped entry: append.
// Timestamps are RFC 3339 text (they sort as written, as on SQLite); `doc` is the stored document
// as jsonb, generated from `body` (which is kept as text: responses serve it as written). Indexes
// on text a client chooses (userName, displayName, externalId, emails, ids in request paths) hold
// md5 of it: a B-tree entry is limited to about 2.7 kB, and a long userName must not be a 500.
// Queries write md5(x) = md5(?) AND x = ? to use them (sql_filter's IndexedEquals).
constexpr const char* kMigrations[] = {
    // 1: everything SQLite's schema versions 1-9 hold.
    R"sql(
CREATE TABLE tenants (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  created TEXT NOT NULL,
  settings TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX tenants_name ON tenants(lower(name));

CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  hash TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL,
  expires TEXT,
  last_used TEXT,
  revoked TEXT
);
CREATE INDEX tokens_tenant ON tokens(tenant_id);

CREATE TABLE resources (
  seq BIGSERIAL PRIMARY KEY,
  tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind BIGINT NOT NULL,
  id TEXT NOT NULL,
  user_name TEXT,
  external_id TEXT,
  display_name TEXT,
  body TEXT NOT NULL,
  doc JSONB GENERATED ALWAYS AS (body::jsonb) STORED,
  password_hash TEXT,
  created TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  version BIGINT NOT NULL
);
CREATE UNIQUE INDEX resources_id ON resources(tenant_id, kind, id);
CREATE UNIQUE INDEX resources_user_name ON resources(tenant_id, kind, md5(lower(user_name)))
  WHERE user_name IS NOT NULL;
CREATE UNIQUE INDEX resources_group_name ON resources(tenant_id, md5(lower(display_name)))
  WHERE kind = 2 AND display_name IS NOT NULL;
CREATE INDEX resources_external_id ON resources(tenant_id, kind, md5(external_id)) WHERE external_id IS NOT NULL;
CREATE INDEX resources_last_modified ON resources(tenant_id, kind, last_modified);
CREATE INDEX resources_tenant_kind ON resources(tenant_id, kind, seq);

CREATE TABLE resource_emails (
  resource_seq BIGINT NOT NULL REFERENCES resources(seq) ON DELETE CASCADE,
  tenant_id BIGINT NOT NULL,
  value_lower TEXT NOT NULL
);
CREATE INDEX resource_emails_value ON resource_emails(tenant_id, md5(value_lower));
CREATE INDEX resource_emails_seq ON resource_emails(resource_seq);

CREATE TABLE memberships (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  group_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  member_kind BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, group_id, member_id)
);
CREATE INDEX memberships_member ON memberships(tenant_id, member_id);

CREATE TABLE events (
  seq BIGSERIAL PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  time TEXT NOT NULL,
  kind BIGINT NOT NULL,
  resource_id TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX events_tenant_seq ON events(tenant_id, seq);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id BIGINT REFERENCES tenants(id) ON DELETE CASCADE,
  hash TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL,
  last_used TEXT,
  revoked TEXT
);

CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  previous_secret TEXT,
  previous_secret_until TEXT,
  event_types TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL,
  cursor BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX webhooks_tenant ON webhooks(tenant_id);

CREATE TABLE deliveries (
  id BIGSERIAL PRIMARY KEY,
  webhook_id TEXT NOT NULL,
  tenant_id BIGINT NOT NULL,
  event_seq BIGINT NOT NULL,
  resource_key TEXT NOT NULL,
  state BIGINT NOT NULL DEFAULT 0,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_ms BIGINT NOT NULL,
  last_status BIGINT,
  last_error TEXT NOT NULL DEFAULT '',
  last_attempt TEXT,
  delivered TEXT
);
CREATE INDEX deliveries_pending ON deliveries(state, id);
CREATE INDEX deliveries_order ON deliveries(webhook_id, resource_key, state, id);
CREATE INDEX deliveries_tenant ON deliveries(tenant_id, id);

CREATE TABLE delivery_attempts (
  id BIGSERIAL PRIMARY KEY,
  delivery_id BIGINT NOT NULL,
  time TEXT NOT NULL,
  status BIGINT NOT NULL,
  error TEXT NOT NULL,
  duration_ms DOUBLE PRECISION NOT NULL,
  response TEXT NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id);

CREATE TABLE journal (
  seq BIGSERIAL PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  time TEXT NOT NULL,
  credential TEXT NOT NULL,
  idp TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  query TEXT NOT NULL,
  status BIGINT NOT NULL,
  scim_type TEXT NOT NULL,
  detail TEXT NOT NULL,
  duration_ms DOUBLE PRECISION NOT NULL,
  resource_type TEXT,
  resource_id TEXT,
  request_body TEXT NOT NULL,
  events TEXT NOT NULL,
  note TEXT NOT NULL
);
CREATE INDEX journal_tenant ON journal(tenant_id, seq);
CREATE INDEX journal_resource ON journal(tenant_id, md5(resource_id), seq) WHERE resource_id IS NOT NULL;

CREATE TABLE logins (
  tenant_id BIGINT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  username TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  updated TEXT NOT NULL
);
CREATE UNIQUE INDEX logins_username ON logins(lower(username));

CREATE TABLE oauth_clients (
  id TEXT PRIMARY KEY,
  tenant_id BIGINT REFERENCES tenants(id) ON DELETE CASCADE,
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
  tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  family TEXT NOT NULL,
  created TEXT NOT NULL,
  expires TEXT NOT NULL,
  used TEXT,
  revoked TEXT
);
CREATE INDEX oauth_tokens_expires ON oauth_tokens(expires);
CREATE INDEX oauth_tokens_family ON oauth_tokens(family);
CREATE INDEX oauth_tokens_client ON oauth_tokens(client_id);
CREATE INDEX oauth_tokens_tenant ON oauth_tokens(tenant_id);

CREATE TABLE oauth_codes (
  hash TEXT PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
  tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  redirect_uri TEXT NOT NULL,
  code_challenge TEXT NOT NULL,
  scope TEXT NOT NULL,
  family TEXT NOT NULL,
  created TEXT NOT NULL,
  expires TEXT NOT NULL,
  used TEXT
);
CREATE INDEX oauth_codes_expires ON oauth_codes(expires);
CREATE INDEX oauth_codes_client ON oauth_codes(client_id);
CREATE INDEX oauth_codes_tenant ON oauth_codes(tenant_id);

CREATE TABLE audit (
  seq BIGSERIAL PRIMARY KEY,
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
    // 2: the admin API's accounts (operators, tenant admins), their sessions and keys, invitations
    // (SQLite's version 10).
    R"sql(
CREATE TABLE admin_accounts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('operator', 'tenant_admin')),
  tenant_id BIGINT REFERENCES tenants(id) ON DELETE CASCADE,
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
  tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  created_by TEXT NOT NULL,
  created TEXT NOT NULL,
  expires TEXT NOT NULL,
  used TEXT
);
CREATE INDEX admin_invites_tenant ON admin_invites(tenant_id);
)sql",
    // 3: the schemas tenants declare, and what resources hold that no schema declares (SQLite's
    // version 11).
    R"sql(
CREATE TABLE tenant_schemas (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  urn TEXT NOT NULL,
  definition TEXT NOT NULL,
  updated TEXT NOT NULL,
  PRIMARY KEY (tenant_id, urn)
);
CREATE TABLE resource_unmapped (
  resource_seq BIGINT PRIMARY KEY REFERENCES resources(seq) ON DELETE CASCADE,
  tenant_id BIGINT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX resource_unmapped_tenant ON resource_unmapped(tenant_id);
)sql",
    // 4: manager links, tombstones, held deprovisioning changes, events by type and time (SQLite's
    // versions 12-14). Client-chosen text is indexed by its md5, as in version 1.
    R"sql(
CREATE TABLE manager_links (
  report_seq BIGINT PRIMARY KEY REFERENCES resources(seq) ON DELETE CASCADE,
  tenant_id BIGINT NOT NULL,
  report_id TEXT NOT NULL,
  raw TEXT NOT NULL,
  manager_id TEXT
);
CREATE INDEX manager_links_manager ON manager_links(tenant_id, manager_id) WHERE manager_id IS NOT NULL;
CREATE INDEX manager_links_pending ON manager_links(tenant_id, md5(lower(raw))) WHERE manager_id IS NULL;

CREATE TABLE tombstones (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  kind BIGINT NOT NULL,
  user_name TEXT,
  external_id TEXT,
  display_name TEXT,
  body TEXT,
  created TEXT NOT NULL,
  deleted TEXT NOT NULL,
  purge_after TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX tombstones_external_id ON tombstones(tenant_id, kind, md5(external_id)) WHERE external_id IS NOT NULL;
CREATE INDEX tombstones_name ON tombstones(tenant_id, kind, md5(lower(COALESCE(user_name, display_name))));
CREATE INDEX tombstones_purge ON tombstones(purge_after);

CREATE TABLE held_changes (
  id TEXT PRIMARY KEY,
  tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
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

// Advisory lock keys (the first of pg_advisory_*lock's two int4 keys; the second is the tenant
// or 0). Arbitrary constants, unique within scimd.
constexpr int kMigrationLock = 0x5c1d0001;
constexpr int kEventLock = 0x5c1d0002;

// The statement's rows read with `read`.
template <class T, class ReadFn>
Result<std::vector<T>> Query(Connection& db, const std::string& sql, const PgParams& params, ReadFn read) {
  auto result = db.Run(sql, params);
  if (!result) return std::unexpected(result.error());
  std::vector<T> rows;
  rows.reserve(static_cast<size_t>(result->Rows()));
  for (int i = 0; i < result->Rows(); ++i) rows.push_back(read(PgRow(*result, i)));
  return rows;
}

template <class T, class ReadFn>
Result<std::optional<T>> QueryOne(Connection& db, const std::string& sql, const PgParams& params, ReadFn read) {
  auto rows = Query<T>(db, sql, params, read);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<T>();
  return std::optional<T>(std::move(rows->front()));
}

// Runs a statement without result rows; returns how many rows it changed.
Result<int64_t> Execute(Connection& db, const std::string& sql, const PgParams& params) {
  auto result = db.Run(sql, params);
  if (!result) return std::unexpected(result.error());
  return result->Affected();
}

Result<void> ExecuteAll(Connection& db, std::initializer_list<const char*> statements, const PgParams& params) {
  for (const char* sql : statements) {
    if (auto r = Execute(db, sql, params); !r) return std::unexpected(r.error());
  }
  return {};
}

PgParams Params(std::initializer_list<pq::PgParam> list) { return PgParams(list); }
pq::PgParam KindParam(Kind kind) { return pq::Int(static_cast<int>(kind)); }

std::vector<pq::PgParam> FromSql(const std::vector<SqlParam>& params) {
  std::vector<pq::PgParam> out;
  out.reserve(params.size());
  for (const auto& p : params) out.push_back(pq::FromSql(p));
  return out;
}

Result<std::vector<TenantSchemaRecord>> SchemasOf(Connection& db, TenantId tenant) {
  return Query<TenantSchemaRecord>(
      db, "SELECT urn, definition, updated FROM tenant_schemas WHERE tenant_id = ?1 ORDER BY urn COLLATE \"C\"",
      Params({pq::Int(tenant.value)}), [](const PgRow& r) { return TenantSchemaRecord{r.Text(0), r.Text(1), r.Text(2)}; });
}

Result<std::optional<std::string>> UnmappedOfResource(Connection& db, TenantId tenant, Kind kind,
                                                      const std::string& id) {
  return QueryOne<std::string>(db,
                               "SELECT u.data FROM resource_unmapped u JOIN resources r ON r.seq = u.resource_seq "
                               "WHERE r.tenant_id = ?1 AND r.kind = ?2 AND r.id = ?3",
                               Params({pq::Int(tenant.value), KindParam(kind), pq::Text(id)}),
                               [](const PgRow& r) { return r.Text(0); });
}

// The tenant's user whose `key` equals `value` (Store::FindUser).
Result<std::optional<StoredResource>> FindUserIn(Connection& db, TenantId tenant, UserKey key,
                                                 const std::string& value) {
  std::string where;
  std::string bound = value;
  switch (key) {
    case UserKey::kId: where = "r.id = ?2"; break;
    case UserKey::kUserName: where = "md5(lower(r.user_name)) = md5(lower(?2)) AND lower(r.user_name) = lower(?2)"; break;
    case UserKey::kExternalId: where = "md5(r.external_id) = md5(?2) AND r.external_id = ?2"; break;
    case UserKey::kEmail:
      // Stored folded as core::ToLower folds; the value is folded the same way here.
      bound = core::ToLower(value);
      where = "r.seq = (SELECT e.resource_seq FROM resource_emails e WHERE e.tenant_id = ?1 AND "
              "md5(e.value_lower) = md5(?2) AND e.value_lower = ?2 ORDER BY e.resource_seq LIMIT 1)";
      break;
  }
  return QueryOne<StoredResource>(
      db,
      std::string("SELECT ") + kResourceColumns + " FROM resources r WHERE r.tenant_id = ?1 AND r.kind = 1 AND " + where +
          " ORDER BY r.seq LIMIT 1",
      Params({pq::Int(tenant.value), pq::Text(bound)}), ReadResource<PgRow>);
}

Result<std::vector<ManagerLink>> LinksWhere(Connection& db, TenantId tenant, const std::string& where,
                                            std::optional<std::string> value) {
  PgParams params{pq::Int(tenant.value)};
  if (value) params.push_back(pq::Text(*value));
  return Query<ManagerLink>(
      db,
      "SELECT report_id, raw, manager_id FROM manager_links WHERE tenant_id = ?1 " + where +
          " ORDER BY report_id COLLATE \"C\"",
      params, [](const PgRow& r) { return ManagerLink{r.Text(0), r.Text(1), r.OptionalText(2)}; });
}

Result<std::optional<StoredResource>> GetResource(Connection& db, TenantId tenant, Kind kind, const std::string& id,
                                                  bool lock) {
  return QueryOne<StoredResource>(
      db,
      std::string("SELECT ") + kResourceColumns + " FROM resources r WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3" +
          (lock ? " FOR UPDATE" : ""),
      Params({pq::Int(tenant.value), KindParam(kind), pq::Text(id)}), ReadResource<PgRow>);
}

class PgWriteTxn final : public WriteTxn {
 public:
  explicit PgWriteTxn(Connection& db) : db_(db) {}

  // The events appended so far wait here until FlushEvents; a job rolled back to its savepoint
  // takes its own back out with DropEventsFrom(the count before it ran).
  size_t PendingEvents() const { return pending_events_.size(); }
  void DropEventsFrom(size_t count) { pending_events_.resize(std::min(count, pending_events_.size())); }

  // Writes the pending events, just before COMMIT. A tenant's events are numbered in commit order:
  // the tenant's advisory lock, held from here until this transaction ends, makes the next
  // transaction take its sequence numbers only after this one is visible, so a feed reader that
  // resumes after the last seq it saw never skips a later commit. Taking the locks last, in tenant
  // order, keeps them out of deadlocks: a transaction holding one waits for nothing but its commit.
  Result<void> FlushEvents() {
    std::set<int64_t> tenants;
    for (const auto& [tenant, event] : pending_events_) tenants.insert(tenant.value);
    for (int64_t tenant : tenants) {
      auto lock = Execute(db_, "SELECT pg_advisory_xact_lock(?1::int, ?2::int)",
                          Params({pq::Int(kEventLock), pq::Int(tenant)}));
      if (!lock) return std::unexpected(lock.error());
    }
    for (const auto& [tenant, event] : pending_events_) {
      if (auto r = Execute(db_,
                           "INSERT INTO events (tenant_id, id, type, time, kind, resource_id, body) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           Params({pq::Int(tenant.value), pq::Text(event.id), pq::Text(event.type),
                                   pq::Text(event.time), KindParam(event.kind), pq::Text(event.resource_id),
                                   pq::Text(event.body)}));
          !r) {
        return std::unexpected(r.error());
      }
    }
    pending_events_.clear();
    return {};
  }

  // Locks the row until the transaction ends: a read-modify-write (PATCH, PUT, membership) of one
  // resource by several instances at once runs one after the other, so `version` never forks.
  Result<std::optional<StoredResource>> Get(TenantId tenant, Kind kind, const std::string& id) override {
    return GetResource(db_, tenant, kind, id, /*lock=*/true);
  }

  Result<void> Insert(TenantId tenant, Kind kind, const ResourceRow& row) override {
    if (auto unique = GroupNameIsFree(tenant, kind, row); !unique) return unique;
    // ON CONFLICT DO NOTHING: a taken name leaves the transaction usable (no error aborts it). A
    // concurrent insert of the same name waits here for the other transaction and then sees it.
    auto seq = Query<int64_t>(
        db_,
        "INSERT INTO resources (tenant_id, kind, id, user_name, external_id, display_name, body, password_hash, "
        "created, last_modified, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
        "ON CONFLICT DO NOTHING RETURNING seq",
        Params({pq::Int(tenant.value), KindParam(kind), pq::Text(row.id), pq::Text(row.user_name),
                pq::Text(row.external_id), pq::Text(row.display_name), pq::Text(row.body), pq::Text(row.password_hash),
                pq::Text(row.created), pq::Text(row.last_modified), pq::Int(row.version)}),
        [](const PgRow& r) { return r.Int(0); });
    if (!seq) return std::unexpected(seq.error());
    if (seq->empty()) {
      if (auto unique = GroupNameIsFree(tenant, kind, row); !unique) return unique;
      if (row.user_name) return TakenUserName(row);
      return Fail(ErrorType::kConflict, std::string(KindName(kind)) + " " + row.id + " already exists");
    }
    return WriteEmails(tenant, seq->front(), row.emails, /*replace=*/false);
  }

  Result<void> Update(TenantId tenant, Kind kind, const ResourceRow& row) override {
    auto seq = Seq(tenant, kind, row.id);
    if (!seq) return std::unexpected(seq.error());
    if (!*seq) return Fail(ErrorType::kNotFound, std::string(KindName(kind)) + " " + row.id + " not found");
    if (auto unique = GroupNameIsFree(tenant, kind, row); !unique) return unique;
    auto done = Guarded([&] {
      return Execute(db_,
                     "UPDATE resources SET user_name = ?2, external_id = ?3, display_name = ?4, body = ?5, "
                     "password_hash = COALESCE(?6, password_hash), last_modified = ?7, version = ?8 WHERE seq = ?1",
                     Params({pq::Int(**seq), pq::Text(row.user_name), pq::Text(row.external_id),
                             pq::Text(row.display_name), pq::Text(row.body), pq::Text(row.password_hash),
                             pq::Text(row.last_modified), pq::Int(row.version)}));
    });
    if (!done) {
      if (done.error().type != ErrorType::kConflict) return std::unexpected(done.error());
      if (db_.LastConstraint() == "resources_group_name") {
        return Fail(ErrorType::kUniqueness, "A group named '" + row.display_name.value_or("") +
                                                "' already exists in this tenant; group names are unique, in any case");
      }
      if (row.user_name) return TakenUserName(row);
      return std::unexpected(done.error());
    }
    return WriteEmails(tenant, **seq, row.emails, /*replace=*/true);
  }

  Result<void> Touch(TenantId tenant, Kind kind, const std::string& id, const std::string& last_modified,
                     int64_t version) override {
    auto changed = Execute(
        db_, "UPDATE resources SET last_modified = ?4, version = ?5 WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3",
        Params({pq::Int(tenant.value), KindParam(kind), pq::Text(id), pq::Text(last_modified), pq::Int(version)}));
    if (!changed) return std::unexpected(changed.error());
    if (*changed == 0) return Fail(ErrorType::kNotFound, std::string(KindName(kind)) + " " + id + " not found");
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
        Params({pq::Int(tenant.value), pq::Text(id)}), [](const PgRow& r) { return r.Text(0); });
    if (!left) return std::unexpected(left.error());
    result.left_groups = std::move(*left);
    // Groups that lose this member change too.
    if (auto r = Execute(db_,
                         "UPDATE resources SET version = version + 1, last_modified = ?3 WHERE tenant_id = ?1 AND "
                         "kind = 2 AND id IN (SELECT group_id FROM memberships WHERE tenant_id = ?1 AND member_id = ?2)",
                         Params({pq::Int(tenant.value), pq::Text(id), pq::Text(now)}));
        !r) {
      return std::unexpected(r.error());
    }
    if (auto r = ExecuteAll(db_,
                            {"DELETE FROM memberships WHERE tenant_id = ?1 AND member_id = ?2",
                             "DELETE FROM memberships WHERE tenant_id = ?1 AND group_id = ?2"},
                            Params({pq::Int(tenant.value), pq::Text(id)}));
        !r) {
      return std::unexpected(r.error());
    }
    if (auto r = ExecuteAll(db_, {"DELETE FROM resource_emails WHERE resource_seq = ?1", "DELETE FROM resources WHERE seq = ?1"},
                            Params({pq::Int(**seq)}));
        !r) {
      return std::unexpected(r.error());
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
        case core::MemberOp::Kind::kReplaceAll:
          step = ReplaceAll(tenant, group_id, op.members, reject_unknown, result);
          if (!step) return std::unexpected(step.error());
          break;
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
    auto id = Query<int64_t>(db_,
                             "INSERT INTO tenants (name, created) VALUES (?1, ?2) ON CONFLICT DO NOTHING RETURNING id",
                             Params({pq::Text(name), pq::Text(created)}), [](const PgRow& r) { return r.Int(0); });
    if (!id) return std::unexpected(id.error());
    if (id->empty()) return Fail(ErrorType::kConflict, "Tenant '" + name + "' already exists");
    return Tenant{TenantId{id->front()}, name, created, "{}"};
  }

  Result<bool> DeleteTenant(const std::string& name) override {
    auto id = QueryOne<int64_t>(db_, "SELECT id FROM tenants WHERE lower(name) = lower(?1) FOR UPDATE",
                                Params({pq::Text(name)}), [](const PgRow& r) { return r.Int(0); });
    if (!id) return std::unexpected(id.error());
    if (!*id) return false;
    if (auto r = ExecuteAll(
            db_,
            {"DELETE FROM resource_emails WHERE tenant_id = ?1", "DELETE FROM memberships WHERE tenant_id = ?1",
             "DELETE FROM resources WHERE tenant_id = ?1", "DELETE FROM tokens WHERE tenant_id = ?1",
             "DELETE FROM events WHERE tenant_id = ?1", "DELETE FROM api_keys WHERE tenant_id = ?1",
             "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE tenant_id = ?1)",
             "DELETE FROM deliveries WHERE tenant_id = ?1", "DELETE FROM webhooks WHERE tenant_id = ?1",
             "DELETE FROM journal WHERE tenant_id = ?1", "DELETE FROM logins WHERE tenant_id = ?1",
             "DELETE FROM tenants WHERE id = ?1"},
            Params({pq::Int(**id)}));
        !r) {
      return std::unexpected(r.error());
    }
    return true;
  }

  Result<bool> SetTenantSettings(const std::string& name, const std::string& settings) override {
    // schema_revision belongs to BumpSchemaRevision: a settings change keeps the stored one.
    return Changed(Execute(db_,
                           "UPDATE tenants SET settings = CASE WHEN settings::jsonb -> 'schema_revision' IS NULL "
                           "THEN ?2 ELSE jsonb_set(?2::jsonb, '{schema_revision}', settings::jsonb -> "
                           "'schema_revision')::text END WHERE lower(name) = lower(?1)",
                           Params({pq::Text(name), pq::Text(settings)})));
  }

  Result<void> InsertToken(const TokenRecord& token, const std::string& hash) override {
    return Done(Execute(db_,
                        "INSERT INTO tokens (id, tenant_id, hash, label, created, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        Params({pq::Text(token.id), pq::Int(token.tenant.value), pq::Text(hash), pq::Text(token.label),
                                pq::Text(token.created), pq::Text(token.expires)})));
  }

  Result<bool> RevokeToken(TenantId tenant, const std::string& token_id, const std::string& when) override {
    return Changed(Execute(db_, "UPDATE tokens SET revoked = COALESCE(revoked, ?3) WHERE tenant_id = ?1 AND id = ?2",
                           Params({pq::Int(tenant.value), pq::Text(token_id), pq::Text(when)})));
  }

  Result<bool> ExpireToken(TenantId tenant, const std::string& token_id, const std::string& when) override {
    return Changed(Execute(db_,
                           "UPDATE tokens SET expires = CASE WHEN expires IS NULL OR expires > ?3 THEN ?3 ELSE expires "
                           "END WHERE tenant_id = ?1 AND id = ?2 AND revoked IS NULL",
                           Params({pq::Int(tenant.value), pq::Text(token_id), pq::Text(when)})));
  }

  Result<void> TouchToken(const std::string& token_id, const std::string& when) override {
    return Done(Execute(db_, "UPDATE tokens SET last_used = ?2 WHERE id = ?1", Params({pq::Text(token_id), pq::Text(when)})));
  }

  // Kept until the transaction is about to commit (FlushEvents), where it gets its seq.
  Result<void> AppendEvent(TenantId tenant, const EventRow& event) override {
    pending_events_.emplace_back(tenant, event);
    return {};
  }

  Result<void> InsertWebhook(const WebhookRecord& webhook) override {
    return Done(Execute(db_,
                        "INSERT INTO webhooks (id, tenant_id, url, secret, event_types, created, cursor) VALUES (?1, ?2, "
                        "?3, ?4, ?5, ?6, (SELECT COALESCE(max(seq), 0) FROM events WHERE tenant_id = ?2))",
                        Params({pq::Text(webhook.id), pq::Int(webhook.tenant.value), pq::Text(webhook.url),
                                pq::Text(webhook.secret), pq::Text(JoinTypes(webhook.event_types)),
                                pq::Text(webhook.created)})));
  }

  Result<bool> DeleteWebhook(TenantId tenant, const std::string& webhook_id) override {
    auto deleted = Execute(db_, "DELETE FROM webhooks WHERE tenant_id = ?1 AND id = ?2",
                           Params({pq::Int(tenant.value), pq::Text(webhook_id)}));
    if (!deleted) return std::unexpected(deleted.error());
    if (*deleted == 0) return false;
    if (auto r = ExecuteAll(db_,
                            {"DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE "
                             "webhook_id = ?1)",
                             "DELETE FROM deliveries WHERE webhook_id = ?1"},
                            Params({pq::Text(webhook_id)}));
        !r) {
      return std::unexpected(r.error());
    }
    return true;
  }

  Result<bool> RotateWebhookSecret(TenantId tenant, const std::string& webhook_id, const std::string& secret,
                                   const std::string& previous_until) override {
    return Changed(Execute(db_,
                           "UPDATE webhooks SET previous_secret = secret, previous_secret_until = ?4, secret = ?3 "
                           "WHERE tenant_id = ?1 AND id = ?2",
                           Params({pq::Int(tenant.value), pq::Text(webhook_id), pq::Text(secret),
                                   pq::Text(previous_until)})));
  }

  Result<int64_t> FanOut(const std::string& webhook_id, int64_t now_ms, int64_t limit) override {
    // The webhook row is locked first: two instances fanning out the same webhook take turns, and
    // the second sees the cursor the first advanced (no event becomes two deliveries).
    auto cursor = QueryOne<int64_t>(db_, "SELECT cursor FROM webhooks WHERE id = ?1 FOR UPDATE",
                                    Params({pq::Text(webhook_id)}), [](const PgRow& r) { return r.Int(0); });
    if (!cursor) return std::unexpected(cursor.error());
    if (!*cursor) return 0;
    auto window = Query<std::pair<int64_t, int64_t>>(
        db_,
        "SELECT count(*), COALESCE(max(e.seq), 0) FROM (SELECT e.seq FROM webhooks w JOIN events e ON "
        "e.tenant_id = w.tenant_id AND e.seq > w.cursor WHERE w.id = ?1 ORDER BY e.seq LIMIT ?2) e",
        Params({pq::Text(webhook_id), pq::Int(limit)}), [](const PgRow& r) { return std::pair{r.Int(0), r.Int(1)}; });
    if (!window) return std::unexpected(window.error());
    auto [count, upto] = window->empty() ? std::pair<int64_t, int64_t>{0, 0} : window->front();
    if (count == 0) return 0;
    if (auto r = Execute(db_,
                         "INSERT INTO deliveries (webhook_id, tenant_id, event_seq, resource_key, next_attempt_ms) "
                         "SELECT w.id, e.tenant_id, e.seq, e.kind || ':' || e.resource_id, ?3 FROM webhooks w JOIN "
                         "events e ON e.tenant_id = w.tenant_id AND e.seq > w.cursor AND e.seq <= ?2 WHERE w.id = ?1 "
                         "AND (w.event_types = '' OR strpos(',' || w.event_types || ',', ',' || e.type || ',') > 0) "
                         "ORDER BY e.seq",
                         Params({pq::Text(webhook_id), pq::Int(upto), pq::Int(now_ms)}));
        !r) {
      return std::unexpected(r.error());
    }
    if (auto r = Execute(db_, "UPDATE webhooks SET cursor = ?2 WHERE id = ?1", Params({pq::Text(webhook_id), pq::Int(upto)}));
        !r) {
      return std::unexpected(r.error());
    }
    return count;
  }

  Result<void> RecordAttempt(const DeliveryAttempt& attempt, const DeliveryOutcome& outcome) override {
    if (auto r = Execute(db_,
                         "INSERT INTO delivery_attempts (delivery_id, time, status, error, duration_ms, response) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                         Params({pq::Int(attempt.delivery_id), pq::Text(attempt.time), pq::Int(attempt.status),
                                 pq::Text(attempt.error), pq::Real(attempt.duration_ms), pq::Text(attempt.response)}));
        !r) {
      return std::unexpected(r.error());
    }
    return Done(Execute(
        db_,
        "UPDATE deliveries SET state = ?2, attempts = ?3, next_attempt_ms = ?4, last_status = ?5, last_error = ?6, "
        "last_attempt = ?7, delivered = CASE WHEN ?2 = 1 THEN ?7 ELSE delivered END WHERE id = ?1",
        Params({pq::Int(attempt.delivery_id), pq::Int(static_cast<int>(outcome.state)), pq::Int(outcome.attempts),
                pq::Int(outcome.next_attempt_ms),
                pq::OptionalInt(attempt.status > 0 ? std::optional<int64_t>(attempt.status) : std::nullopt),
                pq::Text(attempt.error), pq::Text(attempt.time)})));
  }

  Result<bool> Redeliver(TenantId tenant, int64_t delivery_id, int64_t now_ms) override {
    return Changed(Execute(
        db_, "UPDATE deliveries SET state = 0, attempts = 0, next_attempt_ms = ?3 WHERE tenant_id = ?1 AND id = ?2",
        Params({pq::Int(tenant.value), pq::Int(delivery_id), pq::Int(now_ms)})));
  }

  Result<void> AppendJournal(const std::vector<JournalEntry>& entries) override {
    for (const auto& e : entries) {
      core::Json events = core::Json::array();
      for (const auto& id : e.events) events.push_back(id);
      if (auto r = Execute(db_,
                           "INSERT INTO journal (tenant_id, time, credential, idp, method, path, query, status, "
                           "scim_type, detail, duration_ms, resource_type, resource_id, request_body, events, note) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                           Params({pq::Int(e.tenant.value), pq::Text(e.time), pq::Text(e.credential), pq::Text(e.idp),
                                   pq::Text(e.method), pq::Text(e.path), pq::Text(e.query), pq::Int(e.status),
                                   pq::Text(e.scim_type), pq::Text(e.detail), pq::Real(e.duration_ms),
                                   pq::Text(e.resource_type), pq::Text(e.resource_id), pq::Text(e.request_body),
                                   pq::Text(core::DumpJson(events)), pq::Text(e.note)}));
          !r) {
        return std::unexpected(r.error());
      }
    }
    return {};
  }

  Result<int64_t> PurgeJournal(const std::string& before, int64_t limit) override {
    return Execute(db_, "DELETE FROM journal WHERE seq IN (SELECT seq FROM journal WHERE time < ?1 ORDER BY seq LIMIT ?2)",
                   Params({pq::Text(before), pq::Int(limit)}));
  }

  Result<void> SetLogin(TenantId tenant, const std::string& username, const std::string& password_hash,
                        const std::string& now) override {
    auto done = Guarded([&] {
      return Execute(db_,
                     "INSERT INTO logins (tenant_id, username, password_hash, updated) VALUES (?1, ?2, ?3, ?4) "
                     "ON CONFLICT (tenant_id) DO UPDATE SET username = ?2, password_hash = ?3, updated = ?4",
                     Params({pq::Int(tenant.value), pq::Text(username), pq::Text(password_hash), pq::Text(now)}));
    });
    if (!done && done.error().type == ErrorType::kConflict) {
      return Fail(ErrorType::kUniqueness, "the SCIM username '" + username + "' is taken by another tenant");
    }
    return Done(std::move(done));
  }

  Result<bool> RemoveLogin(TenantId tenant) override {
    return Changed(Execute(db_, "DELETE FROM logins WHERE tenant_id = ?1", Params({pq::Int(tenant.value)})));
  }

  Result<void> InsertApiKey(const ApiKeyRecord& key, const std::string& hash) override {
    return Done(Execute(db_, "INSERT INTO api_keys (id, tenant_id, hash, label, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                        Params({pq::Text(key.id),
                                pq::OptionalInt(key.tenant ? std::optional<int64_t>(key.tenant->value) : std::nullopt),
                                pq::Text(hash), pq::Text(key.label), pq::Text(key.created)})));
  }

  Result<bool> RevokeApiKey(const std::string& key_id, const std::string& when) override {
    return Changed(Execute(db_, "UPDATE api_keys SET revoked = COALESCE(revoked, ?2) WHERE id = ?1",
                           Params({pq::Text(key_id), pq::Text(when)})));
  }

  Result<void> TouchApiKey(const std::string& key_id, const std::string& when) override {
    return Done(Execute(db_, "UPDATE api_keys SET last_used = ?2 WHERE id = ?1", Params({pq::Text(key_id), pq::Text(when)})));
  }

  Result<void> InsertOAuthClient(const OAuthClientRecord& client) override {
    return Done(Execute(
        db_,
        "INSERT INTO oauth_clients (id, tenant_id, secret_hash, redirect_uris, okta_app, created) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        Params({pq::Text(client.id),
                pq::OptionalInt(client.tenant ? std::optional<int64_t>(client.tenant->value) : std::nullopt),
                pq::Text(client.secret_hash), pq::Text(core::DumpJson(core::Json(client.redirect_uris))),
                pq::Text(client.okta_app), pq::Text(client.created)})));
  }

  Result<bool> DeleteOAuthClient(const std::string& client_id) override {
    return Changed(Execute(db_, "DELETE FROM oauth_clients WHERE id = ?1", Params({pq::Text(client_id)})));
  }

  Result<void> InsertOAuthCode(const OAuthCodeRecord& c, const std::string& hash) override {
    if (auto r = Execute(db_,
                         "DELETE FROM oauth_codes WHERE hash IN (SELECT hash FROM oauth_codes WHERE expires < ?1 "
                         "LIMIT 256)",
                         Params({pq::Text(c.created)}));
        !r) {
      return std::unexpected(r.error());
    }
    return Done(Execute(db_,
                        "INSERT INTO oauth_codes (hash, client_id, tenant_id, redirect_uri, code_challenge, scope, "
                        "family, created, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        Params({pq::Text(hash), pq::Text(c.client_id), pq::Int(c.tenant.value), pq::Text(c.redirect_uri),
                                pq::Text(c.code_challenge), pq::Text(c.scope), pq::Text(c.family), pq::Text(c.created),
                                pq::Text(c.expires)})));
  }

  // One UPDATE both finds the code and marks it used, only while it is unused: of two exchanges
  // racing on two instances, exactly one sees `used` empty.
  Result<std::optional<OAuthCodeRecord>> ConsumeOAuthCode(const std::string& hash, const std::string& now) override {
    constexpr const char* kColumns =
        "c.client_id, c.tenant_id, n.name, c.redirect_uri, c.code_challenge, c.scope, c.family, c.created, c.expires";
    auto read = [](const PgRow& r) {
      return OAuthCodeRecord{r.Text(0), TenantId{r.Int(1)}, r.Text(2), r.Text(3), r.Text(4), r.Text(5),
                             r.Text(6), r.Text(7), r.Text(8), r.OptionalText(9)};
    };
    auto consumed = QueryOne<OAuthCodeRecord>(
        db_,
        fmt::format("UPDATE oauth_codes c SET used = ?2 FROM tenants n WHERE n.id = c.tenant_id AND c.hash = ?1 AND "
                    "c.used IS NULL RETURNING {}, NULL::text",
                    kColumns),
        Params({pq::Text(hash), pq::Text(now)}), read);
    if (!consumed || *consumed) return consumed;
    return QueryOne<OAuthCodeRecord>(
        db_, fmt::format("SELECT {}, c.used FROM oauth_codes c JOIN tenants n ON n.id = c.tenant_id WHERE c.hash = ?1",
                         kColumns),
        Params({pq::Text(hash)}), read);
  }

  Result<std::optional<OAuthTokenRecord>> ConsumeOAuthRefreshToken(const std::string& hash,
                                                                   const std::string& now) override {
    auto consumed = QueryOne<OAuthTokenRecord>(
        db_,
        "UPDATE oauth_tokens t SET used = ?2 FROM tenants n WHERE n.id = t.tenant_id AND t.hash = ?1 AND "
        "t.kind = 'refresh' AND t.used IS NULL RETURNING t.id, t.kind, t.client_id, t.tenant_id, n.name, n.settings, "
        "t.family, t.created, t.expires, NULL::text, t.revoked",
        Params({pq::Text(hash), pq::Text(now)}), ReadOAuthToken<PgRow>);
    if (!consumed || *consumed) return consumed;
    return QueryOne<OAuthTokenRecord>(
        db_,
        "SELECT t.id, t.kind, t.client_id, t.tenant_id, n.name, n.settings, t.family, t.created, t.expires, t.used, "
        "t.revoked FROM oauth_tokens t JOIN tenants n ON n.id = t.tenant_id WHERE t.hash = ?1 AND t.kind = 'refresh'",
        Params({pq::Text(hash)}), ReadOAuthToken<PgRow>);
  }

  Result<void> RevokeOAuthFamily(const std::string& family, const std::string& when) override {
    return Done(Execute(db_, "UPDATE oauth_tokens SET revoked = COALESCE(revoked, ?2) WHERE family = ?1",
                        Params({pq::Text(family), pq::Text(when)})));
  }

  Result<void> InsertOAuthToken(const OAuthTokenRecord& t, const std::string& hash) override {
    if (auto r = Execute(db_,
                         "DELETE FROM oauth_tokens WHERE hash IN (SELECT hash FROM oauth_tokens WHERE expires < ?1 "
                         "LIMIT 256)",
                         Params({pq::Text(t.created)}));
        !r) {
      return std::unexpected(r.error());
    }
    return Done(Execute(db_,
                        "INSERT INTO oauth_tokens (hash, id, kind, client_id, tenant_id, family, created, expires) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        Params({pq::Text(hash), pq::Text(t.id), pq::Text(t.kind), pq::Text(t.client_id),
                                pq::Int(t.tenant.value), pq::Text(t.family), pq::Text(t.created), pq::Text(t.expires)})));
  }

  Result<void> AppendAudit(const AuditEntry& e) override {
    return Done(Execute(db_,
                        "INSERT INTO audit (time, actor, source, action, tenant_name, target, detail) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        Params({pq::Text(e.time), pq::Text(e.actor), pq::Text(e.source), pq::Text(e.action),
                                pq::Text(e.tenant_name), pq::Text(e.target),
                                pq::Text(e.detail.empty() ? std::string("{}") : e.detail)})));
  }

  Result<void> InsertAdminAccount(const AdminAccount& account) override {
    // ON CONFLICT DO NOTHING: a taken name (any case) is an answer, not an aborted transaction.
    auto inserted = Execute(
        db_,
        "INSERT INTO admin_accounts (id, name, role, tenant_id, password_hash, created) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        Params({pq::Text(account.id), pq::Text(account.name), pq::Text(account.role),
                pq::OptionalInt(account.tenant ? std::optional<int64_t>(account.tenant->value) : std::nullopt),
                pq::Text(account.password_hash), pq::Text(account.created)}));
    if (!inserted) return std::unexpected(inserted.error());
    if (*inserted == 0) return Fail(ErrorType::kUniqueness, "the admin account name '" + account.name + "' is taken");
    return {};
  }

  Result<bool> DeleteAdminAccount(const std::string& account_id) override {
    return Changed(Execute(db_, "DELETE FROM admin_accounts WHERE id = ?1", Params({pq::Text(account_id)})));
  }

  Result<bool> SetAdminPassword(const std::string& account_id, const std::string& password_hash,
                                const std::string& when) override {
    auto changed = Execute(db_, "UPDATE admin_accounts SET password_hash = ?2 WHERE id = ?1",
                           Params({pq::Text(account_id), pq::Text(password_hash)}));
    if (!changed) return std::unexpected(changed.error());
    if (*changed == 0) return false;
    if (auto r = Execute(db_,
                         "UPDATE admin_credentials SET revoked = ?2 WHERE account_id = ?1 AND kind = 'session' AND "
                         "revoked IS NULL",
                         Params({pq::Text(account_id), pq::Text(when)}));
        !r) {
      return std::unexpected(r.error());
    }
    return true;
  }

  Result<void> InsertAdminCredential(const AdminCredential& c, const std::string& hash) override {
    if (auto r = Execute(db_,
                         "DELETE FROM admin_credentials WHERE id IN (SELECT id FROM admin_credentials "
                         "WHERE kind = 'session' AND expires < ?1 LIMIT 200)",
                         Params({pq::Text(c.created)}));
        !r) {
      return std::unexpected(r.error());
    }
    return Done(Execute(db_,
                        "INSERT INTO admin_credentials (id, hash, kind, account_id, label, csrf, created, expires) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        Params({pq::Text(c.id), pq::Text(hash), pq::Text(c.kind), pq::Text(c.account_id),
                                pq::Text(c.label), pq::Text(c.csrf), pq::Text(c.created), pq::Text(c.expires)})));
  }

  Result<bool> RevokeAdminCredential(const std::string& account_id, const std::string& credential_id,
                                     const std::string& when) override {
    return Changed(Execute(
        db_, "UPDATE admin_credentials SET revoked = ?3 WHERE id = ?2 AND account_id = ?1 AND revoked IS NULL",
        Params({pq::Text(account_id), pq::Text(credential_id), pq::Text(when)})));
  }

  Result<void> TouchAdminCredential(const std::string& credential_id, const std::string& when) override {
    return Done(Execute(db_, "UPDATE admin_credentials SET last_used = ?2 WHERE id = ?1",
                        Params({pq::Text(credential_id), pq::Text(when)})));
  }

  Result<void> InsertAdminInvite(const AdminInvite& invite, const std::string& hash) override {
    if (auto r = Execute(db_, "DELETE FROM admin_invites WHERE expires < ?1", Params({pq::Text(invite.created)})); !r) {
      return std::unexpected(r.error());
    }
    return Done(Execute(db_,
                        "INSERT INTO admin_invites (hash, id, tenant_id, created_by, created, expires) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        Params({pq::Text(hash), pq::Text(invite.id), pq::Int(invite.tenant.value),
                                pq::Text(invite.created_by), pq::Text(invite.created), pq::Text(invite.expires)})));
  }

  Result<std::vector<TenantSchemaRecord>> TenantSchemas(TenantId tenant) override { return SchemasOf(db_, tenant); }

  Result<void> PutTenantSchema(TenantId tenant, const TenantSchemaRecord& schema) override {
    return Done(Execute(db_,
                        "INSERT INTO tenant_schemas (tenant_id, urn, definition, updated) VALUES (?1, ?2, ?3, ?4) "
                        "ON CONFLICT (tenant_id, urn) DO UPDATE SET definition = ?3, updated = ?4",
                        Params({pq::Int(tenant.value), pq::Text(schema.urn), pq::Text(schema.definition),
                                pq::Text(schema.updated)})));
  }

  Result<bool> DeleteTenantSchema(TenantId tenant, const std::string& urn) override {
    return Changed(Execute(db_, "DELETE FROM tenant_schemas WHERE tenant_id = ?1 AND urn = ?2",
                           Params({pq::Int(tenant.value), pq::Text(urn)})));
  }

  // One UPDATE reads and increments: two instances bumping at once wait for each other's row lock
  // and both increments count.
  Result<void> BumpSchemaRevision(TenantId tenant) override {
    return Done(Execute(db_,
                        "UPDATE tenants SET settings = jsonb_set(settings::jsonb, '{schema_revision}', "
                        "to_jsonb(COALESCE((settings::jsonb ->> 'schema_revision')::bigint, 0) + 1))::text "
                        "WHERE id = ?1",
                        Params({pq::Int(tenant.value)})));
  }

  Result<std::optional<std::string>> GetUnmapped(TenantId tenant, Kind kind, const std::string& id) override {
    return UnmappedOfResource(db_, tenant, kind, id);
  }

  Result<void> SetUnmapped(TenantId tenant, Kind kind, const std::string& id,
                           const std::optional<std::string>& unmapped) override {
    if (!unmapped) {
      return Done(Execute(db_,
                          "DELETE FROM resource_unmapped WHERE resource_seq = "
                          "(SELECT seq FROM resources WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3)",
                          Params({pq::Int(tenant.value), KindParam(kind), pq::Text(id)})));
    }
    return Done(Execute(db_,
                        "INSERT INTO resource_unmapped (resource_seq, tenant_id, data) "
                        "SELECT seq, tenant_id, ?4 FROM resources WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3 "
                        "ON CONFLICT (resource_seq) DO UPDATE SET data = ?4",
                        Params({pq::Int(tenant.value), KindParam(kind), pq::Text(id), pq::Text(*unmapped)})));
  }

  Result<std::vector<std::pair<StoredResource, std::optional<std::string>>>> ResourcesAfter(
      TenantId tenant, Kind kind, const std::string& after_id, int64_t limit) override {
    using Row = std::pair<StoredResource, std::optional<std::string>>;
    return Query<Row>(db_,
                      std::string("SELECT ") + kResourceColumns +
                          ", u.data FROM resources r LEFT JOIN resource_unmapped u ON u.resource_seq = r.seq "
                          "WHERE r.tenant_id = ?1 AND r.kind = ?2 AND r.id > ?3 ORDER BY r.id LIMIT ?4",
                      Params({pq::Int(tenant.value), KindParam(kind), pq::Text(after_id), pq::Int(limit)}),
                      [](const PgRow& r) { return Row{ReadResource(r), r.OptionalText(kResourceColumnCount)}; });
  }

  Result<void> RewriteBody(TenantId tenant, Kind kind, const std::string& id, const std::string& body,
                           int64_t version) override {
    return Done(Execute(
        db_, "UPDATE resources SET body = ?4, version = ?5 WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3",
        Params({pq::Int(tenant.value), KindParam(kind), pq::Text(id), pq::Text(body), pq::Int(version)})));
  }

  Result<std::optional<StoredResource>> FindUser(TenantId tenant, UserKey key, const std::string& value) override {
    return FindUserIn(db_, tenant, key, value);
  }

  Result<void> SetManagerLink(TenantId tenant, const ManagerLink& link) override {
    return Done(Execute(db_,
                        "INSERT INTO manager_links (report_seq, tenant_id, report_id, raw, manager_id) "
                        "SELECT seq, tenant_id, id, ?3, ?4 FROM resources WHERE tenant_id = ?1 AND kind = 1 AND id = ?2 "
                        "ON CONFLICT (report_seq) DO UPDATE SET raw = ?3, manager_id = ?4",
                        Params({pq::Int(tenant.value), pq::Text(link.report_id), pq::Text(link.raw),
                                pq::Text(link.manager_id)})));
  }

  Result<bool> RemoveManagerLink(TenantId tenant, const std::string& report_id) override {
    return Changed(Execute(db_, "DELETE FROM manager_links WHERE tenant_id = ?1 AND report_id = ?2",
                           Params({pq::Int(tenant.value), pq::Text(report_id)})));
  }

  Result<std::vector<ManagerLink>> PendingManagerLinks(TenantId tenant, const std::vector<std::string>& keys) override {
    std::vector<ManagerLink> links;
    for (const std::string& key : keys) {
      auto found = LinksWhere(db_, tenant,
                              "AND manager_id IS NULL AND md5(lower(raw)) = md5(lower(?2)) AND lower(raw) = lower(?2)",
                              key);
      if (!found) return std::unexpected(found.error());
      for (auto& link : *found) {
        bool seen = std::any_of(links.begin(), links.end(),
                                [&](const ManagerLink& l) { return l.report_id == link.report_id; });
        if (!seen) links.push_back(std::move(link));
      }
    }
    return links;
  }

  Result<std::vector<ManagerLink>> ReportsOf(TenantId tenant, const std::string& manager_id) override {
    return LinksWhere(db_, tenant, "AND manager_id = ?2", manager_id);
  }

  Result<void> InsertTombstone(TenantId tenant, const Tombstone& t) override {
    return Done(Execute(db_,
                        std::string("INSERT INTO tombstones (tenant_id, ") + kTombstoneColumns +
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (tenant_id, id) DO UPDATE "
                            "SET kind = ?3, user_name = ?4, external_id = ?5, display_name = ?6, body = ?7, "
                            "created = ?8, deleted = ?9, purge_after = ?10",
                        Params({pq::Int(tenant.value), pq::Text(t.id), KindParam(t.kind), pq::Text(t.user_name),
                                pq::Text(t.external_id), pq::Text(t.display_name), pq::Text(t.body),
                                pq::Text(t.created), pq::Text(t.deleted), pq::Text(t.purge_after)})));
  }

  Result<bool> DeleteTombstone(TenantId tenant, const std::string& id) override {
    return Changed(Execute(db_, "DELETE FROM tombstones WHERE tenant_id = ?1 AND id = ?2",
                           Params({pq::Int(tenant.value), pq::Text(id)})));
  }

  Result<int64_t> PurgeTombstones(const std::string& now, int64_t limit) override {
    return Execute(db_,
                   "DELETE FROM tombstones WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM tombstones "
                   "WHERE purge_after < ?1 LIMIT ?2)",
                   Params({pq::Text(now), pq::Int(limit)}));
  }

  Result<void> InsertHeldChange(const HeldChange& c) override {
    return Done(Execute(db_,
                        "INSERT INTO held_changes (id, tenant_id, resource_id, action, method, path, body, created, "
                        "state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        Params({pq::Text(c.id), pq::Int(c.tenant.value), pq::Text(c.resource_id), pq::Text(c.action),
                                pq::Text(c.method), pq::Text(c.path), pq::Text(c.body), pq::Text(c.created),
                                pq::Text(c.state)})));
  }

  // Only a pending change moves: of two operators deciding at once, one wins.
  Result<bool> DecideHeldChange(TenantId tenant, const std::string& id, const std::string& state,
                                const std::string& decided_by, const std::string& when) override {
    return Changed(Execute(db_,
                           "UPDATE held_changes SET state = ?3, decided_by = ?4, decided = ?5 "
                           "WHERE tenant_id = ?1 AND id = ?2 AND state = 'pending'",
                           Params({pq::Int(tenant.value), pq::Text(id), pq::Text(state), pq::Text(decided_by),
                                   pq::Text(when)})));
  }

  // As ConsumeOAuthCode: one UPDATE finds the invitation and uses it up, only while unused.
  Result<std::optional<AdminInvite>> ConsumeAdminInvite(const std::string& hash, const std::string& now) override {
    auto read = [](const PgRow& r) {
      return AdminInvite{r.Text(0), TenantId{r.Int(1)}, r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.OptionalText(6)};
    };
    auto consumed = QueryOne<AdminInvite>(
        db_,
        "UPDATE admin_invites i SET used = ?2 FROM tenants n WHERE n.id = i.tenant_id AND i.hash = ?1 AND "
        "i.used IS NULL RETURNING i.id, i.tenant_id, n.name, i.created_by, i.created, i.expires, NULL::text",
        Params({pq::Text(hash), pq::Text(now)}), read);
    if (!consumed || *consumed) return consumed;
    return QueryOne<AdminInvite>(
        db_,
        "SELECT i.id, i.tenant_id, n.name, i.created_by, i.created, i.expires, i.used FROM admin_invites i "
        "JOIN tenants n ON n.id = i.tenant_id WHERE i.hash = ?1",
        Params({pq::Text(hash)}), read);
  }

 private:
  static Result<void> Done(Result<int64_t> changed) {
    if (!changed) return std::unexpected(changed.error());
    return {};
  }
  static Result<bool> Changed(Result<int64_t> changed) {
    if (!changed) return std::unexpected(changed.error());
    return *changed > 0;
  }

  // Runs `statement` in a savepoint, so that an expected failure (a unique violation) leaves the
  // transaction usable for what the write function does next.
  template <class Fn>
  Result<int64_t> Guarded(Fn statement) {
    if (auto r = db_.Exec("SAVEPOINT guarded"); !r) return std::unexpected(r.error());
    auto result = statement();
    (void)db_.Exec(result ? "RELEASE SAVEPOINT guarded" : "ROLLBACK TO SAVEPOINT guarded");
    return result;
  }

  static Result<void> TakenUserName(const ResourceRow& row) {
    return Fail(ErrorType::kUniqueness, "userName '" + row.user_name.value_or("") + "' is already taken in this tenant");
  }

  // Group displayName is unique per tenant, case-insensitively (decisions/0006). The unique index
  // resources_group_name holds it against concurrent writers; this check names the other group.
  Result<void> GroupNameIsFree(TenantId tenant, Kind kind, const ResourceRow& row) {
    if (kind != Kind::kGroup || !row.display_name) return {};
    auto other = QueryOne<std::string>(
        db_,
        "SELECT id FROM resources WHERE tenant_id = ?1 AND kind = 2 AND md5(lower(display_name)) = md5(lower(?2)) "
        "AND lower(display_name) = lower(?2) AND id <> ?3 LIMIT 1",
        Params({pq::Int(tenant.value), pq::Text(*row.display_name), pq::Text(row.id)}),
        [](const PgRow& r) { return r.Text(0); });
    if (!other) return std::unexpected(other.error());
    if (!*other) return {};
    return Fail(ErrorType::kUniqueness, "A group named '" + *row.display_name + "' already exists in this tenant (id " +
                                            **other + "); group names are unique, in any case");
  }

  Result<std::optional<int64_t>> Seq(TenantId tenant, Kind kind, const std::string& id) {
    return QueryOne<int64_t>(db_, "SELECT seq FROM resources WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3",
                             Params({pq::Int(tenant.value), KindParam(kind), pq::Text(id)}),
                             [](const PgRow& r) { return r.Int(0); });
  }

  Result<void> WriteEmails(TenantId tenant, int64_t seq, const std::vector<std::string>& emails, bool replace) {
    if (replace) {
      if (auto r = Execute(db_, "DELETE FROM resource_emails WHERE resource_seq = ?1", Params({pq::Int(seq)})); !r) {
        return std::unexpected(r.error());
      }
    }
    for (const auto& email : emails) {
      if (auto r = Execute(db_, "INSERT INTO resource_emails (resource_seq, tenant_id, value_lower) VALUES (?1, ?2, ?3)",
                           Params({pq::Int(seq), pq::Int(tenant.value), pq::Text(core::ToLower(email))}));
          !r) {
        return std::unexpected(r.error());
      }
    }
    return {};
  }

  Result<std::optional<Kind>> KindOf(TenantId tenant, const std::string& id) {
    return QueryOne<Kind>(db_, "SELECT kind FROM resources WHERE tenant_id = ?1 AND kind IN (1, 2) AND id = ?2",
                          Params({pq::Int(tenant.value), pq::Text(id)}),
                          [](const PgRow& r) { return static_cast<Kind>(r.Int(0)); });
  }

  Result<void> AddMember(TenantId tenant, const std::string& group_id, const core::Member& member, bool reject_unknown,
                         MemberChangeResult& result) {
    auto kind = KindOf(tenant, member.value);
    if (!kind) return std::unexpected(kind.error());
    if (!*kind || member.value == group_id) {
      if (reject_unknown) {
        return Fail(ErrorType::kInvalidValue, "Member '" + member.value + "' is not a user or group of this tenant");
      }
      result.unknown_members.push_back(member.value);
      return {};
    }
    auto added = Execute(db_,
                         "INSERT INTO memberships (tenant_id, group_id, member_id, member_kind) VALUES (?1, ?2, ?3, ?4) "
                         "ON CONFLICT DO NOTHING",
                         Params({pq::Int(tenant.value), pq::Text(group_id), pq::Text(member.value), KindParam(**kind)}));
    if (!added) return std::unexpected(added.error());
    if (*added > 0) {
      result.changed = true;
      result.added.push_back({member.value, **kind});
    }
    return {};
  }

  Result<void> RemoveMember(TenantId tenant, const std::string& group_id, const std::string& member_id,
                            MemberChangeResult& result) {
    auto removed = Query<Kind>(
        db_, "DELETE FROM memberships WHERE tenant_id = ?1 AND group_id = ?2 AND member_id = ?3 RETURNING member_kind",
        Params({pq::Int(tenant.value), pq::Text(group_id), pq::Text(member_id)}),
        [](const PgRow& r) { return static_cast<Kind>(r.Int(0)); });
    if (!removed) return std::unexpected(removed.error());
    if (!removed->empty()) {
      result.changed = true;
      result.removed.push_back({member_id, removed->front()});
    }
    return {};
  }

  Result<void> RemoveAll(TenantId tenant, const std::string& group_id, MemberChangeResult& result) {
    auto removed = Query<MemberRef>(
        db_, "DELETE FROM memberships WHERE tenant_id = ?1 AND group_id = ?2 RETURNING member_id, member_kind",
        Params({pq::Int(tenant.value), pq::Text(group_id)}),
        [](const PgRow& r) { return MemberRef{r.Text(0), static_cast<Kind>(r.Int(1))}; });
    if (!removed) return std::unexpected(removed.error());
    if (!removed->empty()) result.changed = true;
    for (auto& member : *removed) result.removed.push_back(std::move(member));
    return {};
  }

  Result<std::vector<std::pair<std::string, Kind>>> CurrentMembers(TenantId tenant, const std::string& group_id) {
    return Query<std::pair<std::string, Kind>>(
        db_, "SELECT member_id, member_kind FROM memberships WHERE tenant_id = ?1 AND group_id = ?2 ORDER BY member_id",
        Params({pq::Int(tenant.value), pq::Text(group_id)}),
        [](const PgRow& r) { return std::pair{r.Text(0), static_cast<Kind>(r.Int(1))}; });
  }

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
  std::vector<std::pair<TenantId, EventRow>> pending_events_;  // appended, not yet written
};

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(const PostgresOptions& options)
      : options_(options),
        readers_(options.url, std::max<size_t>(options.read_connections, 1), std::chrono::seconds(5)),
        writer_connections_(options.url, std::max<size_t>(options.writers, 1), std::chrono::seconds(5)) {
    for (size_t i = 0; i < std::max<size_t>(options.writers, 1); ++i) {
      writer_threads_.emplace_back([this] { WriterLoop(); });
    }
  }

  ~PostgresStore() override {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    for (auto& t : writer_threads_) t.join();
  }

  void Write(WriteFn fn, WriteDone done) override {
    {
      std::lock_guard lock(queue_mu_);
      queue_.push_back(Job{std::move(fn), std::move(done)});
    }
    queue_cv_.notify_one();
  }

  Result<std::optional<Tenant>> FindTenant(const std::string& name) override {
    return Read([&](Connection& db) {
      return QueryOne<Tenant>(db, "SELECT id, name, created, settings FROM tenants WHERE lower(name) = lower(?1)",
                              Params({pq::Text(name)}), ReadTenant);
    });
  }

  Result<std::vector<Tenant>> ListTenants() override {
    return Read([&](Connection& db) {
      return Query<Tenant>(db, "SELECT id, name, created, settings FROM tenants ORDER BY name COLLATE \"C\"", {},
                           ReadTenant);
    });
  }

  Result<std::optional<TokenRecord>> FindTokenByHash(const std::string& hash) override {
    return Read([&](Connection& db) {
      return QueryOne<TokenRecord>(db, std::string(kTokenSelect) + "WHERE t.hash = ?1", Params({pq::Text(hash)}),
                                   ReadToken<PgRow>);
    });
  }

  Result<std::vector<TokenRecord>> ListTokens(TenantId tenant) override {
    return Read([&](Connection& db) {
      return Query<TokenRecord>(db,
                                std::string(kTokenSelect) + "WHERE t.tenant_id = ?1 ORDER BY t.created COLLATE \"C\", "
                                                            "t.id COLLATE \"C\"",
                                Params({pq::Int(tenant.value)}), ReadToken<PgRow>);
    });
  }

  Result<std::optional<StoredResource>> Get(TenantId tenant, Kind kind, const std::string& id) override {
    return Read([&](Connection& db) { return GetResource(db, tenant, kind, id, /*lock=*/false); });
  }

  Result<ListResult> List(TenantId tenant, const std::vector<ListScope>& scopes, const core::SchemaRegistry& registry,
                          const ListRequest& request) override {
    auto query = PlanList(tenant, scopes, registry, request, SqlDialect::kPostgres);
    if (!query) return std::unexpected(query.error());
    std::optional<PageCursor> cursor;
    uint64_t fingerprint = request.cursor ? QueryFingerprint(scopes, request) : 0;
    if (request.cursor && !request.cursor->empty()) {
      auto decoded = DecodeCursor(*request.cursor, fingerprint);
      if (!decoded) return std::unexpected(decoded.error());
      cursor = std::move(*decoded);
    }
    return Read([&](Connection& db) -> Result<ListResult> {
      // One snapshot, so that the count and the page agree.
      ReadSnapshot snapshot(db);
      if (!snapshot.begun) return std::unexpected(snapshot.error);
      ListResult result;
      auto count = Query<int64_t>(db, "SELECT count(*) FROM resources r WHERE " + query->where,
                                  FromSql(query->params), [](const PgRow& r) { return r.Int(0); });
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
      auto rows = Query<Row>(db, page.sql, FromSql(page.params), [](const PgRow& r) {
        return Row{ReadResource(r), PageCursor{false, r.Int(kResourceColumnCount), r.Value(kResourceColumnCount + 1)}};
      });
      if (!rows) return std::unexpected(rows.error());
      bool more_in_scan = static_cast<int64_t>(rows->size()) > request.count;
      if (more_in_scan) rows->pop_back();
      if (backward) std::reverse(rows->begin(), rows->end());
      for (auto& row : *rows) result.resources.push_back(std::move(row.resource));
      if (!request.cursor || rows->empty()) return result;
      bool has_next = backward || more_in_scan;
      bool has_previous = backward ? more_in_scan : cursor.has_value();
      if (has_next) result.next_cursor = EncodeCursor(rows->back().key, fingerprint);
      if (has_previous) {
        PageCursor previous = rows->front().key;
        previous.backward = true;
        result.previous_cursor = EncodeCursor(previous, fingerprint);
      }
      return result;
    });
  }

  // The plan PostgreSQL would use with sequential scans discouraged: whether an index can serve
  // the query, whatever the table's size today (on a small table the planner rightly scans).
  Result<std::string> ExplainList(TenantId tenant, const std::vector<ListScope>& scopes,
                                  const core::SchemaRegistry& registry, const ListRequest& request) override {
    auto query = PlanList(tenant, scopes, registry, request, SqlDialect::kPostgres);
    if (!query) return std::unexpected(query.error());
    PageQuery page = BuildPageQuery(*query, request, nullptr, kResourceColumns);
    return Read([&](Connection& db) -> Result<std::string> {
      ReadSnapshot snapshot(db);
      if (!snapshot.begun) return std::unexpected(snapshot.error);
      if (auto r = db.Exec("SET LOCAL enable_seqscan = off"); !r) return std::unexpected(r.error());
      auto steps = Query<std::string>(db, "EXPLAIN " + page.sql, FromSql(page.params),
                                      [](const PgRow& r) { return r.Text(0); });
      if (!steps) return std::unexpected(steps.error());
      std::string plan;
      for (const auto& step : *steps) plan += step + "\n";
      return plan;
    });
  }

  Result<std::vector<MemberRow>> Members(TenantId tenant, const std::string& group_id) override {
    return Read([&](Connection& db) {
      return Query<MemberRow>(
          db,
          "SELECT m.member_id, m.member_kind, COALESCE(r.display_name, r.user_name, '') FROM memberships m "
          "LEFT JOIN resources r ON r.tenant_id = m.tenant_id AND r.kind = m.member_kind AND r.id = m.member_id "
          "WHERE m.tenant_id = ?1 AND m.group_id = ?2 ORDER BY m.member_id COLLATE \"C\"",
          Params({pq::Int(tenant.value), pq::Text(group_id)}),
          [](const PgRow& r) { return MemberRow{r.Text(0), static_cast<Kind>(r.Int(1)), r.Text(2)}; });
    });
  }

  Result<std::vector<GroupRef>> GroupsOf(TenantId tenant, const std::string& member_id) override {
    return Read([&](Connection& db) {
      return Query<GroupRef>(
          db,
          "SELECT m.group_id, COALESCE(g.display_name, '') FROM memberships m "
          "JOIN resources g ON g.tenant_id = m.tenant_id AND g.kind = 2 AND g.id = m.group_id "
          "WHERE m.tenant_id = ?1 AND m.member_id = ?2 ORDER BY g.display_name COLLATE \"C\", m.group_id COLLATE \"C\"",
          Params({pq::Int(tenant.value), pq::Text(member_id)}),
          [](const PgRow& r) { return GroupRef{r.Text(0), r.Text(1)}; });
    });
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
    struct Row {
      std::string member;
      GroupRef group;
    };
    auto rows = Read([&](Connection& db) {
      return Query<Row>(
          db,
          "SELECT m.member_id, m.group_id, COALESCE(g.display_name, '') FROM memberships m "
          "JOIN resources g ON g.tenant_id = m.tenant_id AND g.kind = 2 AND g.id = m.group_id "
          "WHERE m.tenant_id = ?1 AND m.member_id IN (SELECT jsonb_array_elements_text(?2::jsonb)) "
          "ORDER BY g.display_name COLLATE \"C\", m.group_id COLLATE \"C\"",
          Params({pq::Int(tenant.value), pq::Text(core::DumpJson(ids))}),
          [](const PgRow& r) { return Row{r.Text(0), GroupRef{r.Text(1), r.Text(2)}}; });
    });
    if (!rows) return std::unexpected(rows.error());
    for (auto& row : *rows) {
      auto it = index.find(row.member);
      if (it != index.end()) out[it->second].push_back(std::move(row.group));
    }
    return out;
  }

  Result<std::vector<StoredEvent>> EventsAfter(TenantId tenant, int64_t after, int64_t limit) override {
    return Read([&](Connection& db) {
      return Query<StoredEvent>(
          db,
          "SELECT seq, tenant_id, id, type, kind, resource_id, body FROM events WHERE tenant_id = ?1 AND seq > ?2 "
          "ORDER BY seq LIMIT ?3",
          Params({pq::Int(tenant.value), pq::Int(after), pq::Int(limit)}), ReadEvent);
    });
  }

  Result<int64_t> LastEventSeq(TenantId tenant) override {
    return Read([&](Connection& db) -> Result<int64_t> {
      auto last = QueryOne<int64_t>(db, "SELECT COALESCE(max(seq), 0) FROM events WHERE tenant_id = ?1",
                                    Params({pq::Int(tenant.value)}), [](const PgRow& r) { return r.Int(0); });
      if (!last) return std::unexpected(last.error());
      return last->value_or(0);
    });
  }

  Result<std::vector<WebhookRecord>> ListWebhooks(std::optional<TenantId> tenant) override {
    return Read([&](Connection& db) {
      return Query<WebhookRecord>(
          db,
          std::string(kWebhookSelect) +
              "WHERE ?1 IS NULL OR w.tenant_id = ?1 ORDER BY w.tenant_id, w.created COLLATE \"C\", w.id COLLATE \"C\"",
          Params({pq::OptionalInt(tenant ? std::optional<int64_t>(tenant->value) : std::nullopt)}),
          [](const PgRow& r) { return ReadWebhook(r, 0); });
    });
  }

  Result<std::optional<WebhookStats>> GetWebhookStats(TenantId tenant, const std::string& webhook_id) override {
    return Read([&](Connection& db) -> Result<std::optional<WebhookStats>> {
      ReadSnapshot snapshot(db);
      if (!snapshot.begun) return std::unexpected(snapshot.error);
      auto behind = QueryOne<int64_t>(
          db,
          "SELECT (SELECT count(*) FROM events e WHERE e.tenant_id = w.tenant_id AND e.seq > w.cursor) FROM webhooks w "
          "WHERE w.tenant_id = ?1 AND w.id = ?2",
          Params({pq::Int(tenant.value), pq::Text(webhook_id)}), [](const PgRow& r) { return r.Int(0); });
      if (!behind) return std::unexpected(behind.error());
      if (!*behind) return std::optional<WebhookStats>();
      WebhookStats stats;
      stats.events_behind = **behind;
      auto counts = Query<std::pair<int64_t, int64_t>>(
          db, "SELECT state, count(*) FROM deliveries WHERE webhook_id = ?1 GROUP BY state",
          Params({pq::Text(webhook_id)}), [](const PgRow& r) { return std::pair{r.Int(0), r.Int(1)}; });
      if (!counts) return std::unexpected(counts.error());
      for (const auto& [state, count] : *counts) {
        switch (static_cast<DeliveryState>(state)) {
          case DeliveryState::kPending: stats.pending = count; break;
          case DeliveryState::kDelivered: stats.delivered = count; break;
          case DeliveryState::kDead: stats.dead = count; break;
        }
      }
      return std::optional<WebhookStats>(stats);
    });
  }

  Result<std::vector<DueDelivery>> DueDeliveries(int64_t now_ms, const std::vector<TenantId>& paused,
                                                 int64_t limit) override {
    core::Json skip = core::Json::array();
    for (const auto& t : paused) skip.push_back(t.value);
    return Read([&](Connection& db) {
      return Query<DueDelivery>(
          db,
          "SELECT " + std::string(kDeliveryColumns) + ", " + kWebhookColumns +
              ", e.seq, e.tenant_id, e.id, e.type, e.kind, e.resource_id, e.body FROM deliveries d "
              "JOIN webhooks w ON w.id = d.webhook_id JOIN tenants n ON n.id = w.tenant_id "
              "JOIN events e ON e.seq = d.event_seq "
              "WHERE d.state = 0 AND d.next_attempt_ms <= ?1 AND d.tenant_id NOT IN "
              "(SELECT jsonb_array_elements_text(?2::jsonb)::bigint) "
              "AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.webhook_id = d.webhook_id AND "
              "p.resource_key = d.resource_key AND p.state = 0 AND p.id < d.id) ORDER BY d.id LIMIT ?3",
          Params({pq::Int(now_ms), pq::Text(core::DumpJson(skip)), pq::Int(limit)}), [](const PgRow& r) {
            DueDelivery due;
            due.delivery = ReadDelivery(r);
            due.webhook = ReadWebhook(r, kDeliveryColumnCount);
            int e = kDeliveryColumnCount + kWebhookColumnCount;
            due.event = StoredEvent{r.Int(e),  TenantId{r.Int(e + 1)}, r.Text(e + 2),   r.Text(e + 3),
                                    static_cast<Kind>(r.Int(e + 4)), r.Text(e + 5), r.Text(e + 6)};
            return due;
          });
    });
  }

  Result<std::vector<DeliveryRecord>> ListDeliveries(TenantId tenant, const std::optional<std::string>& webhook_id,
                                                     std::optional<DeliveryState> state, int64_t limit) override {
    return Read([&](Connection& db) {
      return Query<DeliveryRecord>(
          db,
          "SELECT " + std::string(kDeliveryColumns) + " FROM deliveries d JOIN events e ON e.seq = d.event_seq "
              "WHERE d.tenant_id = ?1 AND (?2 IS NULL OR d.webhook_id = ?2) AND (?3 IS NULL OR d.state = ?3) "
              "ORDER BY d.id DESC LIMIT ?4",
          Params({pq::Int(tenant.value), pq::Text(webhook_id),
                  pq::OptionalInt(state ? std::optional<int64_t>(static_cast<int>(*state)) : std::nullopt),
                  pq::Int(limit)}),
          ReadDelivery<PgRow>);
    });
  }

  Result<std::optional<DeliveryRecord>> FindDelivery(TenantId tenant, int64_t delivery_id) override {
    return Read([&](Connection& db) {
      return QueryOne<DeliveryRecord>(
          db,
          "SELECT " + std::string(kDeliveryColumns) + " FROM deliveries d JOIN events e ON e.seq = d.event_seq "
              "WHERE d.tenant_id = ?1 AND d.id = ?2",
          Params({pq::Int(tenant.value), pq::Int(delivery_id)}), ReadDelivery<PgRow>);
    });
  }

  Result<std::vector<DeliveryAttempt>> DeliveryAttempts(TenantId tenant, int64_t delivery_id) override {
    return Read([&](Connection& db) {
      return Query<DeliveryAttempt>(
          db,
          "SELECT a.delivery_id, a.time, a.status, a.error, a.duration_ms, a.response FROM delivery_attempts a "
          "JOIN deliveries d ON d.id = a.delivery_id WHERE d.tenant_id = ?1 AND a.delivery_id = ?2 ORDER BY a.id",
          Params({pq::Int(tenant.value), pq::Int(delivery_id)}), [](const PgRow& r) {
            return DeliveryAttempt{r.Int(0), r.Text(1), r.Int(2), r.Text(3), r.Double(4), r.Text(5)};
          });
    });
  }

  Result<std::vector<JournalEntry>> ReadJournal(TenantId tenant, const JournalQuery& query) override {
    std::optional<std::string> like;
    if (query.text) like = "%" + EscapeLike(core::ToLower(*query.text)) + "%";
    return Read([&](Connection& db) {
      return Query<JournalEntry>(
          db,
          "SELECT seq, tenant_id, time, credential, idp, method, path, query, status, scim_type, detail, duration_ms, "
          "resource_type, resource_id, request_body, events, note FROM journal WHERE tenant_id = ?1 "
          "AND (?2 IS NULL OR (md5(resource_id) = md5(?2) AND resource_id = ?2)) AND (?3 IS NULL OR status >= ?3) "
          "AND (?4 IS NULL OR status <= ?4) "
          "AND (?5 IS NULL OR time >= ?5) AND (?6 IS NULL OR time < ?6) AND (?7 IS NULL OR seq < ?7) "
          "AND (?8 IS NULL OR lower(path || ' ' || query || ' ' || request_body) LIKE ?8 ESCAPE '\\') "
          "ORDER BY seq DESC LIMIT ?9",
          Params({pq::Int(tenant.value), pq::Text(query.resource_id), pq::OptionalInt(query.status_min),
                  pq::OptionalInt(query.status_max), pq::Text(query.since), pq::Text(query.until),
                  pq::OptionalInt(query.before_seq), pq::Text(like), pq::Int(query.limit)}),
          ReadJournalEntry<PgRow>);
    });
  }

  Result<std::optional<LoginRecord>> FindLogin(const std::string& username) override {
    return OneLogin("WHERE lower(l.username) = lower(?1)", Params({pq::Text(username)}));
  }

  Result<std::optional<LoginRecord>> LoginOf(TenantId tenant) override {
    return OneLogin("WHERE l.tenant_id = ?1", Params({pq::Int(tenant.value)}));
  }

  Result<std::optional<ApiKeyRecord>> FindApiKeyByHash(const std::string& hash) override {
    return Read([&](Connection& db) {
      return QueryOne<ApiKeyRecord>(db, std::string(kApiKeySelect) + "WHERE k.hash = ?1", Params({pq::Text(hash)}),
                                    ReadApiKey<PgRow>);
    });
  }

  Result<std::vector<ApiKeyRecord>> ListApiKeys() override {
    return Read([&](Connection& db) {
      return Query<ApiKeyRecord>(db, std::string(kApiKeySelect) + "ORDER BY k.created COLLATE \"C\", k.id COLLATE \"C\"",
                                 {}, ReadApiKey<PgRow>);
    });
  }

  Result<std::optional<OAuthClientRecord>> FindOAuthClient(const std::string& client_id) override {
    return Read([&](Connection& db) {
      return QueryOne<OAuthClientRecord>(db, std::string(kOAuthClientSelect) + "WHERE c.id = ?1",
                                         Params({pq::Text(client_id)}), ReadOAuthClient<PgRow>);
    });
  }

  Result<std::vector<OAuthClientRecord>> ListOAuthClients() override {
    return Read([&](Connection& db) {
      return Query<OAuthClientRecord>(
          db, std::string(kOAuthClientSelect) + "ORDER BY c.created COLLATE \"C\", c.id COLLATE \"C\"", {},
          ReadOAuthClient<PgRow>);
    });
  }

  Result<std::optional<OAuthTokenRecord>> FindOAuthTokenByHash(const std::string& hash) override {
    return Read([&](Connection& db) {
      return QueryOne<OAuthTokenRecord>(
          db,
          "SELECT t.id, t.kind, t.client_id, t.tenant_id, n.name, n.settings, t.family, t.created, t.expires, t.used, "
          "t.revoked FROM oauth_tokens t JOIN tenants n ON n.id = t.tenant_id WHERE t.hash = ?1",
          Params({pq::Text(hash)}), ReadOAuthToken<PgRow>);
    });
  }

  Result<std::vector<AuditEntry>> ReadAudit(const AuditQuery& query) override {
    std::string sql = "SELECT seq, time, actor, source, action, tenant_name, target, detail FROM audit WHERE true";
    if (query.tenant_name) sql += " AND lower(tenant_name) = lower(?1)";
    if (query.before) sql += " AND seq < ?2";
    sql += " ORDER BY seq DESC LIMIT ?3";
    return Read([&](Connection& db) {
      return Query<AuditEntry>(
          db, sql, Params({pq::Text(query.tenant_name), pq::OptionalInt(query.before), pq::Int(query.limit)}),
          [](const PgRow& r) {
            return AuditEntry{r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6), r.Text(7)};
          });
    });
  }

  Result<std::optional<AdminAccount>> FindAdminAccount(const std::string& name) override {
    return Read([&](Connection& db) {
      return QueryOne<AdminAccount>(
          db, std::string("SELECT ") + kAdminAccountColumns + kAdminAccountFrom + "WHERE lower(a.name) = lower(?1)",
          Params({pq::Text(name)}), [](const PgRow& r) { return ReadAdminAccount(r); });
    });
  }

  Result<std::vector<AdminAccount>> ListAdminAccounts(std::optional<TenantId> tenant) override {
    return Read([&](Connection& db) {
      return Query<AdminAccount>(
          db,
          std::string("SELECT ") + kAdminAccountColumns + kAdminAccountFrom +
              "WHERE ?1 IS NULL OR a.tenant_id = ?1 ORDER BY a.created COLLATE \"C\", a.id COLLATE \"C\"",
          Params({pq::OptionalInt(tenant ? std::optional<int64_t>(tenant->value) : std::nullopt)}),
          [](const PgRow& r) { return ReadAdminAccount(r); });
    });
  }

  Result<std::optional<AdminCredentialMatch>> FindAdminCredentialByHash(const std::string& hash) override {
    return Read([&](Connection& db) {
      return QueryOne<AdminCredentialMatch>(
          db,
          std::string("SELECT ") + kAdminCredentialColumns + ", " + kAdminAccountColumns +
              " FROM admin_credentials c JOIN admin_accounts a ON a.id = c.account_id "
              "LEFT JOIN tenants n ON n.id = a.tenant_id WHERE c.hash = ?1",
          Params({pq::Text(hash)}),
          [](const PgRow& r) { return AdminCredentialMatch{ReadAdminCredential(r), ReadAdminAccount(r, 9)}; });
    });
  }

  Result<std::vector<AdminCredential>> ListAdminKeys(const std::string& account_id) override {
    return Read([&](Connection& db) {
      return Query<AdminCredential>(
          db,
          std::string("SELECT ") + kAdminCredentialColumns +
              " FROM admin_credentials c WHERE c.account_id = ?1 AND c.kind = 'key' "
              "ORDER BY c.created COLLATE \"C\", c.id COLLATE \"C\"",
          Params({pq::Text(account_id)}), ReadAdminCredential<PgRow>);
    });
  }

  Result<std::vector<TenantSchemaRecord>> TenantSchemas(TenantId tenant) override {
    return Read([&](Connection& db) { return SchemasOf(db, tenant); });
  }

  Result<std::optional<std::string>> GetUnmapped(TenantId tenant, Kind kind, const std::string& id) override {
    return Read([&](Connection& db) { return UnmappedOfResource(db, tenant, kind, id); });
  }

  Result<std::optional<StoredResource>> FindUser(TenantId tenant, UserKey key, const std::string& value) override {
    return Read([&](Connection& db) { return FindUserIn(db, tenant, key, value); });
  }

  Result<std::optional<Tombstone>> FindTombstone(TenantId tenant, Kind kind, const std::optional<std::string>& external_id,
                                                 const std::optional<std::string>& name) override {
    return Read([&](Connection& db) -> Result<std::optional<Tombstone>> {
      if (external_id) {
        auto found = QueryOne<Tombstone>(
            db,
            std::string("SELECT ") + kTombstoneColumns +
                " FROM tombstones WHERE tenant_id = ?1 AND kind = ?2 AND md5(external_id) = md5(?3) AND "
                "external_id = ?3 ORDER BY deleted COLLATE \"C\" DESC LIMIT 1",
            Params({pq::Int(tenant.value), KindParam(kind), pq::Text(*external_id)}), ReadTombstone<PgRow>);
        if (!found || *found || !name) return found;
      }
      if (!name) return std::optional<Tombstone>();
      return QueryOne<Tombstone>(
          db,
          std::string("SELECT ") + kTombstoneColumns +
              " FROM tombstones WHERE tenant_id = ?1 AND kind = ?2 AND "
              "md5(lower(COALESCE(user_name, display_name))) = md5(lower(?3)) AND "
              "lower(COALESCE(user_name, display_name)) = lower(?3) ORDER BY deleted COLLATE \"C\" DESC LIMIT 1",
          Params({pq::Int(tenant.value), KindParam(kind), pq::Text(*name)}), ReadTombstone<PgRow>);
    });
  }

  Result<std::vector<Tombstone>> ListTombstones(TenantId tenant, int64_t limit) override {
    return Read([&](Connection& db) {
      return Query<Tombstone>(db,
                              std::string("SELECT ") + kTombstoneColumns +
                                  " FROM tombstones WHERE tenant_id = ?1 ORDER BY deleted COLLATE \"C\" DESC LIMIT ?2",
                              Params({pq::Int(tenant.value), pq::Int(limit)}), ReadTombstone<PgRow>);
    });
  }

  Result<std::vector<HeldChange>> ListHeldChanges(TenantId tenant, const std::optional<std::string>& state,
                                                  int64_t limit) override {
    return Read([&](Connection& db) {
      return Query<HeldChange>(
          db,
          std::string("SELECT ") + kHeldChangeColumns +
              " FROM held_changes WHERE tenant_id = ?1 AND (?2 IS NULL OR state = ?2) "
          "ORDER BY created COLLATE \"C\" DESC, id COLLATE \"C\" DESC LIMIT ?3",
          Params({pq::Int(tenant.value), pq::Text(state), pq::Int(limit)}), ReadHeldChange<PgRow>);
    });
  }

  Result<int64_t> CountEventsSince(TenantId tenant, const std::vector<std::string>& types,
                                   const std::string& since) override {
    core::Json list = core::Json::array();
    for (const auto& type : types) list.push_back(type);
    return Read([&](Connection& db) -> Result<int64_t> {
      auto count = QueryOne<int64_t>(
          db,
          "SELECT count(*) FROM events WHERE tenant_id = ?1 AND type IN (SELECT jsonb_array_elements_text(?2::jsonb)) "
          "AND time >= ?3",
          Params({pq::Int(tenant.value), pq::Text(core::DumpJson(list)), pq::Text(since)}),
          [](const PgRow& r) { return r.Int(0); });
      if (!count) return std::unexpected(count.error());
      return count->value_or(0);
    });
  }

  Result<std::vector<ManagerLink>> ManagerLinks(TenantId tenant) override {
    return Read([&](Connection& db) { return LinksWhere(db, tenant, "", std::nullopt); });
  }

  Result<std::vector<std::string>> UnmappedOf(TenantId tenant, int64_t limit) override {
    return Read([&](Connection& db) {
      return Query<std::string>(db, "SELECT data FROM resource_unmapped WHERE tenant_id = ?1 LIMIT ?2",
                                Params({pq::Int(tenant.value), pq::Int(limit)}), [](const PgRow& r) { return r.Text(0); });
    });
  }

 private:
  struct Job {
    WriteFn fn;
    WriteDone done;
  };

  static Tenant ReadTenant(const PgRow& r) { return Tenant{TenantId{r.Int(0)}, r.Text(1), r.Text(2), r.Text(3)}; }
  static StoredEvent ReadEvent(const PgRow& r) {
    return StoredEvent{r.Int(0), TenantId{r.Int(1)}, r.Text(2), r.Text(3), static_cast<Kind>(r.Int(4)), r.Text(5),
                       r.Text(6)};
  }

  // A read-only transaction with one snapshot for several statements; ended when it goes away.
  struct ReadSnapshot {
    explicit ReadSnapshot(Connection& c) : db(c) {
      auto r = db.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      begun = r.has_value();
      if (!r) error = r.error();
    }
    ~ReadSnapshot() {
      if (begun) (void)db.Exec("COMMIT");
    }
    Connection& db;
    bool begun = false;
    core::Error error{ErrorType::kInternal, ""};
  };

  Result<std::optional<LoginRecord>> OneLogin(const std::string& where, const PgParams& params) {
    return Read([&](Connection& db) {
      return QueryOne<LoginRecord>(
          db,
          "SELECT l.tenant_id, n.name, n.settings, l.username, l.password_hash, l.updated FROM logins l "
          "JOIN tenants n ON n.id = l.tenant_id " + where,
          params, [](const PgRow& r) {
            return LoginRecord{TenantId{r.Int(0)}, r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5)};
          });
    });
  }

  // Runs `read` on a pooled connection. A connection that died while idle (the server restarted
  // since it was last used) is replaced and the read tried once more: reads change nothing.
  template <class ReadFn>
  auto Read(ReadFn read) -> decltype(read(std::declval<Connection&>())) {
    for (int attempt = 0;; ++attempt) {
      auto lease = readers_.Acquire();
      if (!lease) return std::unexpected(lease.error());
      auto result = read(**lease);
      if (!result && (*lease)->Broken() && lease->reused() && attempt == 0) continue;
      return result;
    }
  }

  // Each writer thread takes up to max_batch queued writes and commits them in one transaction,
  // each in a savepoint when there are several (group commit: decisions/0009). Completions run
  // after COMMIT has returned.
  void WriterLoop() {
    const size_t max_batch = std::max<size_t>(options_.max_batch, 1);
    while (true) {
      std::vector<Job> batch;
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping and drained
        while (!queue_.empty() && batch.size() < max_batch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      std::vector<Result<void>> results = RunBatch(batch);
      for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
    }
  }

  std::vector<Result<void>> RunBatch(std::vector<Job>& batch) {
    std::vector<Result<void>> results(batch.size());
    auto fail_all = [&](const core::Error& error) {
      for (auto& r : results) r = std::unexpected(error);
      return results;
    };
    for (int attempt = 0;; ++attempt) {
      auto lease = writer_connections_.Acquire();
      if (!lease) return fail_all(lease.error());
      Connection& db = **lease;
      // A connection that died while idle fails at BEGIN, before anything ran: safe to retry.
      if (auto begin = db.Exec("BEGIN"); !begin) {
        if (db.Broken() && lease->reused() && attempt == 0) continue;
        return fail_all(begin.error());
      }
      PgWriteTxn txn(db);
      bool savepoints = batch.size() > 1;
      bool any_succeeded = false;
      for (size_t i = 0; i < batch.size(); ++i) {
        results[i] = RunJob(db, txn, batch[i].fn, savepoints);
        any_succeeded = any_succeeded || results[i].has_value();
        if (db.Broken()) break;
      }
      if (db.Broken()) {
        return fail_all({ErrorType::kUnavailable, "The database connection was lost during the change; retry"});
      }
      if (!any_succeeded) {
        (void)db.Exec("ROLLBACK");
        return results;
      }
      auto flushed = txn.FlushEvents();
      if (!flushed) {
        (void)db.Exec("ROLLBACK");
        for (auto& r : results) {
          if (r) r = std::unexpected(flushed.error());
        }
        return results;
      }
      if (auto commit = db.Exec("COMMIT"); !commit) {
        (void)db.Exec("ROLLBACK");
        for (auto& r : results) {
          if (r) r = std::unexpected(commit.error());
        }
      }
      return results;
    }
  }

  static Result<void> RunJob(Connection& db, PgWriteTxn& txn, const WriteFn& fn, bool savepoint) {
    size_t events_before = txn.PendingEvents();
    if (savepoint) {
      if (auto r = db.Exec("SAVEPOINT job"); !r) return r;
    }
    Result<void> result;
    try {
      result = fn(txn);
    } catch (const std::exception& e) {
      result = Fail(ErrorType::kInternal, std::string("Write failed: ") + e.what());
    }
    if (savepoint) {
      if (!result) {
        (void)db.Exec("ROLLBACK TO SAVEPOINT job");
        txn.DropEventsFrom(events_before);
      }
      (void)db.Exec("RELEASE SAVEPOINT job");
    }
    return result;
  }

  // Constant after construction.
  const PostgresOptions options_;
  Pool readers_;
  Pool writer_connections_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Job> queue_;  // guarded by queue_mu_
  bool stopping_ = false;  // guarded by queue_mu_
  std::vector<std::thread> writer_threads_;
};

// Brings the schema to kSchemaVersion. A session advisory lock serialises instances starting at
// once; each version is applied in its own transaction with the version row.
Result<MigrationOutcome> Migrate(Connection& db) {
  if (auto r = db.Exec(fmt::format("SELECT pg_advisory_lock({}, 0)", kMigrationLock)); !r) return std::unexpected(r.error());
  struct Unlock {
    Connection& db;
    ~Unlock() { (void)db.Exec(fmt::format("SELECT pg_advisory_unlock({}, 0)", kMigrationLock)); }
  } unlock{db};
  if (auto r = db.Exec(
          "CREATE TABLE IF NOT EXISTS scimd_schema (version INTEGER NOT NULL);"
          "INSERT INTO scimd_schema (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM scimd_schema)");
      !r) {
    return std::unexpected(r.error());
  }
  std::optional<int> from;
  while (true) {
    auto version = QueryOne<int64_t>(db, "SELECT max(version) FROM scimd_schema", {}, [](const PgRow& r) { return r.Int(0); });
    if (!version) return std::unexpected(version.error());
    int current = static_cast<int>(version->value_or(0));
    if (!from) from = current;
    if (current == kSchemaVersion) return MigrationOutcome{*from, current};
    if (current > kSchemaVersion) {
      return Fail(ErrorType::kInternal, fmt::format("The database schema is version {} but this scimd knows up to {}: "
                                                    "it was written by a newer scimd. Upgrade scimd.",
                                                    current, kSchemaVersion));
    }
    std::string script = fmt::format("BEGIN; {} UPDATE scimd_schema SET version = {}; COMMIT;", kMigrations[current],
                                     current + 1);
    if (auto r = db.Exec(script); !r) {
      (void)db.Exec("ROLLBACK");
      return Fail(r.error().type == ErrorType::kUnavailable ? ErrorType::kUnavailable : ErrorType::kInternal,
                  fmt::format("Migration to schema version {} failed: {}", current + 1, r.error().detail));
    }
  }
}

}  // namespace

bool IsPostgresUrl(std::string_view storage) {
  return storage.starts_with("postgres://") || storage.starts_with("postgresql://");
}

int PostgresSchemaVersion() { return kSchemaVersion; }

Result<MigrationOutcome> MigratePostgres(const std::string& url) {
  auto db = Connection::Open(url);
  if (!db) return std::unexpected(db.error());
  return Migrate(**db);
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const PostgresOptions& options) {
  if (auto migrated = MigratePostgres(options.url); !migrated) return std::unexpected(migrated.error());
  return std::unique_ptr<Store>(new PostgresStore(options));
}

}  // namespace scim::storage

// Row shapes shared by the SQL backends: the column lists of each record's SELECT and the functions
// that read a result row into the record. A row type is anything with Text, OptionalText, Int,
// Double and IsNull by column (an SQLite statement's current row, a PostgreSQL result row), so both
// engines read the same columns the same way.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "storage/store.h"

namespace scim::storage {

inline constexpr const char* kResourceColumns = "r.id, r.body, r.created, r.last_modified, r.version, r.kind";
inline constexpr int kResourceColumnCount = 6;

template <class Row>
StoredResource ReadResource(const Row& s) {
  return StoredResource{s.Text(0), static_cast<Kind>(s.Int(5)), s.Text(1), s.Text(2), s.Text(3), s.Int(4)};
}

template <class Row>
TokenRecord ReadToken(const Row& s) {
  TokenRecord t;
  t.id = s.Text(0);
  t.tenant.value = s.Int(1);
  t.tenant_name = s.Text(2);
  t.label = s.Text(3);
  t.created = s.Text(4);
  t.expires = s.OptionalText(5);
  t.last_used = s.OptionalText(6);
  t.revoked = s.OptionalText(7);
  t.tenant_settings = s.Text(8);
  return t;
}
inline constexpr const char* kTokenSelect =
    "SELECT t.id, t.tenant_id, n.name, t.label, t.created, t.expires, t.last_used, t.revoked, n.settings "
    "FROM tokens t JOIN tenants n ON n.id = t.tenant_id ";

// `text` for a LIKE pattern with ESCAPE '\': its own % and _ match only themselves.
inline std::string EscapeLike(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  return escaped;
}

inline std::string JoinTypes(const std::vector<std::string>& types) {
  std::string joined;
  for (const auto& t : types) joined += (joined.empty() ? "" : ",") + t;
  return joined;
}

inline std::vector<std::string> SplitTypes(const std::string& joined) {
  std::vector<std::string> types;
  size_t start = 0;
  while (start < joined.size()) {
    size_t comma = joined.find(',', start);
    if (comma == std::string::npos) comma = joined.size();
    if (comma > start) types.push_back(joined.substr(start, comma - start));
    start = comma + 1;
  }
  return types;
}

inline constexpr const char* kWebhookColumns =
    "w.id, w.tenant_id, n.name, w.url, w.secret, w.previous_secret, w.previous_secret_until, w.event_types, "
    "w.created, w.cursor";
inline constexpr int kWebhookColumnCount = 10;
inline const std::string kWebhookSelect =
    std::string("SELECT ") + kWebhookColumns + " FROM webhooks w JOIN tenants n ON n.id = w.tenant_id ";

template <class Row>
WebhookRecord ReadWebhook(const Row& s, int first) {
  WebhookRecord w;
  w.id = s.Text(first);
  w.tenant = TenantId{s.Int(first + 1)};
  w.tenant_name = s.Text(first + 2);
  w.url = s.Text(first + 3);
  w.secret = s.Text(first + 4);
  w.previous_secret = s.OptionalText(first + 5);
  w.previous_secret_until = s.OptionalText(first + 6);
  w.event_types = SplitTypes(s.Text(first + 7));
  w.created = s.Text(first + 8);
  w.cursor = s.Int(first + 9);
  return w;
}

inline constexpr const char* kDeliveryColumns =
    "d.id, d.webhook_id, d.tenant_id, d.event_seq, e.id, e.type, d.state, d.attempts, d.next_attempt_ms, "
    "d.last_status, d.last_error, d.last_attempt, d.delivered";
inline constexpr int kDeliveryColumnCount = 13;

template <class Row>
DeliveryRecord ReadDelivery(const Row& s) {
  DeliveryRecord d;
  d.id = s.Int(0);
  d.webhook_id = s.Text(1);
  d.tenant = TenantId{s.Int(2)};
  d.event_seq = s.Int(3);
  d.event_id = s.Text(4);
  d.event_type = s.Text(5);
  d.state = static_cast<DeliveryState>(s.Int(6));
  d.attempts = s.Int(7);
  d.next_attempt_ms = s.Int(8);
  if (!s.IsNull(9)) d.last_status = s.Int(9);
  d.last_error = s.Text(10);
  d.last_attempt = s.OptionalText(11);
  d.delivered = s.OptionalText(12);
  return d;
}

template <class Row>
ApiKeyRecord ReadApiKey(const Row& s) {
  ApiKeyRecord k;
  k.id = s.Text(0);
  if (!s.IsNull(1)) k.tenant = TenantId{s.Int(1)};
  k.tenant_name = s.OptionalText(2).value_or("");
  k.label = s.Text(3);
  k.created = s.Text(4);
  k.last_used = s.OptionalText(5);
  k.revoked = s.OptionalText(6);
  return k;
}
template <class Row>
OAuthClientRecord ReadOAuthClient(const Row& s) {
  OAuthClientRecord c;
  c.id = s.Text(0);
  if (!s.IsNull(1)) c.tenant = TenantId{s.Int(1)};
  c.tenant_name = s.OptionalText(2).value_or("");
  c.secret_hash = s.Text(3);
  if (auto uris = core::ParseJson(s.Text(4)); uris && uris->is_array()) {
    for (const auto& uri : *uris) {
      if (uri.is_string()) c.redirect_uris.push_back(uri.template get<std::string>());
    }
  }
  c.okta_app = s.Text(5);
  c.created = s.Text(6);
  return c;
}
inline constexpr const char* kOAuthClientSelect =
    "SELECT c.id, c.tenant_id, n.name, c.secret_hash, c.redirect_uris, c.okta_app, c.created "
    "FROM oauth_clients c LEFT JOIN tenants n ON n.id = c.tenant_id ";

template <class Row>
OAuthTokenRecord ReadOAuthToken(const Row& s) {
  OAuthTokenRecord t;
  t.id = s.Text(0);
  t.kind = s.Text(1);
  t.client_id = s.Text(2);
  t.tenant = TenantId{s.Int(3)};
  t.tenant_name = s.Text(4);
  t.tenant_settings = s.Text(5);
  t.family = s.Text(6);
  t.created = s.Text(7);
  t.expires = s.Text(8);
  t.used = s.OptionalText(9);
  t.revoked = s.OptionalText(10);
  return t;
}

inline constexpr const char* kApiKeySelect =
    "SELECT k.id, k.tenant_id, n.name, k.label, k.created, k.last_used, k.revoked "
    "FROM api_keys k LEFT JOIN tenants n ON n.id = k.tenant_id ";

inline constexpr const char* kAdminAccountColumns =
    "a.id, a.name, a.role, a.tenant_id, n.name, a.password_hash, a.created";
inline constexpr const char* kAdminAccountFrom = " FROM admin_accounts a LEFT JOIN tenants n ON n.id = a.tenant_id ";

template <class Row>
AdminAccount ReadAdminAccount(const Row& s, int first = 0) {
  AdminAccount a;
  a.id = s.Text(first);
  a.name = s.Text(first + 1);
  a.role = s.Text(first + 2);
  if (!s.IsNull(first + 3)) a.tenant = TenantId{s.Int(first + 3)};
  a.tenant_name = s.OptionalText(first + 4).value_or("");
  a.password_hash = s.Text(first + 5);
  a.created = s.Text(first + 6);
  return a;
}

inline constexpr const char* kAdminCredentialColumns =
    "c.id, c.kind, c.account_id, c.label, c.csrf, c.created, c.expires, c.last_used, c.revoked";

template <class Row>
AdminCredential ReadAdminCredential(const Row& s) {
  return AdminCredential{s.Text(0), s.Text(1),         s.Text(2),         s.Text(3),        s.Text(4),
                         s.Text(5), s.OptionalText(6), s.OptionalText(7), s.OptionalText(8)};
}

inline constexpr const char* kTombstoneColumns =
    "id, kind, user_name, external_id, display_name, body, created, deleted, purge_after";

template <class Row>
Tombstone ReadTombstone(const Row& s) {
  return Tombstone{s.Text(0),         static_cast<Kind>(s.Int(1)), s.OptionalText(2), s.OptionalText(3),
                   s.OptionalText(4), s.OptionalText(5),          s.Text(6),         s.Text(7),
                   s.Text(8)};
}

template <class Row>
JournalEntry ReadJournalEntry(const Row& s) {
  JournalEntry e;
  e.seq = s.Int(0);
  e.tenant = TenantId{s.Int(1)};
  e.time = s.Text(2);
  e.credential = s.Text(3);
  e.idp = s.Text(4);
  e.method = s.Text(5);
  e.path = s.Text(6);
  e.query = s.Text(7);
  e.status = s.Int(8);
  e.scim_type = s.Text(9);
  e.detail = s.Text(10);
  e.duration_ms = s.Double(11);
  e.resource_type = s.OptionalText(12);
  e.resource_id = s.OptionalText(13);
  e.request_body = s.Text(14);
  if (core::Result<core::Json> events = core::ParseJson(s.Text(15)); events && events->is_array()) {
    for (const core::Json& id : *events) {
      if (id.is_string()) e.events.push_back(id.get<std::string>());
    }
  }
  e.note = s.Text(16);
  return e;
}

inline constexpr const char* kHeldChangeColumns =
    "id, tenant_id, resource_id, action, method, path, body, created, state, decided_by, decided";

template <class Row>
HeldChange ReadHeldChange(const Row& s) {
  return HeldChange{s.Text(0), TenantId{s.Int(1)}, s.Text(2), s.Text(3), s.Text(4),         s.Text(5),
                    s.Text(6), s.Text(7),          s.Text(8), s.OptionalText(9), s.OptionalText(10)};
}

}  // namespace scim::storage

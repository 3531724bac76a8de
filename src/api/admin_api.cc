#include "api/admin_api.h"

#include <algorithm>
#include <future>
#include <initializer_list>

#include "api/error_response.h"
#include "api/json_api.h"
#include "api/query.h"
#include "auth/admin_accounts.h"
#include "auth/administration.h"
#include "auth/crypto.h"
#include "core/json.h"
#include "core/tenant_settings.h"
#include "directory/tenant_schemas.h"

namespace scim::api {
namespace {

using core::ErrorType;
using core::Json;
using core::Result;

constexpr std::string_view kPrefix = "/api/v1/admin";
constexpr std::string_view kSessionCookie = "scimd_admin";
constexpr int64_t kDefaultAuditLimit = 100;
constexpr int64_t kMaxAuditLimit = 1000;
constexpr int64_t kMaxUnmappedScan = 100000;  // resources the unmapped report looks at
constexpr int64_t kMaxTombstones = 1000;       // the newest, in the tombstones list
constexpr int64_t kMaxHeld = 10000;            // held changes listed or searched

http::Response Error(const core::Error& error) { return ErrorResponse(error); }

http::Response Created(const Json& json) { return JsonOk(core::DumpJson(json), 201); }
http::Response Ok(const Json& json) { return JsonOk(core::DumpJson(json)); }

Json OptionalText(const std::optional<std::string>& text) { return text ? Json(*text) : Json(nullptr); }

Json AccountJson(const storage::AdminAccount& a) {
  return {{"id", a.id},
          {"name", a.name},
          {"role", a.role},
          {"tenant", a.tenant ? Json(a.tenant_name) : Json(nullptr)},
          {"created", a.created}};
}

Json TokenJson(const storage::TokenRecord& t, const std::string& now) {
  std::string status = t.revoked ? "revoked" : (t.expires && *t.expires <= now ? "expired" : "active");
  return {{"id", t.id},           {"label", t.label},
          {"created", t.created}, {"expires", OptionalText(t.expires)},
          {"last_used", OptionalText(t.last_used)}, {"revoked", OptionalText(t.revoked)},
          {"status", status}};
}

Json ClientJson(const storage::OAuthClientRecord& c) {
  return {{"client_id", c.id},
          {"tenant", c.tenant ? Json(c.tenant_name) : Json(nullptr)},
          {"redirect_uris", c.redirect_uris},
          {"okta_callbacks", c.okta_app.empty() ? Json(nullptr) : Json(c.okta_app)},
          {"created", c.created}};
}

Json ApiKeyJson(const storage::ApiKeyRecord& k) {
  return {{"id", k.id},           {"tenant", k.tenant ? Json(k.tenant_name) : Json(nullptr)},
          {"label", k.label},     {"created", k.created},
          {"last_used", OptionalText(k.last_used)}, {"revoked", OptionalText(k.revoked)}};
}

Json AdminKeyJson(const storage::AdminCredential& k) {
  return {{"id", k.id},           {"label", k.label},
          {"created", k.created}, {"last_used", OptionalText(k.last_used)},
          {"revoked", OptionalText(k.revoked)}};
}

Json AuditJson(const storage::AuditEntry& e) {
  auto detail = core::ParseJson(e.detail);
  return {{"seq", e.seq},       {"time", e.time},     {"actor", e.actor},
          {"source", e.source}, {"action", e.action}, {"tenant", e.tenant_name.empty() ? Json(nullptr) : Json(e.tenant_name)},
          {"target", e.target}, {"detail", detail && detail->is_object() ? *detail : Json::object()}};
}

Json HeldJson(const storage::HeldChange& h) {
  return {{"id", h.id},         {"resource", h.resource_id}, {"action", h.action},
          {"method", h.method}, {"path", h.path},            {"created", h.created},
          {"state", h.state},   {"decided_by", OptionalText(h.decided_by)}, {"decided", OptionalText(h.decided)}};
}

Json TenantJson(const storage::Tenant& t) {
  Json settings = Json::object();
  if (auto parsed = core::ParseTenantSettings(t.settings)) {
    for (const auto& [key, value] : core::DescribeTenantSettings(*parsed)) settings[key] = value;
  }
  return {{"name", t.name}, {"created", t.created}, {"settings", settings}};
}

// The request's JSON body (an empty body is {}). Bodies must be application/json: a cross-site
// HTML form cannot send that without the browser asking first.
Result<Json> JsonBody(const http::Request& request) {
  if (request.body.empty()) return Json::object();
  std::string_view type = request.Header("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (!core::IEquals(type, "application/json")) {
    return core::Fail(ErrorType::kUnsupportedMediaType, "Send the body as application/json");
  }
  return core::ParseJson(request.body);
}

// JsonBody, which must be an object.
Result<Json> AnyObjectBody(const http::Request& request) {
  auto json = JsonBody(request);
  if (!json) return json;
  if (!json->is_object()) return core::Fail(ErrorType::kInvalidSyntax, "The body must be a JSON object");
  return json;
}

// AnyObjectBody with only `allowed` members.
Result<Json> ObjectBody(const http::Request& request, std::initializer_list<std::string_view> allowed) {
  auto json = AnyObjectBody(request);
  if (!json) return json;
  for (auto it = json->begin(); it != json->end(); ++it) {
    bool known = false;
    for (std::string_view name : allowed) known = known || it.key() == name;
    if (!known) {
      std::string names;
      for (std::string_view name : allowed) names += (names.empty() ? "" : ", ") + std::string(name);
      return core::Fail(ErrorType::kInvalidValue, "Unexpected member '" + it.key().substr(0, 64) + "'" +
                                                      (names.empty() ? "; send no body" : "; this takes " + names));
    }
  }
  return json;
}

Result<std::optional<std::string>> OptionalString(const Json& body, std::string_view name) {
  auto it = body.find(std::string(name));
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return core::Fail(ErrorType::kInvalidValue, "'" + std::string(name) + "' must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::string> RequiredString(const Json& body, std::string_view name) {
  auto value = OptionalString(body, name);
  if (!value) return std::unexpected(value.error());
  if (!*value) return core::Fail(ErrorType::kInvalidValue, "'" + std::string(name) + "' is required");
  return **value;
}

Result<std::optional<int>> OptionalInt(const Json& body, std::string_view name) {
  auto it = body.find(std::string(name));
  if (it == body.end() || it->is_null()) return std::optional<int>();
  if (!it->is_number_integer() || it->get<int64_t>() < INT32_MIN || it->get<int64_t>() > INT32_MAX) {
    return core::Fail(ErrorType::kInvalidValue, "'" + std::string(name) + "' must be an integer");
  }
  return std::optional<int>(it->get<int>());
}

Result<std::vector<std::string>> StringArray(const Json& body, std::string_view name) {
  std::vector<std::string> values;
  auto it = body.find(std::string(name));
  if (it == body.end() || it->is_null()) return values;
  if (!it->is_array()) return core::Fail(ErrorType::kInvalidValue, "'" + std::string(name) + "' must be an array of strings");
  for (const auto& value : *it) {
    if (!value.is_string()) {
      return core::Fail(ErrorType::kInvalidValue, "'" + std::string(name) + "' must be an array of strings");
    }
    values.push_back(value.get<std::string>());
  }
  return values;
}

bool Changes(const std::string& method) { return method != "GET" && method != "HEAD"; }

http::Response Forbidden() {
  return Error({ErrorType::kForbidden, "Only an operator may do this; a tenant admin manages its own tenant's "
                                       "credentials under /api/v1/admin/tenants/{tenant}/"});
}

}  // namespace

struct AdminApi::Impl {
  storage::Store& store;
  AdminApiOptions options;
  auth::FailureThrottle throttle;

  Impl(storage::Store& store, AdminApiOptions options)
      : store(store), options(std::move(options)), throttle(this->options.throttle) {}

  // One request, once its credential is known.
  struct Call {
    const http::Request& request;
    auth::AdminPrincipal principal;
    std::vector<std::string> segments;
    auth::Actor actor;
  };

  void Handle(http::Request request, http::Responder respond) {
    std::vector<std::string> segments = Segments(std::string_view(request.path).substr(kPrefix.size()));
    const std::string& method = request.method;
    if (segments.size() == 1 && segments[0] == "login") {
      if (method != "POST") return respond(MethodNotAllowed("POST"));
      return respond(LogIn(request));
    }
    if (segments.size() == 3 && segments[0] == "invites" && segments[2] == "accept") {
      if (method != "POST") return respond(MethodNotAllowed("POST"));
      return respond(Accept(request, segments[1]));
    }
    auto principal = auth::AuthenticateAdmin(store, request.Header("Authorization"),
                                             CookieValue(request.Header("Cookie"), kSessionCookie));
    if (!principal) return respond(Error(principal.error()));
    // A session is a cookie the browser sends by itself: a change must also prove it comes from
    // the console, which alone knows the session's anti-CSRF token.
    if (Changes(method) && principal->credential.kind == "session" &&
        !auth::ConstantTimeEquals(request.Header("X-CSRF-Token"), principal->credential.csrf)) {
      return respond(Error({ErrorType::kForbidden,
                            "A change made with a session must carry the session's csrf_token in X-CSRF-Token"}));
    }
    auth::Actor actor = principal->AsActor(request.remote_address);
    Call call{request, std::move(*principal), std::move(segments), std::move(actor)};
    http::Response response = Route(call);
    response.log_credential = call.principal.credential.id;
    respond(std::move(response));
  }

  http::Response Route(Call& call) {
    const auto& s = call.segments;
    const std::string& method = call.request.method;
    bool get = !Changes(method);
    if (s.empty()) return Error({ErrorType::kNotFound, "No such endpoint; see docs/admin-api.md"});
    const std::string& area = s[0];
    if (area == "logout" && s.size() == 1) {
      if (method != "POST") return MethodNotAllowed("POST");
      if (auto r = auth::LogOut(store, call.principal, call.request.remote_address); !r) return Error(r.error());
      http::Response response = NoContent(204);
      response.headers.emplace_back("Set-Cookie", SessionCookie("", 0));
      return response;
    }
    if (area == "me") return Me(call);
    if (area == "tenants") {
      if (s.size() == 1) {
        if (!call.principal.IsOperator()) return Forbidden();
        if (get) return ListTenants();
        if (method == "POST") return CreateTenant(call);
        return MethodNotAllowed("GET, POST");
      }
      return Tenant(call);
    }
    if (!call.principal.IsOperator()) {
      if (area == "operators" || area == "oauth-clients" || area == "apikeys" || area == "audit") return Forbidden();
      return Error({ErrorType::kNotFound, "No such endpoint; see docs/admin-api.md"});
    }
    if (area == "operators") return Operators(call);
    if (area == "oauth-clients") return SharedClients(call);
    if (area == "apikeys") return ApiKeys(call);
    if (area == "audit" && s.size() == 1) {
      if (!get) return MethodNotAllowed("GET");
      return Audit(call.request.query, std::nullopt);
    }
    return Error({ErrorType::kNotFound, "No such endpoint; see docs/admin-api.md"});
  }

  // ---- sessions and the caller's own account ----------------------------------------------------

  std::string SessionCookie(const std::string& value, int64_t max_age) const {
    return std::string(kSessionCookie) + "=" + value + "; Path=" + std::string(kPrefix) +
           "; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age) + (options.secure_cookies ? "; Secure" : "");
  }

  http::Response LogIn(const http::Request& request) {
    auto body = ObjectBody(request, {"name", "password"});
    if (!body) return Error(body.error());
    auto name = RequiredString(*body, "name");
    if (!name) return Error(name.error());
    auto password = RequiredString(*body, "password");
    if (!password) return Error(password.error());
    auto session = auth::LogIn(store, throttle, *name, *password, request.remote_address,
                               "admin-login|" + request.remote_address);
    if (!session) return Error(session.error());
    http::Response response = Ok({{"account", AccountJson(session->account)},
                                  {"session", session->session_id},
                                  {"csrf_token", session->csrf},
                                  {"expires", session->expires}});
    response.headers.emplace_back("Set-Cookie", SessionCookie(session->secret, int64_t{auth::kSessionHours} * 3600));
    response.log_credential = session->session_id;
    return response;
  }

  http::Response Accept(const http::Request& request, const std::string& code) {
    auto body = ObjectBody(request, {"name", "password"});
    if (!body) return Error(body.error());
    auto name = RequiredString(*body, "name");
    if (!name) return Error(name.error());
    auto password = RequiredString(*body, "password");
    if (!password) return Error(password.error());
    auto account = auth::AcceptInvite(store, code, *name, *password, request.remote_address);
    if (!account) return Error(account.error());
    return Created(AccountJson(*account));
  }

  http::Response Me(Call& call) {
    const auto& s = call.segments;
    const std::string& method = call.request.method;
    const storage::AdminAccount& account = call.principal.account;
    if (s.size() == 1) {
      if (Changes(method)) return MethodNotAllowed("GET");
      Json json = AccountJson(account);
      json["credential"] = {{"id", call.principal.credential.id}, {"kind", call.principal.credential.kind}};
      return Ok(json);
    }
    if (s.size() == 2 && s[1] == "password") {
      if (method != "POST") return MethodNotAllowed("POST");
      auto body = ObjectBody(call.request, {"current_password", "password"});
      if (!body) return Error(body.error());
      auto current = RequiredString(*body, "current_password");
      if (!current) return Error(current.error());
      auto password = RequiredString(*body, "password");
      if (!password) return Error(password.error());
      if (!auth::VerifyPassword(account.password_hash, *current)) {
        return Error({ErrorType::kForbidden, "'current_password' is not this account's password"});
      }
      if (auto r = auth::SetAdminPassword(store, account, *password, call.actor); !r) return Error(r.error());
      return NoContent(204);
    }
    if (s.size() >= 2 && s[1] == "keys") {
      if (s.size() == 2) {
        if (!Changes(method)) {
          auto keys = store.ListAdminKeys(account.id);
          if (!keys) return Error(keys.error());
          Json list = Json::array();
          for (const auto& k : *keys) list.push_back(AdminKeyJson(k));
          return Ok({{"keys", list}});
        }
        if (method != "POST") return MethodNotAllowed("GET, POST");
        auto body = ObjectBody(call.request, {"label"});
        if (!body) return Error(body.error());
        auto label = OptionalString(*body, "label");
        if (!label) return Error(label.error());
        auto issued = auth::IssueAdminKey(store, account, label->value_or(""), call.actor);
        if (!issued) return Error(issued.error());
        Json json = AdminKeyJson(issued->record);
        json["key"] = issued->secret;  // shown this once
        return Created(json);
      }
      if (s.size() == 3) {
        if (method != "DELETE") return MethodNotAllowed("DELETE");
        auto revoked = auth::RevokeAdminKey(store, account, s[2], call.actor);
        if (!revoked) return Error(revoked.error());
        if (!*revoked) return Error({ErrorType::kNotFound, "This account has no live API key '" + s[2].substr(0, 64) + "'"});
        return NoContent(204);
      }
    }
    return Error({ErrorType::kNotFound, "No such endpoint; see docs/admin-api.md"});
  }

  // ---- tenants -------------------------------------------------------------------------------------

  http::Response ListTenants() {
    auto tenants = store.ListTenants();
    if (!tenants) return Error(tenants.error());
    Json list = Json::array();
    for (const auto& t : *tenants) list.push_back(TenantJson(t));
    return Ok({{"tenants", list}});
  }

  http::Response CreateTenant(Call& call) {
    auto body = ObjectBody(call.request, {"name"});
    if (!body) return Error(body.error());
    auto name = RequiredString(*body, "name");
    if (!name) return Error(name.error());
    auto tenant = auth::CreateTenant(store, *name, call.actor);
    if (!tenant) return Error(tenant.error());
    return Created(TenantJson(*tenant));
  }

  // /tenants/{t}/...: the tenant must exist and be the caller's to manage (else the same 404).
  http::Response Tenant(Call& call) {
    const auto& s = call.segments;
    auto found = store.FindTenant(s[1]);
    if (!found) return Error(found.error());
    if (!*found || !call.principal.Manages((*found)->id)) {
      return Error({ErrorType::kNotFound, "No tenant '" + s[1].substr(0, 64) + "'"});
    }
    const storage::Tenant& tenant = **found;
    const std::string& method = call.request.method;
    bool get = !Changes(method);
    if (s.size() == 2) {
      if (get) return Ok(TenantJson(tenant));
      if (method != "DELETE") return MethodNotAllowed("GET, DELETE");
      if (!call.principal.IsOperator()) return Forbidden();
      auto deleted = auth::DeleteTenant(store, tenant.name, call.actor);
      if (!deleted) return Error(deleted.error());
      if (!*deleted) return Error({ErrorType::kNotFound, "No tenant '" + tenant.name + "'"});
      return NoContent(204);
    }
    const std::string& area = s[2];
    bool operator_only = area == "settings" || area == "admins" || area == "invites" || area == "schemas" ||
                         area == "unmapped" || area == "tombstones" || area == "held";
    if (operator_only && !call.principal.IsOperator()) return Forbidden();
    if (area == "settings" && s.size() == 3) return Settings(call, tenant);
    if (area == "tokens") return Tokens(call, tenant);
    if (area == "login" && s.size() == 3) return Login(call, tenant);
    if (area == "oauth-clients") return TenantClients(call, tenant);
    if (area == "audit" && s.size() == 3) {
      if (!get) return MethodNotAllowed("GET");
      return Audit(call.request.query, tenant.name);
    }
    if (area == "admins") return TenantAdmins(call, tenant);
    if (area == "schemas") return Schemas(call, tenant);
    if (area == "held") return Held(call, tenant);
    if (area == "tombstones" && s.size() == 3) {
      if (!get) return MethodNotAllowed("GET");
      auto tombstones = store.ListTombstones(tenant.id, kMaxTombstones);
      if (!tombstones) return Error(tombstones.error());
      Json list = Json::array();
      for (const auto& t : *tombstones) {
        auto document = t.body ? core::ParseJson(*t.body) : core::Result<Json>(Json(nullptr));
        list.push_back({{"id", t.id},
                        {"resourceType", storage::KindName(t.kind)},
                        {"userName", OptionalText(t.user_name)},
                        {"externalId", OptionalText(t.external_id)},
                        {"displayName", OptionalText(t.display_name)},
                        {"created", t.created},
                        {"deleted", t.deleted},
                        {"purge_after", t.purge_after},
                        {"document", document ? *document : Json(nullptr)}});
      }
      return Ok({{"tombstones", list}});
    }
    if (area == "unmapped" && s.size() == 3) {
      if (!get) return MethodNotAllowed("GET");
      auto report = directory::UnmappedReport(store, tenant.id, kMaxUnmappedScan);
      if (!report) return Error(report.error());
      Json list = Json::array();
      for (const auto& attribute : *report) list.push_back({{"name", attribute.name}, {"resources", attribute.resources}});
      return Ok({{"attributes", list}});
    }
    if (area == "invites" && s.size() == 3) {
      if (method != "POST") return MethodNotAllowed("POST");
      auto body = ObjectBody(call.request, {"days"});
      if (!body) return Error(body.error());
      auto days = OptionalInt(*body, "days");
      if (!days) return Error(days.error());
      auto invite = auth::InviteTenantAdmin(store, tenant, days->value_or(auth::kInviteDefaultDays), call.principal,
                                            call.request.remote_address);
      if (!invite) return Error(invite.error());
      return Created({{"id", invite->record.id},
                      {"tenant", tenant.name},
                      {"code", invite->code},  // shown this once
                      {"accept_path", std::string(kPrefix) + "/invites/" + invite->code + "/accept"},
                      {"expires", invite->record.expires}});
    }
    return Error({ErrorType::kNotFound, "No such endpoint; see docs/admin-api.md"});
  }

  // GET: the tenant's schemas; POST: apply a schema file (one Schema object or an array of them);
  // DELETE /schemas/{urn}: remove one.
  http::Response Schemas(Call& call, const storage::Tenant& tenant) {
    const auto& s = call.segments;
    const std::string& method = call.request.method;
    auto answer = [](const directory::SchemaChange& change) {
      return Ok({{"urns", change.urns}, {"documents_rewritten", change.documents_rewritten}});
    };
    if (s.size() == 3) {
      if (!Changes(method)) {
        auto schemas = store.TenantSchemas(tenant.id);
        if (!schemas) return Error(schemas.error());
        Json list = Json::array();
        for (const auto& schema : *schemas) {
          auto definition = core::ParseJson(schema.definition);
          list.push_back({{"urn", schema.urn},
                          {"updated", schema.updated},
                          {"definition", definition ? *definition : Json(nullptr)}});
        }
        return Ok({{"schemas", list}});
      }
      if (method != "POST") return MethodNotAllowed("GET, POST");
      auto file = JsonBody(call.request);
      if (!file) return Error(file.error());
      auto applied = directory::ApplySchemas(store, tenant, *file, call.actor);
      if (!applied) return Error(applied.error());
      return answer(*applied);
    }
    if (s.size() == 4) {
      if (method != "DELETE") return MethodNotAllowed("DELETE");
      auto removed = directory::RemoveSchema(store, tenant, s[3], call.actor);
      if (!removed) return Error(removed.error());
      return answer(*removed);
    }
    return Error({ErrorType::kNotFound, "No such endpoint; see docs/admin-api.md"});
  }

  // The circuit breaker's held changes: list them, apply one (replayed as the IdP sent it) or
  // discard it.
  http::Response Held(Call& call, const storage::Tenant& tenant) {
    const auto& s = call.segments;
    const std::string& method = call.request.method;
    if (s.size() == 3) {
      if (Changes(method)) return MethodNotAllowed("GET");
      std::optional<std::string> state;
      auto pairs = ParseQuery(call.request.query);
      if (!pairs) return Error(pairs.error());
      for (const auto& [name, value] : *pairs) {
        if (name != "state" || (value != "pending" && value != "applied" && value != "discarded")) {
          return Error({ErrorType::kBadRequest, "The held changes take state=pending|applied|discarded"});
        }
        state = value;
      }
      auto held = store.ListHeldChanges(tenant.id, state, kMaxHeld);
      if (!held) return Error(held.error());
      Json list = Json::array();
      for (const auto& h : *held) list.push_back(HeldJson(h));
      return Ok({{"held", list}});
    }
    if (s.size() != 5 || (s[4] != "apply" && s[4] != "discard")) {
      return Error({ErrorType::kNotFound, "No such endpoint; see docs/admin-api.md"});
    }
    if (method != "POST") return MethodNotAllowed("POST");
    auto held = store.ListHeldChanges(tenant.id, std::string("pending"), kMaxHeld);
    if (!held) return Error(held.error());
    auto it = std::find_if(held->begin(), held->end(), [&](const auto& h) { return h.id == s[3]; });
    if (it == held->end()) return Error({ErrorType::kNotFound, "No pending held change '" + s[3].substr(0, 64) + "'"});
    if (s[4] == "apply") {
      if (!options.replay_held) return Error({ErrorType::kNotImplemented, "Applying held changes is not wired"});
      std::promise<http::Response> replayed;
      options.replay_held(tenant, *it, [&replayed](http::Response response) { replayed.set_value(std::move(response)); });
      http::Response response = replayed.get_future().get();
      if (response.status >= 300) {
        return Error({ErrorType::kConflict, "Applying it failed (" + std::to_string(response.status) +
                                                "): " + response.body.substr(0, 500) + "; it stays held"});
      }
    }
    std::string state = s[4] == "apply" ? "applied" : "discarded";
    bool decided = false;
    std::string now = auth::NowRfc3339();
    auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
      auto changed = txn.DecideHeldChange(tenant.id, it->id, state, call.actor.name, now);
      if (!changed) return std::unexpected(changed.error());
      decided = *changed;
      if (!decided) return {};
      return txn.AppendAudit(auth::AuditOf(call.actor, "deprovision." + s[4], tenant.name, it->id,
                                           core::DumpJson(Json{{"resource", it->resource_id}, {"action", it->action}})));
    });
    if (!r) return Error(r.error());
    if (!decided) return Error({ErrorType::kConflict, "Another operator decided it meanwhile"});
    it->state = state;
    it->decided_by = call.actor.name;
    it->decided = now;
    return Ok(HeldJson(*it));
  }

  http::Response Settings(Call& call, const storage::Tenant& tenant) {
    if (call.request.method != "PATCH") return MethodNotAllowed("PATCH");
    auto json = AnyObjectBody(call.request);
    if (!json) return Error(json.error());
    std::vector<std::pair<std::string, std::string>> settings;
    for (auto it = json->begin(); it != json->end(); ++it) {
      if (it->is_string()) settings.emplace_back(it.key(), it->get<std::string>());
      else if (it->is_boolean()) settings.emplace_back(it.key(), it->get<bool>() ? "true" : "false");
      else if (it->is_number_integer()) settings.emplace_back(it.key(), std::to_string(it->get<int64_t>()));
      else return Error({ErrorType::kInvalidValue, "The value of '" + it.key().substr(0, 64) + "' must be a string"});
    }
    if (auto r = auth::SetTenantSettings(store, tenant, settings, call.actor); !r) return Error(r.error());
    auto updated = store.FindTenant(tenant.name);
    if (!updated || !*updated) return Error({ErrorType::kNotFound, "No tenant '" + tenant.name + "'"});
    return Ok(TenantJson(**updated));
  }

  http::Response Tokens(Call& call, const storage::Tenant& tenant) {
    const auto& s = call.segments;
    const std::string& method = call.request.method;
    if (s.size() == 3) {
      if (!Changes(method)) {
        auto tokens = store.ListTokens(tenant.id);
        if (!tokens) return Error(tokens.error());
        std::string now = auth::NowRfc3339();
        Json list = Json::array();
        for (const auto& t : *tokens) list.push_back(TokenJson(t, now));
        return Ok({{"tokens", list}});
      }
      if (method != "POST") return MethodNotAllowed("GET, POST");
      auto body = ObjectBody(call.request, {"label", "expires_days"});
      if (!body) return Error(body.error());
      auto label = OptionalString(*body, "label");
      if (!label) return Error(label.error());
      auto days = OptionalInt(*body, "expires_days");
      if (!days) return Error(days.error());
      auto issued = auth::IssueToken(store, tenant, label->value_or(""), *days, call.actor);
      if (!issued) return Error(issued.error());
      return Created({{"id", issued->id}, {"token", issued->secret}, {"expires", OptionalText(issued->expires)}});
    }
    if (s.size() == 4) {
      if (method != "DELETE") return MethodNotAllowed("DELETE");
      auto revoked = auth::RevokeToken(store, tenant, s[3], call.actor);
      if (!revoked) return Error(revoked.error());
      if (!*revoked) return Error({ErrorType::kNotFound, "Tenant '" + tenant.name + "' has no token '" + s[3].substr(0, 64) + "'"});
      return NoContent(204);
    }
    if (s.size() == 5 && s[4] == "rotate") {
      if (method != "POST") return MethodNotAllowed("POST");
      auto body = ObjectBody(call.request, {"overlap_hours", "label"});
      if (!body) return Error(body.error());
      auto overlap = OptionalInt(*body, "overlap_hours");
      if (!overlap) return Error(overlap.error());
      auto label = OptionalString(*body, "label");
      if (!label) return Error(label.error());
      auto rotated = auth::RotateToken(store, tenant, s[3], overlap->value_or(24), *label, call.actor);
      if (!rotated) return Error(rotated.error());
      return Created({{"id", rotated->issued.id},
                      {"token", rotated->issued.secret},
                      {"replaces", s[3]},
                      {"old_token_expires", rotated->old_expires}});
    }
    return Error({ErrorType::kNotFound, "No such endpoint; see docs/admin-api.md"});
  }

  http::Response Login(Call& call, const storage::Tenant& tenant) {
    const std::string& method = call.request.method;
    if (!Changes(method)) {
      auto login = store.LoginOf(tenant.id);
      if (!login) return Error(login.error());
      if (!*login) return Error({ErrorType::kNotFound, "Tenant '" + tenant.name + "' has no SCIM login"});
      return Ok({{"username", (*login)->username}, {"updated", (*login)->updated}});
    }
    if (method == "PUT") {
      auto body = ObjectBody(call.request, {"username", "password"});
      if (!body) return Error(body.error());
      auto username = RequiredString(*body, "username");
      if (!username) return Error(username.error());
      auto password = RequiredString(*body, "password");
      if (!password) return Error(password.error());
      if (auto r = auth::SetLogin(store, tenant, *username, *password, call.actor); !r) return Error(r.error());
      return Ok({{"username", *username}});
    }
    if (method == "DELETE") {
      auto removed = auth::RemoveLogin(store, tenant, call.actor);
      if (!removed) return Error(removed.error());
      if (!*removed) return Error({ErrorType::kNotFound, "Tenant '" + tenant.name + "' has no SCIM login"});
      return NoContent(204);
    }
    return MethodNotAllowed("GET, PUT, DELETE");
  }

  // Creates a client of `tenant` (or a shared one) from {"redirect_uris": [...], "okta_callbacks": "app"}.
  http::Response CreateClient(Call& call, const std::optional<storage::Tenant>& tenant) {
    auto body = ObjectBody(call.request, {"redirect_uris", "okta_callbacks"});
    if (!body) return Error(body.error());
    auto uris = StringArray(*body, "redirect_uris");
    if (!uris) return Error(uris.error());
    auto okta = OptionalString(*body, "okta_callbacks");
    if (!okta) return Error(okta.error());
    auto issued = auth::CreateOAuthClient(store, tenant, *uris, okta->value_or(""), call.actor);
    if (!issued) return Error(issued.error());
    Json json = ClientJson(issued->record);
    json["client_secret"] = issued->secret;  // shown this once
    return Created(json);
  }

  // The clients of `tenant`, or every client (nullopt).
  http::Response ListClients(const std::optional<storage::Tenant>& tenant) {
    auto clients = store.ListOAuthClients();
    if (!clients) return Error(clients.error());
    Json list = Json::array();
    for (const auto& c : *clients) {
      if (!tenant || c.tenant == std::optional<storage::TenantId>(tenant->id)) list.push_back(ClientJson(c));
    }
    return Ok({{"clients", list}});
  }

  http::Response DeleteClient(Call& call, const std::string& client_id, const std::optional<storage::Tenant>& tenant) {
    auto deleted = auth::DeleteOAuthClient(store, client_id, tenant, call.actor);
    if (!deleted) return Error(deleted.error());
    if (!*deleted) return Error({ErrorType::kNotFound, "No OAuth client '" + client_id.substr(0, 64) + "'"});
    return NoContent(204);
  }

  http::Response TenantClients(Call& call, const storage::Tenant& tenant) {
    const auto& s = call.segments;
    const std::string& method = call.request.method;
    if (s.size() == 3) {
      if (!Changes(method)) return ListClients(tenant);
      if (method == "POST") return CreateClient(call, tenant);
      return MethodNotAllowed("GET, POST");
    }
    if (s.size() == 4) {
      if (method != "DELETE") return MethodNotAllowed("DELETE");
      return DeleteClient(call, s[3], tenant);
    }
    return Error({ErrorType::kNotFound, "No such endpoint; see docs/admin-api.md"});
  }

  http::Response SharedClients(Call& call) {
    const auto& s = call.segments;
    const std::string& method = call.request.method;
    if (s.size() == 1) {
      if (!Changes(method)) return ListClients(std::nullopt);
      if (method == "POST") return CreateClient(call, std::nullopt);
      return MethodNotAllowed("GET, POST");
    }
    if (s.size() == 2) {
      if (method != "DELETE") return MethodNotAllowed("DELETE");
      return DeleteClient(call, s[1], std::nullopt);
    }
    return Error({ErrorType::kNotFound, "No such endpoint; see docs/admin-api.md"});
  }

  // ---- accounts ------------------------------------------------------------------------------------

  // Accounts of one tenant (tenant admins) or the operators (nullopt).
  http::Response ListAccounts(const std::optional<storage::Tenant>& tenant) {
    auto accounts = store.ListAdminAccounts(tenant ? std::optional(tenant->id) : std::nullopt);
    if (!accounts) return Error(accounts.error());
    Json list = Json::array();
    for (const auto& a : *accounts) {
      if (tenant || a.role == auth::kOperatorRole) list.push_back(AccountJson(a));
    }
    return Ok({{"accounts", list}});
  }

  // Deletes the account `name` when it belongs to `tenant` (or is an operator, for nullopt).
  http::Response DeleteAccount(Call& call, const std::string& name, const std::optional<storage::Tenant>& tenant) {
    auto account = store.FindAdminAccount(name);
    if (!account) return Error(account.error());
    bool belongs = *account && (tenant ? (*account)->tenant == std::optional(tenant->id)
                                       : (*account)->role == auth::kOperatorRole);
    if (!belongs) return Error({ErrorType::kNotFound, "No such account '" + name.substr(0, 64) + "'"});
    auto deleted = auth::DeleteAdminAccount(store, **account, call.actor);
    if (!deleted) return Error(deleted.error());
    if (!*deleted) return Error({ErrorType::kNotFound, "No such account '" + name.substr(0, 64) + "'"});
    return NoContent(204);
  }

  http::Response TenantAdmins(Call& call, const storage::Tenant& tenant) {
    const auto& s = call.segments;
    const std::string& method = call.request.method;
    if (s.size() == 3) {
      if (Changes(method)) return MethodNotAllowed("GET (invite a tenant admin with POST .../invites)");
      return ListAccounts(tenant);
    }
    if (s.size() == 4) {
      if (method != "DELETE") return MethodNotAllowed("DELETE");
      return DeleteAccount(call, s[3], tenant);
    }
    return Error({ErrorType::kNotFound, "No such endpoint; see docs/admin-api.md"});
  }

  http::Response Operators(Call& call) {
    const auto& s = call.segments;
    const std::string& method = call.request.method;
    if (s.size() == 1) {
      if (!Changes(method)) return ListAccounts(std::nullopt);
      if (method != "POST") return MethodNotAllowed("GET, POST");
      auto body = ObjectBody(call.request, {"name", "password"});
      if (!body) return Error(body.error());
      auto name = RequiredString(*body, "name");
      if (!name) return Error(name.error());
      auto password = RequiredString(*body, "password");
      if (!password) return Error(password.error());
      auto account = auth::CreateAdminAccount(store, *name, *password, std::nullopt, call.actor);
      if (!account) return Error(account.error());
      return Created(AccountJson(*account));
    }
    if (s.size() == 2) {
      if (method != "DELETE") return MethodNotAllowed("DELETE");
      return DeleteAccount(call, s[1], std::nullopt);
    }
    return Error({ErrorType::kNotFound, "No such endpoint; see docs/admin-api.md"});
  }

  // ---- host API keys and the audit log ------------------------------------------------------------------

  http::Response ApiKeys(Call& call) {
    const auto& s = call.segments;
    const std::string& method = call.request.method;
    if (s.size() == 1) {
      if (!Changes(method)) {
        auto keys = store.ListApiKeys();
        if (!keys) return Error(keys.error());
        Json list = Json::array();
        for (const auto& k : *keys) list.push_back(ApiKeyJson(k));
        return Ok({{"keys", list}});
      }
      if (method != "POST") return MethodNotAllowed("GET, POST");
      auto body = ObjectBody(call.request, {"tenant", "label"});
      if (!body) return Error(body.error());
      auto tenant_name = OptionalString(*body, "tenant");
      if (!tenant_name) return Error(tenant_name.error());
      auto label = OptionalString(*body, "label");
      if (!label) return Error(label.error());
      std::optional<storage::Tenant> tenant;
      if (*tenant_name) {
        auto found = store.FindTenant(**tenant_name);
        if (!found) return Error(found.error());
        if (!*found) return Error({ErrorType::kInvalidValue, "No tenant '" + tenant_name->value().substr(0, 64) + "'"});
        tenant = **found;
      }
      auto issued = auth::IssueApiKey(store, tenant, label->value_or(""), call.actor);
      if (!issued) return Error(issued.error());
      Json json = ApiKeyJson(issued->record);
      json["key"] = issued->secret;  // shown this once
      return Created(json);
    }
    if (s.size() == 2) {
      if (method != "DELETE") return MethodNotAllowed("DELETE");
      auto revoked = auth::RevokeApiKey(store, s[1], call.actor);
      if (!revoked) return Error(revoked.error());
      if (!*revoked) return Error({ErrorType::kNotFound, "No API key '" + s[1].substr(0, 64) + "'"});
      return NoContent(204);
    }
    return Error({ErrorType::kNotFound, "No such endpoint; see docs/admin-api.md"});
  }

  // The audit log, newest first: limit=N (1..1000, default 100), before=SEQ (the next page),
  // tenant=NAME (server-wide reads only; a tenant's endpoint fixes it).
  http::Response Audit(std::string_view query_text, const std::optional<std::string>& tenant) {
    auto pairs = ParseQuery(query_text);
    if (!pairs) return Error(pairs.error());
    storage::AuditQuery query;
    query.tenant_name = tenant;
    query.limit = kDefaultAuditLimit;
    for (const auto& [name, value] : *pairs) {
      if (name == "limit") {
        auto limit = IntegerParam("limit", value, 1, kMaxAuditLimit);
        if (!limit) return Error(limit.error());
        query.limit = *limit;
      } else if (name == "before") {
        auto before = IntegerParam("before", value, 1, INT64_MAX);
        if (!before) return Error(before.error());
        query.before = *before;
      } else if (name == "tenant" && !tenant) {
        query.tenant_name = value;
      } else {
        return Error({ErrorType::kBadRequest, "Unknown parameter '" + name.substr(0, 64) + "'; the audit log takes " +
                                                  (tenant ? "limit and before" : "tenant, limit and before")});
      }
    }
    auto entries = store.ReadAudit(query);
    if (!entries) return Error(entries.error());
    Json list = Json::array();
    for (const auto& e : *entries) list.push_back(AuditJson(e));
    Json json = {{"entries", list}};
    if (static_cast<int64_t>(entries->size()) == query.limit) json["next_before"] = entries->back().seq;
    return Ok(json);
  }
};

AdminApi::AdminApi(storage::Store& store, AdminApiOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}
AdminApi::~AdminApi() = default;

bool AdminApi::Owns(std::string_view path) {
  return path.substr(0, kPrefix.size()) == kPrefix && (path.size() == kPrefix.size() || path[kPrefix.size()] == '/');
}

void AdminApi::Handle(http::Request request, http::Responder respond) {
  impl_->Handle(std::move(request), std::move(respond));
}

}  // namespace scim::api

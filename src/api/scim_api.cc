// Routing, authentication and the SCIM endpoints. See scim_api.h.
#include "api/scim_api.h"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <ctime>

#include "api/bulk.h"
#include "api/error_response.h"
#include "api/journal.h"
#include "api/query.h"
#include "api/render.h"
#include "auth/administration.h"
#include "auth/crypto.h"
#include "core/bulk.h"
#include "core/change.h"
#include "core/filter.h"
#include "core/json.h"
#include "core/patch.h"
#include "core/quirks.h"
#include "core/redact.h"
#include "core/tenant_settings.h"
#include "directory/deprovision_guard.h"
#include "directory/managers.h"
#include "directory/okta_roles.h"
#include "directory/policy.h"
#include "directory/tenant_schemas.h"
#include "core/time.h"
#include "core/validate.h"
#include "events/event.h"

namespace scim::api {

using core::ErrorType;
using core::Fail;
using core::Json;
using core::Result;
using storage::Kind;

namespace {


// PATCH and PUT re-check the version they computed from; on a concurrent change they start over.
constexpr int kMaxWriteAttempts = 8;

struct Call {
  http::Request request;
  http::Responder respond;
  auth::Principal principal;
  std::string base_url;  // ".../scim/v2" or ".../scim/v2/{tenant}"
  std::string now;
  core::QuirkLog quirks;  // the IdP-dialect shapes this request used (lenient per the tenant)

  // For the provisioning journal (null: not journaled).
  Journal* journal = nullptr;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::optional<storage::TenantId> journal_tenant;  // the tenant named by the path when auth failed
  std::optional<core::Error> error;                 // what the request was refused with
  std::optional<std::pair<Kind, std::string>> resource;  // the resource it named or created
  std::vector<std::string> event_ids;               // the events it committed

  // Set on a held deprovisioning request an operator applied: it passes the circuit breaker.
  bool past_guard = false;
  // Set when account linking turned a create into an update of an existing user: how it matched.
  std::string linked_by;

  // The schemas this tenant's documents are read and written with (directory/tenant_schemas.h).
  std::shared_ptr<const core::SchemaRegistry> registry;
  const core::ResourceType* user_type = nullptr;
  const core::ResourceType* group_type = nullptr;
  void UseRegistry(std::shared_ptr<const core::SchemaRegistry> tenant_registry) {
    registry = std::move(tenant_registry);
    user_type = registry->FindResourceType("User");
    group_type = registry->FindResourceType("Group");
  }
  const core::ResourceType& TypeOf(Kind kind) const { return kind == Kind::kUser ? *user_type : *group_type; }
  storage::ListScope Scope(Kind kind) const { return {kind, &TypeOf(kind)}; }

  // The log a write's attempt reads through: a retried attempt (after a concurrent change) reads
  // the same request again, so only the first records into `quirks`.
  core::QuirkLog* QuirksFor(int attempt, core::QuirkLog& scratch) {
    scratch = core::QuirkLog(quirks.lenient());
    return attempt == 0 ? &quirks : &scratch;
  }
};
using CallPtr = std::shared_ptr<Call>;

http::Response JsonResponse(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", std::string(kScimContentType));
  response.body = std::move(body);
  return response;
}

// The request, its answer and what it changed, for the tenant's journal.
void RecordInJournal(const Call& call, const http::Response& response) {
  bool authenticated = !call.principal.tenant_name.empty();
  if (!call.journal || (!authenticated && !call.journal_tenant)) return;
  bool read = call.request.method == "GET" || call.request.method == "HEAD" ||
              call.request.path.ends_with("/.search");
  if (read && response.status < 400 && !call.journal->options().successful_reads) return;
  storage::JournalEntry entry;
  entry.tenant = authenticated ? call.principal.tenant : *call.journal_tenant;
  entry.time = call.now;
  entry.credential = call.principal.credential_id;
  entry.idp = response.log_client;
  entry.method = call.request.method;
  entry.path = call.request.path;
  entry.query = call.request.query;
  entry.status = response.status;
  if (call.error) {
    entry.scim_type = std::string(ToWire(call.error->type).scim_type);
    entry.detail = call.error->detail;
  }
  entry.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - call.started).count();
  if (call.resource) {
    entry.resource_type = storage::KindName(call.resource->first);
    entry.resource_id = call.resource->second;
  }
  // A refused credential's body is not kept: nobody authenticated sent it.
  if (authenticated) entry.request_body = core::RedactedBody(call.request.body, call.journal->options().max_body_bytes);
  entry.events = call.event_ids;
  entry.note = response.log_note;
  call.journal->Record(std::move(entry));
}

void Reply(const CallPtr& call, http::Response response) {
  response.log_tenant = call->principal.tenant_name;
  response.log_credential = call->principal.credential_id;
  if (!call->principal.tenant_name.empty()) {
    response.log_client = std::string(core::ToString(core::IdentifyClient(
        call->principal.settings.profile, call->request.Header("User-Agent"), call->quirks)));
  }
  if (!call->quirks.uses().empty()) {
    if (!response.log_note.empty()) response.log_note += "; ";
    response.log_note += (call->quirks.lenient() ? "quirks: " : "refused quirks: ") + call->quirks.Summary();
  }
  bool read = call->request.method == "GET" || call->request.method == "HEAD" || call->request.path.ends_with("/.search");
  if (call->principal.settings.dry_run && !read) {
    response.headers.emplace_back("Scimd-Dry-Run", "true");
    if (!response.log_note.empty()) response.log_note += "; ";
    response.log_note += "dry run: nothing was written";
  }
  RecordInJournal(*call, response);
  call->respond(std::move(response));
}

// A strict tenant's refusal says what a lenient one would have accepted, so the operator can
// choose (docs/idp-compatibility.md).
void ReplyError(const CallPtr& call, const core::Error& error) {
  call->event_ids.clear();  // a failed write rolled its events back with it
  if (call->quirks.lenient() || call->quirks.uses().empty()) {
    call->error = error;
    return Reply(call, ErrorResponse(error));
  }
  core::Error explained = error;
  explained.detail += " (this tenant's compatibility is strict; with compatibility lenient scimd accepts: " +
                      call->quirks.Summary() + ")";
  call->error = explained;
  Reply(call, ErrorResponse(explained));
}

bool IsJsonContentType(std::string_view content_type) {
  if (content_type.empty()) return true;
  std::string lower = core::ToLower(content_type);
  return lower.find("json") != std::string::npos;
}

// A write that lost a race with another write to the same resource; the caller starts over.
constexpr std::string_view kVersionConflict = "scimd:version-conflict";
// A dry run's transaction, rolled back on purpose after everything in it succeeded.
constexpr std::string_view kDryRun = "scimd:dry-run";

}  // namespace

struct ScimApi::Impl {
  storage::Store& store;
  std::shared_ptr<const core::SchemaRegistry> registry;
  ApiOptions options;
  std::function<void()> events_committed;  // may be empty
  Journal* journal;                        // may be null
  std::atomic<bool> ready{true};
  auth::Authenticator authenticator;
  RateLimiter rate_limiter;
  directory::RegistryCache registries;

  Impl(storage::Store& s, std::shared_ptr<const core::SchemaRegistry> r, ApiOptions o, std::function<void()> c,
       Journal* j)
      : store(s),
        registry(std::move(r)),
        options(std::move(o)),
        events_committed(std::move(c)),
        journal(j),
        authenticator(s, options.login_throttle),
        rate_limiter(options.rate_limits),
        registries(registry) {}

  // ---- routing -------------------------------------------------------------------------------

  void Handle(http::Request request, http::Responder respond) {
    std::string_view path = request.path;
    if (path == "/healthz") return respond(JsonResponse(200, R"({"status":"ok"})"));
    if (path == "/readyz") {
      if (!ready.load(std::memory_order_relaxed)) {
        return respond(ErrorResponse({ErrorType::kUnavailable, "Shutting down: draining requests in flight"}));
      }
      auto tenants = store.ListTenants();
      if (!tenants) return respond(ErrorResponse({ErrorType::kUnavailable, "Database not readable"}));
      return respond(JsonResponse(200, R"({"status":"ready"})"));
    }
    constexpr std::string_view kPrefix = "/scim/v2";
    if (path.substr(0, kPrefix.size()) != kPrefix || (path.size() > kPrefix.size() && path[kPrefix.size()] != '/')) {
      return respond(ErrorResponse({ErrorType::kNotFound, "No such endpoint: " + std::string(path) +
                                                              " (the SCIM base URL is /scim/v2/{tenant})"}));
    }
    std::vector<std::string> segments;
    std::string_view rest = path.substr(kPrefix.size());
    while (!rest.empty()) {
      if (rest.front() == '/') {
        rest.remove_prefix(1);
        continue;
      }
      size_t slash = rest.find('/');
      segments.emplace_back(rest.substr(0, slash));
      rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    }

    std::optional<std::string> path_tenant;
    if (!segments.empty() && !IsReservedTenantName(segments.front())) {
      path_tenant = segments.front();
      segments.erase(segments.begin());
    }
    // {tenant}.{tenant_domain} names the tenant as the path would (vendors give each customer a
    // subdomain); naming two different tenants is a URL that does not exist.
    std::optional<std::string> host_tenant = HostTenant(request.Header("Host"));
    if (host_tenant && path_tenant && !core::IEquals(*host_tenant, *path_tenant)) {
      return respond(ErrorResponse({ErrorType::kNotFound, "No such endpoint: the host names tenant '" + *host_tenant +
                                                              "' and the path another one"}));
    }
    std::optional<std::string> url_tenant = path_tenant ? path_tenant : host_tenant;

    auto call = std::make_shared<Call>();
    call->now = NowRfc3339();
    call->journal = journal;
    // Failed attempts are counted per client address and the tenant the URL names (failure_throttle.h).
    std::string client_key = request.remote_address + "|" + (url_tenant ? core::ToLower(*url_tenant) : "");
    auto principal = authenticator.Authenticate(request.Header("Authorization"), call->now, client_key);
    call->respond = std::move(respond);
    if (!principal) {
      call->request = std::move(request);
      // The tenant's journal shows refused credentials too ("the IdP's token expired").
      if (journal && url_tenant) {
        if (auto tenant = store.FindTenant(*url_tenant); tenant && *tenant) call->journal_tenant = (*tenant)->id;
      }
      return ReplyError(call, principal.error());
    }
    if (url_tenant && !core::IEquals(*url_tenant, principal->tenant_name)) {
      // Same answer as a bad token: a credential never learns whether another tenant exists.
      call->request = std::move(request);
      return ReplyError(call, {ErrorType::kUnauthorized, std::string(auth::RefusalFor(*principal))});
    }
    call->principal = std::move(*principal);
    call->quirks = core::QuirkLog(call->principal.settings.compatibility == core::Compatibility::kLenient);
    if (auto refusal = CheckAuthScheme(*call, request.Header("Authorization")); !refusal.empty()) {
      call->request = std::move(request);
      return ReplyError(call, {ErrorType::kUnauthorized, std::move(refusal)});
    }
    RateDecision admitted = rate_limiter.Admit(
        call->principal.tenant_name,
        call->principal.settings.rate_limit ? std::optional<double>(*call->principal.settings.rate_limit) : std::nullopt,
        call->principal.credential_id, RateLimiter::Clock::now());
    if (!admitted.admitted) {
      call->request = std::move(request);
      return ReplyError(call, {ErrorType::kRateLimited,
                               std::string("Too many requests: over this ") + admitted.limit +
                                   "'s rate limit; retry after " + std::to_string(admitted.retry_after_seconds) +
                                   (admitted.retry_after_seconds == 1 ? " second" : " seconds"),
                               admitted.retry_after_seconds});
    }
    auto tenant_registry =
        registries.For(store, call->principal.tenant, call->principal.settings.schema_revision);
    if (!tenant_registry) {
      call->request = std::move(request);
      return ReplyError(call, tenant_registry.error());
    }
    call->UseRegistry(std::move(*tenant_registry));
    call->base_url = BaseUrl(request, host_tenant.has_value()) + std::string(kPrefix) +
                     (path_tenant ? "/" + *path_tenant : "");
    call->request = std::move(request);
    Route(call, segments);
  }

  // Empty when the Authorization header has the form the tenant's auth_scheme asks for (tokens
  // only: Basic has one form), else why not.
  static std::string CheckAuthScheme(Call& call, std::string_view authorization) {
    const auth::Principal& principal = call.principal;
    if (principal.bearer_scheme || principal.credential_id.starts_with("basic:")) return {};
    const std::string& scheme = principal.settings.auth_scheme;
    std::string bearer_only = "Send the token as 'Authorization: Bearer <token>'";
    if (scheme == "bearer") return bearer_only;
    if (scheme == "any") return call.quirks.Allow(core::Quirk::kBareToken, "Authorization") ? "" : bearer_only;
    // The configured form: the text before the token, then the token, and nothing else.
    std::string_view token = auth::ExtractToken(authorization);
    while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
    while (!authorization.empty() && authorization.back() == ' ') authorization.remove_suffix(1);
    if (authorization.size() == scheme.size() + token.size() &&
        core::IEquals(authorization.substr(0, scheme.size()), scheme) && authorization.ends_with(token)) {
      return {};
    }
    return "Send the token as 'Authorization: " + scheme + "<token>' (or 'Bearer <token>')";
  }

  // The origin of meta.location: public_url, except for a tenant's own host (its public name).
  std::string BaseUrl(const http::Request& request, bool tenant_host) const {
    if (!options.public_base_url.empty() && !tenant_host) return options.public_base_url;
    std::string scheme = options.scheme;
    if (size_t colon = options.public_base_url.find("://"); colon != std::string::npos) {
      scheme = options.public_base_url.substr(0, colon);  // behind a TLS proxy: the public scheme
    }
    std::string_view host = request.Header("Host");
    return scheme + "://" + std::string(host.empty() ? "localhost" : host);
  }

  // The tenant a Host header of the form {tenant}.{tenant_domain}[:port] names, if any.
  std::optional<std::string> HostTenant(std::string_view host) const {
    const std::string& domain = options.tenant_domain;
    if (domain.empty() || host.empty()) return std::nullopt;
    if (host.front() != '[') host = host.substr(0, host.rfind(':') == std::string_view::npos ? host.size() : host.rfind(':'));
    if (host.size() <= domain.size() + 1) return std::nullopt;
    std::string_view suffix = host.substr(host.size() - domain.size());
    if (host[host.size() - domain.size() - 1] != '.' || !core::IEquals(suffix, domain)) return std::nullopt;
    std::string_view label = host.substr(0, host.size() - domain.size() - 1);
    if (IsReservedTenantName(label)) return std::nullopt;
    return std::string(label);
  }

  void Route(const CallPtr& call, const std::vector<std::string>& segments) {
    const std::string& method = call->request.method;
    if (segments.empty()) {
      return ReplyError(call, {ErrorType::kNotFound,
                               "This is a SCIM base URL; resources live under /Users and /Groups"});
    }
    const std::string& endpoint = segments[0];
    bool is_users = endpoint == "Users";
    if (is_users || endpoint == "Groups") {
      Kind kind = is_users ? Kind::kUser : Kind::kGroup;
      if (segments.size() == 1) {
        if (method == "GET" || method == "HEAD") return ListFromQuery(call, {call->Scope(kind)});
        if (method == "POST") return Create(call, kind);
        return MethodNotAllowed(call, "GET, POST");
      }
      if (segments.size() == 2) {
        if (segments[1] == ".search") {
          if (method != "POST") return MethodNotAllowed(call, "POST");
          return Search(call, {call->Scope(kind)});
        }
        const std::string& id = segments[1];
        call->resource = {kind, id};
        if (method == "GET" || method == "HEAD") return Get(call, kind, id);
        if (method == "PUT") return Replace(call, kind, id, 0);
        if (method == "PATCH") return Patch(call, kind, id, 0);
        if (method == "DELETE") return Delete(call, kind, id);
        return MethodNotAllowed(call, "GET, PUT, PATCH, DELETE");
      }
    } else if (endpoint == "Roles" && call->principal.settings.okta_roles && segments.size() <= 2) {
      if (method != "GET" && method != "HEAD") return MethodNotAllowed(call, "GET");
      return Roles(call, segments.size() == 2 ? &segments[1] : nullptr);
    } else if (endpoint == "ServiceProviderConfig" && segments.size() == 1) {
      if (method != "GET" && method != "HEAD") return MethodNotAllowed(call, "GET");
      return Reply(call, JsonResponse(200, RenderServiceProviderConfig(call->base_url, options)));
    } else if (endpoint == "ResourceTypes" && segments.size() <= 2) {
      if (method != "GET" && method != "HEAD") return MethodNotAllowed(call, "GET");
      auto body = RenderResourceTypes(*call->registry, call->base_url, segments.size() == 2 ? &segments[1] : nullptr,
                                      OktaRoleDocuments(call, directory::RoleResourceType()));
      if (!body) return ReplyError(call, body.error());
      return Reply(call, JsonResponse(200, std::move(*body)));
    } else if (endpoint == "Schemas" && segments.size() <= 2) {
      if (method != "GET" && method != "HEAD") return MethodNotAllowed(call, "GET");
      auto body = RenderSchemas(*call->registry, call->base_url, segments.size() == 2 ? &segments[1] : nullptr,
                                OktaRoleDocuments(call, directory::RoleSchema()));
      if (!body) return ReplyError(call, body.error());
      return Reply(call, JsonResponse(200, std::move(*body)));
    } else if (endpoint == ".search" && segments.size() == 1) {
      if (method != "POST") return MethodNotAllowed(call, "POST");
      return Search(call, {call->Scope(Kind::kUser), call->Scope(Kind::kGroup)});
    } else if (endpoint == "Bulk" && segments.size() == 1) {
      if (method != "POST") return MethodNotAllowed(call, "POST");
      return Bulk(call);
    } else if (endpoint == "Me") {
      return ReplyError(call, {ErrorType::kNotImplemented,
                               "/" + endpoint + " is not supported by this server (see /ServiceProviderConfig)"});
    }
    ReplyError(call, {ErrorType::kNotFound, "No such endpoint: " + call->request.path});
  }

  void MethodNotAllowed(const CallPtr& call, std::string_view allowed) {
    http::Response response = ErrorResponse(
        {ErrorType::kMethodNotAllowed, call->request.method + " is not allowed here; allowed: " + std::string(allowed)});
    response.headers.emplace_back("Allow", std::string(allowed));
    Reply(call, std::move(response));
  }

  // ---- bulk ----------------------------------------------------------------------------------

  void Bulk(const CallPtr& call) {
    if (!IsJsonContentType(call->request.Header("Content-Type"))) {
      return ReplyError(call, {ErrorType::kUnsupportedMediaType, "Send the BulkRequest as application/scim+json"});
    }
    auto json = core::ParseJson(call->request.body, options.limits.json_depth);
    if (!json) return ReplyError(call, json.error());
    auto request = core::ParseBulkRequest(*json, static_cast<size_t>(options.bulk_max_operations));
    if (!request) return ReplyError(call, request.error());
    RunBulk(
        std::move(*request), call->base_url,
        [this, call](BulkDispatch operation, std::function<void(http::Response)> done) {
          DispatchBulkOperation(call, std::move(operation), std::move(done));
        },
        [call](std::string body) { Reply(call, JsonResponse(200, std::move(body))); });
  }

  // One bulk operation through the ordinary endpoints, with the bulk request's credential.
  void DispatchBulkOperation(const CallPtr& parent, BulkDispatch operation, std::function<void(http::Response)> done) {
    auto call = std::make_shared<Call>();
    call->request.method = operation.method;
    call->request.path = operation.path;
    call->request.body = std::move(operation.body);
    call->request.headers.emplace_back("Content-Type", std::string(kScimContentType));
    if (operation.if_match) call->request.headers.emplace_back("If-Match", *operation.if_match);
    call->request.remote_address = parent->request.remote_address;
    call->principal = parent->principal;
    call->UseRegistry(parent->registry);
    call->base_url = parent->base_url;
    call->journal = parent->journal;  // each operation is journaled as the request it stands for
    call->now = NowRfc3339();
    call->quirks = core::QuirkLog(parent->quirks.lenient());
    // Operations run one at a time, so the parent's log is not touched concurrently.
    call->respond = [parent, weak = std::weak_ptr<Call>(call), done = std::move(done)](http::Response response) {
      if (auto self = weak.lock()) parent->quirks.Merge(self->quirks);  // weak: the call owns this lambda
      done(std::move(response));
    };
    std::vector<std::string> segments;
    for (std::string_view rest = operation.path; !rest.empty();) {
      size_t slash = rest.find('/');
      if (slash != 0) segments.emplace_back(rest.substr(0, slash));
      rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    }
    bool resource_path = !segments.empty() && segments.size() <= 2 && (segments[0] == "Users" || segments[0] == "Groups") &&
                         (segments.size() == 1) == (operation.method == "POST") &&
                         (segments.size() == 1 || segments[1] != ".search");
    if (!resource_path) {
      return ReplyError(call, {ErrorType::kInvalidValue,
                               "A bulk " + operation.method + " goes to " +
                                   (operation.method == "POST" ? "/Users or /Groups" : "/Users/{id} or /Groups/{id}") +
                                   ", not " + operation.path});
    }
    Route(call, segments);
  }

  // ---- reads ---------------------------------------------------------------------------------

  // What a response shows besides the stored document: groups of a user, members of a group.
  Result<Extras> LoadExtras(const CallPtr& call, Kind kind, const std::string& id, const Projection& projection) {
    Extras extras;
    if (kind == Kind::kUser && projection.Wants("groups")) {
      auto groups = store.GroupsOf(call->principal.tenant, id);
      if (!groups) return std::unexpected(groups.error());
      extras.groups = std::move(*groups);
    }
    if (kind == Kind::kGroup && projection.Wants("members")) {
      auto members = store.Members(call->principal.tenant, id);
      if (!members) return std::unexpected(members.error());
      extras.members = std::move(*members);
    }
    return extras;
  }

  Result<std::string> RenderStored(const CallPtr& call, Kind kind, const storage::StoredResource& stored,
                                   const Projection& projection) {
    auto extras = LoadExtras(call, kind, stored.id, projection);
    if (!extras) return std::unexpected(extras.error());
    return RenderResource(kind, call->TypeOf(kind), *call->registry, stored, *extras, call->base_url, projection);
  }

  void Get(const CallPtr& call, Kind kind, const std::string& id) {
    auto params = ParseListParams(call->request.query, options.default_page_size, options.max_page_size);
    if (!params) return ReplyError(call, params.error());
    auto stored = store.Get(call->principal.tenant, kind, id);
    if (!stored) return ReplyError(call, stored.error());
    if (!*stored) return ReplyError(call, NotFound(kind, id));
    if (auto tags = ParseEntityTags(call->request.Header("If-None-Match")); tags && tags->Matches((*stored)->version)) {
      http::Response response;
      response.status = 304;
      response.headers.emplace_back("ETag", ETag((*stored)->version));
      return Reply(call, std::move(response));
    }
    RespondWithResource(call, kind, **stored, 200, MakeProjection(*params));
  }

  // If-Match on PUT, PATCH and DELETE: the write happens only while the stored version is one the
  // client names (checked inside the write transaction, so no concurrent change slips between).
  static std::optional<EntityTags> IfMatch(const CallPtr& call) {
    return ParseEntityTags(call->request.Header("If-Match"));
  }

  static core::Error PreconditionFailed(int64_t version) {
    return {ErrorType::kPreconditionFailed,
            fmt::format("The resource has changed: it is now at version {}, not the one If-Match names; GET it "
                        "again and retry",
                        ETag(version))};
  }

  static core::Error NotFound(Kind kind, const std::string& id) {
    return {ErrorType::kNotFound, fmt::format("{} '{}' not found", storage::KindName(kind), id)};
  }

  void RespondWithResource(const CallPtr& call, Kind kind, const storage::StoredResource& stored, int status,
                           const Projection& projection, std::string log_note = {}) {
    auto body = RenderStored(call, kind, stored, projection);
    if (!body) return ReplyError(call, body.error());
    http::Response response = JsonResponse(status, std::move(*body));
    response.log_note = std::move(log_note);
    response.headers.emplace_back("ETag", ETag(stored.version));
    if (status == 201) response.headers.emplace_back("Location", Location(call->base_url, kind, stored.id));
    Reply(call, std::move(response));
  }

  void ListFromQuery(const CallPtr& call, std::vector<storage::ListScope> scopes) {
    auto params = ParseListParams(call->request.query, options.default_page_size, options.max_page_size);
    if (!params) return ReplyError(call, params.error());
    List(call, scopes, *params);
  }

  // POST .search (RFC 7644 §3.4.3): the list parameters come in a SearchRequest body.
  void Search(const CallPtr& call, std::vector<storage::ListScope> scopes) {
    if (!IsJsonContentType(call->request.Header("Content-Type"))) {
      return ReplyError(call, {ErrorType::kUnsupportedMediaType, "Send the SearchRequest as application/scim+json"});
    }
    auto json = core::ParseJson(call->request.body, options.limits.json_depth);
    if (!json) return ReplyError(call, json.error());
    auto params = ParseSearchRequest(*json, options.default_page_size, options.max_page_size);
    if (!params) return ReplyError(call, params.error());
    List(call, scopes, *params);
  }

  void List(const CallPtr& call, const std::vector<storage::ListScope>& scopes, const ListParams& params) {
    std::optional<core::Filter> filter;
    if (params.filter) {
      auto parsed = core::ParseFilter(*params.filter, &call->quirks, options.limits);
      if (!parsed) return ReplyError(call, parsed.error());
      filter = std::move(*parsed);
    }
    storage::ListRequest request;
    request.filter = filter ? &*filter : nullptr;
    if (params.sort_by) {
      auto path = core::ParseAttrPath(*params.sort_by);
      if (!path) return ReplyError(call, {ErrorType::kInvalidValue, "sortBy: " + path.error().detail});
      request.sort = storage::SortSpec{std::move(*path), params.descending};
    }
    request.start_index = params.start_index;
    request.count = params.count;
    request.cursor = params.cursor;
    auto page = store.List(call->principal.tenant, scopes, *call->registry, request);
    if (!page) return ReplyError(call, page.error());

    Projection projection = MakeProjection(params);
    std::string body = fmt::format(R"({{"schemas":["{}"],"totalResults":{},)", core::kListResponseSchema, page->total);
    if (!params.cursor) body += fmt::format(R"("startIndex":{},)", params.start_index);
    body += fmt::format(R"("itemsPerPage":{},)", page->resources.size());
    if (page->next_cursor) body += R"("nextCursor":)" + core::DumpJson(Json(*page->next_cursor)) + ",";
    if (page->previous_cursor) body += R"("previousCursor":)" + core::DumpJson(Json(*page->previous_cursor)) + ",";
    body += R"("Resources":[)";
    // The users' groups for the whole page in one query rather than one per user.
    std::vector<std::string> user_ids;
    if (projection.Wants("groups")) {
      for (const auto& resource : page->resources) {
        if (resource.kind == Kind::kUser) user_ids.push_back(resource.id);
      }
    }
    auto groups = store.GroupsOfEach(call->principal.tenant, user_ids);
    if (!groups) return ReplyError(call, groups.error());
    size_t next_user = 0;
    for (size_t i = 0; i < page->resources.size(); ++i) {
      const auto& resource = page->resources[i];
      Result<std::string> rendered;
      if (resource.kind == Kind::kUser) {
        Extras extras;
        if (next_user < groups->size()) extras.groups = std::move((*groups)[next_user++]);
        rendered = RenderResource(resource.kind, call->TypeOf(resource.kind), *call->registry, resource, extras, call->base_url,
                                  projection);
      } else {
        rendered = RenderStored(call, resource.kind, resource, projection);
      }
      if (!rendered) return ReplyError(call, rendered.error());
      if (i > 0) body.push_back(',');
      body += *rendered;
    }
    body += "]}";
    Reply(call, JsonResponse(200, std::move(body)));
  }

  // Unknown member ids are skipped, not rejected (decisions/0002); the access log records them so
  // an operator can see what the IdP sent.
  static std::string SkippedNote(const std::vector<std::string>& skipped) {
    if (skipped.empty()) return {};
    std::string note = "skipped unknown members:";
    for (size_t i = 0; i < skipped.size() && i < 20; ++i) note += " " + skipped[i].substr(0, 64);
    if (skipped.size() > 20) note += fmt::format(" (and {} more)", skipped.size() - 20);
    return note;
  }

  Projection MakeProjection(const ListParams& params) const {
    return Projection(params.attributes, params.excluded_attributes);
  }

  // ---- events (the outbox) -------------------------------------------------------------------
  // Every write appends its events in its own transaction (docs/events.md): the document event
  // (created, updated, deactivated, ...) first, then one event per member added or removed.

  events::EventSpec EventFor(const CallPtr& call, core::EventType type, Kind kind, const std::string& id) const {
    events::EventSpec spec{type, kind, id, call->principal.tenant_name, call->now};
    spec.initial_sync = call->principal.settings.InInitialSync(call->now);
    return spec;
  }

  // The resource as events carry it: as a plain GET shows it, but without groups or members (a
  // membership change has events of its own).
  std::string EventData(const CallPtr& call, Kind kind, const storage::StoredResource& stored) const {
    return RenderResource(kind, call->TypeOf(kind), *call->registry, stored, Extras{}, call->base_url, Projection({}, {}));
  }

  // Appends the event and notes its id in the call (for the journal). Runs in the transaction.
  static Result<void> AppendEvent(storage::WriteTxn& txn, Call& call, const storage::EventRow& event) {
    if (auto r = txn.AppendEvent(call.principal.tenant, event); !r) return r;
    call.event_ids.push_back(event.id);
    return {};
  }
  static Result<void> AppendEvent(storage::WriteTxn& txn, Call& call, const events::EventSpec& spec) {
    return AppendEvent(txn, call, events::BuildEvent("evt_" + auth::NewUuid(), spec));
  }

  // member_added / member_removed for each member the change really added or removed, in order.
  static Result<void> AppendMemberEvents(storage::WriteTxn& txn, Call& call, events::EventSpec group,
                                         const storage::MemberChangeResult& change) {
    for (const auto& [members, type] : {std::pair{&change.removed, core::EventType::kGroupMemberRemoved},
                                        std::pair{&change.added, core::EventType::kGroupMemberAdded}}) {
      group.type = type;
      for (const auto& member : *members) {
        group.member = member;
        if (auto r = AppendEvent(txn, call, group); !r) return r;
      }
    }
    return {};
  }

  // Tells feed readers and webhook delivery that events were committed.
  void EventsCommitted() const {
    if (events_committed) events_committed();
  }

  // What stays of a resource deleted now (storage::Tombstone): its ids, and its document when the
  // tenant deletes softly.
  static storage::Tombstone TombstoneOf(const CallPtr& call, Kind kind, const storage::StoredResource& stored) {
    const core::TenantSettings& settings = call->principal.settings;
    storage::Tombstone tombstone;
    tombstone.id = stored.id;
    tombstone.kind = kind;
    if (auto document = core::ParseJson(stored.body); document && document->is_object()) {
      auto text = [&](const char* name) -> std::optional<std::string> {
        auto it = document->find(name);
        return it != document->end() && it->is_string() ? std::optional(it->get<std::string>()) : std::nullopt;
      };
      if (kind == Kind::kUser) tombstone.user_name = text("userName");
      tombstone.external_id = text("externalId");
      tombstone.display_name = text("displayName");
    }
    if (settings.soft_delete) tombstone.body = stored.body;
    tombstone.created = stored.created;
    tombstone.deleted = call->now;
    tombstone.purge_after =
        core::FormatRfc3339(std::chrono::system_clock::now() + std::chrono::hours(24) * settings.delete_retention_days);
    return tombstone;
  }

  // A request's write: on a tenant in dry run (its settings' dry_run), the transaction runs to the
  // end, so every check the database makes is made, and is then rolled back; `done` hears success.
  void WriteFor(const CallPtr& call, storage::WriteFn fn, storage::WriteDone done) {
    if (!call->principal.settings.dry_run) return store.Write(std::move(fn), std::move(done));
    store.Write(
        [fn = std::move(fn)](storage::WriteTxn& txn) -> Result<void> {
          if (auto r = fn(txn); !r) return r;
          return Fail(ErrorType::kConflict, std::string(kDryRun));
        },
        [call, done = std::move(done)](Result<void> result) {
          if (!result && result.error().type == ErrorType::kConflict && result.error().detail == kDryRun) {
            call->event_ids.clear();  // rolled back with the rest
            return done({});
          }
          done(std::move(result));
        });
  }

  // ---- account linking -----------------------------------------------------------------------------

  // The existing user a create names under the tenant's account-linking policy, with how it
  // matched: the same externalId; else the same userName (any case); else, when the tenant trusts
  // its IdP's emails, a shared email. A user who carries another externalId is never linked (that
  // is someone else's identity): the create then fails as it would without linking.
  Result<std::optional<std::pair<std::string, std::string>>> AccountToLink(const CallPtr& call, const Json& document) {
    using Found = std::optional<std::pair<std::string, std::string>>;
    auto text = [&](const Json& json, const char* name) {
      auto it = json.find(name);
      return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string external_id = text(document, "externalId");
    storage::TenantId tenant = call->principal.tenant;
    auto linkable = [&](const storage::StoredResource& user) {
      auto body = core::ParseJson(user.body);
      std::string theirs = body ? text(*body, "externalId") : std::string();
      return theirs.empty() || theirs == external_id;
    };
    std::vector<std::pair<storage::UserKey, std::string>> keys;
    if (!external_id.empty()) keys.emplace_back(storage::UserKey::kExternalId, external_id);
    if (std::string name = text(document, "userName"); !name.empty()) keys.emplace_back(storage::UserKey::kUserName, name);
    if (call->principal.settings.trust_idp_emails) {
      if (auto emails = document.find("emails"); emails != document.end() && emails->is_array()) {
        for (const Json& email : *emails) {
          if (email.is_object()) keys.emplace_back(storage::UserKey::kEmail, text(email, "value"));
        }
      }
    }
    for (const auto& [key, value] : keys) {
      if (value.empty()) continue;
      auto user = store.FindUser(tenant, key, value);
      if (!user) return std::unexpected(user.error());
      if (!*user) continue;
      if (key != storage::UserKey::kExternalId && !linkable(**user)) return Found();
      static constexpr const char* kNames[] = {"id", "userName", "email", "externalId"};
      return Found(std::pair{(*user)->id, std::string(kNames[static_cast<int>(key)])});
    }
    return Found();
  }

  // ---- the deprovisioning circuit breaker (directory/deprovision_guard.h) -------------------------

  static bool MayHold(const CallPtr& call) {
    return !call->past_guard && !call->principal.settings.dry_run && call->principal.settings.deprovision_limit_percent > 0;
  }

  // Keeps the request for an operator (audited), then answers with `answer`.
  void Hold(const CallPtr& call, const std::string& id, const std::string& action, std::function<void()> answer) {
    storage::HeldChange change;
    change.id = "held_" + auth::RandomHex(8);
    change.tenant = call->principal.tenant;
    change.resource_id = id;
    change.action = action;
    change.method = call->request.method;
    change.path = "/Users/" + id;
    change.body = call->request.body;
    change.created = call->now;
    auth::Actor actor{call->principal.credential_id.empty() ? "scim" : "scim:" + call->principal.credential_id,
                      call->request.remote_address};
    Json detail = {{"action", action}, {"resource", id}, {"method", change.method}};
    auto audit = auth::AuditOf(actor, "deprovision.held", call->principal.tenant_name, change.id, core::DumpJson(detail));
    store.Write(
        [change, audit](storage::WriteTxn& txn) -> Result<void> {
          if (auto r = txn.InsertHeldChange(change); !r) return r;
          return txn.AppendAudit(audit);
        },
        [call, answer = std::move(answer)](Result<void> result) {
          if (!result) return ReplyError(call, result.error());
          answer();
        });
  }

  void ReplayHeld(const storage::Tenant& tenant, const storage::HeldChange& change,
                  std::function<void(http::Response)> done) {
    auto settings = core::ParseTenantSettings(tenant.settings);
    if (!settings) return done(ErrorResponse({ErrorType::kInternal, "Unreadable tenant settings"}));
    auto tenant_registry = registries.For(store, tenant.id, settings->schema_revision);
    if (!tenant_registry) return done(ErrorResponse(tenant_registry.error()));
    auto call = std::make_shared<Call>();
    call->request.method = change.method;
    call->request.path = "/scim/v2/" + tenant.name + change.path;
    call->request.body = change.body;
    call->request.headers.emplace_back("Content-Type", std::string(kScimContentType));
    call->principal.tenant = tenant.id;
    call->principal.tenant_name = tenant.name;
    call->principal.credential_id = "held:" + change.id;
    call->principal.settings = *settings;
    call->UseRegistry(std::move(*tenant_registry));
    call->past_guard = true;
    call->base_url = options.public_base_url + "/scim/v2/" + tenant.name;
    call->journal = journal;
    call->now = NowRfc3339();
    call->quirks = core::QuirkLog(settings->compatibility == core::Compatibility::kLenient);
    call->respond = std::move(done);
    Route(call, {"Users", change.resource_id});
  }

  // ---- Okta entitlements (directory/okta_roles.h) ------------------------------------------------

  static std::vector<Json> OktaRoleDocuments(const CallPtr& call, Json document) {
    if (!call->principal.settings.okta_roles) return {};
    return {std::move(document)};
  }

  // GET /Roles (a ListResponse of the tenant's enumerated roles) and /Roles/{id}.
  void Roles(const CallPtr& call, const std::string* id) {
    std::vector<std::string> roles = directory::EnumeratedRoles(*call->registry);
    Json resources = Json::array();
    for (const std::string& role : roles) {
      if (id && *id != role) continue;
      resources.push_back(directory::RoleResource(role, call->base_url));
    }
    if (id) {
      if (resources.empty()) return ReplyError(call, {ErrorType::kNotFound, "No role '" + id->substr(0, 64) + "'"});
      return Reply(call, JsonResponse(200, core::DumpJson(resources[0])));
    }
    Json list = {{"schemas", {core::kListResponseSchema}},
                 {"totalResults", resources.size()},
                 {"startIndex", 1},
                 {"itemsPerPage", resources.size()},
                 {"Resources", resources}};
    Reply(call, JsonResponse(200, core::DumpJson(list)));
  }

  // A user's roles, for a tenant that shows its roles to Okta, must be among them.
  static Result<void> CheckUserPolicies(const CallPtr& call, const Json& document) {
    const core::TenantSettings& settings = call->principal.settings;
    if (auto allowed = directory::CheckEmailDomains(document, settings.email_domains); !allowed) return allowed;
    if (settings.okta_roles) return directory::CheckRoles(document, directory::EnumeratedRoles(*call->registry));
    return {};
  }

  // ---- enterprise managers (directory/managers.h) -----------------------------------------------

  // What a user write does to its manager link.
  struct ManagerPlan {
    enum class Action { kKeep, kSet, kRemove };
    Action action = Action::kKeep;
    storage::ManagerLink link;  // kSet: the reference as sent, and whom it resolved to (if anyone)
  };

  static std::vector<storage::UserKey> ManagerKeys(const Call& call) {
    return directory::MatchOrder(call.principal.settings.manager_match);
  }

  // Resolves the manager a User `document` being written (id `id`) names, and shows it resolved
  // (or, while pending, not at all). `before` is the stored document a PATCH started from: there an
  // untouched manager keeps its link; for POST and PUT (null) no manager means none.
  Result<ManagerPlan> PlanManager(const CallPtr& call, Json& document, const std::string& id, const Json* before) {
    ManagerPlan plan;
    auto reference = directory::ManagerReferenceOf(document);
    auto previous = before != nullptr ? directory::ManagerReferenceOf(*before) : std::nullopt;
    if (!reference) {
      directory::SetManager(document, std::nullopt);  // "manager": {"value": ""} (Entra's way to clear it)
      if (before == nullptr || previous) plan.action = ManagerPlan::Action::kRemove;
      return plan;
    }
    if (previous && *previous == *reference) {  // unchanged: keep what the stored document shows
      std::string display;
      if (auto enterprise = before->find(std::string(core::kEnterpriseUserSchema));
          enterprise != before->end() && enterprise->contains("manager") && (*enterprise)["manager"].is_object()) {
        display = (*enterprise)["manager"].value("displayName", std::string());
      }
      directory::SetManager(document, std::pair{*reference, display});
      return plan;
    }
    auto manager = directory::ResolveManager(store, call->principal.tenant, ManagerKeys(*call), *reference);
    if (!manager) return std::unexpected(manager.error());
    plan.action = ManagerPlan::Action::kSet;
    plan.link = {id, *reference, std::nullopt};
    if (*manager) {
      auto body = core::ParseJson((*manager)->body);
      directory::SetManager(document, std::pair{(*manager)->id, body ? directory::DisplayOf(*body) : std::string()});
      plan.link.manager_id = (*manager)->id;
    } else {
      // Shown as sent until it resolves: an IdP that reads the user back and PUTs it whole (Okta)
      // sends the reference again instead of dropping it.
      directory::SetManager(document, std::pair{*reference, std::string()});
    }
    return plan;
  }

  // In the transaction of a write of user `id` (now `document`): records `plan`, resolves the
  // pending links that name this user, and shows its reports its current name. A plan made before a
  // concurrent change of the manager it names is a version conflict (the request starts over).
  Result<void> ApplyManagerChanges(storage::WriteTxn& txn, const CallPtr& call, const std::string& id,
                                   const Json& document, const ManagerPlan& plan, bool names_changed = true) {
    storage::TenantId tenant = call->principal.tenant;
    std::vector<storage::UserKey> keys = ManagerKeys(*call);
    if (plan.action == ManagerPlan::Action::kSet) {
      auto current = directory::ResolveManager(txn, tenant, keys, plan.link.raw);
      if (!current) return std::unexpected(current.error());
      std::optional<std::string> current_id = *current ? std::optional((*current)->id) : std::nullopt;
      if (current_id != plan.link.manager_id) return Fail(ErrorType::kConflict, std::string(kVersionConflict));
      if (auto r = txn.SetManagerLink(tenant, plan.link); !r) return r;
    } else if (plan.action == ManagerPlan::Action::kRemove) {
      if (auto r = txn.RemoveManagerLink(tenant, id); !r) return std::unexpected(r.error());
    }
    if (!names_changed) return {};
    std::pair<std::string, std::string> self{id, directory::DisplayOf(document)};
    auto pending = txn.PendingManagerLinks(tenant, directory::ReferenceKeys(id, document));
    if (!pending) return std::unexpected(pending.error());
    for (storage::ManagerLink& link : *pending) {
      if (link.report_id == id || !directory::AnswersTo(id, document, keys, link.raw)) continue;
      link.manager_id = id;
      if (auto r = txn.SetManagerLink(tenant, link); !r) return r;
      if (auto r = ShowManager(txn, call, link.report_id, self); !r) return r;
    }
    auto reports = txn.ReportsOf(tenant, id);
    if (!reports) return std::unexpected(reports.error());
    for (const storage::ManagerLink& link : *reports) {
      if (link.report_id == id) continue;
      if (auto r = ShowManager(txn, call, link.report_id, self); !r) return r;
    }
    return {};
  }

  // What a user replacement or PATCH does about managers: its own link, and whether the names
  // others may know it by (or show it with) changed.
  struct ManagerUpdate {
    ManagerPlan plan;
    Json document;
    bool names_changed = false;
  };

  Result<std::shared_ptr<const ManagerUpdate>> PlanManagerUpdate(const CallPtr& call, Json& document,
                                                                 const std::string& id, const Json& before,
                                                                 bool patch) {
    if (auto allowed = CheckUserPolicies(call, document); !allowed) return std::unexpected(allowed.error());
    auto plan = PlanManager(call, document, id, patch ? &before : nullptr);
    if (!plan) return std::unexpected(plan.error());
    bool names_changed = directory::ReferenceKeys(id, document) != directory::ReferenceKeys(id, before) ||
                         directory::DisplayOf(document) != directory::DisplayOf(before);
    return std::make_shared<const ManagerUpdate>(ManagerUpdate{std::move(*plan), document, names_changed});
  }

  // Shows `manager` ({id, displayName}; nullopt: none) in report `report_id`'s document, as an
  // update with its event; nothing when the document already shows it.
  Result<void> ShowManager(storage::WriteTxn& txn, const CallPtr& call, const std::string& report_id,
                           const std::optional<std::pair<std::string, std::string>>& manager) {
    storage::TenantId tenant = call->principal.tenant;
    auto existing = txn.Get(tenant, Kind::kUser, report_id);
    if (!existing) return std::unexpected(existing.error());
    if (!*existing) return {};
    auto before = core::ParseJson((*existing)->body);
    if (!before) return Fail(ErrorType::kInternal, "Stored document unreadable: " + before.error().detail);
    Json after = *before;
    directory::SetManager(after, manager);
    core::NormalizedResource normalized;
    normalized.resource = after;
    auto row = MakeRow(Kind::kUser, normalized, false);
    if (!row) return std::unexpected(row.error());
    if (row->body == (*existing)->body) return {};
    row->id = report_id;
    row->created = (*existing)->created;
    row->last_modified = call->now;
    row->version = (*existing)->version + 1;
    if (auto r = txn.Update(tenant, Kind::kUser, *row); !r) return r;
    auto changes = core::DiffResources(*before, after);
    auto event = EventFor(call, core::ClassifyUserUpdate(changes), Kind::kUser, report_id);
    event.changes = std::move(changes);
    event.data = EventData(call, Kind::kUser, {report_id, Kind::kUser, row->body, row->created, row->last_modified,
                                               row->version});
    return AppendEvent(txn, *call, event);
  }

  // ---- writes --------------------------------------------------------------------------------

  // Parses and canonicalises a POST/PUT body. Errors are the client's.
  Result<core::NormalizedResource> ReadBody(const CallPtr& call, Kind kind, core::WriteContext context,
                                            core::QuirkLog* quirks) {
    if (!IsJsonContentType(call->request.Header("Content-Type"))) {
      return Fail(ErrorType::kUnsupportedMediaType, "Send the body as application/scim+json or application/json");
    }
    auto json = core::ParseJson(call->request.body, options.limits.json_depth);
    if (!json) return std::unexpected(json.error());
    if (kind == Kind::kUser) directory::AcceptManagerEmail(*json, quirks);
    return core::NormalizeResource(*json, call->TypeOf(kind), *call->registry, context, quirks, options.limits,
                                   call->principal.settings.keep_unknown_attributes);
  }

  bool RejectUnknownMembers(const CallPtr& call) const {
    return call->principal.settings.reject_unknown_members.value_or(options.reject_unknown_members);
  }

  bool StorePasswords(const CallPtr& call) const {
    return call->principal.settings.store_passwords.value_or(options.store_passwords);
  }

  // The row to store; the password, when sent, becomes its Argon2id hash if `store_password`, and
  // is dropped otherwise.
  Result<storage::ResourceRow> MakeRow(Kind kind, const core::NormalizedResource& normalized, bool store_password) {
    storage::ResourceRow row;
    const Json& doc = normalized.resource;
    row.body = core::DumpJson(doc);
    auto string_member = [&](std::string_view name) -> std::optional<std::string> {
      auto it = doc.find(std::string(name));
      if (it == doc.end() || !it->is_string()) return std::nullopt;
      return it->get<std::string>();
    };
    if (kind == Kind::kUser) row.user_name = string_member("userName");
    row.external_id = string_member("externalId");
    row.display_name = string_member("displayName");
    if (auto emails = doc.find("emails"); emails != doc.end() && emails->is_array()) {
      for (const auto& email : *emails) {
        auto value = email.find("value");
        if (value != email.end() && value->is_string()) row.emails.push_back(value->get<std::string>());
      }
    }
    if (normalized.password && store_password) {
      auto hash = auth::HashPassword(*normalized.password);
      if (!hash) return Fail(ErrorType::kUnavailable, "Out of memory while hashing the password; retry");
      row.password_hash = std::move(*hash);
    }
    return row;
  }

  void Create(const CallPtr& call, Kind kind, int attempt = 0) {
    core::QuirkLog scratch;
    auto normalized = ReadBody(call, kind, core::WriteContext::kCreate, call->QuirksFor(attempt, scratch));
    if (!normalized) return ReplyError(call, normalized.error());
    if (kind == Kind::kUser && call->principal.settings.link_accounts) {
      auto existing = AccountToLink(call, normalized->resource);
      if (!existing) return ReplyError(call, existing.error());
      if (*existing) {
        call->linked_by = "linked to existing user " + (*existing)->first + " by " + (*existing)->second;
        call->resource = {kind, (*existing)->first};
        return Replace(call, kind, (*existing)->first, 0);
      }
    }
    // A resource deleted here and created again by the IdP (a reactivation) comes back under its
    // old id and creation time, so the app's references to it hold. Only the IdP's own id
    // (externalId) says it is the same one: userNames are recycled, and a new person must never
    // inherit someone else's id.
    std::optional<std::string> external_id;
    if (auto it = normalized->resource.find("externalId"); it != normalized->resource.end() && it->is_string()) {
      external_id = it->get<std::string>();
    }
    Result<std::optional<storage::Tombstone>> tombstone = std::optional<storage::Tombstone>();
    if (external_id) tombstone = store.FindTombstone(call->principal.tenant, kind, external_id, std::nullopt);
    if (!tombstone) return ReplyError(call, tombstone.error());
    std::string id = *tombstone ? (*tombstone)->id : auth::NewUuid();
    ManagerPlan manager;
    if (kind == Kind::kUser) {
      if (auto allowed = CheckUserPolicies(call, normalized->resource); !allowed) return ReplyError(call, allowed.error());
      auto plan = PlanManager(call, normalized->resource, id, nullptr);
      if (!plan) return ReplyError(call, plan.error());
      manager = std::move(*plan);
    }
    auto made = MakeRow(kind, *normalized, StorePasswords(call));
    if (!made) return ReplyError(call, made.error());
    auto row = std::make_shared<storage::ResourceRow>(std::move(*made));
    row->id = id;
    row->created = *tombstone ? (*tombstone)->created : call->now;
    row->last_modified = call->now;
    row->version = 1;
    std::optional<std::vector<core::Member>> members = std::move(normalized->members);
    auto tenant = call->principal.tenant;
    bool reject = RejectUnknownMembers(call);
    auto skipped = std::make_shared<std::vector<std::string>>();
    // The created event is built here, on the I/O thread; only member events wait for the writer.
    auto created = std::make_shared<events::EventSpec>(EventFor(
        call, kind == Kind::kUser ? core::EventType::kUserCreated : core::EventType::kGroupCreated, kind, row->id));
    created->data =
        EventData(call, kind, {row->id, kind, row->body, row->created, row->last_modified, row->version});
    auto created_row = std::make_shared<storage::EventRow>(events::BuildEvent("evt_" + auth::NewUuid(), *created));
    std::optional<std::string> unmapped;
    if (!normalized->unmapped.empty()) unmapped = core::DumpJson(normalized->unmapped);
    auto document = std::make_shared<Json>(std::move(normalized->resource));
    WriteFor(call,
        [this, call, tenant, kind, row, members, reject, skipped, created, created_row, unmapped = std::move(unmapped),
         manager = std::move(manager), document](storage::WriteTxn& txn) -> Result<void> {
          if (auto r = txn.DeleteTombstone(tenant, row->id); !r) return std::unexpected(r.error());
          if (auto r = txn.Insert(tenant, kind, *row); !r) return r;
          if (unmapped) {
            if (auto r = txn.SetUnmapped(tenant, kind, row->id, unmapped); !r) return r;
          }
          if (kind == Kind::kUser) {
            if (auto r = ApplyManagerChanges(txn, call, row->id, *document, manager); !r) return r;
          }
          if (auto r = AppendEvent(txn, *call, *created_row); !r) return r;
          if (members && !members->empty()) {
            auto changed = txn.ApplyMemberOps(
                tenant, row->id, {core::MemberOp{core::MemberOp::Kind::kReplaceAll, *members, nullptr}}, reject);
            if (!changed) return std::unexpected(changed.error());
            *skipped = std::move(changed->unknown_members);
            if (auto r = AppendMemberEvents(txn, *call, *created, *changed); !r) return r;
          }
          return {};
        },
        [this, call, kind, row, skipped, attempt](Result<void> result) {
          if (!result) {
            if (result.error().type == ErrorType::kConflict && result.error().detail == kVersionConflict) {
              if (attempt + 1 < kMaxWriteAttempts) return Create(call, kind, attempt + 1);
              return ReplyError(call, {ErrorType::kUnavailable, "The directory is being changed concurrently; retry"});
            }
            return ReplyError(call, result.error());
          }
          EventsCommitted();
          call->resource = {kind, row->id};
          storage::StoredResource stored{row->id, kind, row->body, row->created, row->last_modified, row->version};
          RespondWithResource(call, kind, stored, 201, WriteProjection(call), SkippedNote(*skipped));
        });
  }

  Projection WriteProjection(const CallPtr& call) {
    auto params = ParseListParams(call->request.query, options.default_page_size, options.max_page_size);
    if (!params) return Projection({}, {});
    return MakeProjection(*params);
  }

  // PUT: the document is replaced; `members`, when present, becomes the exact membership (Okta's
  // wizard-built apps PUT the whole list). When absent, membership is left alone.
  void Replace(const CallPtr& call, Kind kind, const std::string& id, int attempt) {
    core::QuirkLog scratch;
    auto normalized = ReadBody(call, kind, core::WriteContext::kReplace, call->QuirksFor(attempt, scratch));
    if (!normalized) return ReplyError(call, normalized.error());
    // The stored version is read first so the change event can say what changed; the write then
    // happens only while that version is still the stored one (else the request starts over).
    auto existing = LoadForChange(call, kind, id);
    if (!existing) return ReplyError(call, existing.error());
    const Json& before = existing->second;
    std::shared_ptr<const ManagerUpdate> manager;
    if (kind == Kind::kUser) {
      auto update = PlanManagerUpdate(call, normalized->resource, id, before, /*patch=*/false);
      if (!update) return ReplyError(call, update.error());
      manager = std::move(*update);
    }
    auto made = MakeRow(kind, *normalized, StorePasswords(call));
    if (!made) return ReplyError(call, made.error());
    auto row = std::make_shared<storage::ResourceRow>(std::move(*made));
    row->id = id;
    std::vector<core::MemberOp> member_ops;
    if (normalized->members) {
      member_ops.push_back(core::MemberOp{core::MemberOp::Kind::kReplaceAll, std::move(*normalized->members), nullptr});
    }
    auto changes = DescribeChanges(before, normalized->resource, *row);
    CommitChange(call, kind, id, row, std::move(changes), std::move(member_ops), existing->first.version, attempt,
                 [this, call, kind, id](int next_attempt) { Replace(call, kind, id, next_attempt); },
                 std::move(normalized->unmapped), std::move(manager));
  }

  // The stored resource a PUT or PATCH starts from, and its parsed document. Errors: not found,
  // If-Match naming another version (412), an unreadable store.
  Result<std::pair<storage::StoredResource, Json>> LoadForChange(const CallPtr& call, Kind kind, const std::string& id) {
    auto existing = store.Get(call->principal.tenant, kind, id);
    if (!existing) return std::unexpected(existing.error());
    if (!*existing) return std::unexpected(NotFound(kind, id));
    auto if_match = IfMatch(call);
    if (if_match && !if_match->Matches((*existing)->version)) {
      return std::unexpected(PreconditionFailed((*existing)->version));
    }
    auto document = core::ParseJson((*existing)->body);
    if (!document) return Fail(ErrorType::kInternal, "Stored document unreadable: " + document.error().detail);
    return std::pair{std::move(**existing), std::move(*document)};
  }

  // What a replacement document changes, for the event; the password, when sent, counts as a
  // change whose values are never shown.
  static std::vector<core::AttributeChange> DescribeChanges(const Json& before, const Json& after,
                                                            const storage::ResourceRow& row) {
    auto changes = core::DiffResources(before, after);
    if (row.password_hash) changes.push_back({"password", nullptr, nullptr, /*secret=*/true});
    return changes;
  }

  void Patch(const CallPtr& call, Kind kind, const std::string& id, int attempt) {
    if (!IsJsonContentType(call->request.Header("Content-Type"))) {
      return ReplyError(call, {ErrorType::kUnsupportedMediaType, "Send the body as application/scim+json"});
    }
    auto json = core::ParseJson(call->request.body, options.limits.json_depth);
    if (!json) return ReplyError(call, json.error());
    core::QuirkLog scratch;
    core::QuirkLog* quirks = call->QuirksFor(attempt, scratch);
    auto ops = core::ParsePatchRequest(*json, quirks, options.limits);
    if (!ops) return ReplyError(call, ops.error());
    auto existing = LoadForChange(call, kind, id);
    if (!existing) return ReplyError(call, existing.error());
    const Json& document = existing->second;
    auto patched = core::ApplyPatch(document, *ops, call->TypeOf(kind), *call->registry, quirks, options.limits);
    if (!patched) return ReplyError(call, patched.error());

    std::shared_ptr<storage::ResourceRow> row;
    std::vector<core::AttributeChange> changes;
    Json unmapped = Json::object();
    std::shared_ptr<const ManagerUpdate> manager;
    if (patched->changed) {
      auto normalized = core::NormalizeResource(patched->resource, call->TypeOf(kind), *call->registry,
                                                core::WriteContext::kPatchResult, quirks, options.limits,
                                                call->principal.settings.keep_unknown_attributes);
      if (!normalized) return ReplyError(call, normalized.error());
      if (kind == Kind::kUser) {
        auto update = PlanManagerUpdate(call, normalized->resource, id, document, /*patch=*/true);
        if (!update) return ReplyError(call, update.error());
        manager = std::move(*update);
      }
      auto made = MakeRow(kind, *normalized, StorePasswords(call));
      if (!made) return ReplyError(call, made.error());
      row = std::make_shared<storage::ResourceRow>(std::move(*made));
      row->id = id;
      changes = DescribeChanges(document, normalized->resource, *row);
      unmapped = std::move(normalized->unmapped);
    }
    CommitChange(call, kind, id, row, std::move(changes), std::move(patched->member_ops), existing->first.version, attempt,
                 [this, call, kind, id](int next_attempt) { Patch(call, kind, id, next_attempt); }, std::move(unmapped),
                 std::move(manager));
  }

  // Merges `unmapped` (may be empty) over what the resource kept apart before.
  static Result<void> KeepUnmapped(storage::WriteTxn& txn, storage::TenantId tenant, Kind kind, const std::string& id,
                                   const Json& unmapped) {
    if (unmapped.empty()) return {};
    auto kept = txn.GetUnmapped(tenant, kind, id);
    if (!kept) return std::unexpected(kept.error());
    Json merged = Json::object();
    if (*kept) {
      if (auto parsed = core::ParseJson(**kept); parsed && parsed->is_object()) merged = std::move(*parsed);
    }
    for (auto it = unmapped.begin(); it != unmapped.end(); ++it) {
      if (it.value().is_object() && merged.contains(it.key()) && merged[it.key()].is_object()) {
        for (auto sub = it.value().begin(); sub != it.value().end(); ++sub) merged[it.key()][sub.key()] = sub.value();
      } else {
        merged[it.key()] = it.value();
      }
    }
    return txn.SetUnmapped(tenant, kind, id, core::DumpJson(merged));
  }

  // Writes a replacement document (row, may be null: unchanged) and membership changes for resource
  // `id`, with their events (`changes`: what the row changes against version `check_version`).
  // The row is written only while the stored version is still `check_version`; otherwise `retry`
  // runs the whole request again. A change that changes nothing keeps the version and lastModified
  // (so ETags stay valid) and emits no event.
  // `unmapped`: what the request sent that no schema declares (a tenant that keeps it), merged over
  // what the resource kept before.
  void CommitChange(const CallPtr& call, Kind kind, const std::string& id, std::shared_ptr<storage::ResourceRow> row,
                    std::vector<core::AttributeChange> changes, std::vector<core::MemberOp> member_ops,
                    int64_t check_version, int attempt, std::function<void(int)> retry, Json unmapped,
                    std::shared_ptr<const ManagerUpdate> manager = nullptr) {
    auto tenant = call->principal.tenant;
    bool reject = RejectUnknownMembers(call);
    std::string now = call->now;
    if (kind != Kind::kGroup && !member_ops.empty()) {
      return ReplyError(call, {ErrorType::kInvalidPath, "Only groups have members"});
    }
    auto result = std::make_shared<storage::StoredResource>();
    auto skipped = std::make_shared<std::vector<std::string>>();
    core::EventType document_event =
        kind == Kind::kUser ? core::ClassifyUserUpdate(changes) : core::ClassifyGroupUpdate(changes);
    if (document_event == core::EventType::kUserDeactivated && row && MayHold(call)) {
      auto hold = directory::ShouldHold(store, tenant, call->principal.settings, *call->registry);
      if (!hold) return ReplyError(call, hold.error());
      if (*hold) {
        // Answered as if applied: the document as it would be, at the version it would have.
        storage::StoredResource would_be{id, kind, row->body, "", now, check_version + 1};
        if (auto stored = store.Get(tenant, kind, id); stored && *stored) would_be.created = (*stored)->created;
        return Hold(call, id, "deactivate", [this, call, kind, would_be] {
          RespondWithResource(call, kind, would_be, 200, WriteProjection(call), "held by the deprovisioning circuit breaker");
        });
      }
    }
    auto event = std::make_shared<events::EventSpec>(EventFor(call, document_event, kind, id));
    event->changes = std::move(changes);
    WriteFor(call,
        [this, call, tenant, kind, id, row, member_ops = std::move(member_ops), check_version, if_match = IfMatch(call),
         reject, now, result, skipped, event, unmapped = std::move(unmapped),
         manager = std::move(manager)](storage::WriteTxn& txn) -> Result<void> {
          auto existing = txn.Get(tenant, kind, id);
          if (!existing) return std::unexpected(existing.error());
          if (!*existing) return Fail(ErrorType::kNotFound, fmt::format("{} '{}' not found", storage::KindName(kind), id));
          if (if_match && !if_match->Matches((*existing)->version)) {
            return std::unexpected(PreconditionFailed((*existing)->version));
          }
          *result = **existing;
          bool changed = false;
          bool document_changed = false;
          if (row && (row->body != (*existing)->body || row->password_hash)) {
            if (check_version != (*existing)->version) {
              return Fail(ErrorType::kConflict, std::string(kVersionConflict));
            }
            row->created = (*existing)->created;
            row->last_modified = now;
            row->version = (*existing)->version + 1;
            if (auto r = txn.Update(tenant, kind, *row); !r) return r;
            result->body = row->body;
            changed = true;
            document_changed = !event->changes.empty();
          }
          if (auto r = KeepUnmapped(txn, tenant, kind, id, unmapped); !r) return r;
          if (manager) {
            auto r = ApplyManagerChanges(txn, call, id, manager->document, manager->plan, manager->names_changed);
            if (!r) return r;
          }
          storage::MemberChangeResult members;
          if (!member_ops.empty()) {
            auto applied = txn.ApplyMemberOps(tenant, id, member_ops, reject);
            if (!applied) return std::unexpected(applied.error());
            members = std::move(*applied);
            *skipped = members.unknown_members;
            if (members.changed && !changed) {
              if (auto r = txn.Touch(tenant, kind, id, now, (*existing)->version + 1); !r) return r;
              changed = true;
            }
          }
          if (!changed) return {};
          result->last_modified = now;
          result->version = (*existing)->version + 1;
          event->data = EventData(call, kind, *result);
          if (document_changed) {
            if (auto r = AppendEvent(txn, *call, *event); !r) return r;
          }
          event->changes.clear();
          return AppendMemberEvents(txn, *call, *event, members);
        },
        [this, call, kind, result, skipped, attempt, retry = std::move(retry)](Result<void> outcome) {
          if (!outcome) {
            if (outcome.error().type == ErrorType::kConflict && outcome.error().detail == kVersionConflict) {
              if (attempt + 1 < kMaxWriteAttempts) return retry(attempt + 1);
              return ReplyError(call, {ErrorType::kUnavailable, "The resource is being changed concurrently; retry"});
            }
            return ReplyError(call, outcome.error());
          }
          EventsCommitted();
          // Groups answer PATCH with 204 (Entra expects it; Okta accepts it) unless the client asked
          // for attributes back.
          bool wants_body = call->request.method != "PATCH" || kind == Kind::kUser ||
                            call->request.query.find("attributes") != std::string::npos;
          if (!wants_body) {
            http::Response response;
            response.status = 204;
            response.headers.emplace_back("ETag", ETag(result->version));
            response.log_note = SkippedNote(*skipped);
            return Reply(call, std::move(response));
          }
          // A create linked to an existing user (account linking) answers as the create it was.
          std::string note = SkippedNote(*skipped);
          if (!call->linked_by.empty()) note += (note.empty() ? "" : "; ") + call->linked_by;
          RespondWithResource(call, kind, *result, call->linked_by.empty() ? 200 : 201, WriteProjection(call), note);
        });
  }

  void Delete(const CallPtr& call, Kind kind, const std::string& id) {
    if (kind == Kind::kUser && MayHold(call)) {
      auto existing = store.Get(call->principal.tenant, kind, id);
      if (!existing) return ReplyError(call, existing.error());
      if (!*existing) return ReplyError(call, NotFound(kind, id));
      auto hold = directory::ShouldHold(store, call->principal.tenant, call->principal.settings, *call->registry);
      if (!hold) return ReplyError(call, hold.error());
      if (*hold) {
        return Hold(call, id, "delete", [call] {
          http::Response response;
          response.status = 204;
          Reply(call, std::move(response));
        });
      }
    }
    auto tenant = call->principal.tenant;
    std::string now = call->now;
    auto found = std::make_shared<bool>(false);
    WriteFor(call,
        [this, call, tenant, kind, id, now, found, if_match = IfMatch(call)](storage::WriteTxn& txn) -> Result<void> {
          auto existing = txn.Get(tenant, kind, id);
          if (!existing) return std::unexpected(existing.error());
          if (!*existing) return {};
          if (if_match && !if_match->Matches((*existing)->version)) {
            return std::unexpected(PreconditionFailed((*existing)->version));
          }
          // Reports of a deleted user show their reference as sent again, and wait for a user it names.
          std::vector<storage::ManagerLink> reports;
          if (kind == Kind::kUser) {
            auto of = txn.ReportsOf(tenant, id);
            if (!of) return std::unexpected(of.error());
            reports = std::move(*of);
          }
          auto deleted = txn.Delete(tenant, kind, id, now);
          if (!deleted) return std::unexpected(deleted.error());
          *found = deleted->found;
          if (auto r = txn.InsertTombstone(tenant, TombstoneOf(call, kind, **existing)); !r) return r;
          for (storage::ManagerLink& link : reports) {
            if (link.report_id == id) continue;
            link.manager_id.reset();
            if (auto r = txn.SetManagerLink(tenant, link); !r) return r;
            if (auto r = ShowManager(txn, call, link.report_id, std::pair{link.raw, std::string()}); !r) return r;
          }
          // The deleted event carries the resource as it was; each group it left says so too.
          auto event = EventFor(call, kind == Kind::kUser ? core::EventType::kUserDeleted : core::EventType::kGroupDeleted,
                                kind, id);
          event.data = EventData(call, kind, **existing);
          if (auto r = AppendEvent(txn, *call, event); !r) return r;
          for (const auto& group_id : deleted->left_groups) {
            auto group = txn.Get(tenant, Kind::kGroup, group_id);
            if (!group) return std::unexpected(group.error());
            if (!*group) continue;
            auto left = EventFor(call, core::EventType::kGroupMemberRemoved, Kind::kGroup, group_id);
            left.member = storage::MemberRef{id, kind};
            left.data = EventData(call, Kind::kGroup, **group);
            if (auto r = AppendEvent(txn, *call, left); !r) return r;
          }
          return {};
        },
        [this, call, kind, id, found](Result<void> outcome) {
          if (!outcome) return ReplyError(call, outcome.error());
          if (!*found) return ReplyError(call, NotFound(kind, id));
          EventsCommitted();
          http::Response response;
          response.status = 204;
          Reply(call, std::move(response));
        });
  }
};

ScimApi::ScimApi(storage::Store& store, std::shared_ptr<const core::SchemaRegistry> registry, ApiOptions options,
                 std::function<void()> events_committed, Journal* journal)
    : impl_(std::make_unique<Impl>(store, std::move(registry), std::move(options), std::move(events_committed),
                                   journal)) {}
ScimApi::~ScimApi() = default;

void ScimApi::Handle(http::Request request, http::Responder respond) {
  impl_->Handle(std::move(request), std::move(respond));
}

void ScimApi::ReplayHeld(const storage::Tenant& tenant, const storage::HeldChange& change,
                         std::function<void(http::Response)> done) {
  impl_->ReplayHeld(tenant, change, std::move(done));
}

void ScimApi::SetReady(bool ready) { impl_->ready.store(ready, std::memory_order_relaxed); }

bool ScimApi::IsReservedTenantName(std::string_view name) { return core::IsReservedTenantName(name); }

std::string NowRfc3339() { return FormatRfc3339(std::chrono::system_clock::now()); }

std::string FormatRfc3339(std::chrono::system_clock::time_point now) { return core::FormatRfc3339(now); }

}  // namespace scim::api

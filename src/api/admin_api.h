// The admin API (/api/v1/admin/...; docs/admin-api.md): what the CLI does to tenants and their
// credentials, over HTTP, for operators (every tenant) and tenant admins (one tenant's
// credentials). JSON in and out; errors are SCIM error bodies.
//
// Authentication (auth/admin_accounts.h): "Authorization: Bearer scimdak_…" (an API key), or the
// session cookie set by POST /login. A request that changes something with a session must carry
// the session's anti-CSRF token in X-CSRF-Token; bodies must be application/json. A tenant admin
// who names another tenant gets the same 404 as for a tenant that does not exist, and 403 on
// server-wide endpoints.
//
//   POST   /login  {"name","password"}        -> session cookie + {"account","csrf_token","expires"}
//   POST   /logout                            204
//   POST   /invites/{code}/accept {"name","password"} -> 201 the new tenant admin (no credential needed)
//   GET    /me                                the account
//   POST   /me/password {"current_password","password"}   204; the account's sessions end
//   GET|POST /me/keys, DELETE /me/keys/{id}    the account's API keys (the secret shown once)
//
//   Operators only:
//   GET|POST /tenants ({"name"}), GET|DELETE /tenants/{t}, PATCH /tenants/{t}/settings {"key":"value",…}
//   GET|POST /operators ({"name","password"}), DELETE /operators/{name}
//   GET /tenants/{t}/admins, DELETE /tenants/{t}/admins/{name}, POST /tenants/{t}/invites {"days"}
//   GET|POST /tenants/{t}/schemas (a Schema or an array of them), DELETE /tenants/{t}/schemas/{urn},
//   GET /tenants/{t}/unmapped                   the tenant's own schemas (directory/tenant_schemas.h)
//   GET /tenants/{t}/tombstones                 deleted resources within their retention
//   GET /tenants/{t}/held?state=, POST /tenants/{t}/held/{id}/apply|discard   the circuit breaker's
//                                               held deprovisioning (directory/deprovision_guard.h)
//   GET|POST /oauth-clients (shared clients: {"redirect_uris","okta_callbacks"}), DELETE /oauth-clients/{id}
//   GET|POST /apikeys ({"tenant","label"}), DELETE /apikeys/{id}       host API keys
//   GET /audit?tenant=&limit=&before=
//
//   Operators and the tenant's admins:
//   GET /tenants/{t}
//   GET|POST /tenants/{t}/tokens ({"label","expires_days"}), POST /tenants/{t}/tokens/{id}/rotate
//     ({"overlap_hours","label"}), DELETE /tenants/{t}/tokens/{id}
//   GET|PUT|DELETE /tenants/{t}/login ({"username","password"})
//   GET|POST /tenants/{t}/oauth-clients ({"redirect_uris","okta_callbacks"}), DELETE …/{id}
//   GET /tenants/{t}/audit?limit=&before=
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "auth/failure_throttle.h"
#include "http/server.h"
#include "storage/store.h"

namespace scim::api {

struct AdminApiOptions {
  bool secure_cookies = false;          // HTTPS: the session cookie gets Secure
  auth::FailureThrottleOptions throttle;  // failed logins per address
  // Runs a held deprovisioning request through the SCIM endpoints (ScimApi::ReplayHeld); its
  // response comes to the callback. Empty: "apply" answers 501.
  std::function<void(const storage::Tenant&, const storage::HeldChange&, std::function<void(http::Response)>)>
      replay_held;
};

class AdminApi {
 public:
  AdminApi(storage::Store& store, AdminApiOptions options);
  ~AdminApi();

  // Whether `path` is the admin API's (/api/v1/admin or below).
  static bool Owns(std::string_view path);
  // An http::Handler: runs on an I/O thread.
  void Handle(http::Request request, http::Responder respond);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scim::api

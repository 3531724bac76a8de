// The HTTP endpoints of scimd's OAuth 2 authorization server (auth/oauth.h; docs/auth-oauth.md):
//
//   POST /oauth/token
//     application/x-www-form-urlencoded; the client authenticates with HTTP Basic
//     (client_secret_basic) or client_id and client_secret in the form (client_secret_post), not
//     both. grant_type=client_credentials gives a tenant's client an access token for its tenant:
//     {"access_token":"scimdat_…","token_type":"Bearer","expires_in":3600,"scope":"scim"}, which
//     the SCIM endpoints accept like a bearer token until it expires. Errors are RFC 6749 §5.2's
//     {"error":…,"error_description":…}: invalid_request (400), invalid_client (401, with
//     WWW-Authenticate), unauthorized_client (a shared client: it has no tenant of its own),
//     unsupported_grant_type. Answers are never cached (Cache-Control: no-store).
//   GET /.well-known/oauth-authorization-server
//     RFC 8414 metadata: issuer, token endpoint, grant types and client authentication methods.
//
// Failed client authentications are counted per address and client id; past the limit the
// address gets 429 (with Retry-After) for that client without a secret being checked.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "auth/failure_throttle.h"
#include "http/server.h"
#include "storage/store.h"

namespace scim::api {

struct OAuthOptions {
  // The issuer and the base of the endpoints' URLs; empty: `scheme` + the request's Host.
  std::string public_base_url;
  std::string scheme = "http";
  std::chrono::seconds access_token_lifetime{3600};
  auth::FailureThrottleOptions throttle;
};

class OAuthApi {
 public:
  OAuthApi(storage::Store& store, OAuthOptions options);
  ~OAuthApi();

  // Whether `path` is one of the endpoints above (the app routes those requests here).
  static bool Owns(std::string_view path);
  void Handle(http::Request request, http::Responder respond);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scim::api

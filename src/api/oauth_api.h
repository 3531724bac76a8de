// The HTTP endpoints of scimd's OAuth 2 authorization server (auth/oauth.h; docs/auth-oauth.md):
//
//   GET|POST /oauth/authorize  (RFC 6749 §4.1, RFC 7636)
//     An HTML login form (the tenant's SCIM login, `scimd login set`), then a consent form, then a
//     302 to the client's redirect_uri with `code` and the original `state` (or `error`). The code
//     is single-use, valid 60 s, bound to the client, the redirect_uri, the tenant of the login and
//     the PKCE S256 code_challenge when one was sent. A tenant's client accepts only its tenant's
//     login; a shared client (Okta OIN) takes the tenant from the login. Forms carry a CSRF token
//     tied to a cookie; pages are never framed or cached and run no script; failed logins are
//     counted per address and locked out like the token endpoint's; an unknown client or
//     redirect_uri is shown on the page, never redirected to.
//   POST /oauth/token
//     application/x-www-form-urlencoded; the client authenticates with HTTP Basic
//     (client_secret_basic) or client_id and client_secret in the form (client_secret_post), not
//     both. grant_type:
//       client_credentials: a tenant's client gets an access token for its tenant;
//       authorization_code: code + redirect_uri (+ code_verifier) give an access token, and a
//         refresh token when the scope had offline_access;
//       refresh_token: a new access token and a new refresh token; the old one is spent.
//     {"access_token":"scimdat_…","token_type":"Bearer","expires_in":3600,"scope":…}; the SCIM
//     endpoints accept the access token like a bearer token until it expires. A code or refresh
//     token presented twice revokes every token of its grant. Errors are RFC 6749 §5.2's
//     {"error":…,"error_description":…}: invalid_request, invalid_client (401, with
//     WWW-Authenticate), invalid_grant, unauthorized_client (client credentials for a shared
//     client), unsupported_grant_type. Answers are never cached (Cache-Control: no-store).
//   GET /.well-known/oauth-authorization-server
//     RFC 8414 metadata.
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
  std::chrono::seconds refresh_token_lifetime{std::chrono::hours(24 * 90)};
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

// scimd's OAuth 2 authorization server (RFC 6749), the part without HTTP: clients, their redirect
// URIs, client authentication and access tokens. The endpoints are api/oauth_api.h; access tokens
// are accepted on the SCIM endpoints by the Authenticator.
//
// Two client shapes (docs/auth-oauth.md): a tenant's client (Entra gallery apps: one client id and
// secret per customer, client credentials grant) and a shared client (Okta Integration Network
// apps: one client for every customer; the account that signs in on the authorize page decides
// the tenant). Client secrets and tokens are random and stored as SHA-256 hashes.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "storage/store.h"

namespace scim::auth {

inline constexpr std::string_view kOAuthAccessTokenPrefix = "scimdat_";

// Okta's OAuth callback for an Integration Network app, on each of Okta's hosts
// ("https://system-admin.okta.com/admin/app/cpc/{app}/oauth/callback" and the same on
// okta-emea.com, oktapreview.com and trexcloud.com, and http://system-admin.okta1.com:1802/…).
std::vector<std::string> OktaCallbacks(std::string_view app_name);

// For `oauth client create`: an Okta app name is 1-100 of [A-Za-z0-9_-]; a redirect URI is an
// absolute https URI (http only for localhost and loopback addresses, for testing) without a
// fragment or user information, at most 2,000 characters. Errors: kInvalidValue saying why.
core::Result<void> ValidateOktaAppName(std::string_view app_name);
core::Result<void> ValidateRedirectUri(std::string_view uri);

// Whether `uri` is one of the client's redirect URIs, Okta's callbacks included: exact match.
bool RedirectUriAllowed(const storage::OAuthClientRecord& client, std::string_view uri);

// The client with this id and secret. Errors: kUnauthorized, the same for an unknown client and a
// wrong secret; kUnavailable when the store cannot be read.
core::Result<storage::OAuthClientRecord> AuthenticateClient(storage::Store& store, std::string_view client_id,
                                                            std::string_view client_secret);

struct IssuedClient {
  storage::OAuthClientRecord record;
  std::string secret;  // shown once
};
// A new client (not yet stored): for `tenant`, or shared when it is null. `now` is RFC 3339.
IssuedClient NewOAuthClient(const std::optional<storage::Tenant>& tenant, std::vector<std::string> redirect_uris,
                            std::string okta_app, const std::string& now);

// RFC 7636: a code_verifier is 43-128 of [A-Za-z0-9-._~]; a code_challenge (S256) is 43 base64url
// characters. PkceMatches: BASE64URL(SHA256(verifier)) == challenge, compared in constant time.
bool IsCodeVerifier(std::string_view verifier);
bool IsS256Challenge(std::string_view challenge);
bool PkceMatches(std::string_view verifier, std::string_view challenge);

// Whether the space-separated `scope` holds `item` ("offline_access").
bool ScopeHas(std::string_view scope, std::string_view item);

struct IssuedCode {
  storage::OAuthCodeRecord record;
  std::string secret;  // the code itself; only its hash is stored
};
// A new authorization code (not yet stored), valid for `lifetime` from `now`.
IssuedCode NewAuthorizationCode(const storage::OAuthClientRecord& client, storage::TenantId tenant,
                                std::string redirect_uri, std::string code_challenge, std::string scope,
                                std::chrono::seconds lifetime, std::chrono::system_clock::time_point now);

struct IssuedToken {
  storage::OAuthTokenRecord record;
  std::string secret;  // the token itself; only its hash is stored
  int64_t expires_in = 0;
};
// A new access token of `client` for `tenant`, valid for `lifetime` from `now` (not yet stored).
// `family` groups the tokens of one grant; empty: a family of its own.
IssuedToken NewAccessToken(const storage::OAuthClientRecord& client, storage::TenantId tenant,
                           const std::string& tenant_name, std::chrono::seconds lifetime,
                           std::chrono::system_clock::time_point now, const std::string& family = {});
// A new refresh token of the same shape (kind "refresh").
IssuedToken NewRefreshToken(const std::string& client_id, storage::TenantId tenant, std::chrono::seconds lifetime,
                            std::chrono::system_clock::time_point now, const std::string& family);

}  // namespace scim::auth

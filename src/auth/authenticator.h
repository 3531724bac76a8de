// Turns the Authorization header of a SCIM request into the tenant it may act for.
//
// Accepted forms (shared/idp/TRAFFIC.md Q14): "Bearer <token>" (any case), the bare token (Okta's
// "HTTP Header" mode has the admin paste the whole header value), and any other scheme wrapping
// it ("Token token=<token>", "token=<token>"): scimd tokens carry the "scimd_" prefix, so the
// token is found wherever it stands. Principal::bearer_scheme tells which form came, for tenants
// whose compatibility is strict (they take "Bearer <token>" only; the API enforces it). Lookups hit the store every time, so a token issued or revoked
// by the CLI (another process) takes effect on the next request.
//
// OAuth 2 access tokens ("scimdat_…", issued by /oauth/token: api/oauth_api.h) come in the same
// forms; their principal's credential is "oauth:" + the client id.
//
// HTTP Basic ("Basic base64(username:password)", Okta's "Basic Auth" mode) is checked against the
// tenant's SCIM login (scimd login set). Argon2id costs ~25 ms of CPU, so a verified username and
// password are remembered (as a SHA-256 of them and the stored hash, never in clear) until unused
// for a few minutes; a password change or removal takes effect at once because the stored hash is part of
// what is remembered. An unknown username costs the same hash as a known one.
//
// Failed attempts are counted per client key (the API passes the client's address and the tenant
// the URL names) by a FailureThrottle: after too many, that key's attempts are answered 429
// (kRateLimited, with the seconds left) without checking a password, unless the credential is a
// valid token or a login verified in the last few minutes, which go on working.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.h"
#include "auth/failure_throttle.h"
#include "core/tenant_settings.h"
#include "storage/store.h"

namespace scim::auth {

struct Principal {
  storage::TenantId tenant;
  std::string tenant_name;
  std::string credential_id;  // the token's public id ("tok_…") or "basic:" + the username, for logs
  core::TenantSettings settings;
  bool bearer_scheme = true;  // false: the token came bare or in another scheme [Q14]
};

class Authenticator {
 public:
  explicit Authenticator(storage::Store& store, FailureThrottleOptions throttle = {})
      : store_(store), throttle_(throttle) {}

  // Errors: kUnauthorized with a detail safe to show (never says whether a token exists in another
  // tenant); kRateLimited when `client_key` has failed too often (see above); kUnavailable when
  // the store cannot be read. `now` is RFC 3339 UTC.
  core::Result<Principal> Authenticate(std::string_view authorization, const std::string& now,
                                       std::string_view client_key = {});

 private:
  core::Result<Principal> AuthenticateBasic(std::string_view credentials, std::string_view client_key);
  // An OAuth access token (auth/oauth.h): valid until it expires, or its client or tenant is deleted.
  core::Result<Principal> AuthenticateOAuth(std::string_view authorization, std::string_view token,
                                            const std::string& now, std::string_view client_key);
  // The refusal for a failed attempt of `client_key`: `refusal` (and the failure counted), or 429
  // when the key is locked.
  core::Error Refuse(std::string_view client_key, std::string_view refusal);
  bool VerifiedRecently(const std::string& key);
  void RememberVerified(std::string key);

  storage::Store& store_;
  FailureThrottle throttle_;
  std::mutex verified_mu_;
  // SHA-256 of (stored hash, username, password) -> until when it counts as verified; guarded by
  // verified_mu_. Bounded: emptied when it reaches kMaxVerified entries.
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> verified_;
};

// What a refused credential is told (the same whether it is unknown, wrong, revoked, expired or
// another tenant's), for a token and for HTTP Basic.
inline constexpr std::string_view kInvalidToken =
    "The token is not valid for this SCIM endpoint (unknown, revoked or expired)";
inline constexpr std::string_view kInvalidLogin = "The username or password is not valid for this SCIM endpoint";
// The refusal `principal` would get on a tenant's endpoint that is not its own.
std::string_view RefusalFor(const Principal& principal);

// Whether `password` is the login's (Argon2id, ~25 ms of CPU). With no login it hashes a decoy
// password just as long and returns false, so that timing does not tell which usernames exist.
bool PasswordMatches(const std::optional<storage::LoginRecord>& login, std::string_view password);

// The username and password of a "Basic <base64>" header, or nullopt when it is not one.
std::optional<std::pair<std::string, std::string>> ParseBasic(std::string_view authorization);

// The token inside an Authorization header value, or empty when there is none.
std::string_view ExtractToken(std::string_view authorization);

// Whether the header is "Bearer <token>" and nothing else (RFC 6750 §2.1; the scheme in any case).
bool IsBearerForm(std::string_view authorization, std::string_view token);

}  // namespace scim::auth

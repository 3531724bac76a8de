// Turns the Authorization header of a SCIM request into the tenant it may act for.
//
// Accepted forms (shared/idp/TRAFFIC.md Q14): "Bearer <token>" (any case), the bare token (Okta's
// "HTTP Header" mode has the admin paste the whole header value), and any other scheme wrapping
// it ("Token token=<token>", "token=<token>"): scimd tokens carry the "scimd_" prefix, so the
// token is found wherever it stands. Principal::bearer_scheme tells which form came, for tenants
// whose compatibility is strict (they take "Bearer <token>" only; the API enforces it). Lookups hit the store every time, so a token issued or revoked
// by the CLI (another process) takes effect on the next request.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "core/tenant_settings.h"
#include "storage/store.h"

namespace scim::auth {

struct Principal {
  storage::TenantId tenant;
  std::string tenant_name;
  std::string credential_id;  // the token's public id, for logs
  core::TenantSettings settings;
  bool bearer_scheme = true;  // false: the token came bare or in another scheme [Q14]
};

class Authenticator {
 public:
  explicit Authenticator(storage::Store& store) : store_(store) {}

  // Errors: kUnauthorized with a detail safe to show (never says whether a token exists in another
  // tenant); kUnavailable when the store cannot be read. `now` is RFC 3339 UTC.
  core::Result<Principal> Authenticate(std::string_view authorization, const std::string& now);

 private:
  storage::Store& store_;
};

// The token inside an Authorization header value, or empty when there is none.
std::string_view ExtractToken(std::string_view authorization);

// Whether the header is "Bearer <token>" and nothing else (RFC 6750 §2.1; the scheme in any case).
bool IsBearerForm(std::string_view authorization, std::string_view token);

}  // namespace scim::auth

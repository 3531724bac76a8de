#include "auth/oauth.h"

#include <array>

#include "auth/crypto.h"
#include "core/encoding.h"
#include "core/json.h"
#include "core/time.h"

namespace scim::auth {
namespace {

constexpr std::array<std::string_view, 4> kOktaHosts = {"okta.com", "okta-emea.com", "oktapreview.com",
                                                        "trexcloud.com"};
constexpr size_t kMaxRedirectUri = 2000;

// Whether the authority of an http:// URI is a loopback host (with an optional port).
bool IsLoopbackAuthority(std::string_view authority) {
  std::string_view host = authority;
  if (host.starts_with("[")) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return host == "localhost" || host == "127.0.0.1" || host == "[::1]";
}

}  // namespace

std::vector<std::string> OktaCallbacks(std::string_view app_name) {
  std::vector<std::string> callbacks;
  for (std::string_view host : kOktaHosts) {
    callbacks.push_back("https://system-admin." + std::string(host) + "/admin/app/cpc/" + std::string(app_name) +
                        "/oauth/callback");
  }
  // Okta lists this one too (its own test environment), over http.
  callbacks.push_back("http://system-admin.okta1.com:1802/admin/app/cpc/" + std::string(app_name) + "/oauth/callback");
  return callbacks;
}

core::Result<void> ValidateOktaAppName(std::string_view app_name) {
  bool ok = !app_name.empty() && app_name.size() <= 100;
  for (char c : app_name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  }
  if (!ok) {
    return core::Fail(core::ErrorType::kInvalidValue,
                      "Okta app name '" + std::string(app_name) +
                          "': expected the app's name in Okta's callback URL, 1-100 letters, digits, '_' or '-'");
  }
  return {};
}

core::Result<void> ValidateRedirectUri(std::string_view uri) {
  auto invalid = [&](std::string_view why) {
    return core::Fail(core::ErrorType::kInvalidValue, "redirect URI '" + std::string(uri) + "': " + std::string(why));
  };
  if (uri.size() > kMaxRedirectUri) return invalid("longer than 2,000 characters");
  for (char c : uri) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return invalid("spaces, control and non-ASCII characters must be percent-encoded");
    }
  }
  if (uri.find('#') != std::string_view::npos) return invalid("a redirect URI has no fragment (RFC 6749 §3.1.2)");
  bool https = uri.starts_with("https://");
  if (!https && !uri.starts_with("http://")) return invalid("expected an absolute https:// URI");
  std::string_view rest = uri.substr(https ? 8 : 7);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.empty()) return invalid("no host");
  if (authority.find('@') != std::string_view::npos) return invalid("user information is not allowed");
  if (!https && !IsLoopbackAuthority(authority)) {
    return invalid("http:// is allowed for localhost only; use https://");
  }
  return {};
}

bool RedirectUriAllowed(const storage::OAuthClientRecord& client, std::string_view uri) {
  for (const std::string& allowed : client.redirect_uris) {
    if (allowed == uri) return true;
  }
  if (client.okta_app.empty()) return false;
  for (const std::string& callback : OktaCallbacks(client.okta_app)) {
    if (callback == uri) return true;
  }
  return false;
}

core::Result<storage::OAuthClientRecord> AuthenticateClient(storage::Store& store, std::string_view client_id,
                                                            std::string_view client_secret) {
  auto refused = [] {
    return core::Fail(core::ErrorType::kUnauthorized, "Unknown client or wrong client secret");
  };
  if (client_id.empty() || client_id.size() > 128 || client_secret.empty() || client_secret.size() > 256) {
    return refused();
  }
  auto client = store.FindOAuthClient(std::string(client_id));
  if (!client) return std::unexpected(client.error());
  // The hash of the secret is compared in constant time either way, so an unknown client takes as
  // long as a wrong secret.
  std::string hash = HashTokenSecret(client_secret);
  const std::string& expected = *client ? (*client)->secret_hash : hash;
  bool matches = ConstantTimeEquals(hash, expected);
  if (!*client || !matches) return refused();
  return **client;
}

IssuedClient NewOAuthClient(const std::optional<storage::Tenant>& tenant, std::vector<std::string> redirect_uris,
                            std::string okta_app, const std::string& now) {
  IssuedClient issued;
  issued.secret = NewOAuthClientSecret();
  storage::OAuthClientRecord& r = issued.record;
  r.id = NewOAuthClientId();
  if (tenant) {
    r.tenant = tenant->id;
    r.tenant_name = tenant->name;
  }
  r.secret_hash = HashTokenSecret(issued.secret);
  r.redirect_uris = std::move(redirect_uris);
  r.okta_app = std::move(okta_app);
  r.created = now;
  return issued;
}

namespace {

IssuedToken NewToken(std::string secret, std::string kind, const std::string& client_id, storage::TenantId tenant,
                     std::chrono::seconds lifetime, std::chrono::system_clock::time_point now,
                     const std::string& family) {
  IssuedToken issued;
  issued.secret = std::move(secret);
  issued.expires_in = lifetime.count();
  storage::OAuthTokenRecord& r = issued.record;
  r.id = "oat_" + RandomHex(8);
  r.kind = std::move(kind);
  r.client_id = client_id;
  r.tenant = tenant;
  r.family = family.empty() ? r.id : family;
  r.created = core::FormatRfc3339(now);
  r.expires = core::FormatRfc3339(now + lifetime);
  return issued;
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

}  // namespace

IssuedToken NewAccessToken(const storage::OAuthClientRecord& client, storage::TenantId tenant,
                           const std::string& tenant_name, std::chrono::seconds lifetime,
                           std::chrono::system_clock::time_point now, const std::string& family) {
  IssuedToken issued = NewToken(NewOAuthAccessToken(), "access", client.id, tenant, lifetime, now, family);
  issued.record.tenant_name = tenant_name;
  return issued;
}

IssuedToken NewRefreshToken(const std::string& client_id, storage::TenantId tenant, std::chrono::seconds lifetime,
                            std::chrono::system_clock::time_point now, const std::string& family) {
  return NewToken(NewOAuthRefreshToken(), "refresh", client_id, tenant, lifetime, now, family);
}

bool IsCodeVerifier(std::string_view verifier) {
  if (verifier.size() < 43 || verifier.size() > 128) return false;
  for (char c : verifier) {
    if (!IsUnreserved(c)) return false;
  }
  return true;
}

bool IsS256Challenge(std::string_view challenge) {
  if (challenge.size() != 43) return false;
  for (char c : challenge) {
    if (!IsUnreserved(c) || c == '.' || c == '~') return false;
  }
  return true;
}

bool PkceMatches(std::string_view verifier, std::string_view challenge) {
  if (!IsCodeVerifier(verifier)) return false;
  return ConstantTimeEquals(core::Base64UrlEncode(Sha256(verifier)), challenge);
}

bool ScopeHas(std::string_view scope, std::string_view item) {
  while (!scope.empty()) {
    size_t space = scope.find(' ');
    if (scope.substr(0, space) == item) return true;
    if (space == std::string_view::npos) break;
    scope.remove_prefix(space + 1);
  }
  return false;
}

IssuedCode NewAuthorizationCode(const storage::OAuthClientRecord& client, storage::TenantId tenant,
                                std::string redirect_uri, std::string code_challenge, std::string scope,
                                std::chrono::seconds lifetime, std::chrono::system_clock::time_point now) {
  IssuedCode issued;
  issued.secret = NewOAuthCode();
  storage::OAuthCodeRecord& r = issued.record;
  r.client_id = client.id;
  r.tenant = tenant;
  r.redirect_uri = std::move(redirect_uri);
  r.code_challenge = std::move(code_challenge);
  r.scope = std::move(scope);
  r.family = "oaf_" + RandomHex(8);
  r.created = core::FormatRfc3339(now);
  r.expires = core::FormatRfc3339(now + lifetime);
  return issued;
}

}  // namespace scim::auth

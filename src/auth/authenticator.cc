#include "auth/authenticator.h"

#include <sodium.h>

#include "auth/crypto.h"
#include "auth/oauth.h"
#include "core/json.h"

namespace scim::auth {
namespace {

constexpr std::string_view kTokenPrefix = "scimd_";
constexpr auto kVerifiedFor = std::chrono::minutes(5);
constexpr size_t kMaxVerified = 10'000;

bool IsTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

bool IsBearerForm(std::string_view authorization, std::string_view token) {
  auto trim = [](std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    return text;
  };
  authorization = trim(authorization);
  if (authorization.size() < 8 || !core::IEquals(authorization.substr(0, 7), "bearer ")) return false;
  return trim(authorization.substr(7)) == token;
}

std::string_view ExtractToken(std::string_view authorization) {
  size_t start = authorization.find(kTokenPrefix);
  if (start == std::string_view::npos) {
    // Not one of ours in shape; still take "Bearer X" / bare X so the lookup fails as 401.
    while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
    if (authorization.size() > 7 && core::IEquals(authorization.substr(0, 7), "bearer ")) authorization.remove_prefix(7);
    return authorization;
  }
  size_t end = start;
  while (end < authorization.size() && IsTokenChar(authorization[end])) ++end;
  return authorization.substr(start, end - start);
}

std::string_view RefusalFor(const Principal& principal) {
  return principal.credential_id.starts_with("basic:") ? kInvalidLogin : kInvalidToken;
}

std::optional<std::pair<std::string, std::string>> ParseBasic(std::string_view authorization) {
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  while (!authorization.empty() && authorization.back() == ' ') authorization.remove_suffix(1);
  if (authorization.size() < 7 || !core::IEquals(authorization.substr(0, 6), "basic ")) return std::nullopt;
  std::string_view encoded = authorization.substr(6);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  if (encoded.size() > 1024) return std::nullopt;
  std::string decoded(encoded.size(), '\0');
  size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), encoded.data(), encoded.size(),
                        nullptr, &length, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  decoded.resize(length);
  size_t colon = decoded.find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  return std::pair{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

bool PasswordMatches(const std::optional<storage::LoginRecord>& login, std::string_view password) {
  return VerifyPasswordOrDecoy(login ? std::optional<std::string>(login->password_hash) : std::nullopt, password);
}

core::Error Authenticator::Refuse(std::string_view client_key, std::string_view refusal) {
  auto now = FailureThrottle::Clock::now();
  if (int seconds = throttle_.LockedFor(client_key, now); seconds > 0) {
    return {core::ErrorType::kRateLimited,
            "Too many failed attempts to authenticate from this address; try again in " + std::to_string(seconds) +
                " seconds",
            seconds};
  }
  throttle_.RecordFailure(client_key, now);
  return {core::ErrorType::kUnauthorized, std::string(refusal)};
}

core::Result<Principal> Authenticator::Authenticate(std::string_view authorization, const std::string& now,
                                                    std::string_view client_key) {
  if (authorization.empty()) {
    return core::Fail(core::ErrorType::kUnauthorized,
                      "Authentication required: send the tenant's token as 'Authorization: Bearer <token>'");
  }
  {
    std::string_view trimmed = authorization;
    while (!trimmed.empty() && trimmed.front() == ' ') trimmed.remove_prefix(1);
    if (trimmed.size() >= 6 && core::IEquals(trimmed.substr(0, 6), "basic ")) {
      return AuthenticateBasic(authorization, client_key);
    }
  }
  std::string_view token = ExtractToken(authorization);
  if (token.empty() || token.size() > 256) return std::unexpected(Refuse(client_key, kInvalidToken));
  if (token.starts_with(kOAuthAccessTokenPrefix)) return AuthenticateOAuth(authorization, token, now, client_key);
  std::string hash = HashTokenSecret(token);
  auto found = store_.FindTokenByHash(hash);
  if (!found) return std::unexpected(found.error());
  // A valid token works even from a locked-out address: checking it costs one indexed lookup.
  if (!*found || (*found)->revoked || ((*found)->expires && *(*found)->expires <= now)) {
    return std::unexpected(Refuse(client_key, kInvalidToken));
  }
  const storage::TokenRecord& record = **found;

  // Record use at most once a minute per token: a write per request would cost more than the request.
  if (!record.last_used || record.last_used->compare(0, 16, now, 0, 16) != 0) {
    std::string id = record.id;
    std::string when = now;
    store_.Write([id, when](storage::WriteTxn& txn) { return txn.TouchToken(id, when); },
                 [](core::Result<void>) {});
  }
  // Settings were validated when written; a row that does not parse falls back to the defaults.
  auto settings = core::ParseTenantSettings(record.tenant_settings);
  return Principal{record.tenant, record.tenant_name, record.id, settings ? *settings : core::TenantSettings{},
                   IsBearerForm(authorization, token)};
}

core::Result<Principal> Authenticator::AuthenticateOAuth(std::string_view authorization, std::string_view token,
                                                         const std::string& now, std::string_view client_key) {
  auto found = store_.FindOAuthTokenByHash(HashTokenSecret(token));
  if (!found) return std::unexpected(found.error());
  if (!*found || (*found)->kind != "access" || (*found)->revoked || (*found)->expires <= now) {
    return std::unexpected(Refuse(client_key, kInvalidToken));
  }
  const storage::OAuthTokenRecord& record = **found;
  auto settings = core::ParseTenantSettings(record.tenant_settings);
  return Principal{record.tenant, record.tenant_name, "oauth:" + record.client_id,
                   settings ? *settings : core::TenantSettings{}, IsBearerForm(authorization, token)};
}

core::Result<Principal> Authenticator::AuthenticateBasic(std::string_view authorization, std::string_view client_key) {
  auto credentials = ParseBasic(authorization);
  if (!credentials) {
    return core::Fail(core::ErrorType::kUnauthorized,
                      "Send HTTP Basic as 'Authorization: Basic base64(username:password)'");
  }
  const auto& [username, password] = *credentials;
  auto login = store_.FindLogin(username);
  if (!login) return std::unexpected(login.error());
  std::string key;
  if (*login) key = HashTokenSecret((*login)->password_hash + '\0' + (*login)->username + '\0' + password);
  if (key.empty() || !VerifiedRecently(key)) {
    // Locked out: refused before any hash is computed (that is what the lockout saves).
    if (throttle_.LockedFor(client_key, FailureThrottle::Clock::now()) > 0) {
      return std::unexpected(Refuse(client_key, kInvalidLogin));
    }
    if (!PasswordMatches(*login, password)) return std::unexpected(Refuse(client_key, kInvalidLogin));
    RememberVerified(std::move(key));
  }
  const storage::LoginRecord& record = **login;
  auto settings = core::ParseTenantSettings(record.tenant_settings);
  return Principal{record.tenant, record.tenant_name, "basic:" + record.username,
                   settings ? *settings : core::TenantSettings{}, /*bearer_scheme=*/true};
}

bool Authenticator::VerifiedRecently(const std::string& key) {
  std::lock_guard lock(verified_mu_);
  auto it = verified_.find(key);
  if (it == verified_.end()) return false;
  auto now = std::chrono::steady_clock::now();
  if (it->second < now) {
    verified_.erase(it);
    return false;
  }
  it->second = now + kVerifiedFor;  // in use: an IdP that keeps working is never re-hashed or locked out
  return true;
}

void Authenticator::RememberVerified(std::string key) {
  std::lock_guard lock(verified_mu_);
  if (verified_.size() >= kMaxVerified) verified_.clear();
  verified_[std::move(key)] = std::chrono::steady_clock::now() + kVerifiedFor;
}

}  // namespace scim::auth

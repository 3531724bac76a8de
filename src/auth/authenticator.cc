#include "auth/authenticator.h"

#include "auth/crypto.h"
#include "core/json.h"

namespace scim::auth {
namespace {

constexpr std::string_view kTokenPrefix = "scimd_";

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

core::Result<Principal> Authenticator::Authenticate(std::string_view authorization, const std::string& now) {
  if (authorization.empty()) {
    return core::Fail(core::ErrorType::kUnauthorized,
                      "Authentication required: send the tenant's token as 'Authorization: Bearer <token>'");
  }
  std::string_view token = ExtractToken(authorization);
  constexpr std::string_view kInvalid = "The token is not valid for this SCIM endpoint (unknown, revoked or expired)";
  if (token.empty() || token.size() > 256) return core::Fail(core::ErrorType::kUnauthorized, std::string(kInvalid));
  std::string hash = HashTokenSecret(token);
  auto found = store_.FindTokenByHash(hash);
  if (!found) return std::unexpected(found.error());
  if (!*found) return core::Fail(core::ErrorType::kUnauthorized, std::string(kInvalid));
  const storage::TokenRecord& record = **found;
  if (record.revoked) return core::Fail(core::ErrorType::kUnauthorized, std::string(kInvalid));
  if (record.expires && *record.expires <= now) return core::Fail(core::ErrorType::kUnauthorized, std::string(kInvalid));

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

}  // namespace scim::auth

#include "auth/api_key.h"

#include "auth/crypto.h"
#include "core/json.h"

namespace scim::auth {

core::Result<storage::ApiKeyRecord> AuthenticateApiKey(storage::Store& store, std::string_view authorization,
                                                       const std::string& now) {
  constexpr std::string_view kInvalid = "The API key is not valid (unknown or revoked)";
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  while (!authorization.empty() && authorization.back() == ' ') authorization.remove_suffix(1);
  if (authorization.empty()) {
    return core::Fail(core::ErrorType::kUnauthorized,
                      "Authentication required: send a host API key as 'Authorization: Bearer <key>' "
                      "(issue one with: scimd apikey issue)");
  }
  if (authorization.size() <= 7 || !core::IEquals(authorization.substr(0, 7), "bearer ")) {
    return core::Fail(core::ErrorType::kUnauthorized, "Send the API key as 'Authorization: Bearer <key>'");
  }
  std::string_view key = authorization.substr(7);
  while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
  if (key.empty() || key.size() > 256) return core::Fail(core::ErrorType::kUnauthorized, std::string(kInvalid));
  auto found = store.FindApiKeyByHash(HashTokenSecret(key));
  if (!found) return std::unexpected(found.error());
  if (!*found || (*found)->revoked) return core::Fail(core::ErrorType::kUnauthorized, std::string(kInvalid));
  storage::ApiKeyRecord record = std::move(**found);
  if (!record.last_used || record.last_used->compare(0, 16, now, 0, 16) != 0) {
    store.Write([id = record.id, now](storage::WriteTxn& txn) { return txn.TouchApiKey(id, now); },
                [](core::Result<void>) {});
  }
  return record;
}

bool ApiKeyCovers(const storage::ApiKeyRecord& key, storage::TenantId tenant) {
  return !key.tenant || *key.tenant == tenant;
}

}  // namespace scim::auth

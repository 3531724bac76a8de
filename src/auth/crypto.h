// Randomness and hashing for credentials and ids, on libsodium. All functions are thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace scim::auth {

// Must be called once before any other function here (sodium_init). Returns false if libsodium
// cannot initialise (no entropy source).
bool InitCrypto();

// A random RFC 4122 version 4 UUID, lower-case ("f81d4fae-7dec-41d0-a765-00a0c91e6bf6").
std::string NewUuid();

// `bytes` random bytes as lower-case hex.
std::string RandomHex(size_t bytes);

// A bearer token secret: "scimd_" + 256 random bits in base64url (no padding).
std::string NewTokenSecret();

// A host API key (auth/api_key.h): "scimdk_" + 256 random bits in base64url. Stored as its
// HashTokenSecret.
std::string NewApiKeySecret();

// A webhook signing secret: "whsec_" + 256 random bits in base64url.
std::string NewWebhookSecret();

// OAuth 2 (auth/oauth.h): a client id ("scimdc_" + 128 random bits, public), a client secret
// ("scimdcs_" + 256 bits), an access token ("scimdat_" + 256 bits). Secrets and tokens are stored
// as their HashTokenSecret. None contains "scimd_", so none is taken for a bearer token.
std::string NewOAuthClientId();
std::string NewOAuthClientSecret();
std::string NewOAuthAccessToken();
// An authorization code ("scimdac_" + 256 bits) and a refresh token ("scimdrt_" + 256 bits).
std::string NewOAuthCode();
std::string NewOAuthRefreshToken();

// The admin API (auth/admin_accounts.h): an API key ("scimdak_" + 256 bits), a console session
// ("scimdas_" + 256 bits) and a tenant-admin invitation code ("scimdinv_" + 256 bits). Stored as
// their HashTokenSecret.
std::string NewAdminKeySecret();
std::string NewAdminSessionSecret();
std::string NewInviteCode();

// The raw 32-byte SHA-256 digest of `data` (PKCE's S256).
std::string Sha256(std::string_view data);

// HMAC-SHA256 of `message` under `key` as lower-case hex (webhook signatures).
std::string HmacSha256Hex(std::string_view key, std::string_view message);

// SHA-256 of `secret` as lower-case hex. Tokens carry 256 random bits, so a fast hash is enough:
// the database then holds nothing that can be replayed.
std::string HashTokenSecret(std::string_view secret);

// Constant-time equality of two strings of the same length (false when lengths differ).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Argon2id in libsodium's encoded form ("$argon2id$v=19$m=...") with OWASP's minimum parameters
// (19 MiB, 2 passes). nullopt when memory cannot be allocated.
std::optional<std::string> HashPassword(std::string_view password);
bool VerifyPassword(const std::string& encoded_hash, std::string_view password);
// VerifyPassword against `encoded_hash`, or, when there is none (an unknown name), against a decoy
// hash, returning false as slowly as a wrong password would: timing does not tell which names exist.
bool VerifyPasswordOrDecoy(const std::optional<std::string>& encoded_hash, std::string_view password);

}  // namespace scim::auth

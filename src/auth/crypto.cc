#include "auth/crypto.h"

#include <sodium.h>

#include <array>

namespace scim::auth {

namespace {

std::string ToHex(const unsigned char* bytes, size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, size);
  hex.pop_back();
  return hex;
}

// 256 random bits in base64url without padding.
std::string RandomBase64Url() {
  std::array<unsigned char, 32> raw;
  randombytes_buf(raw.data(), raw.size());
  std::string encoded(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), raw.data(), raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  encoded.resize(std::char_traits<char>::length(encoded.c_str()));
  return encoded;
}

}  // namespace

bool InitCrypto() { return sodium_init() >= 0; }

std::string NewUuid() {
  std::array<unsigned char, 16> b;
  randombytes_buf(b.data(), b.size());
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0f]);
  }
  return out;
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return ToHex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}


std::string NewTokenSecret() { return "scimd_" + RandomBase64Url(); }

std::string NewApiKeySecret() { return "scimdk_" + RandomBase64Url(); }

std::string NewWebhookSecret() { return "whsec_" + RandomBase64Url(); }

std::string NewOAuthClientId() { return "scimdc_" + RandomHex(16); }

std::string NewOAuthClientSecret() { return "scimdcs_" + RandomBase64Url(); }

std::string NewOAuthAccessToken() { return "scimdat_" + RandomBase64Url(); }

std::string NewOAuthCode() { return "scimdac_" + RandomBase64Url(); }

std::string NewOAuthRefreshToken() { return "scimdrt_" + RandomBase64Url(); }

std::string NewAdminKeySecret() { return "scimdak_" + RandomBase64Url(); }

std::string NewAdminSessionSecret() { return "scimdas_" + RandomBase64Url(); }

std::string NewInviteCode() { return "scimdinv_" + RandomBase64Url(); }

std::string Sha256(std::string_view data) {
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size());
  return digest;
}

std::string HashTokenSecret(std::string_view secret) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest;
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  return ToHex(digest.data(), digest.size());
}

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac;
  crypto_auth_hmacsha256_final(&state, mac.data());
  return ToHex(mac.data(), mac.size());
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::string> HashPassword(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  constexpr unsigned long long kOpsLimit = 2;
  constexpr size_t kMemLimit = 19 * 1024 * 1024;
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), kOpsLimit, kMemLimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return std::nullopt;
  }
  return std::string(out);
}

bool VerifyPassword(const std::string& encoded_hash, std::string_view password) {
  return crypto_pwhash_str_verify(encoded_hash.c_str(), password.data(), password.size()) == 0;
}

bool VerifyPasswordOrDecoy(const std::optional<std::string>& encoded_hash, std::string_view password) {
  if (!encoded_hash) {
    static const std::string decoy = HashPassword("scimd decoy password").value_or("");
    (void)VerifyPassword(decoy, password);
    return false;
  }
  return VerifyPassword(*encoded_hash, password);
}

}  // namespace scim::auth

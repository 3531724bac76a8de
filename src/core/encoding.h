// Text encodings the protocol needs for opaque tokens (RFC 9865 cursors): base64url without
// padding (RFC 4648 §5). Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scim::core {

std::string Base64UrlEncode(std::string_view bytes);
// nullopt when `text` holds a character outside the base64url alphabet, padding, or a length that
// no encoding produces.
std::optional<std::string> Base64UrlDecode(std::string_view text);

// FNV-1a, 64 bits: a stable fingerprint (the same across builds and machines), not a secure hash.
uint64_t Fingerprint64(std::string_view bytes);

}  // namespace scim::core

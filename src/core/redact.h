// Request bodies as the provisioning journal keeps them: secrets replaced, size bounded. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/json.h"

namespace scim::core {

inline constexpr std::string_view kRedacted = "[redacted]";

// Replaces, anywhere in `document`, the value of every member named "password" (any case, also
// as the last part of a URN-qualified name) and the "value" of every PATCH operation whose "path"
// names the password, with kRedacted.
void RedactSecrets(Json& document);

// `body` as JSON text with its secrets redacted, cut to at most `max_bytes` (a cut body ends with
// "…(truncated, N bytes)"). A body that is not JSON is not kept: "(not JSON, N bytes)". An empty
// body stays empty.
std::string RedactedBody(std::string_view body, size_t max_bytes);

}  // namespace scim::core

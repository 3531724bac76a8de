// The one table from core::ErrorType to the wire (STYLE §3.4): HTTP status, RFC 7644 §3.12
// scimType, and the SCIM Error body every 4xx/5xx carries.
#pragma once

#include <string_view>

#include "core/error.h"
#include "http/server.h"

namespace scim::api {

struct WireError {
  int status;
  std::string_view scim_type;  // empty when RFC 7644 defines none for the case
};

WireError ToWire(core::ErrorType type);

// A complete SCIM error response (application/scim+json). 401 carries WWW-Authenticate: Bearer.
http::Response ErrorResponse(const core::Error& error);
// For the HTTP layer's own errors (413, 400, 408, 503) which arrive as a status and a detail.
http::Response ErrorResponseForStatus(int status, std::string_view detail);

inline constexpr std::string_view kScimContentType = "application/scim+json";

}  // namespace scim::api

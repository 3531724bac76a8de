// What the JSON APIs under /api/v1 (the host API and the admin API) share: JSON answers, path
// segments, integer parameters, cookies. Their errors are SCIM error bodies (api/error_response.h),
// so one parser reads every error scimd sends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "http/server.h"

namespace scim::api {

// A JSON answer (application/json, never cached).
http::Response JsonOk(std::string body, int status = 200);
// An answer without a body (204, 202).
http::Response NoContent(int status);
// 405 with an Allow header listing `allowed` ("GET, POST").
http::Response MethodNotAllowed(std::string_view allowed);

// The non-empty segments of a path ("/api/v1/x/" -> api, v1, x).
std::vector<std::string> Segments(std::string_view path);

// `text` as an integer in [min, max]. Errors: kBadRequest naming the parameter and the range.
core::Result<int64_t> IntegerParam(std::string_view name, std::string_view text, int64_t min, int64_t max);

// The value of cookie `name` in a Cookie header, or empty.
std::string_view CookieValue(std::string_view header, std::string_view name);

}  // namespace scim::api

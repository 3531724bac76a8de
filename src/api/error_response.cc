#include "api/error_response.h"

#include <string>

#include "core/json.h"
#include "core/schema.h"

namespace scim::api {

using core::ErrorType;

WireError ToWire(ErrorType type) {
  switch (type) {
    case ErrorType::kInvalidFilter: return {400, "invalidFilter"};
    case ErrorType::kTooMany: return {400, "tooMany"};
    case ErrorType::kUniqueness: return {409, "uniqueness"};
    case ErrorType::kMutability: return {400, "mutability"};
    case ErrorType::kInvalidSyntax: return {400, "invalidSyntax"};
    case ErrorType::kInvalidPath: return {400, "invalidPath"};
    case ErrorType::kNoTarget: return {400, "noTarget"};
    case ErrorType::kInvalidValue: return {400, "invalidValue"};
    case ErrorType::kInvalidVersion: return {400, "invalidVers"};
    case ErrorType::kSensitive: return {400, "sensitive"};
    case ErrorType::kInvalidCursor: return {400, "invalidCursor"};
    case ErrorType::kBadRequest: return {400, ""};
    case ErrorType::kUnauthorized: return {401, ""};
    case ErrorType::kForbidden: return {403, ""};
    case ErrorType::kNotFound: return {404, ""};
    case ErrorType::kMethodNotAllowed: return {405, ""};
    case ErrorType::kConflict: return {409, ""};
    case ErrorType::kPreconditionFailed: return {412, ""};
    case ErrorType::kPayloadTooLarge: return {413, ""};
    case ErrorType::kUnsupportedMediaType: return {415, ""};
    case ErrorType::kRateLimited: return {429, ""};
    case ErrorType::kNotImplemented: return {501, ""};
    case ErrorType::kUnavailable: return {503, ""};
    case ErrorType::kInternal: return {500, ""};
  }
  return {500, ""};
}

namespace {

http::Response Build(int status, std::string_view scim_type, std::string_view detail, int retry_after_seconds = 0) {
  core::Json body = {{"schemas", {core::kErrorSchema}}, {"status", std::to_string(status)}};
  if (!scim_type.empty()) body["scimType"] = scim_type;
  body["detail"] = detail;
  http::Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", std::string(kScimContentType));
  if (status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"scimd\"");
  if (retry_after_seconds > 0) {
    response.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  } else if (status == 503 || status == 429) {
    response.headers.emplace_back("Retry-After", "1");
  }
  response.body = core::DumpJson(body);
  response.log_error = scim_type.empty() ? std::to_string(status) : std::string(scim_type);
  return response;
}

}  // namespace

http::Response ErrorResponse(const core::Error& error) {
  WireError wire = ToWire(error.type);
  return Build(wire.status, wire.scim_type, error.detail, error.retry_after_seconds);
}

http::Response ErrorResponseForStatus(int status, std::string_view detail) { return Build(status, "", detail); }

}  // namespace scim::api

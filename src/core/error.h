// SCIM errors as values. Every layer returns Result<T>; api/error_response.cc is the one place
// that maps an ErrorType to an HTTP status and an RFC 7644 §3.12 scimType.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace scim::core {

enum class ErrorType {
  // 400 with an RFC 7644 §3.12 scimType
  kInvalidFilter,  // filter syntax or unsupported comparison
  kTooMany,        // result set too large
  kUniqueness,     // 409: a unique attribute (userName) already taken
  kMutability,     // attempt to change a readOnly/immutable attribute
  kInvalidSyntax,  // body is not a valid SCIM request (bad JSON, wrong message schema)
  kInvalidPath,    // PATCH path is malformed or names nothing the schema has
  kNoTarget,       // PATCH path with a filter matched nothing (remove)
  kInvalidValue,   // a required value missing, or a value of the wrong type
  kInvalidVersion, // the request's SCIM version is not supported
  kSensitive,      // sensitive data in a URI
  kInvalidCursor,  // RFC 9865: a cursor this server did not issue for this query
  // Plain HTTP errors, no scimType
  kBadRequest,          // 400 that fits no scimType (bad query parameter)
  kUnauthorized,        // 401
  kForbidden,           // 403
  kNotFound,            // 404
  kMethodNotAllowed,    // 405
  kConflict,            // 409 without uniqueness (e.g. tenant exists)
  kPreconditionFailed,  // 412
  kPayloadTooLarge,     // 413
  kUnsupportedMediaType,// 415
  kRateLimited,         // 429, with Error::retry_after_seconds
  kNotImplemented,      // 501
  kUnavailable,         // 503
  kInternal,            // 500: a bug or an exhausted resource
};

struct Error {
  ErrorType type;
  std::string detail;  // a sentence a person can act on
  int retry_after_seconds = 0;  // > 0: sent as Retry-After (whole seconds: Okta ignores other forms)
};

template <class T>
using Result = std::expected<T, Error>;

// Shorthand for `return Fail(ErrorType::kInvalidPath, "...")` in functions returning any Result<T>.
inline std::unexpected<Error> Fail(ErrorType type, std::string detail) {
  return std::unexpected(Error{type, std::move(detail)});
}

}  // namespace scim::core

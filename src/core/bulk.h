// SCIM Bulk (RFC 7644 §3.7) as data: parsing a BulkRequest and resolving bulkId references.
// Pure functions; the API layer runs the operations through the ordinary endpoints.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json.h"

namespace scim::core {

inline constexpr std::string_view kBulkRequestSchema = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
inline constexpr std::string_view kBulkResponseSchema = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

struct BulkOperation {
  std::string method;                  // POST, PUT, PATCH or DELETE (upper-cased)
  std::string path;                    // "/Users", "/Groups/{id}", "/Groups/bulkId:q1"
  std::optional<std::string> bulk_id;  // the operation's own bulkId
  std::optional<std::string> version;  // sent as If-Match
  std::optional<Json> data;            // the request body (absent for DELETE)
  std::set<std::string> references;    // bulkIds the path and data refer to ("bulkId:q1" values)
};

struct BulkRequest {
  std::optional<int64_t> fail_on_errors;  // stop after this many errors; absent: never stop
  std::vector<BulkOperation> operations;
};

// Parses a BulkRequest body: `schemas` must contain the BulkRequest URN (any case), `Operations`
// (key in any case) a non-empty array of at most `max_operations`, each with `method` (any case)
// and `path`, `data` for POST/PUT/PATCH, and a unique `bulkId` where given. A bulkId may be any
// string without whitespace. Every error names the operation ("Operations[2]: ...").
// Errors: kInvalidSyntax (message shape), kInvalidValue (method, path, missing data, a duplicate
// or dangling bulkId, a bulkId an operation refers to itself), kPayloadTooLarge (more operations
// than max_operations: RFC 7644 §3.7.4 answers it with 413).
Result<BulkRequest> ParseBulkRequest(const Json& body, size_t max_operations);

// Replaces every string "bulkId:<id>" in `value` (at any depth) and in `path` by the id created
// for <id>. Only whole strings are references.
void ResolveBulkReferences(Json& value, const std::map<std::string, std::string>& created_ids);
std::string ResolveBulkReference(const std::string& text, const std::map<std::string, std::string>& created_ids);

}  // namespace scim::core

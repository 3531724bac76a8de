// SCIM PATCH (RFC 7644 §3.5.2) as a pure function over JSON: parse the PatchOp message, then apply
// its operations in order to a resource document. Atomic: either every operation applies or the
// result is an error and the caller writes nothing.
//
// Forgiving where real IdPs deviate (see shared/idp/TRAFFIC.md §2.6), strict elsewhere:
//  - `op` is case-insensitive (Entra sends "Replace").                                       [Q1]
//  - "True"/"False" strings are accepted for boolean attributes (Entra).                     [Q2]
//  - remove on `members` with a value array removes those members (Entra, OneLogin).          [Q3]
//  - path-less value objects may use dotted keys ("name.givenName") and URN-qualified keys.   [Q4]
//  - a bare string for the enterprise `manager` means {"value": string} (Entra).              [Q5]
//  - add and replace on a filtered path that matches nothing create the element
//    (emails[type eq "work"].value on a user without a work email).                          [Q7]
//  - path-less replace {"id": .., "displayName": ..} (Okta, with every membership change)
//    renames or is a no-op; an `id` equal to the resource's id is ignored.                   [Q12]
//  - replace members [] empties the group.                                                   [Q21]
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/filter.h"
#include "core/json.h"
#include "core/resource.h"
#include "core/schema.h"

namespace scim::core {

// Limits on one PATCH request; beyond them: kInvalidValue (too many operations) / kTooMany.
inline constexpr size_t kMaxPatchOperations = 1000;

enum class PatchOpType { kAdd, kRemove, kReplace };

struct PatchOperation {
  PatchOpType op;
  std::optional<PatchPath> path;  // absent for path-less add/replace
  std::string path_text;          // as sent, for error messages
  std::optional<Json> value;      // absent when the operation has no "value"
};

// Parses a PatchOp request body: `schemas` must contain the PatchOp URN, `Operations` a non-empty
// array, each with `op` add/remove/replace (any case), `path` required for remove.
// Errors: kInvalidSyntax (message shape), kInvalidPath (unparseable path), kInvalidValue.
Result<std::vector<PatchOperation>> ParsePatchRequest(const Json& body);

struct PatchResult {
  Json resource;                      // the document after every operation (members excluded)
  std::vector<MemberOp> member_ops;   // membership changes, in request order
  bool changed = false;               // true when `resource` differs from the input document
};

// Applies `ops` to `resource` (a stored document of `type`, canonical attribute names, no `members`,
// no `meta`). Operations on `members` become `member_ops` and never touch `resource`.
// The result still needs NormalizeResource(..., kPatchResult) for types and required attributes.
// Errors: kInvalidPath (path names nothing in the schema), kNoTarget (remove with a filter that
// matches nothing), kMutability (changing readOnly or immutable attributes such as `id`),
// kInvalidValue (value missing or of the wrong shape), kInvalidFilter.
Result<PatchResult> ApplyPatch(const Json& resource, const std::vector<PatchOperation>& ops,
                               const ResourceType& type, const SchemaRegistry& registry);

}  // namespace scim::core

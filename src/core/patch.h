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
//  - Entra app roles serialised as JSON text in an element's `value` are unpacked.            [Q6]
//  - add and replace on a single-valued attribute are both upserts.                          [Q8]
//
// Choices where the RFC is open or strictness would break IdPs:
//  - remove of something absent, or with a filter that matches nothing, is a no-op (not noTarget):
//    IdPs retry removals and remove what is already gone.
//  - add/replace on a single-valued complex attribute (name, manager) merges the given
//    sub-attributes into the stored value (a null sub-attribute removes it); when the value names
//    a different referent (its `value` differs from the stored `value`), it replaces the object.
//  - add on a multi-valued attribute skips elements equal to a stored one and merges an element
//    into a stored one with the same `value` (and no conflicting `type`); an element written with
//    primary:true removes `primary` from the others.
//  - a null value, or "" for a complex attribute with a `value` sub-attribute (Entra's manager),
//    removes the target; a one-element array for a single-valued attribute is unwrapped.
//  - members (kMembersAttr) never touch the document; see ApplyPatch.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/filter.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/quirks.h"
#include "core/resource.h"
#include "core/schema.h"

namespace scim::core {

// Limits on one PATCH request; beyond them: kInvalidValue. The number of operations and of values
// of a multi-valued attribute are DocumentLimits (limits.h); this one is fixed.
// How deeply an operation's `value` may nest (SCIM needs 3: {"urn:..": {"manager": {"value": ..}}}).
// Checked before the value is copied: nlohmann copies recursively, and a hostile value can nest
// deeper than the stack.
inline constexpr int kMaxPatchValueDepth = 16;

enum class PatchOpType { kAdd, kRemove, kReplace };

struct PatchOperation {
  PatchOpType op;
  std::optional<PatchPath> path;  // absent for path-less add/replace
  std::string path_text;          // as sent, for error messages
  std::optional<Json> value;      // absent when the operation has no "value"
};

// Parses a PatchOp request body: `schemas` must contain the PatchOp URN (any case), `Operations`
// (key in any case) a non-empty array of at most `limits.patch_operations`, each with `op`
// add/remove/replace (any case), `path` required for remove (an empty path counts as absent),
// `value` required for add and replace. Paths are parsed with ParsePatchPath (within `limits`'
// filter limits); nothing is checked against a schema yet. Every error detail names the operation
// ("Operations[2]: ...").
// Errors: kInvalidSyntax (message shape, unknown op), kInvalidPath (unparseable path),
// kNoTarget (remove without a path, RFC 7644 §3.5.2.2), kInvalidValue (missing value, more
// operations than the limit, a value nested deeper than kMaxPatchValueDepth; naming the limit).
// `quirks` (may be null: lenient, unrecorded): capitalised ops [Q1] and "path": "" go through it.
Result<std::vector<PatchOperation>> ParsePatchRequest(const Json& body, QuirkLog* quirks = nullptr,
                                                      const DocumentLimits& limits = {});

struct PatchResult {
  Json resource;                      // the document after every operation (members excluded)
  std::vector<MemberOp> member_ops;   // membership changes, in request order
  bool changed = false;               // true when `resource` differs from the input document
};

// Applies `ops` in order to a copy of `resource` (a stored document of `type`: canonical attribute
// names, extension attributes under their URN key, no `members`, no `meta`); `resource` is never
// modified. Pure: no I/O, safe to call concurrently.
// Path-less add/replace apply each member of the value object as if it were the path; the keys
// `id`, `meta`, `schemas` and `groups` are skipped [Q12]. A schema URN as the path (or as a key)
// addresses that extension's object.
// Operations on `members` become `member_ops` in request order and never touch `resource`:
//   add members [..] -> kAdd; replace members [..] -> kReplaceAll ([] or null clears);
//   remove members -> kRemoveAll; remove members with a value array -> kRemove;
//   remove members[value eq "a" or value eq "b"] -> kRemove {a, b};
//   remove members[<any other filter>] -> kRemoveWhere; add/replace on members[..] -> kInvalidPath.
// Element values are checked for shape and type (booleans from "True"/"False"); unknown keys inside
// a value object are kept for NormalizeResource, which the result still needs (kPatchResult) for
// canonical order, readOnly sub-attributes, required attributes and the write-only password.
// Errors, each naming the operation ("Operations[1]: ..."): kInvalidPath (path or key names
// nothing in the schema, a filter on a single-valued attribute, a filter naming an unknown
// sub-attribute), kNoTarget (add/replace on a filtered path that matches nothing when the filter
// is not `eq` comparisons joined by `and`), kMutability (a readOnly target such as `id`, `meta`,
// `groups`; changing or removing an immutable attribute that has a value), kInvalidValue (value
// missing or of the wrong shape or type; a multi-valued attribute other than `members` left with,
// or a value array carrying, more than `limits.attribute_values` elements, naming the limit),
// kInvalidFilter (a value filter that cannot be applied).
// Every forgiving reading listed at the top of this file goes through `quirks` (may be null: lenient,
// unrecorded); with a strict log each is refused as the RFC would (kInvalidValue, kInvalidPath, or
// kNoTarget for [Q7]) except [Q6], whose JSON text then simply stays a string.
Result<PatchResult> ApplyPatch(const Json& resource, const std::vector<PatchOperation>& ops,
                               const ResourceType& type, const SchemaRegistry& registry, QuirkLog* quirks = nullptr,
                               const DocumentLimits& limits = {});

}  // namespace scim::core

// Schema-driven checking of what a client writes (RFC 7643 §2, §7), in one place for every write:
// the create and replace bodies and the document a PATCH produced. Turns the client's document into
// the canonical stored form, or says precisely what is wrong.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/quirks.h"
#include "core/resource.h"
#include "core/schema.h"

namespace scim::core {

enum class WriteContext {
  kCreate,       // POST body
  kReplace,      // PUT body
  kPatchResult,  // the document ApplyPatch produced
};

struct NormalizedResource {
  // Canonical document: attribute names in the schema's spelling and order; extension attributes
  // under their URN key; `schemas` = core URN + URNs of the extensions present; no readOnly
  // attributes (id, meta, groups), no returned:never attributes (password), no `members`,
  // no null values or empty arrays/objects (unassigned per RFC 7643 §2.5).
  Json resource;
  std::optional<std::string> password;         // the write-only password, if one was sent
  std::optional<std::vector<Member>> members;  // `members` when present in the body (Group)
  // With keep_unknown: what the body held that no schema of the type declares, as sent (unknown
  // top-level attributes and undeclared extension objects by their key, unknown attributes of a
  // declared extension under its URN). An empty object otherwise.
  Json unmapped = Json::object();
};

// Checks and canonicalises `input` for `type`:
//  - `input` must be a JSON object: else kInvalidSyntax;
//  - `schemas`, when present, must be an array of strings whose URNs are the core schema or declared
//    extensions of `type` (else kInvalidSyntax "Unknown schema URN 'urn:…' for User (this tenant
//    declares: …)"); entries that are not URNs (Entra's "http://schemas.microsoft.com/…/Group") are
//    ignored, and a missing `schemas` is accepted: the output's is computed;
//  - attribute names match case-insensitively; unknown attributes and undeclared extension URNs
//    are kInvalidSyntax naming them; an extension's attributes may come in its URN-keyed object or
//    as fully qualified top-level keys ("urn:…:enterprise:2.0:User:department", Entra);
//    the same attribute given twice (in different case or form) is kInvalidSyntax;
//  - readOnly attributes and sub-attributes are ignored (RFC 7643 §2.2), returned:never ones moved
//    out: `password` (a string, else kInvalidValue) goes to NormalizedResource::password, `members`
//    to NormalizedResource::members (each element an object with a non-empty string `value`, else
//    kInvalidValue; `type` kept when a string, in canonical spelling when it matches one; `display`
//    and `$ref` dropped; duplicates by value dropped; `members: null` counts as not sent,
//    `members: []` as an empty list). Other returned:never attributes a tenant may declare stay in
//    `resource`: projection must hide them;
//  - types, recursively: kInvalidValue naming the attribute path ("name.givenName",
//    "emails[1].primary", "urn:…:User:manager.value") and the expected type; dateTime must be
//    xsd:dateTime (2008-01-23T04:56:22Z, fraction and offset optional); a boolean given as the
//    string "true"/"false" (any case) is accepted (Entra, OneLogin templates); a single value for a
//    multi-valued attribute is wrapped in an array, an array for a single-valued one is
//    kInvalidValue; a bare string for a single-valued complex attribute with a `value`
//    sub-attribute (Entra's manager) becomes {"value": string}; unknown sub-attributes are kInvalidSyntax (an unknown
//    `$ref` key is ignored);
//  - canonicalValues are enforced (kInvalidValue) only on extension attributes: on the core
//    schemas they are suggestions and IdPs send others (see validate.cc);
//  - required attributes (userName, displayName on Group) must be present and not "": kInvalidValue
//    "Attribute 'userName' is required"; so must extensions the resource type marks required, and the
//    required attributes of every extension that is present;
//  - more than one `primary: true` in a multi-valued attribute: kInvalidValue;
//  - in a POST or PUT body (kCreate, kReplace), a multi-valued attribute or sub-attribute given more
//    than `limits.attribute_values` values: kInvalidValue naming the attribute and the limit.
//    `members` are exempt (groups may have 100,000), and so is a PATCH result: ApplyPatch limits
//    what the operations write, and a stored document from before a lowered limit stays patchable;
//  - `userName` and other strings are trimmed of nothing: values are kept exactly as sent.
// Pure and thread-safe; `registry` must hold `type`'s schemas (kInternal otherwise).
// Every forgiving reading above (boolean and number strings, a bare string or one value for an
// array, missing `schemas`, non-URN schema ids, fully qualified top-level keys) goes through
// `quirks` (may be null: lenient, unrecorded); with a strict log each is refused as kInvalidValue
// or kInvalidSyntax.
// `keep_unknown` (a tenant's unknown_attributes = keep): unknown attributes and undeclared extension
// URNs are moved to NormalizedResource::unmapped instead of refused.
Result<NormalizedResource> NormalizeResource(const Json& input, const ResourceType& type,
                                             const SchemaRegistry& registry, WriteContext context,
                                             QuirkLog* quirks = nullptr, const DocumentLimits& limits = {},
                                             bool keep_unknown = false);

}  // namespace scim::core

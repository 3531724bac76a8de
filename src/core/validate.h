// Schema-driven checking of what a client writes (RFC 7643 §2, §7), in one place for every write:
// the create and replace bodies and the document a PATCH produced. Turns the client's document into
// the canonical stored form, or says precisely what is wrong.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json.h"
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
};

// Checks and canonicalises `input` for `type`:
//  - attribute names match case-insensitively; unknown attributes and undeclared extension URNs
//    are kInvalidSyntax naming them;
//  - readOnly attributes are ignored (RFC 7643 §2.2), returned:never ones moved out;
//  - types: kInvalidValue naming the attribute and the expected type; a boolean given as the
//    string "true"/"false" (any case) is accepted (Entra, OneLogin templates); a single object for a
//    multi-valued complex attribute is wrapped in an array; a bare string for a complex attribute
//    with a `value` sub-attribute (Entra's manager) becomes {"value": string};
//  - required attributes (userName, displayName on Group) must be present: kInvalidValue;
//  - more than one `primary: true` in a multi-valued attribute: kInvalidValue;
//  - `userName` and other strings are trimmed of nothing: values are kept exactly as sent.
Result<NormalizedResource> NormalizeResource(const Json& input, const ResourceType& type,
                                             const SchemaRegistry& registry, WriteContext context);

}  // namespace scim::core

// A tenant's own schemas over the built-in ones (docs/schemas.md). Pure: the documents come from
// and go to storage through directory/tenant_schemas.h.
//
// A tenant declares RFC 7643 §7 Schema documents:
//  - one whose `id` is an extension URN ending in ":User" or ":Group" (any case) adds, or replaces
//    as a whole, an extension of that resource type (never required: IdPs send only what they map);
//  - one whose `id` is the core User or Group URN adds its attributes to that core schema, or
//    replaces the tenant's earlier ones of the same name. The core attributes scimd itself relies
//    on (id, externalId, meta, userName, displayName, password, active, emails, groups, members)
//    cannot be replaced.
// Every attribute a tenant declares holds to its canonicalValues (a closed list), in the core
// namespace too.
//
// A resource's stored document holds only what the tenant's schemas declare; anything else it was
// given (kept unmapped) or that a schema change hid stays beside it, and comes back into the
// document when a schema declares it again: changing a schema never loses data.
#pragma once

#include <memory>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "core/schema.h"

namespace scim::core {

// The schema documents of a `scimd schema apply` file: one Schema object or an array of them.
// Each is checked for shape (an `id` that an extension or core schema may have, an `attributes`
// array) and returned as given. Errors: kInvalidValue naming the document.
Result<std::vector<Json>> ReadSchemaFile(const Json& file);

// The tenant's documents after applying `incoming` to `current`: an extension replaces the one of
// the same id; a core document's attributes replace the same-named ones the tenant declared before
// (names case-insensitive) and add the others.
std::vector<Json> ApplySchemaDocuments(std::vector<Json> current, const std::vector<Json>& incoming);

// Whether `urn` names a core schema (User or Group), whose tenant document only adds attributes.
bool IsCoreSchemaUrn(std::string_view urn);

// The registry of a tenant with `documents`: the built-in schemas and theirs. Errors:
// kInvalidValue naming the schema or attribute that is wrong (every check of
// SchemaRegistry::Load, a protected core attribute, an id naming no resource type).
Result<std::shared_ptr<const SchemaRegistry>> BuildTenantRegistry(const std::vector<Json>& documents);

// A stored document split by what `type`'s schemas in `registry` declare.
struct SplitDocument {
  Json visible;  // `schemas` first (the core URN and the declared extensions present), then the rest
  Json hidden;   // the undeclared: top-level keys, and an extension's undeclared attributes under its URN
};
SplitDocument SplitBySchema(const Json& document, const ResourceType& type, const SchemaRegistry& registry);

// `document` with `hidden` merged back in (what `document` has wins), for splitting again under
// a changed schema.
Json MergeHidden(Json document, const Json& hidden);

}  // namespace scim::core

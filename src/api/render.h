// Building SCIM response bodies: a stored resource with its id, computed attributes (groups,
// members) and meta; projection by `attributes`/`excludedAttributes`; and the discovery documents.
//
// The plain GET path splices id, the computed attributes and meta into the stored JSON text
// without parsing it (DESIGN.md §2: a parse-and-dump per GET halves throughput). Only a request
// with `attributes`/`excludedAttributes` pays for a parse.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "core/schema.h"
#include "storage/store.h"

namespace scim::api {

struct Extras {
  std::vector<storage::GroupRef> groups;    // User.groups
  std::vector<storage::MemberRow> members;  // Group.members
};

// Which attributes a response carries (RFC 7644 §3.4.2.5): `attributes` keeps only what it names
// (top-level attributes, one level of sub-attribute, extension URNs) plus what the schema marks
// `returned: always` (`id`, and `schemas` too); `excludedAttributes` drops what it names except
// `always` attributes. Whatever the request, `returned: never` attributes never come back and
// `returned: request` ones only when `attributes` names them. Unknown names are ignored.
class Projection {
 public:
  Projection(std::vector<std::string> attributes, std::vector<std::string> excluded);
  // Whether the top-level attribute `name` (core schema) may appear: lets callers skip loading it.
  bool Wants(std::string_view name) const;
  bool IsIdentity() const { return attributes_.empty() && excluded_.empty(); }
  // Whether a response of `type` must be parsed to apply this (not for a plain GET of the
  // built-in schemas, whose stored text is served as it is).
  bool NeedsDocument(const core::ResourceType& type) const;
  void Apply(core::Json& document, const core::ResourceType& type, const core::SchemaRegistry& registry) const;

 private:
  std::vector<std::string> attributes_;
  std::vector<std::string> excluded_;
};

std::string ETag(int64_t version);

// The entity tags of an If-Match or If-None-Match header (RFC 9110 §13.1), compared weakly:
// W/"3" and "3" both name version 3; tags this server never issues name nothing.
struct EntityTags {
  bool any = false;  // "*"
  std::vector<int64_t> versions;
  bool Matches(int64_t version) const;
};
// nullopt when the header is absent or empty.
std::optional<EntityTags> ParseEntityTags(std::string_view header);
std::string Location(const std::string& base_url, storage::Kind kind, const std::string& id);

// The resource as a response body.
std::string RenderResource(storage::Kind kind, const core::ResourceType& type, const core::SchemaRegistry& registry,
                           const storage::StoredResource& stored, const Extras& extras, const std::string& base_url,
                           const Projection& projection);

struct ApiOptions;
std::string RenderServiceProviderConfig(const std::string& base_url, const ApiOptions& options);
// `id` null: the ListResponse of every resource type / schema; else that one (kNotFound when unknown).
// `extra`: documents (without meta) served besides the registry's (a tenant's Okta Role type).
core::Result<std::string> RenderResourceTypes(const core::SchemaRegistry& registry, const std::string& base_url,
                                              const std::string* id, const std::vector<core::Json>& extra = {});
core::Result<std::string> RenderSchemas(const core::SchemaRegistry& registry, const std::string& base_url,
                                        const std::string* id, const std::vector<core::Json>& extra = {});

}  // namespace scim::api

// The schemas a tenant declares (docs/schemas.md; core/tenant_schema.h says what a declaration
// means): applying and removing them for the CLI and the admin API, the registry each request of
// the tenant is read with, and the report of what IdPs send that no schema declares.
//
// Applying or removing a schema is one transaction: the documents are stored, the tenant's schema
// revision goes up (every process sees the change on its next request of that tenant), and every
// stored document of the tenant is split again under the new schemas: attributes a schema no longer
// declares move beside the document (hidden, not lost), and ones it declares again come back.
// That rewrite costs a few microseconds per resource and holds the writer meanwhile.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/administration.h"
#include "core/error.h"
#include "core/json.h"
#include "core/schema.h"
#include "storage/store.h"

namespace scim::directory {

struct SchemaChange {
  std::vector<std::string> urns;  // the schemas applied or removed
  int64_t documents_rewritten = 0;
};

// Applies a `scimd schema apply` file (core::ReadSchemaFile) to the tenant. Errors: kInvalidValue
// naming what is wrong (nothing is written then); kNotFound when the tenant was deleted meanwhile.
core::Result<SchemaChange> ApplySchemas(storage::Store& store, const storage::Tenant& tenant, const core::Json& file,
                                        const auth::Actor& actor);
// Removes the tenant's schema `urn` (an extension, or every core attribute it added for the core
// URN). kNotFound when the tenant has none of that URN.
core::Result<SchemaChange> RemoveSchema(storage::Store& store, const storage::Tenant& tenant, const std::string& urn,
                                        const auth::Actor& actor);

// One attribute no schema declares, with how many resources hold it.
struct UnmappedAttribute {
  std::string name;  // "costCenter", "urn:…:acme:1.0:User:badge", "urn:…:other:1.0:User"
  int64_t resources = 0;
};
// The tenant's unmapped attributes, most common first, over at most `limit` resources.
core::Result<std::vector<UnmappedAttribute>> UnmappedReport(storage::Store& store, storage::TenantId tenant,
                                                            int64_t limit);

// The registry each tenant's requests are read with: the built-in one for a tenant that never
// declared a schema, else built from its documents and kept until its schema revision changes.
// Thread-safe.
class RegistryCache {
 public:
  explicit RegistryCache(std::shared_ptr<const core::SchemaRegistry> built_in) : built_in_(std::move(built_in)) {}

  // Errors: kUnavailable (the database), kInternal (stored documents that no longer load).
  core::Result<std::shared_ptr<const core::SchemaRegistry>> For(storage::Store& store, storage::TenantId tenant,
                                                                int64_t revision);

 private:
  struct Entry {
    int64_t revision = 0;
    std::shared_ptr<const core::SchemaRegistry> registry;
  };
  const std::shared_ptr<const core::SchemaRegistry> built_in_;
  std::mutex mu_;
  std::unordered_map<int64_t, Entry> entries_;  // by tenant id; guarded by mu_
};

}  // namespace scim::directory

// `scimd schema apply|list|remove|unmapped`: the schemas a tenant declares (docs/schemas.md). Like
// the other commands they work on the data directory a running server uses, which reads the
// tenant's documents with the new schemas from its next request on.
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "app/commands.h"
#include "app/wiring.h"
#include "core/json.h"
#include "directory/tenant_schemas.h"

namespace scim::app {

int SchemaApply(const CommonFlags& flags, const std::string& tenant_name, const std::string& file) {
  std::ifstream in(file);
  if (!in) return FailWith({core::ErrorType::kInvalidValue, "cannot read '" + file + "'"});
  std::stringstream text;
  text << in.rdbuf();
  auto json = core::ParseJson(text.str());
  if (!json) return FailWith({core::ErrorType::kInvalidValue, "'" + file + "' is not JSON: " + json.error().detail});
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  auto applied = directory::ApplySchemas(*env->store, *tenant, *json, CliActor());
  if (!applied) return FailWith(applied.error());
  for (const std::string& urn : applied->urns) fmt::print("Applied {} to tenant '{}'\n", urn, tenant->name);
  fmt::print("{} stored document(s) rewritten; the server reads the tenant's requests with the new schemas from its "
             "next request.\n",
             applied->documents_rewritten);
  return kExitOk;
}

int SchemaList(const CommonFlags& flags, const std::string& tenant_name) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  auto schemas = env->store->TenantSchemas(tenant->id);
  if (!schemas) return FailWith(schemas.error());
  fmt::print("{:<64} {:<10} {:<25} {}\n", "URN", "ATTRIBUTES", "UPDATED", "NAMES");
  for (const auto& schema : *schemas) {
    auto json = core::ParseJson(schema.definition);
    std::string names;
    size_t count = 0;
    if (json && json->contains("attributes") && (*json)["attributes"].is_array()) {
      for (const auto& attribute : (*json)["attributes"]) {
        ++count;
        names += (names.empty() ? "" : ", ") + attribute.value("name", std::string("?"));
      }
    }
    fmt::print("{:<64} {:<10} {:<25} {}\n", schema.urn, count, schema.updated, names);
  }
  return kExitOk;
}

int SchemaRemove(const CommonFlags& flags, const std::string& tenant_name, const std::string& urn) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  auto removed = directory::RemoveSchema(*env->store, *tenant, urn, CliActor());
  if (!removed) return FailWith(removed.error());
  fmt::print("Removed {} from tenant '{}'; {} stored document(s) rewritten (their values are kept, hidden, and come "
             "back if the schema is applied again).\n",
             urn, tenant->name, removed->documents_rewritten);
  return kExitOk;
}

int SchemaUnmapped(const CommonFlags& flags, const std::string& tenant_name) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  auto report = directory::UnmappedReport(*env->store, tenant->id, 100000);
  if (!report) return FailWith(report.error());
  fmt::print("{:<10} {}\n", "RESOURCES", "ATTRIBUTE (held, not declared by any schema of the tenant)");
  for (const auto& attribute : *report) fmt::print("{:<10} {}\n", attribute.resources, attribute.name);
  return kExitOk;
}

}  // namespace scim::app

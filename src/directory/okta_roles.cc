#include "directory/okta_roles.h"

namespace scim::directory {

using core::Json;

std::vector<std::string> EnumeratedRoles(const core::SchemaRegistry& registry) {
  const core::Schema* user = registry.FindSchema(core::kUserSchema);
  if (user == nullptr) return {};
  if (const core::Attribute* role = user->Find("role"); role != nullptr && !role->canonical_values.empty()) {
    return role->canonical_values;
  }
  if (const core::Attribute* roles = user->Find("roles"); roles != nullptr) {
    if (const core::Attribute* value = roles->FindSub("value"); value != nullptr) return value->canonical_values;
  }
  return {};
}

Json RoleResourceType() {
  return {{"schemas", {core::kResourceTypeSchema}},
          {"id", "Role"},
          {"name", "Role"},
          {"endpoint", "/Roles"},
          {"description", "The roles a user of this app can have"},
          {"schema", kOktaRoleSchema},
          {"schemaExtensions", Json::array()}};
}

Json RoleSchema() {
  auto attribute = [](const char* name, const char* description, bool required) {
    return Json{{"name", name},          {"type", "string"},      {"multiValued", false},
                {"description", description}, {"required", required}, {"caseExact", true},
                {"mutability", "readOnly"},   {"returned", "default"}, {"uniqueness", required ? "server" : "none"}};
  };
  return {{"schemas", {core::kSchemaSchema}},
          {"id", kOktaRoleSchema},
          {"name", "Role"},
          {"description", "A role of this app"},
          {"attributes", {attribute("id", "The role's value, as users' roles carry it", true),
                          attribute("displayName", "The role's name", true)}}};
}

Json RoleResource(const std::string& role, const std::string& base_url) {
  return {{"schemas", {kOktaRoleSchema}},
          {"id", role},
          {"displayName", role},
          {"meta", {{"resourceType", "Role"}, {"location", base_url + "/Roles/" + role}}}};
}

core::Result<void> CheckRoles(const Json& user, const std::vector<std::string>& roles) {
  if (roles.empty() || !user.is_object()) return {};
  auto list = user.find("roles");
  if (list == user.end() || !list->is_array()) return {};
  for (const Json& entry : *list) {
    std::string value = entry.is_object() ? entry.value("value", std::string()) : std::string();
    bool known = false;
    for (const std::string& role : roles) known = known || role == value;
    if (known) continue;
    std::string allowed;
    for (const std::string& role : roles) allowed += (allowed.empty() ? "" : ", ") + role;
    return core::Fail(core::ErrorType::kInvalidValue,
                      "Attribute 'roles' must hold roles of this app (" + allowed + "); got '" + value + "'");
  }
  return {};
}

}  // namespace scim::directory

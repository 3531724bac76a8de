// Okta entitlements (docs/directory.md#okta-entitlements): a tenant whose roles are an enumerated
// list (the canonicalValues of a `role` attribute it declared on users, else of `roles.value`)
// can show that list to Okta as a resource type: /Roles, schema urn:okta:scim:schemas:core:1.0:Role,
// listed in /ResourceTypes and /Schemas, so Okta's admin picks roles from it; users then carry
// the picked roles in `roles` ([{"value": ROLE}]), checked against the list. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "core/schema.h"

namespace scim::directory {

inline constexpr std::string_view kOktaRoleSchema = "urn:okta:scim:schemas:core:1.0:Role";

// The tenant's enumerated roles (empty when it declared none).
std::vector<std::string> EnumeratedRoles(const core::SchemaRegistry& registry);

// The discovery documents (without meta) and a Role resource at `base_url`.
core::Json RoleResourceType();
core::Json RoleSchema();
core::Json RoleResource(const std::string& role, const std::string& base_url);

// Every roles[].value of `user` must be one of `roles`. kInvalidValue listing them.
core::Result<void> CheckRoles(const core::Json& user, const std::vector<std::string>& roles);

}  // namespace scim::directory

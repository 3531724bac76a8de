// The directory as the vendor's app reads it through the host API (docs/directory.md): each user
// with its resolved manager, departments, groups and effective roles; the org chart; departments.
// Everything is derived when read from the SCIM documents, memberships and manager links, so it
// follows every change at once and needs no upkeep of its own.
//
// - Departments: one per distinct enterprise `department` value (id "dept_" + a hash of the name in
//   lower case), and, when the tenant sets groups_as_departments, one per pushed group (id = the
//   group's id, so a rename keeps it). A group and a department value of the same name (any case)
//   are one department: the group's.
// - Effective roles: the user's own (`roles[].value`, and a `role` attribute a tenant declared,
//   anywhere in the document) and those of every group it belongs to (its `role`, `roles[].value`).
// - The org chart follows resolved manager links; a cycle is reported, never followed twice.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "core/schema.h"
#include "core/tenant_settings.h"
#include "storage/store.h"

namespace scim::directory {

struct UserQuery {
  std::string filter;  // a SCIM filter over users (empty: all)
  int64_t start_index = 1;
  int64_t count = 100;
  std::optional<std::string> cursor;  // RFC 9865 cursor paging ("" for the first page)
};

class DirectoryView {
 public:
  DirectoryView(storage::Store& store, storage::TenantId tenant, const core::TenantSettings& settings,
                std::shared_ptr<const core::SchemaRegistry> registry);

  // {"users": [...], "totalResults": N, "next_cursor"?}. Errors: kInvalidFilter, kInvalidCursor.
  core::Result<core::Json> Users(const UserQuery& query);
  // One user with its chain of managers and direct reports. kNotFound.
  core::Result<core::Json> User(const std::string& id);
  // {"roots": [tree…], "cycles": [[ids…]]}: every user who manages or reports to someone.
  core::Result<core::Json> OrgChart();
  // {"departments": [{"id","name","source","users"}]}
  core::Result<core::Json> Departments();
  // One department with its users. kNotFound.
  core::Result<core::Json> Department(const std::string& id);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace scim::directory

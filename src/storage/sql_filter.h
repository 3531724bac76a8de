// Translates a SCIM filter into an SQL condition over the `resources` table (alias r) with bound
// parameters, so that indexed attributes use their index (userName, externalId, id, displayName,
// emails.value, group membership) and everything else still works through SQLite's JSON functions.
// Values are always bound, never pasted into the SQL text (STYLE §3.17).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/error.h"
#include "core/filter.h"
#include "core/schema.h"
#include "storage/store.h"

namespace scim::storage {

using SqlParam = std::variant<std::nullptr_t, int64_t, double, std::string>;

struct SqlCondition {
  std::string sql;              // uses ?1, ?2, ... numbered from first_param
  std::vector<SqlParam> params;
};

// Errors: kInvalidFilter naming the attribute when the filter names something the resource type
// does not have, or compares in a way that cannot apply (e.g. `gt` on a boolean).
Result<SqlCondition> FilterToSqlite(const core::Filter& filter, Kind kind, const core::ResourceType& type,
                                    const core::SchemaRegistry& registry, int first_param);

}  // namespace scim::storage

// Translates a SCIM filter into an SQL condition over the `resources` table (alias r) with bound
// parameters, so that indexed attributes use their index (userName, externalId, id, displayName,
// emails.value, group membership) and everything else still works through the engine's JSON
// functions. One translator serves every engine: a SqlDialect says how the few engine-specific
// pieces are spelled (JSON extraction, array expansion, boolean literals, substring search); the
// semantics (missing values, `not`, case folding, multi-valued attributes) are the same for all.
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

// The engine the SQL is written for. Both spell parameters ?1, ?2, ... (the PostgreSQL backend
// renumbers them to $1, $2, ... when it prepares a statement).
//   kSqlite:   the document is `r.body` (JSON text) read with json_extract / json_each.
//   kPostgres: the document is `r.doc` (jsonb, generated from body) read with #> / #>> and
//              jsonb_array_elements; conditions are booleans, not 0/1.
enum class SqlDialect { kSqlite, kPostgres };

struct SqlCondition {
  std::string sql;              // uses ?1, ?2, ... numbered from first_param
  std::vector<SqlParam> params;
};

// The condition may use ?1, which the caller binds to the tenant id (indexes on side tables lead
// with it); its own parameters start at `first_param` (2 or more).
// Errors: kInvalidFilter naming the attribute when the filter names something the resource type
// does not have, or compares in a way that cannot apply (e.g. `gt` on a boolean).
Result<SqlCondition> FilterToSql(const core::Filter& filter, Kind kind, const core::ResourceType& type,
                                 const core::SchemaRegistry& registry, int first_param, SqlDialect dialect);

// What sortBy orders by (RFC 7644 §3.4.2.3), as an SQL expression over `resources r` without
// parameters: the indexed column where there is one, else the value inside the document; strings
// lower-cased unless caseExact; for a multi-valued attribute the primary element's value, else the
// first element's. `never_null` when every resource has a value (id, userName, meta dates).
struct SqlSortKey {
  std::string sql;
  bool never_null = false;
};
// Errors: kInvalidValue naming the attribute when the type has no such attribute or it cannot be
// sorted by (a complex attribute without `value`, members, groups).
Result<SqlSortKey> SortKeyToSql(const core::AttrPath& path, Kind kind, const core::ResourceType& type,
                                const core::SchemaRegistry& registry, SqlDialect dialect);

}  // namespace scim::storage

// Lists (SCIM queries with filter, sortBy and paging) as SQL over the `resources` table, for every
// engine: the WHERE clause from the filter of each resource type listed, the ORDER BY that makes
// pages stable, and the page query by offset (startIndex) or by key (RFC 9865 cursors). The SQL
// uses ?1, ?2, ... (?1 is the tenant); engines differ only where sql_filter's dialect says.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/schema.h"
#include "storage/cursor.h"
#include "storage/sql_filter.h"
#include "storage/store.h"

namespace scim::storage {

// The order of a list query: sortBy's expression (when given), then the creation sequence, which
// makes every order total and so pages stable.
struct ListKey {
  std::optional<std::string> expr;
  bool never_null = false;

  // The select-list items a page reads back to build cursors: the creation sequence, the sort key.
  std::string Select() const;
  // ORDER BY for a scan in the requested direction (ascending puts rows without a value last;
  // descending is the exact reverse).
  std::string OrderBy(bool descending) const;
  // The condition for rows strictly after `cursor` in scan order; binds its values into `params`.
  std::string After(const PageCursor& cursor, bool descending, std::vector<SqlParam>& params) const;
};

// The WHERE clause (over `resources r`, parameters numbered from ?1) and the order of a list.
struct ListPlan {
  std::string where;
  std::vector<SqlParam> params;
  ListKey key;
};

// Errors: as Store::List (kInvalidFilter, kInvalidValue for sortBy).
Result<ListPlan> PlanList(TenantId tenant, const std::vector<ListScope>& scopes, const core::SchemaRegistry& registry,
                          const ListRequest& request, SqlDialect dialect);

// The SELECT of one page: `columns`, then ListKey::Select(), of the plan's rows after `cursor` (if
// any) in scan order (the requested order, or its reverse for a previous page), or at startIndex
// without a cursor. With a cursor it asks for one row more than the page, which tells whether
// another page follows.
struct PageQuery {
  std::string sql;
  std::vector<SqlParam> params;
};
PageQuery BuildPageQuery(const ListPlan& plan, const ListRequest& request, const PageCursor* cursor,
                         std::string_view columns);

}  // namespace scim::storage

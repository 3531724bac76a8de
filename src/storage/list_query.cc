// List planning shared by the SQL backends. See list_query.h.
#include "storage/list_query.h"

#include <fmt/format.h>

#include <utility>

namespace scim::storage {

using core::ErrorType;

std::string ListKey::Select() const { return "r.seq, " + (expr ? *expr : std::string("NULL")); }

std::string ListKey::OrderBy(bool descending) const {
  const char* dir = descending ? " DESC" : "";
  std::string order;
  if (expr) {
    // Ascending puts rows without a value last; descending is the exact reverse.
    if (!never_null) order += fmt::format("({}) IS NULL{}, ", *expr, dir);
    order += *expr + dir + ", ";
  }
  return order + "r.seq" + dir;
}

std::string ListKey::After(const PageCursor& cursor, bool descending, std::vector<SqlParam>& params) const {
  auto bind = [&](SqlParam p) {
    params.push_back(std::move(p));
    return "?" + std::to_string(params.size());
  };
  const char* cmp = descending ? "<" : ">";
  std::string seq = bind(cursor.seq);
  if (!expr) return fmt::format("r.seq {} {}", cmp, seq);
  const std::string& k = *expr;
  if (!std::holds_alternative<std::nullptr_t>(cursor.sort_value)) {
    std::string v = bind(cursor.sort_value);
    std::string beyond = fmt::format("(({0}) {1} {2} OR (({0}) = {2} AND r.seq {1} {3}))", k, cmp, v, seq);
    return descending ? fmt::format("(({}) IS NOT NULL AND {})", k, beyond)
                      : fmt::format("(({}) IS NULL OR {})", k, beyond);
  }
  // The cursor's row has no value: ascending, only rows without one follow it; descending, every
  // row with a value does too.
  return descending ? fmt::format("(({}) IS NOT NULL OR r.seq {} {})", k, cmp, seq)
                    : fmt::format("(({}) IS NULL AND r.seq {} {})", k, cmp, seq);
}

Result<ListPlan> PlanList(TenantId tenant, const std::vector<ListScope>& scopes, const core::SchemaRegistry& registry,
                          const ListRequest& request, SqlDialect dialect) {
  if (scopes.empty()) return core::Fail(ErrorType::kInternal, "A list needs at least one resource type");
  ListPlan plan;
  plan.params.push_back(tenant.value);
  std::vector<std::string> scope_conditions;
  std::optional<core::Error> filter_error;
  for (const auto& scope : scopes) {
    std::string condition = fmt::format("r.kind = {}", static_cast<int>(scope.kind));
    if (request.filter) {
      auto translated = FilterToSql(*request.filter, scope.kind, *scope.type, registry,
                                    static_cast<int>(plan.params.size()) + 1, dialect);
      if (!translated) {
        // Across types, a filter on what one type lacks just excludes that type (RFC 7644 §3.4.3).
        if (!filter_error) filter_error = translated.error();
        continue;
      }
      condition += " AND " + translated->sql;
      for (auto& p : translated->params) plan.params.push_back(std::move(p));
    }
    scope_conditions.push_back(std::move(condition));
  }
  if (scope_conditions.empty()) return std::unexpected(*filter_error);
  plan.where = "r.tenant_id = ?1 AND ";
  if (scope_conditions.size() == 1) {
    plan.where += scope_conditions.front();
  } else {
    plan.where += "(";
    for (size_t i = 0; i < scope_conditions.size(); ++i) {
      plan.where += (i ? " OR (" : "(") + scope_conditions[i] + ")";
    }
    plan.where += ")";
  }

  if (!request.sort) return plan;
  std::vector<std::pair<Kind, SqlSortKey>> keys;
  std::optional<core::Error> sort_error;
  for (const auto& scope : scopes) {
    auto key = SortKeyToSql(request.sort->path, scope.kind, *scope.type, registry, dialect);
    if (!key) {
      if (!sort_error) sort_error = key.error();
      continue;
    }
    keys.emplace_back(scope.kind, std::move(*key));
  }
  if (keys.empty()) return std::unexpected(*sort_error);
  if (scopes.size() == 1) {
    plan.key = ListKey{keys.front().second.sql, keys.front().second.never_null};
    return plan;
  }
  // Several types: each sorts by its own expression; a type that lacks the attribute has no value.
  std::string expr = "CASE r.kind";
  bool never_null = keys.size() == scopes.size();
  for (const auto& [kind, key] : keys) {
    expr += fmt::format(" WHEN {} THEN {}", static_cast<int>(kind), key.sql);
    never_null = never_null && key.never_null;
  }
  plan.key = ListKey{expr + " END", never_null};
  return plan;
}

PageQuery BuildPageQuery(const ListPlan& plan, const ListRequest& request, const PageCursor* cursor,
                         std::string_view columns) {
  bool descending_scan = (request.sort && request.sort->descending) != (cursor && cursor->backward);
  PageQuery page{"", plan.params};
  std::string where = plan.where;
  if (cursor) where += " AND " + plan.key.After(*cursor, descending_scan, page.params);
  page.sql = fmt::format("SELECT {}, {} FROM resources r WHERE {} ORDER BY {} LIMIT ?{}", columns,
                         plan.key.Select(), where, plan.key.OrderBy(descending_scan), page.params.size() + 1);
  page.params.push_back(request.cursor ? request.count + 1 : request.count);
  if (!request.cursor) {
    page.sql += fmt::format(" OFFSET ?{}", page.params.size() + 1);
    page.params.push_back(request.start_index - 1);
  }
  return page;
}

}  // namespace scim::storage

// Filter -> SQL condition, for SQLite or PostgreSQL. See sql_filter.h.
//
// A comparison on a missing value is NULL in SQL. Outside `not` that already acts as false (and
// and/or keep it so), and the bare comparison keeps its index usable. Under `not`, comparisons are
// wrapped to yield 0, because `not (title eq "x")` must match users that have no title. Each EXISTS
// subquery yields 0 or 1 itself, so its inner condition starts outside any `not` again.
#include "storage/sql_filter.h"

#include <fmt/format.h>
#include <string_view>
#include <utility>

namespace scim::storage {
namespace {

using core::AttrType;
using core::CompareOp;
using core::ErrorType;
using core::Fail;
using core::Filter;
using core::Json;

// One step into a JSON document: an object member, or (index >= 0) an array element.
struct JsonStep {
  std::string key;
  int index = -1;
};
using JsonSteps = std::vector<JsonStep>;

// The steps to the attribute inside the stored document: the extension's URN (when in one), the
// attribute, and its sub-attribute when with_sub. Names come from the schema registry, never from
// the request.
JsonSteps AttrSteps(const core::ResolvedAttr& r, bool with_sub) {
  JsonSteps steps;
  if (r.in_extension) steps.push_back({r.schema->id});
  steps.push_back({r.attr->name});
  if (with_sub && r.sub) steps.push_back({r.sub->name});
  return steps;
}

JsonSteps Append(JsonSteps steps, JsonStep step) {
  steps.push_back(std::move(step));
  return steps;
}

// How the engine-specific pieces are written in each dialect.
class Spelling {
 public:
  explicit Spelling(SqlDialect dialect) : pg_(dialect == SqlDialect::kPostgres) {}

  // The resource's stored document.
  std::string Document() const { return pg_ ? "r.doc" : "r.body"; }
  std::string False() const { return pg_ ? "false" : "0"; }
  std::string True() const { return pg_ ? "true" : "1"; }

  // The value at `steps` inside `source` (a document, or the `value` of an element row) as an SQL
  // scalar for an attribute of `type`: text for strings and dates, a number for numbers, 1/0 for
  // booleans; NULL when absent or JSON null.
  std::string Scalar(std::string_view source, const JsonSteps& steps, AttrType type) const {
    if (!pg_) return steps.empty() ? std::string(source) : fmt::format("json_extract({}, '{}')", source, SqlitePath(steps));
    std::string node = steps.empty() ? std::string(source) : fmt::format("({} #> '{}')", source, PgPath(steps));
    switch (type) {
      case AttrType::kBoolean:
        return fmt::format("(CASE WHEN jsonb_typeof({0}) = 'boolean' THEN ({0} = 'true'::jsonb)::int END)", node);
      case AttrType::kInteger:
      case AttrType::kDecimal:
        return fmt::format("(CASE WHEN jsonb_typeof({0}) = 'number' THEN ({0} #>> '{{}}')::numeric END)", node);
      default:
        return steps.empty() ? fmt::format("({} #>> '{{}}')", source)
                             : fmt::format("({} #>> '{}')", source, PgPath(steps));
    }
  }

  // The elements of the array at `steps` inside the document as a row source named `alias`, whose
  // column `value` is each element (none when the attribute is absent).
  std::string ArrayRows(const JsonSteps& steps, std::string_view alias) const {
    if (!pg_) return fmt::format("json_each(r.body, '{}') {}", SqlitePath(steps), alias);
    std::string node = fmt::format("(r.doc #> '{}')", PgPath(steps));
    return fmt::format(
        "jsonb_array_elements(CASE WHEN {0} IS NULL THEN '[]'::jsonb WHEN jsonb_typeof({0}) = 'array' THEN {0} "
        "ELSE jsonb_build_array({0}) END) {1}(value)",
        node, alias);
  }

  // Whether the element row `alias` has "primary": true.
  std::string IsPrimary(std::string_view alias) const {
    return pg_ ? fmt::format("({}.value -> 'primary') = 'true'::jsonb", alias)
               : fmt::format("json_extract({}.value, '$.primary') = 1", alias);
  }

  // The position of `needle` in `haystack` (1-based; 0: absent).
  std::string Position(const std::string& haystack, const std::string& needle) const {
    if (pg_) return fmt::format("strpos({}, {})", haystack, needle);
    return fmt::format("instr({}, {})", haystack, needle);
  }

  // Whether case folding of bound text happens in SQL (lower(?)), as the column's does.
  bool FoldsInSql() const { return pg_; }

  // `key = value` written as the engine's index on `key` is defined. PostgreSQL's B-tree entries
  // are limited to about 2.7 kB, so its indexes on text a client chooses (userName, displayName,
  // externalId, email values) hold md5(text) and the exact comparison rechecks.
  std::string IndexedEquals(const std::string& key, const std::string& value) const {
    if (!pg_) return fmt::format("{} = {}", key, value);
    return fmt::format("md5({0}) = md5({1}) AND {0} = {1}", key, value);
  }

  // Text compared or sorted by byte order on every engine (SQLite's BINARY collation), whatever
  // collation the PostgreSQL database was created with.
  std::string ByteOrder(const std::string& text) const { return pg_ ? "(" + text + ") COLLATE \"C\"" : text; }

 private:
  // '$."a"."b"[0]'
  static std::string SqlitePath(const JsonSteps& steps) {
    std::string path = "$";
    for (const auto& step : steps) {
      path += step.index >= 0 ? "[" + std::to_string(step.index) + "]" : ".\"" + step.key + "\"";
    }
    return path;
  }
  // '{"a","b","0"}' (a text[] literal)
  static std::string PgPath(const JsonSteps& steps) {
    std::string path = "{";
    for (size_t i = 0; i < steps.size(); ++i) {
      if (i) path += ",";
      path += "\"" + (steps[i].index >= 0 ? std::to_string(steps[i].index) : steps[i].key) + "\"";
    }
    return path + "}";
  }

  bool pg_;
};

// Where attribute references are evaluated: the resource row, or one element of a multi-valued
// attribute inside a value filter (a json_each row), or one membership row.
enum class Scope { kResource, kJsonElement, kMembership };

class Translator {
 public:
  Translator(Kind kind, const core::ResourceType& type, const core::SchemaRegistry& registry, int first_param,
             SqlDialect dialect)
      : kind_(kind), type_(type), registry_(registry), sql_(dialect), next_param_(first_param) {}

  Result<std::string> Translate(const Filter& filter, Scope scope, const core::ResolvedAttr* outer,
                                std::string_view element_alias) {
    if (++depth_ > core::kMaxFilterDepth * 2) return Fail(ErrorType::kInvalidFilter, "Filter is nested too deeply");
    auto result = std::visit(
        [&](const auto& node) -> Result<std::string> { return Node(node, scope, outer, element_alias); },
        filter.node);
    --depth_;
    return result;
  }

  std::vector<SqlParam> TakeParams() { return std::move(params_); }

 private:
  // Inside an EXISTS subquery: `not` outside it does not reach its condition.
  class SubqueryScope {
   public:
    explicit SubqueryScope(int& negation) : negation_(negation), saved_(std::exchange(negation, 0)) {}
    ~SubqueryScope() { negation_ = saved_; }

   private:
    int& negation_;
    int saved_;
  };

  std::string FalseWhenNull(const std::string& condition) const {
    return negation_ > 0 ? "COALESCE(" + condition + ", " + sql_.False() + ")" : "(" + condition + ")";
  }

  std::string Bind(SqlParam value) {
    params_.push_back(std::move(value));
    return "?" + std::to_string(next_param_++);
  }

  // `text` bound for comparing with lower(column): folded as the engine's lower() folds the column
  // (SQLite: ASCII only, done here; PostgreSQL: by its locale, so in SQL).
  std::string BindFolded(const std::string& text) {
    if (sql_.FoldsInSql()) return "lower(" + Bind(text) + ")";
    return Bind(core::ToLower(text));
  }

  Result<std::string> Node(const core::Logical& node, Scope scope, const core::ResolvedAttr* outer,
                           std::string_view alias) {
    auto lhs = Translate(*node.lhs, scope, outer, alias);
    if (!lhs) return lhs;
    auto rhs = Translate(*node.rhs, scope, outer, alias);
    if (!rhs) return rhs;
    return "(" + *lhs + (node.op == core::LogicalOp::kAnd ? " AND " : " OR ") + *rhs + ")";
  }

  Result<std::string> Node(const core::Not& node, Scope scope, const core::ResolvedAttr* outer,
                           std::string_view alias) {
    ++negation_;
    auto inner = Translate(*node.inner, scope, outer, alias);
    --negation_;
    if (!inner) return inner;
    return "(NOT " + *inner + ")";
  }

  Result<std::string> Node(const core::ValuePath& node, Scope scope, const core::ResolvedAttr*, std::string_view) {
    if (scope != Scope::kResource) return Fail(ErrorType::kInvalidFilter, "Value filters cannot be nested");
    auto resolved = Resolve(node.path);
    if (!resolved) return std::unexpected(resolved.error());
    const auto& attr = *resolved->attr;
    if (!attr.multi_valued || attr.type != AttrType::kComplex || resolved->sub) {
      return Fail(ErrorType::kInvalidFilter,
                  fmt::format("'{}[...]' needs a multi-valued complex attribute", node.path.ToString()));
    }
    SubqueryScope subquery(negation_);
    if (IsMembers(*resolved)) {
      auto inner = Translate(*node.inner, Scope::kMembership, &*resolved, "m");
      if (!inner) return inner;
      return "EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = r.tenant_id AND m.group_id = r.id AND " +
             *inner + ")";
    }
    int alias_number = ++alias_counter_;
    std::string alias = "j" + std::to_string(alias_number);
    auto inner = Translate(*node.inner, Scope::kJsonElement, &*resolved, alias);
    if (!inner) return inner;
    std::string exists =
        fmt::format("EXISTS (SELECT 1 FROM {} WHERE {})", sql_.ArrayRows(AttrSteps(*resolved, false), alias), *inner);
    // Entra's lookup emails[type eq "work"].value eq "x": the emails index narrows the rows first.
    if (kind_ == Kind::kUser && !resolved->in_extension && core::IEquals(attr.name, "emails")) {
      if (const std::string* email = RequiredValue(*node.inner)) {
        return "(" + EmailIndexCondition(*email) + " AND " + exists + ")";
      }
    }
    return exists;
  }

  // The string an and-chain inside a value filter requires `value` to equal, if any.
  static const std::string* RequiredValue(const Filter& filter) {
    if (const auto* compare = std::get_if<core::Compare>(&filter.node)) {
      bool on_value = compare->path.urn.empty() && compare->path.sub.empty() && core::IEquals(compare->path.name, "value");
      return on_value && compare->op == CompareOp::kEq && compare->value.is_string()
                 ? &compare->value.get_ref<const std::string&>()
                 : nullptr;
    }
    if (const auto* logical = std::get_if<core::Logical>(&filter.node); logical && logical->op == core::LogicalOp::kAnd) {
      if (const std::string* value = RequiredValue(*logical->lhs)) return value;
      return RequiredValue(*logical->rhs);
    }
    return nullptr;
  }

  Result<std::string> Node(const core::Present& node, Scope scope, const core::ResolvedAttr* outer,
                           std::string_view alias) {
    return Comparison(node.path, std::nullopt, nullptr, scope, outer, alias);
  }

  Result<std::string> Node(const core::Compare& node, Scope scope, const core::ResolvedAttr* outer,
                           std::string_view alias) {
    return Comparison(node.path, node.op, &node.value, scope, outer, alias);
  }

  Result<core::ResolvedAttr> Resolve(const core::AttrPath& path) {
    auto resolved = registry_.Resolve(type_, path);
    if (!resolved) return Fail(ErrorType::kInvalidFilter, resolved.error().detail);
    return resolved;
  }

  // Users with an email of this value (any case), through the emails index. ?1 is the tenant.
  std::string EmailIndexCondition(const std::string& email) {
    return fmt::format("r.seq IN (SELECT e.resource_seq FROM resource_emails e WHERE e.tenant_id = ?1 AND {})",
                       sql_.IndexedEquals("e.value_lower", Bind(core::ToLower(email))));
  }

  bool IsMembers(const core::ResolvedAttr& r) const {
    return kind_ == Kind::kGroup && !r.in_extension && core::IEquals(r.attr->name, core::kMembersAttr);
  }
  bool IsGroupsOfUser(const core::ResolvedAttr& r) const {
    return kind_ == Kind::kUser && !r.in_extension && core::IEquals(r.attr->name, "groups");
  }

  // One comparison (op absent: `pr`). Builds the SQL for the attribute's value expression, then the
  // operator over it.
  Result<std::string> Comparison(const core::AttrPath& path, std::optional<CompareOp> op, const Json* value,
                                 Scope scope, const core::ResolvedAttr* outer, std::string_view alias) {
    if (scope == Scope::kJsonElement || scope == Scope::kMembership) {
      // Inside a value filter: the path names a sub-attribute of the outer attribute.
      const core::Attribute* sub = outer->attr->FindSub(path.name);
      if (!sub || !path.sub.empty() || !path.urn.empty()) {
        return Fail(ErrorType::kInvalidFilter,
                    fmt::format("Unknown sub-attribute '{}' in '{}[...]'", path.ToString(), outer->attr->name));
      }
      if (scope == Scope::kMembership) {
        std::string column;
        if (core::IEquals(sub->name, "value")) {
          column = "m.member_id";
        } else if (core::IEquals(sub->name, "type")) {
          column = "(CASE m.member_kind WHEN 1 THEN 'User' ELSE 'Group' END)";
        } else {
          return Fail(ErrorType::kInvalidFilter, "Members can be filtered on 'value' and 'type' only");
        }
        return Operator(column, *sub, op, value, path);
      }
      return Operator(sql_.Scalar(std::string(alias) + ".value", {{sub->name}}, sub->type), *sub, op, value, path);
    }

    auto resolved = Resolve(path);
    if (!resolved) return std::unexpected(resolved.error());
    const core::Attribute& leaf = resolved->Leaf();
    const std::string& top = resolved->attr->name;

    if (!resolved->in_extension) {
      // Columns the database indexes or computes.
      if (core::IEquals(top, "id")) return Operator("r.id", leaf, op, value, path);
      bool string_eq = op == CompareOp::kEq && value && value->is_string();
      if (core::IEquals(top, "externalId")) {
        if (string_eq && leaf.case_exact) {
          return FalseWhenNull(sql_.IndexedEquals("r.external_id", Bind(value->get<std::string>())));
        }
        return Operator("r.external_id", leaf, op, value, path);
      }
      if (kind_ == Kind::kUser && core::IEquals(top, "userName")) {
        // Written exactly as the partial unique index is defined, so the planner can use it.
        if (string_eq && !leaf.case_exact) {
          return FalseWhenNull("r.user_name IS NOT NULL AND " +
                               sql_.IndexedEquals("lower(r.user_name)", BindFolded(value->get<std::string>())));
        }
        return Operator("r.user_name", leaf, op, value, path);
      }
      if (kind_ == Kind::kGroup && core::IEquals(top, "displayName")) {
        if (string_eq && !leaf.case_exact) {
          return FalseWhenNull(sql_.IndexedEquals("lower(r.display_name)", BindFolded(value->get<std::string>())));
        }
        return Operator("r.display_name", leaf, op, value, path);
      }
      if (core::IEquals(top, "meta")) {
        if (!resolved->sub) return Fail(ErrorType::kInvalidFilter, "Filter on 'meta' needs a sub-attribute");
        const std::string& sub = resolved->sub->name;
        if (core::IEquals(sub, "created")) return Operator("r.created", leaf, op, value, path);
        if (core::IEquals(sub, "lastModified")) return Operator("r.last_modified", leaf, op, value, path);
        if (core::IEquals(sub, "resourceType"))
          return Operator(fmt::format("'{}'", KindName(kind_)), leaf, op, value, path);
        if (core::IEquals(sub, "version"))
          return Operator("('W/\"' || r.version || '\"')", leaf, op, value, path);
        return Fail(ErrorType::kInvalidFilter, fmt::format("Cannot filter on '{}'", path.ToString()));
      }
      if (IsMembers(*resolved) || IsGroupsOfUser(*resolved)) {
        bool members = IsMembers(*resolved);
        bool negate = op == CompareOp::kNe;
        if (negate) op = CompareOp::kEq;
        std::string sub = resolved->sub ? resolved->sub->name : "value";
        SubqueryScope subquery(negation_);
        if (!core::IEquals(sub, "value")) {
          return Fail(ErrorType::kInvalidFilter,
                      fmt::format("'{}' can be filtered on its 'value' only", resolved->attr->name));
        }
        auto cmp = Operator(members ? "m.member_id" : "m.group_id", leaf.sub_attributes.empty() ? leaf : *leaf.FindSub("value"),
                            op, value, path);
        if (!cmp) return cmp;
        return fmt::format(
            "{}EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = r.tenant_id AND {} = r.id AND {})",
            negate ? "NOT " : "", members ? "m.group_id" : "m.member_id", *cmp);
      }
      if (kind_ == Kind::kUser && core::IEquals(top, "emails") && op == CompareOp::kEq && value &&
          value->is_string() && (!resolved->sub || core::IEquals(resolved->sub->name, "value"))) {
        return EmailIndexCondition(value->get<std::string>());
      }
    }

    if (resolved->attr->multi_valued) {
      // Any element matches. Complex elements compare their sub-attribute ("value" when none named).
      // `ne` means no element equals (true when there are none), as the in-memory evaluator has it.
      bool negate = op == CompareOp::kNe;
      if (negate) op = CompareOp::kEq;
      SubqueryScope subquery(negation_);
      int alias_number = ++alias_counter_;
      std::string a = "j" + std::to_string(alias_number);
      std::string element;
      const core::Attribute* compared = &leaf;
      if (resolved->attr->type == AttrType::kComplex) {
        const core::Attribute* sub = resolved->sub ? resolved->sub : resolved->attr->FindSub("value");
        if (!sub) return Fail(ErrorType::kInvalidFilter, fmt::format("'{}' has no 'value' to compare", top));
        compared = sub;
        element = sql_.Scalar(a + ".value", {{sub->name}}, sub->type);
      } else {
        element = sql_.Scalar(a + ".value", {}, compared->type);
      }
      auto cmp = Operator(element, *compared, op, value, path);
      if (!cmp) return cmp;
      return fmt::format("{}EXISTS (SELECT 1 FROM {} WHERE {})", negate ? "NOT " : "",
                         sql_.ArrayRows(AttrSteps(*resolved, false), a), *cmp);
    }
    return Operator(sql_.Scalar(sql_.Document(), AttrSteps(*resolved, true), leaf.type), leaf, op, value, path);
  }

  // `column op value` as 0/1 for the attribute's type and case sensitivity.
  Result<std::string> Operator(const std::string& column, const core::Attribute& attr, std::optional<CompareOp> op,
                               const Json* value, const core::AttrPath& path) {
    if (!op) {  // pr
      bool textual = attr.type == AttrType::kString || attr.type == AttrType::kReference ||
                     attr.type == AttrType::kBinary || attr.type == AttrType::kDateTime;
      if (!textual) return fmt::format("({} IS NOT NULL)", column);
      return FalseWhenNull(fmt::format("{} IS NOT NULL AND {} <> ''", column, column));
    }
    if (value->is_null()) {
      if (*op == CompareOp::kEq) return fmt::format("({} IS NULL)", column);
      if (*op == CompareOp::kNe) return fmt::format("({} IS NOT NULL)", column);
      return Fail(ErrorType::kInvalidFilter, fmt::format("'{}' cannot be compared to null with that operator", path.ToString()));
    }
    if (attr.type == AttrType::kComplex) {
      return Fail(ErrorType::kInvalidFilter,
                  fmt::format("'{}' is complex: compare one of its sub-attributes instead", path.ToString()));
    }
    if (attr.type == AttrType::kBoolean) {
      std::optional<bool> b;
      if (value->is_boolean()) b = value->get<bool>();
      if (value->is_string()) {  // Entra: primary eq "True"
        if (core::IEquals(value->get_ref<const std::string&>(), "true")) b = true;
        if (core::IEquals(value->get_ref<const std::string&>(), "false")) b = false;
      }
      if (!b || (*op != CompareOp::kEq && *op != CompareOp::kNe)) {
        return Fail(ErrorType::kInvalidFilter,
                    fmt::format("'{}' is a boolean: use eq or ne with true or false", path.ToString()));
      }
      std::string p = Bind(int64_t{*b ? 1 : 0});
      // json_extract yields 1/0 for JSON true/false.
      if (*op == CompareOp::kEq) return FalseWhenNull(fmt::format("{} = {}", column, p));
      return fmt::format("COALESCE({} <> {}, {})", column, p, sql_.True());
    }
    if (attr.type == AttrType::kInteger || attr.type == AttrType::kDecimal) {
      if (!value->is_number()) {
        return Fail(ErrorType::kInvalidFilter, fmt::format("'{}' is a number: compare it to a number", path.ToString()));
      }
      std::string p = value->is_number_integer() ? Bind(value->get<int64_t>()) : Bind(value->get<double>());
      return NumericOrOrdered(column, *op, p, path);
    }
    // Strings, references, dateTimes, binary.
    if (!value->is_string()) {
      return Fail(ErrorType::kInvalidFilter, fmt::format("'{}' is a string: compare it to a quoted string", path.ToString()));
    }
    const std::string& text = value->get_ref<const std::string&>();
    bool exact = attr.case_exact || attr.type == AttrType::kDateTime || attr.type == AttrType::kBinary;
    std::string col = exact ? column : "lower(" + column + ")";
    std::string p = exact ? Bind(text) : BindFolded(text);
    switch (*op) {
      case CompareOp::kEq: return FalseWhenNull(fmt::format("{} = {}", col, p));
      case CompareOp::kNe: return fmt::format("COALESCE({} <> {}, {})", col, p, sql_.True());
      case CompareOp::kCo: return FalseWhenNull(fmt::format("{} > 0", sql_.Position(col, p)));
      case CompareOp::kSw: return FalseWhenNull(fmt::format("{} = 1", sql_.Position(col, p)));
      case CompareOp::kEw:
        return FalseWhenNull(
            fmt::format("length({0}) >= length({1}) AND substr({0}, length({0}) - length({1}) + 1) = {1}", col, p));
      default: return NumericOrOrdered(sql_.ByteOrder(col), *op, p, path);
    }
  }

  Result<std::string> NumericOrOrdered(const std::string& column, CompareOp op, const std::string& p,
                                       const core::AttrPath& path) const {
    const char* sql_op = nullptr;
    switch (op) {
      case CompareOp::kEq: sql_op = "="; break;
      case CompareOp::kNe: return fmt::format("COALESCE({} <> {}, {})", column, p, sql_.True());
      case CompareOp::kGt: sql_op = ">"; break;
      case CompareOp::kGe: sql_op = ">="; break;
      case CompareOp::kLt: sql_op = "<"; break;
      case CompareOp::kLe: sql_op = "<="; break;
      default:
        return Fail(ErrorType::kInvalidFilter,
                    fmt::format("'{}' is a number: co, sw and ew do not apply", path.ToString()));
    }
    return FalseWhenNull(fmt::format("{} {} {}", column, sql_op, p));
  }

  Kind kind_;
  const core::ResourceType& type_;
  const core::SchemaRegistry& registry_;
  const Spelling sql_;
  int next_param_;
  int alias_counter_ = 0;
  int depth_ = 0;
  int negation_ = 0;  // how many `not` enclose the condition being translated (within its subquery)
  std::vector<SqlParam> params_;
};

// String comparisons fold case unless the schema says caseExact; dates compare as written; text
// orders by bytes on every engine.
std::string SortCollated(std::string sql, const core::Attribute& attr, const Spelling& spelling) {
  bool folds = (attr.type == AttrType::kString || attr.type == AttrType::kReference) && !attr.case_exact;
  bool textual = folds || attr.type == AttrType::kString || attr.type == AttrType::kReference ||
                 attr.type == AttrType::kDateTime || attr.type == AttrType::kBinary;
  std::string key = folds ? "lower(" + sql + ")" : sql;
  return textual ? spelling.ByteOrder(key) : key;
}

}  // namespace

Result<SqlSortKey> SortKeyToSql(const core::AttrPath& path, Kind kind, const core::ResourceType& type,
                                const core::SchemaRegistry& registry, SqlDialect dialect) {
  const Spelling sql(dialect);
  auto cannot = [&](std::string_view why) {
    return Fail(ErrorType::kInvalidValue, fmt::format("Cannot sort by '{}': {}", path.ToString(), why));
  };
  auto resolved = registry.Resolve(type, path);
  if (!resolved) return cannot(resolved.error().detail);
  const core::Attribute& top = *resolved->attr;
  if (!resolved->in_extension) {
    if (core::IEquals(top.name, "id")) return SqlSortKey{sql.ByteOrder("r.id"), true};
    if (core::IEquals(top.name, "externalId")) return SqlSortKey{SortCollated("r.external_id", top, sql), false};
    if (kind == Kind::kUser && core::IEquals(top.name, "userName")) {
      return SqlSortKey{sql.ByteOrder("lower(r.user_name)"), true};
    }
    if (kind == Kind::kGroup && core::IEquals(top.name, "displayName")) {
      return SqlSortKey{sql.ByteOrder("lower(r.display_name)"), false};
    }
    if (core::IEquals(top.name, "meta")) {
      if (resolved->sub && core::IEquals(resolved->sub->name, "created")) {
        return SqlSortKey{sql.ByteOrder("r.created"), true};
      }
      if (resolved->sub && core::IEquals(resolved->sub->name, "lastModified")) {
        return SqlSortKey{sql.ByteOrder("r.last_modified"), true};
      }
      return cannot("of meta, only created and lastModified sort");
    }
    if ((kind == Kind::kGroup && core::IEquals(top.name, core::kMembersAttr)) ||
        (kind == Kind::kUser && core::IEquals(top.name, "groups"))) {
      return cannot("membership has no order");
    }
  }
  if (top.type == AttrType::kComplex) {
    const core::Attribute* sub = resolved->sub ? resolved->sub : top.FindSub("value");
    if (!sub) return cannot("it is complex: sort by one of its sub-attributes");
    if (sub->type == AttrType::kComplex) return cannot("it is complex");
    JsonSteps steps = AttrSteps(*resolved, false);
    if (!top.multi_valued) {
      return SqlSortKey{SortCollated(sql.Scalar(sql.Document(), Append(steps, {sub->name}), sub->type), *sub, sql),
                        false};
    }
    // The primary element's value, else the first element's (RFC 7644 §3.4.2.3).
    return SqlSortKey{
        SortCollated(fmt::format("COALESCE((SELECT {} FROM {} WHERE {} LIMIT 1), {})",
                                 sql.Scalar("e.value", {{sub->name}}, sub->type), sql.ArrayRows(steps, "e"),
                                 sql.IsPrimary("e"),
                                 sql.Scalar(sql.Document(), Append(Append(steps, {"", 0}), {sub->name}), sub->type)),
                     *sub, sql),
        false};
  }
  if (top.multi_valued) {
    return SqlSortKey{
        SortCollated(sql.Scalar(sql.Document(), Append(AttrSteps(*resolved, false), {"", 0}), top.type), top, sql),
        false};
  }
  return SqlSortKey{SortCollated(sql.Scalar(sql.Document(), AttrSteps(*resolved, true), top.type), top, sql), false};
}

Result<SqlCondition> FilterToSql(const core::Filter& filter, Kind kind, const core::ResourceType& type,
                                 const core::SchemaRegistry& registry, int first_param, SqlDialect dialect) {
  Translator translator(kind, type, registry, first_param, dialect);
  auto sql = translator.Translate(filter, Scope::kResource, nullptr, "");
  if (!sql) return std::unexpected(sql.error());
  return SqlCondition{std::move(*sql), translator.TakeParams()};
}

}  // namespace scim::storage

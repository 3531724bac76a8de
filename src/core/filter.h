// SCIM filters (RFC 7644 §3.4.2.2) and attribute paths (§3.5.2 PATCH paths): the grammar only.
// ParseFilter knows nothing of schemas; Matches evaluates a parsed filter against a JSON resource
// (or one element of a multi-valued attribute, for value filters such as emails[type eq "work"]).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/error.h"
#include "core/json.h"
#include "core/schema.h"

namespace scim::core {

// Limits a filter must stay within; violating one is kInvalidFilter.
inline constexpr size_t kMaxFilterLength = 8192;
inline constexpr int kMaxFilterDepth = 32;

enum class CompareOp { kEq, kNe, kCo, kSw, kEw, kGt, kGe, kLt, kLe };
enum class LogicalOp { kAnd, kOr };

struct Filter;

// attrPath op compValue. `value` is a JSON literal: string, number, true, false or null.
struct Compare {
  AttrPath path;
  CompareOp op;
  Json value;
};
// attrPath pr
struct Present {
  AttrPath path;
};
struct Logical {
  LogicalOp op;
  std::unique_ptr<Filter> lhs, rhs;
};
struct Not {
  std::unique_ptr<Filter> inner;
};
// attrPath "[" valFilter "]", e.g. emails[type eq "work" and value co "@example.com"].
// Paths inside `inner` are relative to the elements of `path` (their urn is empty, name is the sub-attribute).
struct ValuePath {
  AttrPath path;
  std::unique_ptr<Filter> inner;
};

struct Filter {
  std::variant<Compare, Present, Logical, Not, ValuePath> node;
};

// Parses a filter expression. Operators and `and`/`or`/`not` are case-insensitive; precedence is
// not > and > or; parentheses group. Errors: kInvalidFilter with a detail that names the position
// ("at character 17: expected a comparison operator after 'userName'"), also when longer than
// kMaxFilterLength or nested deeper than kMaxFilterDepth.
Result<Filter> ParseFilter(std::string_view text);

// Parses an attribute path (attrPath of the grammar): [URN ":"] name ["." sub].
// A URN is recognised by its "urn:" prefix; the attribute name is what follows the last ':'.
// Errors: kInvalidPath.
Result<AttrPath> ParseAttrPath(std::string_view text);

// A PATCH path (RFC 7644 §3.5.2): attrPath, or valuePath with an optional ".sub" after the "]":
//   members[value eq "2819c223"]        -> attr {"", "members", ""}, filter, sub_after_filter ""
//   emails[type eq "work"].value        -> attr {"", "emails", ""}, filter, sub_after_filter "value"
//   urn:...:enterprise:2.0:User:manager -> attr {urn, "manager", ""}
struct PatchPath {
  AttrPath attr;
  std::shared_ptr<const Filter> value_filter;  // null when there is no [...]
  std::string sub_after_filter;
};
// Errors: kInvalidPath (for a malformed filter inside the brackets as well).
Result<PatchPath> ParsePatchPath(std::string_view text);

// Tells the evaluator whether string comparisons on the attribute named by the full path are
// case-exact (from the schema). Without one, every comparison is case-insensitive.
using CaseExactFn = std::function<bool(const AttrPath&)>;

// True when `resource` (a JSON object: a resource, or an element of a multi-valued attribute when
// evaluating the inner filter of a value path) matches `filter`. Attribute names match
// case-insensitively. For a multi-valued attribute, a comparison is true when any element matches;
// a comparison on a complex multi-valued attribute without a sub-attribute compares its "value".
// Extension attributes are looked up under the URN key of `resource`. Never fails: a comparison
// that cannot apply (wrong types) is false.
bool Matches(const Filter& filter, const Json& resource, const CaseExactFn& case_exact = nullptr);

// Renders a filter back to text in canonical form (for logs, errors and tests).
std::string ToString(const Filter& filter);

}  // namespace scim::core

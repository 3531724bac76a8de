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
#include "core/limits.h"
#include "core/quirks.h"
#include "core/schema.h"

namespace scim::core {

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
// not > and > or, both left-associative; parentheses group. Values are JSON literals (strings with
// escapes, numbers, true/false/null in any case). Whitespace between tokens may be any run of
// spaces, tabs or newlines. Inside "[...]" a path is a plain sub-attribute name (no URN, no '.'),
// and brackets do not nest.
// Beyond RFC 7644: Entra's `emails[type eq "work"].value eq "x"` is accepted and parsed as
// emails[type eq "work" and value eq "x"] (likewise with `pr`), through `quirks` (may be null:
// lenient, unrecorded; a strict log refuses it as kInvalidFilter).
// Errors: kInvalidFilter with a detail that names the 1-based position and what was expected
// ("Invalid filter at character 10: expected a comparison operator (eq, ne, ...) after 'userName',
// found 'equals'"), also when empty, longer than `limits.filter_length` or nested deeper than
// `limits.filter_depth` (each error names the limit; kMaxFilterDepth and kMaxFilterLength, from
// limits.h, when a limit is above them). Never throws; recursion is bounded by kMaxFilterDepth.
Result<Filter> ParseFilter(std::string_view text, QuirkLog* quirks = nullptr, const DocumentLimits& limits = {});

// Parses an attribute path (attrPath of the grammar): [URN ":"] name ["." sub].
// A URN is recognised by its "urn:" prefix; the attribute name is what follows the last ':'.
// So a bare schema URN ("urn:...:enterprise:2.0:User") parses as {"urn:...:enterprise:2.0", "User"};
// a caller that accepts schema URNs as paths checks FindSchema(path.ToString()) first.
// Errors: kInvalidPath ("Invalid path 'x:y' at character 2: ...").
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
// The path, and the filter inside its brackets, keep to `limits.filter_length` and
// `limits.filter_depth` as ParseFilter does.
// Errors: kInvalidPath (for a malformed filter inside the brackets as well).
Result<PatchPath> ParsePatchPath(std::string_view text, const DocumentLimits& limits = {});

// Tells the evaluator whether string comparisons on the attribute named by the full path are
// case-exact (from the schema). Without one, every comparison is case-insensitive (ASCII folding).
// The path it is asked about: the path as written; {urn, name, "value"} when an element of a complex
// multi-valued attribute stands for its value (`emails co "@x"`); {outer.urn, outer.name, inner.name}
// inside a value filter. Called at most once per path per Matches call.
using CaseExactFn = std::function<bool(const AttrPath&)>;

// True when `resource` (a JSON object: a resource, or an element of a multi-valued attribute when
// evaluating the inner filter of a value path) matches `filter`. Attribute names match
// case-insensitively. For a multi-valued attribute, a comparison is true when any element matches;
// a comparison on a complex multi-valued attribute without a sub-attribute compares its "value".
// A URN that is not a core schema ("urn:ietf:params:scim:schemas:core:...") selects the extension
// object stored under that URN key; a core URN or no URN means the top level (unqualified names
// are never searched for in extensions). Semantics in detail:
//  - an absent attribute and a null are the same; `ne` is "not eq", so it is true for both;
//  - `eq null` is true when the attribute is absent or null; every other operator on null is false;
//  - `pr`: present and not null, "", [] or {} (an array or object needs one such element/member);
//  - strings: all operators, gt/ge/lt/le lexicographic by byte (so ISO dateTimes order correctly);
//  - numbers: numeric eq/gt/ge/lt/le; booleans: eq only, and "true"/"false" strings in any case
//    equal the boolean (Entra); any other operator or mix of types is false.
// Never fails. When evaluating a PatchPath's value_filter against one element, pass a CaseExactFn
// that prefixes the attribute: inner paths arrive as {"", sub, ""}.
bool Matches(const Filter& filter, const Json& resource, const CaseExactFn& case_exact = nullptr);

// Renders a filter back to text in canonical form (for logs, errors and tests): lower-case
// operators, JSON literals, single spaces, parentheses only where the tree needs them.
// ParseFilter(ToString(f)) renders the same text again.
std::string ToString(const Filter& filter);

}  // namespace scim::core

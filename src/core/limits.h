// The limits a SCIM document from a client must stay within (docs/limits.md): JSON nesting, filter
// length and nesting, PATCH operations, values of one multi-valued attribute. Each has a hard
// ceiling here, which protects the stack (the depths) or keeps a quadratic check cheap (the counts);
// the operator may lower each (app/config: max_json_depth, ...), never raise it.
#pragma once

#include <cstddef>

namespace scim::core {

// Deepest nesting of arrays/objects ParseJson accepts (SCIM documents need about 4).
inline constexpr size_t kMaxJsonDepth = 64;
// Longest filter, in bytes, and deepest nesting of one; beyond them: kInvalidFilter. The depth counts
// the '(' and '[' enclosing a point of the filter (`not (` counts once); and/or chains do not nest.
inline constexpr size_t kMaxFilterLength = 8192;
inline constexpr int kMaxFilterDepth = 32;
// Operations in one PATCH request; beyond it: kInvalidValue.
inline constexpr size_t kMaxPatchOperations = 1000;
// Elements one multi-valued attribute may hold, and one value array may carry (group members
// excepted: they are not in the document, and groups may have 100,000). Keeps PATCH add's
// duplicate check, which is quadratic, cheap.
inline constexpr size_t kMaxAttributeValues = 1000;

// The limits one server applies to what clients send; the defaults are the ceilings. Each value
// must lie between 1 and its ceiling (the configuration's ranges ensure it); the parsers treat a
// larger depth as the ceiling regardless, since that one protects the stack.
struct DocumentLimits {
  size_t json_depth = kMaxJsonDepth;              // ParseJson
  size_t filter_length = kMaxFilterLength;        // ParseFilter, and the filter of a PATCH path
  int filter_depth = kMaxFilterDepth;             // ParseFilter, and the filter of a PATCH path
  size_t patch_operations = kMaxPatchOperations;  // ParsePatchRequest
  size_t attribute_values = kMaxAttributeValues;  // ApplyPatch, and NormalizeResource for POST and PUT
};

}  // namespace scim::core

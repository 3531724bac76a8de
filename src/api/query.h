// Reading SCIM list requests (RFC 7644 §3.4.2, RFC 9865): from a query string (GET) or from a
// SearchRequest body (POST .search): filter, sortBy, sortOrder, startIndex, count, cursor,
// attributes, excludedAttributes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/json.h"

namespace scim::api {

// Decodes %XX escapes and, in query strings, '+' as a space. nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// name=value pairs, decoded, in order. Errors: kBadRequest naming the malformed parameter.
core::Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query);

struct ListParams {
  std::optional<std::string> filter;
  std::optional<std::string> sort_by;
  bool descending = false;
  int64_t start_index = 1;
  int64_t count = 0;  // filled with the default when absent
  std::optional<std::string> cursor;  // RFC 9865: present (maybe empty) selects cursor paging
  std::vector<std::string> attributes;
  std::vector<std::string> excluded_attributes;
};

// Reads the list parameters from a query string (names case-insensitive). Per RFC 7644 §3.4.2.4 a
// startIndex below 1 is 1 and a negative count is 0; count above `max_count` is clamped to it.
// Errors: kBadRequest for a non-integer startIndex or count; kInvalidValue for a sortOrder other
// than ascending/descending, or startIndex together with cursor.
core::Result<ListParams> ParseListParams(std::string_view query, int64_t default_count, int64_t max_count);

// Reads a SearchRequest body (RFC 7644 §3.4.3): the same parameters as JSON members, attribute
// lists as arrays (a comma-separated string is accepted too), numbers as numbers.
// Errors: kInvalidSyntax when the body is not a SearchRequest object; kInvalidValue for a member of
// the wrong type; then as ParseListParams.
core::Result<ListParams> ParseSearchRequest(const core::Json& body, int64_t default_count, int64_t max_count);

// The comma-separated attribute names of `attributes` / `excludedAttributes`.
std::vector<std::string> SplitAttributeList(std::string_view text);

}  // namespace scim::api

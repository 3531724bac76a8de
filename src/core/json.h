// The JSON document type used throughout scimd, and the few helpers every layer needs.
// nlohmann's exceptions never leave json.cc: parsing returns a Result.
// Objects keep insertion order (ordered_json) so responses read in schema order.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/limits.h"

namespace scim::core {

using Json = nlohmann::ordered_json;

// Parses `text` as one JSON value. On failure: kInvalidSyntax with the byte offset and what was
// expected, naming the limit when arrays and objects nest deeper than `max_depth` (at most
// kMaxJsonDepth: a larger value counts as kMaxJsonDepth), naming a key that appears twice in one
// object (RFC 8259 leaves that to the receiver; which value wins would be a guess), or a number
// beyond a double.
Result<Json> ParseJson(std::string_view text, size_t max_depth = kMaxJsonDepth);

// Compact serialisation; invalid UTF-8 is replaced rather than thrown on.
std::string DumpJson(const Json& value);

// Appends `text` to `out` as a JSON string literal (quotes included), exactly as DumpJson would
// write it: control characters escaped, invalid UTF-8 replaced by U+FFFD. For hot paths that build
// JSON text directly (the access log) instead of a document.
void AppendJsonString(std::string& out, std::string_view text);

// The length of the well-formed UTF-8 sequence starting at text[i] (1 for ASCII), or 0 when the
// bytes there are not one (RFC 3629: no overlongs, surrogates or code points above U+10FFFF).
size_t WellFormedUtf8Length(std::string_view text, size_t i);

// ASCII case-insensitive comparison: SCIM attribute names, schema URNs and operators are case-insensitive.
bool IEquals(std::string_view a, std::string_view b);
std::string ToLower(std::string_view text);

// A number written as text, the whole of it: "42", "-3", and "2.5" unless `integer_only`.
// nullopt for anything else (OneLogin templates send numbers as text).
std::optional<Json> NumberFromText(const Json& value, bool integer_only);

// Case-insensitive member lookup in an object. Returns nullptr when `object` is not an object or has
// no such member. When two keys differ only in case, the first wins.
const Json* FindMember(const Json& object, std::string_view name);
Json* FindMember(Json& object, std::string_view name);
// Removes every member named `name` (any case). Returns how many were removed.
size_t EraseMember(Json& object, std::string_view name);

}  // namespace scim::core

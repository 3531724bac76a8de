// What real identity providers send that RFC 7643/7644 does not allow (shared/idp/TRAFFIC.md §2.6),
// and a per-request log of which of those shapes a request used.
//
// The protocol core reads each such shape only through QuirkLog::Allow, so one switch (a tenant's
// `compatibility`, docs/idp-compatibility.md) decides whether it is read leniently or handled as
// the RFC says (usually a 400), and every use is recorded for the operator either way.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace scim::core {

enum class Quirk {
  kCapitalisedOp,         // "op": "Replace"                                             Entra   [Q1]
  kBooleanString,         // "active": "False"                                  Entra, OneLogin  [Q2, Q22]
  kNumberString,          // an integer or decimal sent as text                        OneLogin [Q22]
  kRemoveWithValue,       // remove members with a value array instead of a filter Entra, OneLogin [Q3]
  kPathInValueKey,        // path-less {"name.givenName": ..} or {"urn:…:User:department": ..} Entra [Q4]
  kBareStringForComplex,  // "manager": "271"                                          Entra   [Q5]
  kStringifiedJson,       // roles: [{"value": "{\"id\":..}"}]                          Entra   [Q6]
  kCreateFromFilter,      // replace emails[type eq "work"].value on a user without one  Entra   [Q7]
  kEmptyPath,             // "path": "" on a path-less operation                        Entra
  kArrayForSingle,        // "manager": [{"value": ..}]                                 Entra
  kValueForArray,         // "emails": {"value": ..} where an array belongs
  kMissingSchemas,        // a resource body without `schemas`
  kForeignSchema,         // "http://schemas.microsoft.com/…/Group" in `schemas`        Entra
  kQualifiedKey,          // top-level "urn:…:enterprise:2.0:User:department" in a body  Entra
  kFilterValuePathSub,    // filter emails[type eq "work"].value eq "x"                 Entra
  kBareToken,             // Authorization: <token>, "Token token=<token>"    Okta header mode [Q14]
  kEntraUrnSpelling,      // urn:…:extension:2.0:Name:attr, urn:…:Name:2.0:User.attr:value  Entra [Q24]
  kManagerEmail,          // enterprise "manager": {"Email": "boss@…"} without a value           Okta
};

struct QuirkInfo {
  std::string_view id;       // stable name for logs and docs: "capitalised-op"
  std::string_view summary;  // what the client sent, in a phrase
  std::string_view sent_by;  // who is known to send it
};
const QuirkInfo& Describe(Quirk quirk);

struct QuirkUse {
  Quirk quirk;
  std::string where;  // "Operations[0]", "active", ...
};

// One request's record. Not thread-safe; one per request.
class QuirkLog {
 public:
  explicit QuirkLog(bool lenient = true) : lenient_(lenient) {}

  // Records that the request uses `quirk` at `where`; true when it is to be read leniently.
  bool Allow(Quirk quirk, std::string_view where);

  bool lenient() const { return lenient_; }
  const std::vector<QuirkUse>& uses() const { return uses_; }
  bool Used(Quirk quirk) const;
  // Adds the uses `other` recorded (a sub-request's, e.g. one bulk operation).
  void Merge(const QuirkLog& other);
  // "capitalised-op@Operations[0], boolean-string@active" (empty when none).
  std::string Summary() const;

 private:
  static constexpr size_t kMaxRecorded = 16;
  bool lenient_;
  std::vector<QuirkUse> uses_;
};

// The core's functions take an optional log: null reads every quirk leniently and records nothing.
inline bool AllowQuirk(QuirkLog* log, Quirk quirk, std::string_view where) {
  return log == nullptr || log->Allow(quirk, where);
}

}  // namespace scim::core

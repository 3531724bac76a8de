#include "core/quirks.h"

namespace scim::core {

const QuirkInfo& Describe(Quirk quirk) {
  static const QuirkInfo kCapitalisedOp{"capitalised-op", "a PATCH op not in lower case (\"Replace\")", "Entra ID"};
  static const QuirkInfo kBooleanString{"boolean-string", "a boolean sent as a string (\"True\")",
                                        "Entra ID, OneLogin templates"};
  static const QuirkInfo kNumberString{"number-string", "a number sent as a string", "OneLogin templates"};
  static const QuirkInfo kRemoveWithValue{"remove-with-value", "remove with a value array instead of a filter path",
                                          "Entra ID, OneLogin"};
  static const QuirkInfo kPathInValueKey{"path-in-value-key",
                                         "a path-less value key that is a path (\"name.givenName\", URN-qualified)",
                                         "Entra ID"};
  static const QuirkInfo kBareStringForComplex{"bare-string-for-complex",
                                               "a bare string for a complex attribute (manager)", "Entra ID"};
  static const QuirkInfo kStringifiedJson{"stringified-json", "an element value holding JSON text (app roles)",
                                          "Entra ID"};
  static const QuirkInfo kCreateFromFilter{"create-from-filter",
                                           "add/replace on a filtered path that matches nothing", "Entra ID"};
  static const QuirkInfo kEmptyPath{"empty-path", "\"path\": \"\" on a path-less operation", "Entra ID"};
  static const QuirkInfo kArrayForSingle{"array-for-single", "a one-element array for a single-valued attribute",
                                         "Entra ID"};
  static const QuirkInfo kValueForArray{"value-for-array", "a single value where an array belongs", "various"};
  static const QuirkInfo kMissingSchemas{"missing-schemas", "a resource without \"schemas\"", "various"};
  static const QuirkInfo kForeignSchema{"foreign-schema", "a schema id that is not a URN in \"schemas\"",
                                        "Entra ID (groups)"};
  static const QuirkInfo kQualifiedKey{"qualified-key", "an extension attribute as a fully qualified top-level key",
                                       "Entra ID"};
  static const QuirkInfo kFilterValuePathSub{"filter-value-path-sub",
                                             "a filter emails[type eq \"work\"].value eq \"x\"", "Entra ID"};
  static const QuirkInfo kBareToken{"bare-token", "a token without the Bearer scheme",
                                    "Okta (HTTP Header mode), admins pasting other schemes"};
  static const QuirkInfo kEntraUrnSpelling{"entra-urn-spelling",
                                           "an extension attribute in one of Entra's other URN spellings", "Entra ID"};
  static const QuirkInfo kManagerEmail{"manager-email", "the manager named by a non-standard manager.Email",
                                      "Okta (admin mappings)"};
  switch (quirk) {
    case Quirk::kManagerEmail: return kManagerEmail;
    case Quirk::kCapitalisedOp: return kCapitalisedOp;
    case Quirk::kBooleanString: return kBooleanString;
    case Quirk::kNumberString: return kNumberString;
    case Quirk::kRemoveWithValue: return kRemoveWithValue;
    case Quirk::kPathInValueKey: return kPathInValueKey;
    case Quirk::kBareStringForComplex: return kBareStringForComplex;
    case Quirk::kStringifiedJson: return kStringifiedJson;
    case Quirk::kCreateFromFilter: return kCreateFromFilter;
    case Quirk::kEmptyPath: return kEmptyPath;
    case Quirk::kArrayForSingle: return kArrayForSingle;
    case Quirk::kValueForArray: return kValueForArray;
    case Quirk::kMissingSchemas: return kMissingSchemas;
    case Quirk::kForeignSchema: return kForeignSchema;
    case Quirk::kQualifiedKey: return kQualifiedKey;
    case Quirk::kFilterValuePathSub: return kFilterValuePathSub;
    case Quirk::kBareToken: return kBareToken;
    case Quirk::kEntraUrnSpelling: return kEntraUrnSpelling;
  }
  return kValueForArray;
}

bool QuirkLog::Allow(Quirk quirk, std::string_view where) {
  if (uses_.size() < kMaxRecorded) uses_.push_back(QuirkUse{quirk, std::string(where)});
  return lenient_;
}

bool QuirkLog::Used(Quirk quirk) const {
  for (const auto& use : uses_) {
    if (use.quirk == quirk) return true;
  }
  return false;
}

void QuirkLog::Merge(const QuirkLog& other) {
  for (const auto& use : other.uses_) {
    if (uses_.size() < kMaxRecorded) uses_.push_back(use);
  }
}

std::string QuirkLog::Summary() const {
  std::string out;
  for (const auto& use : uses_) {
    if (!out.empty()) out += ", ";
    out += Describe(use.quirk).id;
    if (!use.where.empty()) out += "@" + use.where;
  }
  return out;
}

}  // namespace scim::core

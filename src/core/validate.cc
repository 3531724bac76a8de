// NormalizeResource: the one schema-driven check of every document a client writes (create, replace,
// PATCH result). Walks the body against the resource type's schemas, coerces the deviations real IdPs
// are known to send (shared/idp/TRAFFIC.md §2.6), and builds the canonical stored document.
#include "core/validate.h"

#include "core/filter.h"

#include <cctype>
#include <limits>
#include <unordered_set>
#include <utility>

namespace scim::core {
namespace {

// What applies while walking one attribute tree.
struct Rules {
  std::string_view type_name;  // "User", for messages
  bool enforce_canonical;      // canonicalValues are a closed list (extension attributes only)
  bool require;                // required attributes must be present (every WriteContext today)
  QuirkLog* quirks;            // forgiving readings go through it; may be null
  size_t max_values;           // values one multi-valued attribute may be given
};

bool StartsWithI(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && IEquals(text.substr(0, prefix.size()), prefix);
}

bool RequiresPresence(WriteContext context) {
  switch (context) {
    case WriteContext::kCreate:
    case WriteContext::kReplace:
    case WriteContext::kPatchResult:
      return true;  // each is a whole resource, so it must carry its required attributes
  }
  return true;
}

// "a string", "an integer", ...: what an attribute of `attr`'s type must be.
std::string Expected(const Attribute& attr) {
  switch (attr.type) {
    case AttrType::kString: return "a string";
    case AttrType::kBoolean: return "a boolean (true or false)";
    case AttrType::kDecimal: return "a number (decimal)";
    case AttrType::kInteger: return "an integer";
    case AttrType::kDateTime: return "a dateTime string such as \"2008-01-23T04:56:22Z\"";
    case AttrType::kBinary: return "a base64-encoded string (binary)";
    case AttrType::kReference: return "a reference (a URI string)";
    case AttrType::kComplex: return "a complex value (a JSON object)";
  }
  return "a valid value";
}

// What the client sent instead, short enough for a message.
std::string Got(const Json& value) {
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  std::string text = DumpJson(value);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  if (value.is_string()) return "the string " + text;
  if (value.is_number()) return "the number " + text;
  return text;  // true, false
}

std::unexpected<Error> WrongType(const Attribute& attr, const std::string& path, const Json& value) {
  return Fail(ErrorType::kInvalidValue, "Attribute '" + path + "' must be " + Expected(attr) + ", got " + Got(value));
}

// xsd:dateTime as RFC 7643 §2.3.5 asks: YYYY-MM-DDThh:mm:ss[.fraction][Z|(+|-)hh:mm]. The zone is
// optional in xsd:dateTime, so it is here; RFC 3339 allows a lower-case 't' and 'z'.
bool IsDateTime(std::string_view s) {
  size_t pos = 0;
  auto number = [&](size_t digits, int min, int max) {
    if (pos + digits > s.size()) return false;
    int value = 0;
    for (size_t i = 0; i < digits; ++i) {
      char c = s[pos + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    pos += digits;
    return value >= min && value <= max;
  };
  auto literal = [&](char a, char b = '\0') {
    if (pos >= s.size() || (s[pos] != a && (b == '\0' || s[pos] != b))) return false;
    ++pos;
    return true;
  };
  if (!number(4, 0, 9999) || !literal('-') || !number(2, 1, 12) || !literal('-') || !number(2, 1, 31) ||
      !literal('T', 't') || !number(2, 0, 23) || !literal(':') || !number(2, 0, 59) || !literal(':') ||
      !number(2, 0, 60)) {
    return false;
  }
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return false;
  }
  if (pos == s.size()) return true;
  if (s[pos] == 'Z' || s[pos] == 'z') return pos + 1 == s.size();
  if (!literal('+', '-') || !number(2, 0, 23) || !literal(':') || !number(2, 0, 59)) return false;
  return pos == s.size();
}

Result<std::optional<Json>> NormalizeAttribute(const Attribute& attr, const Json& value, const std::string& path,
                                               const Rules& rules);

// One complex value: known sub-attributes in schema order and spelling, readOnly ones dropped.
Result<std::optional<Json>> NormalizeComplex(const Attribute& attr, const Json& value, const std::string& path,
                                             const Rules& rules) {
  if (value.is_string() && !attr.multi_valued && attr.FindSub("value") != nullptr &&
      AllowQuirk(rules.quirks, Quirk::kBareStringForComplex, path)) {
    // Entra sends the enterprise manager as a bare id ("manager": "271"); a single-valued complex
    // attribute with a `value` sub-attribute reads a bare string the same way.                  [Q5]
    // Not multi-valued ones: "emails": "a@b" is a client bug worth a 400, not a guess.
    return NormalizeComplex(attr, Json{{"value", value}}, path, rules);
  }
  if (!value.is_object()) return WrongType(attr, path, value);

  std::vector<const Json*> slots(attr.sub_attributes.size(), nullptr);
  for (auto it = value.begin(); it != value.end(); ++it) {
    const Attribute* sub = attr.FindSub(it.key());
    if (sub == nullptr) {
      // `$ref` is ignored where the schema has none: Entra sends "$ref": null on values and a server
      // builds references itself. Any other unknown key is an error, including Okta's custom
      // `manager.Email` mapping [Q23], so that a mistyped mapping is noticed rather than lost.
      if (IEquals(it.key(), "$ref")) continue;
      return Fail(ErrorType::kInvalidSyntax,
                  "Unknown sub-attribute '" + path + "." + it.key() + "' on " + std::string(rules.type_name));
    }
    size_t index = static_cast<size_t>(sub - attr.sub_attributes.data());
    if (slots[index] != nullptr) {
      return Fail(ErrorType::kInvalidSyntax, "Attribute '" + path + "." + sub->name +
                                                 "' is given more than once (names are case-insensitive)");
    }
    slots[index] = &it.value();
  }

  Json out = Json::object();
  std::vector<const Attribute*> missing;
  for (size_t i = 0; i < attr.sub_attributes.size(); ++i) {
    const Attribute& sub = attr.sub_attributes[i];
    if (sub.mutability == Mutability::kReadOnly) continue;  // RFC 7643 §2.2: ignored on input
    std::optional<Json> normalized;
    if (slots[i] != nullptr) {
      Result<std::optional<Json>> r = NormalizeAttribute(sub, *slots[i], path + "." + sub.name, rules);
      if (!r) return std::unexpected(r.error());
      normalized = std::move(*r);
    }
    if (normalized && !(normalized->is_string() && normalized->get_ref<const std::string&>().empty())) {
      out[sub.name] = std::move(*normalized);
      continue;
    }
    if (normalized) out[sub.name] = std::move(*normalized);  // an empty string is kept, but is no value
    if (sub.required) missing.push_back(&sub);
  }
  if (out.empty()) return std::optional<Json>();  // {} is unassigned
  if (rules.require && !missing.empty()) {
    return Fail(ErrorType::kInvalidValue, "Attribute '" + path + "." + missing.front()->name + "' is required");
  }
  return std::optional<Json>(std::move(out));
}

// One value of `attr` (one element, for a multi-valued attribute).
Result<std::optional<Json>> NormalizeSingle(const Attribute& attr, const Json& value, const std::string& path,
                                            const Rules& rules) {
  switch (attr.type) {
    case AttrType::kString:
    case AttrType::kReference:
    case AttrType::kBinary:
      if (!value.is_string()) return WrongType(attr, path, value);
      break;
    case AttrType::kDateTime:
      if (!value.is_string() || !IsDateTime(value.get_ref<const std::string&>())) {
        return WrongType(attr, path, value);
      }
      break;
    case AttrType::kBoolean:
      if (value.is_boolean()) break;
      // Entra sends "True"/"False" [Q2]; OneLogin templates send "true"/"false" strings [Q22].
      if (value.is_string() && (IEquals(value.get_ref<const std::string&>(), "true") ||
                                IEquals(value.get_ref<const std::string&>(), "false")) &&
          AllowQuirk(rules.quirks, Quirk::kBooleanString, path)) {
        return std::optional<Json>(IEquals(value.get_ref<const std::string&>(), "true"));
      }
      return WrongType(attr, path, value);
    case AttrType::kInteger:
      if (value.is_number_integer()) break;
      // OneLogin templates send numbers as text [Q22].
      if (auto number = NumberFromText(value, true); number && AllowQuirk(rules.quirks, Quirk::kNumberString, path)) {
        return std::optional<Json>(std::move(*number));
      }
      return WrongType(attr, path, value);
    case AttrType::kDecimal:
      if (value.is_number()) break;
      if (auto number = NumberFromText(value, false); number && AllowQuirk(rules.quirks, Quirk::kNumberString, path)) {
        return std::optional<Json>(std::move(*number));
      }
      return WrongType(attr, path, value);
    case AttrType::kComplex:
      return NormalizeComplex(attr, value, path, rules);
  }

  // canonicalValues are a closed list only for extension attributes, which a tenant declares to
  // get an enumeration. On the RFC's core attributes they are suggestions (RFC 7643 §2.3.1 "MAY"),
  // and IdPs do send others: custom email and phone types, Entra's role type
  // "WindowsAzureActiveDirectoryRole", vendor-defined role lists from OneLogin templates.
  if ((rules.enforce_canonical || attr.closed_values) && value.is_string() && !attr.canonical_values.empty()) {
    const std::string& text = value.get_ref<const std::string&>();
    bool found = false;
    std::string choices;
    for (const std::string& canonical : attr.canonical_values) {
      if (attr.case_exact ? canonical == text : IEquals(canonical, text)) found = true;
      if (!choices.empty()) choices += ", ";
      choices += canonical;
    }
    if (!found) {
      return Fail(ErrorType::kInvalidValue,
                  "Attribute '" + path + "' must be one of: " + choices + "; got " + Got(value));
    }
  }
  return std::optional<Json>(value);
}

// A whole attribute value. nullopt when it is unassigned (null, an empty array or object, an array
// of nulls): RFC 7643 §2.5 treats those like an omitted attribute.
Result<std::optional<Json>> NormalizeAttribute(const Attribute& attr, const Json& value, const std::string& path,
                                               const Rules& rules) {
  if (value.is_null()) return std::optional<Json>();
  if (!attr.multi_valued) {
    if (value.is_array()) {
      return Fail(ErrorType::kInvalidValue,
                  "Attribute '" + path + "' is single-valued: it must be " + Expected(attr) + ", not an array");
    }
    return NormalizeSingle(attr, value, path, rules);
  }

  // A single value where an array belongs is read as a one-element array (forgiving).
  const bool wrapped = !value.is_array();
  if (wrapped && !AllowQuirk(rules.quirks, Quirk::kValueForArray, path)) {
    return Fail(ErrorType::kInvalidValue, "Attribute '" + path + "' is multi-valued: it must be an array");
  }
  const Json single = wrapped ? Json::array({value}) : Json();
  const Json& items = wrapped ? single : value;
  if (items.size() > rules.max_values) {
    return Fail(ErrorType::kInvalidValue, "Attribute '" + path + "' may hold at most " +
                                              std::to_string(rules.max_values) + " values, the value has " +
                                              std::to_string(items.size()));
  }
  const Attribute* primary = attr.FindSub("primary");
  Json out = Json::array();
  std::string first_primary;
  for (size_t i = 0; i < items.size(); ++i) {
    const Json& item = items[i];
    if (item.is_null()) continue;
    std::string item_path = wrapped ? path : path + "[" + std::to_string(i) + "]";
    Result<std::optional<Json>> normalized = NormalizeSingle(attr, item, item_path, rules);
    if (!normalized) return std::unexpected(normalized.error());
    if (!*normalized) continue;
    if (primary != nullptr) {
      const Json* flag = FindMember(**normalized, primary->name);
      if (flag != nullptr && flag->is_boolean() && flag->get<bool>()) {
        if (!first_primary.empty()) {
          return Fail(ErrorType::kInvalidValue, "Attribute '" + path + "' has more than one primary value (" +
                                                    first_primary + ".primary and " + item_path +
                                                    ".primary are both true)");
        }
        first_primary = item_path;
      }
    }
    out.push_back(std::move(**normalized));
  }
  if (out.empty()) return std::optional<Json>();
  return std::optional<Json>(std::move(out));
}

// Group membership: [{value, type?}], kept out of the document (resource.h).
Result<std::vector<Member>> ExtractMembers(const Attribute& attr, const Json& value) {
  const bool wrapped = !value.is_array();
  const Json single = wrapped ? Json::array({value}) : Json();
  const Json& items = wrapped ? single : value;
  const Attribute* type_sub = attr.FindSub("type");
  std::vector<Member> members;
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    const Json& item = items[i];
    if (item.is_null()) continue;
    std::string path = std::string(attr.name) + "[" + std::to_string(i) + "]";
    const Json* id = FindMember(item, "value");
    if (!item.is_object() || id == nullptr || !id->is_string() || id->get_ref<const std::string&>().empty()) {
      return Fail(ErrorType::kInvalidValue,
                  "Attribute '" + path + "' must be an object with a non-empty string 'value' (the member's id)");
    }
    // `display` and `$ref` are not stored: the server knows each member's name and location.
    Member member{id->get<std::string>(), ""};
    if (const Json* type = FindMember(item, "type"); type != nullptr && type->is_string()) {
      member.type = type->get<std::string>();
      if (type_sub != nullptr) {
        for (const std::string& canonical : type_sub->canonical_values) {
          if (IEquals(canonical, member.type)) member.type = canonical;
        }
      }
    }
    if (seen.insert(member.value).second) members.push_back(std::move(member));
  }
  return members;
}

std::string DeclaredList(const std::vector<const Schema*>& schemas) {
  std::string out;
  for (const Schema* schema : schemas) {
    if (!out.empty()) out += ", ";
    out += schema->id;
  }
  return out;
}

}  // namespace

Result<NormalizedResource> NormalizeResource(const Json& input, const ResourceType& type,
                                             const SchemaRegistry& registry, WriteContext context, QuirkLog* quirks,
                                             const DocumentLimits& limits, bool keep_unknown) {
  if (!input.is_object()) {
    return Fail(ErrorType::kInvalidSyntax, "A " + type.name + " must be a JSON object");
  }
  const std::vector<const Schema*> schemas = registry.SchemasOf(type);
  if (schemas.empty() || !IEquals(schemas.front()->id, type.schema)) {
    return Fail(ErrorType::kInternal, "Resource type '" + type.id + "' has no loaded core schema");
  }
  auto unknown_urn = [&](std::string_view urn) {
    return Fail(ErrorType::kInvalidSyntax, "Unknown schema URN '" + std::string(urn) + "' for " + type.name +
                                               " (this tenant declares: " + DeclaredList(schemas) + ")");
  };

  // `schemas` may be left out (forgiving: the body's keys say which schemas it uses, and the output's
  // `schemas` is computed anyway). URNs it lists must be this type's. Entries that are not URNs at
  // all are ignored: Entra adds "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
  // to every group it creates.
  const Json* listed = FindMember(input, "schemas");
  if ((listed == nullptr || listed->is_null()) && context != WriteContext::kPatchResult &&
      !AllowQuirk(quirks, Quirk::kMissingSchemas, "schemas")) {
    return Fail(ErrorType::kInvalidSyntax, "'schemas' is required: list the " + type.name + " schema URNs the body uses");
  }
  if (listed != nullptr && !listed->is_null()) {
    if (!listed->is_array()) {
      return Fail(ErrorType::kInvalidSyntax, "'schemas' must be an array of schema URNs, got " + Got(*listed));
    }
    for (const Json& urn : *listed) {
      if (!urn.is_string()) {
        return Fail(ErrorType::kInvalidSyntax, "'schemas' must be an array of schema URNs, got " + Got(urn));
      }
      const std::string& text = urn.get_ref<const std::string&>();
      if (!StartsWithI(text, "urn:") && AllowQuirk(quirks, Quirk::kForeignSchema, text)) continue;
      bool declared = false;
      for (const Schema* schema : schemas) declared = declared || IEquals(schema->id, text);
      if (!declared && !keep_unknown) return unknown_urn(text);
    }
  }

  // Sort the body's members into slots[schema][attribute]. Extension attributes come either inside
  // the extension's object or as fully qualified top-level keys ("urn:…:enterprise:2.0:User:department",
  // as Entra's aadOptscim062020 writes them).
  Json unmapped = Json::object();  // what keep_unknown keeps apart
  std::vector<std::vector<const Json*>> slots;
  for (const Schema* schema : schemas) slots.emplace_back(schema->attributes.size(), nullptr);
  auto assign = [&](size_t schema_index, const Attribute* attr, const Json& value) -> Result<void> {
    const Schema& schema = *schemas[schema_index];
    size_t index = static_cast<size_t>(attr - schema.attributes.data());
    if (slots[schema_index][index] != nullptr) {
      std::string name = schema_index == 0 ? attr->name : schema.id + ":" + attr->name;
      return Fail(ErrorType::kInvalidSyntax,
                  "Attribute '" + name + "' is given more than once (names are case-insensitive)");
    }
    slots[schema_index][index] = &value;
    return {};
  };
  for (auto it = input.begin(); it != input.end(); ++it) {
    const std::string& key = it.key();
    const Json& value = it.value();
    if (IEquals(key, "schemas")) continue;
    if (const Attribute* attr = schemas[0]->Find(key)) {
      Result<void> r = assign(0, attr, value);
      if (!r) return std::unexpected(r.error());
      continue;
    }
    if (!StartsWithI(key, "urn:")) {
      if (keep_unknown) {
        if (!value.is_null()) unmapped[key] = value;
        continue;
      }
      return Fail(ErrorType::kInvalidSyntax, "Unknown attribute '" + key + "' on " + type.name);
    }
    bool placed = false;
    for (size_t i = 1; i < schemas.size() && !placed; ++i) {
      if (!IEquals(schemas[i]->id, key)) continue;
      placed = true;
      if (value.is_null()) break;
      if (!value.is_object()) {
        return Fail(ErrorType::kInvalidValue, "Extension '" + schemas[i]->id +
                                                  "' must be an object holding its attributes, got " + Got(value));
      }
      for (auto ext = value.begin(); ext != value.end(); ++ext) {
        const Attribute* attr = schemas[i]->Find(ext.key());
        if (attr == nullptr && keep_unknown) {
          if (!ext.value().is_null()) unmapped[schemas[i]->id][ext.key()] = ext.value();
          continue;
        }
        if (attr == nullptr) {
          return Fail(ErrorType::kInvalidSyntax,
                      "Unknown attribute '" + schemas[i]->id + ":" + ext.key() + "' on " + type.name);
        }
        Result<void> r = assign(i, attr, ext.value());
        if (!r) return std::unexpected(r.error());
      }
    }
    for (size_t i = 0; i < schemas.size() && !placed; ++i) {
      const std::string& id = schemas[i]->id;
      if (key.size() <= id.size() + 1 || key[id.size()] != ':' || !StartsWithI(key, id)) continue;
      if (!AllowQuirk(quirks, Quirk::kQualifiedKey, key)) {
        return Fail(ErrorType::kInvalidSyntax, "Attribute '" + key + "' belongs inside the \"" + id + "\" object");
      }
      placed = true;
      const Attribute* attr = schemas[i]->Find(std::string_view(key).substr(id.size() + 1));
      if (attr == nullptr && keep_unknown) {
        if (!value.is_null()) unmapped[key] = value;
        break;
      }
      if (attr == nullptr) return Fail(ErrorType::kInvalidSyntax, "Unknown attribute '" + key + "' on " + type.name);
      Result<void> r = assign(i, attr, value);
      if (!r) return std::unexpected(r.error());
    }
    if (!placed) {
      // Entra's other spellings of an extension attribute [Q24].
      if (auto path = ParseAttrPath(key); path) {
        if (auto entra = registry.ResolveEntraSpelling(type, *path);
            entra && !entra->sub && AllowQuirk(quirks, Quirk::kEntraUrnSpelling, key)) {
          for (size_t i = 1; i < schemas.size() && !placed; ++i) {
            if (schemas[i] != entra->schema) continue;
            placed = true;
            Result<void> r = assign(i, entra->attr, value);
            if (!r) return std::unexpected(r.error());
          }
        }
      }
    }
    if (!placed) {
      if (IEquals(key, schemas[0]->id)) {
        return Fail(ErrorType::kInvalidSyntax, "Unknown attribute '" + key + "' on " + type.name +
                                                   ": core attributes belong at the top level");
      }
      if (keep_unknown) {
        if (!value.is_null()) unmapped[key] = value;
        continue;
      }
      return unknown_urn(key);
    }
  }

  NormalizedResource out;
  out.unmapped = std::move(unmapped);
  out.resource = Json::object();
  out.resource["schemas"] = Json::array({schemas[0]->id});
  const bool require = RequiresPresence(context);
  // A PATCH result is not held to the limit here: ApplyPatch limits what its operations write.
  const size_t max_values =
      context == WriteContext::kPatchResult ? std::numeric_limits<size_t>::max() : limits.attribute_values;
  for (size_t i = 0; i < schemas.size(); ++i) {
    const Schema& schema = *schemas[i];
    const bool is_core = i == 0;
    const Rules rules{type.name, !is_core, require, quirks, max_values};
    Json target = Json::object();
    std::string missing;  // the first required attribute without a value
    for (size_t j = 0; j < schema.attributes.size(); ++j) {
      const Attribute& attr = schema.attributes[j];
      const Json* value = slots[i][j];
      const std::string path = is_core ? attr.name : schema.id + ":" + attr.name;
      if (attr.mutability == Mutability::kReadOnly) continue;  // id, meta, groups: ignored (RFC 7643 §2.2)
      if (is_core && IEquals(attr.name, kMembersAttr) && attr.type == AttrType::kComplex) {
        if (value == nullptr || value->is_null()) continue;  // null = not sent: membership untouched
        Result<std::vector<Member>> members = ExtractMembers(attr, *value);
        if (!members) return std::unexpected(members.error());
        out.members = std::move(*members);
        continue;
      }
      if (is_core && IEquals(attr.name, "password") && attr.returned == Returned::kNever) {
        if (value == nullptr || value->is_null()) continue;
        if (!value->is_string()) return WrongType(attr, path, *value);
        out.password = value->get<std::string>();  // kept exactly as sent, even when empty
        continue;
      }
      std::optional<Json> normalized;
      if (value != nullptr) {
        Result<std::optional<Json>> r = NormalizeAttribute(attr, *value, path, rules);
        if (!r) return std::unexpected(r.error());
        normalized = std::move(*r);
      }
      const bool empty_string =
          normalized && normalized->is_string() && normalized->get_ref<const std::string&>().empty();
      if (attr.required && (!normalized || empty_string) && missing.empty()) missing = path;
      if (normalized) target[attr.name] = std::move(*normalized);
    }

    bool extension_required = false;
    for (const SchemaExtensionRef& ext : type.extensions) {
      if (!is_core && IEquals(ext.schema, schema.id)) extension_required = ext.required;
    }
    if (is_core) {
      for (auto it = target.begin(); it != target.end(); ++it) out.resource[it.key()] = std::move(it.value());
    } else if (!target.empty()) {
      out.resource["schemas"].push_back(schema.id);
      out.resource[schema.id] = std::move(target);
    } else if (require && extension_required) {
      return Fail(ErrorType::kInvalidValue, "Extension '" + schema.id + "' is required for " + type.name);
    } else {
      continue;  // an extension that is absent has no required attributes to miss
    }
    if (require && !missing.empty()) {
      return Fail(ErrorType::kInvalidValue, "Attribute '" + missing + "' is required");
    }
  }
  return out;
}

}  // namespace scim::core

// SCIM PATCH (RFC 7644 §3.5.2): ParsePatchRequest turns a PatchOp body into operations and
// ApplyPatch applies them, in order, to a copy of a resource document. patch.h is the contract;
// the comments here explain the choices the RFC leaves open and the IdP quirks (TRAFFIC.md §2.6).
#include "core/patch.h"

#include <charconv>

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>

namespace scim::core {
namespace {

using Status = Result<void>;

// Keys of a path-less add/replace value that are skipped rather than applied: Okta sends
// {"id": .., "displayName": ..} with every membership change [Q12], and clients echo `schemas`,
// `meta` and a user's computed `groups` from a previous GET.
constexpr std::string_view kIgnoredPathlessKeys[] = {"id", "meta", "schemas", "groups"};

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::unexpected<Error> WithPrefix(std::string_view prefix, const Error& error) {
  return Fail(error.type, std::string(prefix) + error.detail);
}

// ---- JSON helpers --------------------------------------------------------------------------------

// Deep equality in which the order of object members does not matter (arrays stay ordered).
bool SameJson(const Json& a, const Json& b) {
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !SameJson(it.value(), *other)) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameJson(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

// Two attribute values are equal; strings compare case-insensitively unless `case_exact`.
bool SameValue(const Json& a, const Json& b, bool case_exact) {
  if (!case_exact && a.is_string() && b.is_string()) {
    return IEquals(a.get_ref<const std::string&>(), b.get_ref<const std::string&>());
  }
  return SameJson(a, b);
}

// Sets `object[name]` (an object), keeping the spelling and position of an existing member.
void SetMember(Json& object, std::string_view name, Json value) {
  if (Json* slot = FindMember(object, name)) {
    *slot = std::move(value);
    return;
  }
  object[std::string(name)] = std::move(value);
}

// Copies the members of `source` into `target` (both objects); a null member removes it.
void MergeInto(Json& target, const Json& source) {
  for (auto it = source.begin(); it != source.end(); ++it) {
    if (it.value().is_null()) {
      EraseMember(target, it.key());
    } else {
      SetMember(target, it.key(), it.value());
    }
  }
}

// `value` without null members (an element about to be stored).
Json WithoutNulls(const Json& value) {
  if (!value.is_object()) return value;
  Json out = Json::object();
  MergeInto(out, value);
  return out;
}

bool IsEmptyContainer(const Json& value) {
  return (value.is_object() || value.is_array()) && value.empty();
}

// True when `value` nests no deeper than `limit` arrays and objects. Stops descending past the
// limit, so its own recursion is bounded.
bool WithinDepth(const Json& value, int limit) {
  if (!value.is_structured()) return true;
  if (limit <= 0) return false;
  for (const Json& child : value) {
    if (!WithinDepth(child, limit - 1)) return false;
  }
  return true;
}

bool IsTrue(const Json* value) { return value != nullptr && value->is_boolean() && value->get<bool>(); }

// ---- values: shape and type per the schema --------------------------------------------------------

// "true"/"false" in any case (Entra's "True", OneLogin templates' "false").
std::optional<bool> BooleanFromText(const Json& value) {
  if (!value.is_string()) return std::nullopt;
  const std::string& text = value.get_ref<const std::string&>();
  if (IEquals(text, "true")) return true;
  if (IEquals(text, "false")) return false;
  return std::nullopt;
}


// Converts `value` to what `attr` holds for one value (one element when `attr` is multi-valued).
// Forgiving: "True"/"False" for booleans [Q2]; a bare string for a complex attribute with a
// `value` sub-attribute means {"value": string} [Q5]. Sub-attribute keys of an object are put in
// the schema's spelling; unknown keys are kept for NormalizeResource to judge, nulls are kept (a
// merge treats them as "remove this sub-attribute"). An array (of a multi-valued sub-attribute)
// may carry at most `max_values` elements. Errors: kInvalidValue naming `where`.
Result<Json> CoerceOne(const Attribute& attr, const Json& value, const std::string& where, QuirkLog* quirks,
                       size_t max_values);

// A single-valued attribute's value: a one-element array is unwrapped (Entra's reference example
// sends manager as [{"value": ..}]); a longer array is kInvalidValue.
Result<Json> CoerceSingle(const Attribute& attr, const Json& value, const std::string& where, QuirkLog* quirks,
                          size_t max_values) {
  if (value.is_array()) {
    if (value.size() != 1 || !AllowQuirk(quirks, Quirk::kArrayForSingle, where)) {
      return Fail(ErrorType::kInvalidValue,
                  "'" + where + "' is single-valued but the value is an array of " + std::to_string(value.size()));
    }
    return CoerceOne(attr, value[0], where, quirks, max_values);
  }
  return CoerceOne(attr, value, where, quirks, max_values);
}

// A multi-valued attribute's elements: an array, or one value standing for a one-element array.
// Null elements are dropped. More than `max_values` elements: kInvalidValue naming the limit.
Result<Json> CoerceMany(const Attribute& attr, const Json& value, const std::string& where, QuirkLog* quirks,
                        size_t max_values) {
  Json out = Json::array();
  if (!value.is_array()) {
    if (!AllowQuirk(quirks, Quirk::kValueForArray, where)) {
      return Fail(ErrorType::kInvalidValue, "'" + where + "' is multi-valued: the value must be an array");
    }
    auto one = CoerceOne(attr, value, where, quirks, max_values);
    if (!one) return std::unexpected(one.error());
    out.push_back(std::move(*one));
    return out;
  }
  if (value.size() > max_values) {
    return Fail(ErrorType::kInvalidValue, "'" + where + "' may hold at most " + std::to_string(max_values) +
                                              " values, the value has " + std::to_string(value.size()));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i].is_null()) continue;
    auto one = CoerceOne(attr, value[i], where + "[" + std::to_string(i) + "]", quirks, max_values);
    if (!one) return std::unexpected(one.error());
    out.push_back(std::move(*one));
  }
  return out;
}

// Entra's app-role provisioning sends each role as a JSON object serialised into `value` [Q6]:
// {"value": "{\"id\":\"..\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}. Unpacks such an
// element of a multi-valued attribute to {"value": "Admin", "display": "Admin"}; anything else is
// left alone.
void UnpackStringifiedElement(const Attribute& attr, Json& element, const std::string& where, QuirkLog* quirks) {
  Json* value = FindMember(element, "value");
  if (value == nullptr || !value->is_string()) return;
  const std::string& text = value->get_ref<const std::string&>();
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || text[first] != '{') return;
  auto inner = ParseJson(text);
  if (!inner || !inner->is_object()) return;
  const Json* inner_value = FindMember(*inner, "value");
  if (inner_value == nullptr || !inner_value->is_string()) return;
  if (!AllowQuirk(quirks, Quirk::kStringifiedJson, where)) return;  // strict: the text stays a string
  const Json* display = FindMember(*inner, "displayName");
  if (display == nullptr) display = FindMember(*inner, "display");
  if (const Attribute* display_sub = attr.FindSub("display");
      display_sub != nullptr && display != nullptr && display->is_string() &&
      FindMember(element, "display") == nullptr) {
    element[display_sub->name] = *display;
  }
  *FindMember(element, "value") = *inner_value;
}

Result<Json> CoerceOne(const Attribute& attr, const Json& value, const std::string& where, QuirkLog* quirks,
                       size_t max_values) {
  auto wrong = [&](std::string_view expected) {
    return Fail(ErrorType::kInvalidValue,
                "'" + where + "' expects " + std::string(expected) + ", got " + std::string(value.type_name()));
  };
  switch (attr.type) {
    case AttrType::kComplex: {
      if (value.is_string()) {
        const Attribute* value_sub = attr.FindSub("value");
        if (value_sub == nullptr || !AllowQuirk(quirks, Quirk::kBareStringForComplex, where)) return wrong("an object");
        Json out = Json::object();
        auto sub_value = CoerceOne(*value_sub, value, where + ".value", quirks, max_values);
        if (!sub_value) return std::unexpected(sub_value.error());
        out[value_sub->name] = std::move(*sub_value);
        return out;
      }
      if (!value.is_object()) return wrong("an object");
      Json out = Json::object();
      for (auto it = value.begin(); it != value.end(); ++it) {
        const Attribute* sub = attr.FindSub(it.key());
        if (sub == nullptr || it.value().is_null()) {
          SetMember(out, sub ? std::string_view(sub->name) : std::string_view(it.key()), it.value());
          continue;
        }
        std::string sub_where = where + "." + sub->name;
        auto sub_value = sub->multi_valued ? CoerceMany(*sub, it.value(), sub_where, quirks, max_values)
                                           : CoerceSingle(*sub, it.value(), sub_where, quirks, max_values);
        if (!sub_value) return std::unexpected(sub_value.error());
        SetMember(out, sub->name, std::move(*sub_value));
      }
      if (attr.multi_valued) UnpackStringifiedElement(attr, out, where, quirks);
      return out;
    }
    case AttrType::kBoolean:
      if (value.is_boolean()) return value;
      if (auto parsed = BooleanFromText(value); parsed && AllowQuirk(quirks, Quirk::kBooleanString, where)) {
        return Json(*parsed);
      }
      return wrong("a boolean");
    case AttrType::kInteger:
      if (value.is_number_integer()) return value;
      if (auto parsed = NumberFromText(value, true); parsed && AllowQuirk(quirks, Quirk::kNumberString, where)) {
        return *parsed;
      }
      return wrong("an integer");
    case AttrType::kDecimal:
      if (value.is_number()) return value;
      if (auto parsed = NumberFromText(value, false); parsed && AllowQuirk(quirks, Quirk::kNumberString, where)) {
        return *parsed;
      }
      return wrong("a number");
    case AttrType::kString:
    case AttrType::kDateTime:
    case AttrType::kBinary:
    case AttrType::kReference:
      if (value.is_string()) return value;
      return wrong("a string");
  }
  return wrong("a value");
}

// ---- value filters ---------------------------------------------------------------------------------

// The attribute a path inside the value filter of `attr` names: a sub-attribute of a complex
// attribute, or "value" (the element itself) of a simple multi-valued one. nullptr when none.
const Attribute* FilterSub(const Attribute& attr, const AttrPath& path) {
  if (!path.urn.empty() || !path.sub.empty()) return nullptr;
  if (attr.type == AttrType::kComplex) return attr.FindSub(path.name);
  return IEquals(path.name, "value") ? &attr : nullptr;
}

// Every attribute the value filter names must exist on `attr`, so that a typo is an error rather
// than a filter that silently matches nothing.
Status CheckFilterPaths(const Attribute& attr, const Filter& filter) {
  auto check_path = [&](const AttrPath& path) -> Status {
    if (FilterSub(attr, path) == nullptr) {
      return Fail(ErrorType::kInvalidPath,
                  "'" + attr.name + "' has no sub-attribute '" + path.ToString() + "' (named in the filter)");
    }
    return {};
  };
  if (const auto* compare = std::get_if<Compare>(&filter.node)) return check_path(compare->path);
  if (const auto* present = std::get_if<Present>(&filter.node)) return check_path(present->path);
  if (const auto* logical = std::get_if<Logical>(&filter.node)) {
    if (!logical->lhs || !logical->rhs) return Fail(ErrorType::kInvalidFilter, "incomplete filter");
    auto lhs = CheckFilterPaths(attr, *logical->lhs);
    if (!lhs) return lhs;
    return CheckFilterPaths(attr, *logical->rhs);
  }
  if (const auto* negation = std::get_if<Not>(&filter.node)) {
    if (!negation->inner) return Fail(ErrorType::kInvalidFilter, "incomplete filter");
    return CheckFilterPaths(attr, *negation->inner);
  }
  return Fail(ErrorType::kInvalidFilter, "a filter inside '" + attr.name + "[...]' cannot nest another [...]");
}

// Adds to `seed` the sub-attribute values a filter made only of `eq` comparisons joined by `and`
// requires, e.g. type eq "work" -> {"type": "work"}. False when the filter has any other shape or
// contradicts itself: then no element can be created from it [Q7].
bool SeedFromFilter(const Attribute& attr, const Filter& filter, Json* seed) {
  if (const auto* logical = std::get_if<Logical>(&filter.node)) {
    return logical->op == LogicalOp::kAnd && logical->lhs && logical->rhs &&
           SeedFromFilter(attr, *logical->lhs, seed) && SeedFromFilter(attr, *logical->rhs, seed);
  }
  const auto* compare = std::get_if<Compare>(&filter.node);
  if (compare == nullptr || compare->op != CompareOp::kEq || compare->value.is_null()) return false;
  const Attribute* sub = FilterSub(attr, compare->path);
  if (sub == nullptr) return false;
  auto value = CoerceOne(*sub, compare->value, sub->name, nullptr, kMaxAttributeValues);  // a literal: no array
  if (!value) return false;
  std::string_view key = attr.type == AttrType::kComplex ? std::string_view(sub->name) : "value";
  if (const Json* existing = FindMember(*seed, key)) return SameValue(*existing, *value, sub->case_exact);
  (*seed)[std::string(key)] = std::move(*value);
  return true;
}

// Adds the ids of a filter made only of `value eq "<id>"` joined by `or` (Okta's
// members[value eq "id"]). False for any other shape.
bool CollectValueEqs(const Filter& filter, std::vector<Member>* out) {
  if (const auto* logical = std::get_if<Logical>(&filter.node)) {
    return logical->op == LogicalOp::kOr && logical->lhs && logical->rhs &&
           CollectValueEqs(*logical->lhs, out) && CollectValueEqs(*logical->rhs, out);
  }
  const auto* compare = std::get_if<Compare>(&filter.node);
  if (compare == nullptr || compare->op != CompareOp::kEq || !compare->path.urn.empty() ||
      !compare->path.sub.empty() || !IEquals(compare->path.name, "value") || !compare->value.is_string()) {
    return false;
  }
  out->push_back(Member{compare->value.get<std::string>(), ""});
  return true;
}

// `members` values of an add/replace/remove: an array of (or one) {"value": id, "type": ..}.
// `$ref` and `display` are ignored (Entra sends "$ref": null).
Result<std::vector<Member>> ParseMembers(const Json& value) {
  std::vector<Member> members;
  const Json items = value.is_array() ? value : Json::array({value});
  members.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    std::string where = "members[" + std::to_string(i) + "]";
    const Json& item = items[i];
    if (!item.is_object()) {
      return Fail(ErrorType::kInvalidValue, "'" + where + "' must be an object like {\"value\": \"<id>\"}, got " +
                                                std::string(item.type_name()));
    }
    const Json* id = FindMember(item, "value");
    if (id == nullptr || !id->is_string() || id->get_ref<const std::string&>().empty()) {
      return Fail(ErrorType::kInvalidValue, "'" + where + "' needs a non-empty string 'value' (the member's id)");
    }
    Member member{id->get<std::string>(), ""};
    if (const Json* type = FindMember(item, "type"); type != nullptr && !type->is_null()) {
      if (!type->is_string()) return Fail(ErrorType::kInvalidValue, "'" + where + ".type' must be a string");
      member.type = type->get<std::string>();
    }
    members.push_back(std::move(member));
  }
  return members;
}

const char* OpName(PatchOpType op) {
  switch (op) {
    case PatchOpType::kAdd: return "add";
    case PatchOpType::kRemove: return "remove";
    case PatchOpType::kReplace: return "replace";
  }
  return "?";
}

// ---- the engine -------------------------------------------------------------------------------------

// Where one operation lands: an attribute, maybe a sub-attribute, maybe a value filter.
struct Target {
  const Schema* schema = nullptr;
  const Attribute* attr = nullptr;  // top-level attribute
  const Attribute* sub = nullptr;   // "name.familyName" or "emails[...].value"; nullptr when none
  bool in_extension = false;
  std::shared_ptr<const Filter> filter;  // emails[type eq "work"]; null when none
  std::string text;                      // the path as sent, for messages
};

bool StartsWithUrn(std::string_view text) { return text.size() > 4 && IEquals(text.substr(0, 4), "urn:"); }

// RFC 7644 §3.5.2.2 defines remove by path only; what strict compatibility answers to a value.
std::unexpected<Error> RemoveTakesNoValue(const Target& target) {
  return Fail(ErrorType::kInvalidValue, "'remove' takes no value; name what to remove in the path, e.g. " +
                                            target.attr->name + "[value eq \"…\"]");
}

// readOnly attributes (id, meta, groups, manager.displayName) cannot be the target of an operation.
Status CheckWritable(const Target& target) {
  const Attribute& attr = *target.attr;
  if (attr.mutability == Mutability::kReadOnly) {
    return Fail(ErrorType::kMutability, "Attribute '" + attr.name + "' is readOnly");
  }
  if (target.sub != nullptr && target.sub->mutability == Mutability::kReadOnly) {
    return Fail(ErrorType::kMutability, "Attribute '" + attr.name + "." + target.sub->name + "' is readOnly");
  }
  return {};
}

// Applies operations to its own copy of a document. Not thread-safe; one per ApplyPatch call.
class Patcher {
 public:
  Patcher(const ResourceType& type, const SchemaRegistry& registry, Json doc, QuirkLog* quirks,
          const DocumentLimits& limits)
      : type_(type), registry_(registry), quirks_(quirks), limits_(limits), doc_(std::move(doc)) {}

  Status Apply(const PatchOperation& op);

  Json& doc() { return doc_; }
  std::vector<MemberOp>& member_ops() { return member_ops_; }

 private:
  Status ApplyPathless(PatchOpType op, const Json& value);
  Status ApplyKey(PatchOpType op, const std::string& key, const Json& value);
  Status ApplyPath(PatchOpType op, const PatchPath& path, const std::string& text, const Json* value);
  Status ApplyWholeSchema(PatchOpType op, const Schema& schema, const Json* value);
  Status ApplyMembers(PatchOpType op, const Target& target, const Json* value);

  Result<Target> ResolveTarget(const PatchPath& path, const std::string& text) const;
  const Schema* SchemaOfType(std::string_view urn) const;
  bool IsMembers(const Target& target) const;

  Status Set(const Target& target, const Json& value, bool is_add);
  Status SetSub(const Target& target, const Json& value);
  Status SetFiltered(const Target& target, const Json& value);
  Status MergeComplex(const Target& target, const Json& value);
  Status AddElements(const Target& target, const Json& value);
  Status ReplaceElements(const Target& target, const Json& value);
  Status Remove(const Target& target, const Json* value);
  Status RemoveByValue(const Target& target, Json& elements, const Json& value);

  Json* Holder(const Target& target, bool create);
  Json Current(const Target& target);
  void PruneExtension(const Target& target);
  std::vector<size_t> MatchingElements(const Target& target, const Json& elements) const;
  // An operation left `attr` with more elements than limits_.attribute_values.
  std::unexpected<Error> TooManyValues(const Attribute& attr) const {
    return Fail(ErrorType::kInvalidValue, "'" + attr.name + "' may hold at most " +
                                              std::to_string(limits_.attribute_values) + " values");
  }

  // Constant after construction
  const ResourceType& type_;
  const SchemaRegistry& registry_;
  QuirkLog* const quirks_;  // may be null
  const DocumentLimits limits_;

  // The working state
  Json doc_;
  std::vector<MemberOp> member_ops_;
};

Status Patcher::Apply(const PatchOperation& op) {
  if (op.op == PatchOpType::kRemove) {
    // RFC 7644 §3.5.2.2: remove without a path is noTarget.
    if (!op.path) return Fail(ErrorType::kNoTarget, "'remove' needs a 'path'");
    return ApplyPath(op.op, *op.path, op.path_text, op.value ? &*op.value : nullptr);
  }
  if (!op.value) return Fail(ErrorType::kInvalidValue, "'" + std::string(OpName(op.op)) + "' needs a 'value'");
  if (!op.path) return ApplyPathless(op.op, *op.value);
  return ApplyPath(op.op, *op.path, op.path_text, &*op.value);
}

// RFC 7644 §3.5.2.1/§3.5.2.3 without a path: each member of the value object is applied as if it
// were the path. Keys may be dotted ("name.givenName"), filtered ("emails[type eq \"work\"].value"),
// URN-qualified attributes, or an extension URN holding an object of its attributes [Q4].
Status Patcher::ApplyPathless(PatchOpType op, const Json& value) {
  if (!value.is_object()) {
    return Fail(ErrorType::kInvalidValue, "a path-less '" + std::string(OpName(op)) +
                                              "' needs an object value, got " + std::string(value.type_name()));
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string& key = it.key();
    if (const Schema* schema = SchemaOfType(key)) {
      if (!it.value().is_object()) {
        if (it.value().is_null()) continue;
        return Fail(ErrorType::kInvalidValue, "'" + key + "' must hold an object of " + schema->name + " attributes");
      }
      for (auto sub = it.value().begin(); sub != it.value().end(); ++sub) {
        auto applied = ApplyKey(op, schema->id + ":" + sub.key(), sub.value());
        if (!applied) return applied;
      }
      continue;
    }
    bool is_path = key.find_first_of(".[") != std::string::npos || StartsWithUrn(key);
    if (is_path && !AllowQuirk(quirks_, Quirk::kPathInValueKey, key)) {
      return Fail(ErrorType::kInvalidPath, "path-less value key " + Quoted(key) +
                                               " is a path, not an attribute name; send it as the operation's 'path'");
    }
    auto applied = ApplyKey(op, key, it.value());
    if (!applied) return applied;
  }
  return {};
}

Status Patcher::ApplyKey(PatchOpType op, const std::string& key, const Json& value) {
  auto path = ParsePatchPath(key, limits_);
  if (!path) {
    return Fail(ErrorType::kInvalidPath,
                "value key " + Quoted(key) + " is not an attribute path: " + path.error().detail);
  }
  const AttrPath& attr = path->attr;
  if (attr.urn.empty() || IEquals(attr.urn, type_.schema)) {
    for (std::string_view ignored : kIgnoredPathlessKeys) {
      if (IEquals(attr.name, ignored)) return {};
    }
  }
  return ApplyPath(op, *path, key, &value);
}

Status Patcher::ApplyPath(PatchOpType op, const PatchPath& path, const std::string& text, const Json* value) {
  // A path that is a schema URN alone addresses that schema's whole object.
  if (!path.value_filter) {
    if (const Schema* schema = SchemaOfType(text)) return ApplyWholeSchema(op, *schema, value);
  }
  auto target = ResolveTarget(path, text);
  if (!target) return std::unexpected(target.error());
  if (IsMembers(*target)) return ApplyMembers(op, *target, value);
  auto writable = CheckWritable(*target);
  if (!writable) return writable;

  Json before = Current(*target);
  Status status = op == PatchOpType::kRemove ? Remove(*target, value) : Set(*target, *value, op == PatchOpType::kAdd);
  if (!status) return status;
  Json after = Current(*target);
  PruneExtension(*target);

  // Immutable attributes may be set once, never changed or removed (RFC 7643 §2.2).
  const Attribute& attr = *target->attr;
  if (!before.is_null()) {
    if (attr.mutability == Mutability::kImmutable && !SameJson(before, after)) {
      return Fail(ErrorType::kMutability, "Attribute '" + attr.name + "' is immutable and already has a value");
    }
    if (attr.type == AttrType::kComplex && !attr.multi_valued && before.is_object()) {
      for (const Attribute& sub : attr.sub_attributes) {
        if (sub.mutability != Mutability::kImmutable) continue;
        const Json* old_value = FindMember(before, sub.name);
        if (old_value == nullptr || old_value->is_null()) continue;
        const Json* new_value = FindMember(after, sub.name);
        if (new_value == nullptr || !SameJson(*old_value, *new_value)) {
          return Fail(ErrorType::kMutability,
                      "Attribute '" + attr.name + "." + sub.name + "' is immutable and already has a value");
        }
      }
    }
  }
  return {};
}

Status Patcher::ApplyWholeSchema(PatchOpType op, const Schema& schema, const Json* value) {
  bool is_core = IEquals(schema.id, type_.schema);
  if (op == PatchOpType::kRemove) {
    if (is_core) return Fail(ErrorType::kInvalidPath, "the core schema " + Quoted(schema.id) + " cannot be removed");
    const Json* extension = FindMember(doc_, schema.id);
    if (extension == nullptr) return {};
    for (const Attribute& attr : schema.attributes) {
      const Json* present = FindMember(*extension, attr.name);
      if (attr.mutability == Mutability::kImmutable && present != nullptr && !present->is_null()) {
        return Fail(ErrorType::kMutability, "Attribute '" + attr.name + "' is immutable and already has a value");
      }
    }
    EraseMember(doc_, schema.id);
    return {};
  }
  if (value->is_null()) return is_core ? Status{} : ApplyWholeSchema(PatchOpType::kRemove, schema, nullptr);
  if (!value->is_object()) {
    return Fail(ErrorType::kInvalidValue,
                "'" + schema.id + "' expects an object of " + schema.name + " attributes, got " + value->type_name());
  }
  for (auto it = value->begin(); it != value->end(); ++it) {
    auto applied = ApplyKey(op, schema.id + ":" + it.key(), it.value());
    if (!applied) return applied;
  }
  return {};
}

// Group membership never touches the document: it becomes MemberOps for the membership table.
Status Patcher::ApplyMembers(PatchOpType op, const Target& target, const Json* value) {
  if (target.sub != nullptr) {
    return Fail(ErrorType::kInvalidPath,
                "path " + Quoted(target.text) + " cannot be patched; use add or remove on members");
  }
  if (target.filter) {
    if (op != PatchOpType::kRemove) {
      return Fail(ErrorType::kInvalidPath, "'" + std::string(OpName(op)) + "' on " + Quoted(target.text) +
                                               " is not supported; use add or remove on members");
    }
    MemberOp member_op{MemberOp::Kind::kRemove, {}, nullptr};
    if (!CollectValueEqs(*target.filter, &member_op.members)) {
      member_op = MemberOp{MemberOp::Kind::kRemoveWhere, {}, target.filter};
    }
    member_ops_.push_back(std::move(member_op));
    return {};
  }
  if (op == PatchOpType::kRemove && (value == nullptr || value->is_null())) {
    member_ops_.push_back(MemberOp{MemberOp::Kind::kRemoveAll, {}, nullptr});
    return {};
  }
  if (value == nullptr || value->is_null()) {
    if (op == PatchOpType::kAdd) return Fail(ErrorType::kInvalidValue, "'add' on members needs a value");
    member_ops_.push_back(MemberOp{MemberOp::Kind::kReplaceAll, {}, nullptr});  // replace with null: clear
    return {};
  }
  auto members = ParseMembers(*value);
  if (!members) return std::unexpected(members.error());
  switch (op) {
    case PatchOpType::kAdd:
      if (!members->empty()) member_ops_.push_back(MemberOp{MemberOp::Kind::kAdd, std::move(*members), nullptr});
      break;
    case PatchOpType::kReplace:  // an empty array clears the group [Q21]
      member_ops_.push_back(MemberOp{MemberOp::Kind::kReplaceAll, std::move(*members), nullptr});
      break;
    case PatchOpType::kRemove:  // remove with a value array [Q3]
      if (!AllowQuirk(quirks_, Quirk::kRemoveWithValue, target.text)) return RemoveTakesNoValue(target);
      if (!members->empty()) member_ops_.push_back(MemberOp{MemberOp::Kind::kRemove, std::move(*members), nullptr});
      break;
  }
  return {};
}

Result<Target> Patcher::ResolveTarget(const PatchPath& path, const std::string& text) const {
  auto resolved = registry_.Resolve(type_, path.attr);
  if (!resolved) {
    auto entra = registry_.ResolveEntraSpelling(type_, path.attr);
    if (!entra || !AllowQuirk(quirks_, Quirk::kEntraUrnSpelling, text)) return std::unexpected(resolved.error());
    resolved = std::move(entra);
  }
  Target target;
  target.schema = resolved->schema;
  target.attr = resolved->attr;
  target.sub = resolved->sub;
  target.in_extension = resolved->in_extension;
  target.filter = path.value_filter;
  target.text = text;
  const Attribute& attr = *target.attr;

  if (target.filter) {
    if (target.sub != nullptr) return Fail(ErrorType::kInvalidPath, "path " + Quoted(text) + " is malformed");
    if (!attr.multi_valued) {
      return Fail(ErrorType::kInvalidPath,
                  "'" + attr.name + "' is single-valued; a [filter] applies only to multi-valued attributes");
    }
    auto checked = CheckFilterPaths(attr, *target.filter);
    if (!checked) return std::unexpected(checked.error());
  }
  if (!path.sub_after_filter.empty()) {
    if (!target.filter) return Fail(ErrorType::kInvalidPath, "path " + Quoted(text) + " is malformed");
    if (attr.type != AttrType::kComplex) {
      return Fail(ErrorType::kInvalidPath, "'" + attr.name + "' has no sub-attributes");
    }
    target.sub = attr.FindSub(path.sub_after_filter);
    if (target.sub == nullptr) {
      return Fail(ErrorType::kInvalidPath,
                  "'" + attr.name + "' has no sub-attribute " + Quoted(path.sub_after_filter));
    }
  }
  return target;
}


// The core or extension schema of this resource type whose URN is exactly `urn` (any case).
const Schema* Patcher::SchemaOfType(std::string_view urn) const {
  if (urn.size() < 4 || !IEquals(urn.substr(0, 4), "urn:")) return nullptr;
  for (const Schema* schema : registry_.SchemasOf(type_)) {
    if (IEquals(schema->id, urn)) return schema;
  }
  return nullptr;
}

bool Patcher::IsMembers(const Target& target) const {
  return !target.in_extension && target.attr->multi_valued && IEquals(target.attr->name, kMembersAttr);
}

// The object that holds the target's attribute: the document, or its extension's object (created
// when `create`). nullptr when absent and not created.
Json* Patcher::Holder(const Target& target, bool create) {
  if (!target.in_extension) return &doc_;
  if (Json* extension = FindMember(doc_, target.schema->id)) {
    if (extension->is_object()) return extension;
    if (!create) return nullptr;
    *extension = Json::object();
    return extension;
  }
  if (!create) return nullptr;
  doc_[target.schema->id] = Json::object();
  return FindMember(doc_, target.schema->id);
}

// The target attribute's current value; null when absent.
Json Patcher::Current(const Target& target) {
  Json* holder = Holder(target, false);
  const Json* value = holder ? FindMember(*holder, target.attr->name) : nullptr;
  return value ? *value : Json();
}

// An extension object left empty is unassigned: drop it.
void Patcher::PruneExtension(const Target& target) {
  if (!target.in_extension) return;
  Json* holder = Holder(target, false);
  if (holder != nullptr && holder->empty()) EraseMember(doc_, target.schema->id);
}

std::vector<size_t> Patcher::MatchingElements(const Target& target, const Json& elements) const {
  const Attribute* attr = target.attr;
  CaseExactFn case_exact = [attr](const AttrPath& path) {
    const Attribute* sub = FilterSub(*attr, path);
    return sub != nullptr && sub->case_exact;
  };
  std::vector<size_t> matches;
  for (size_t i = 0; i < elements.size(); ++i) {
    // Elements of a simple multi-valued attribute are matched as {"value": element}.
    bool match = elements[i].is_object()
                     ? Matches(*target.filter, elements[i], case_exact)
                     : Matches(*target.filter, Json::object({{"value", elements[i]}}), case_exact);
    if (match) matches.push_back(i);
  }
  return matches;
}

// After elements `touched` were written: if one of them is now primary, no other element is.
void ClearOtherPrimaries(Json& elements, const std::vector<size_t>& touched) {
  bool any_primary = false;
  std::vector<bool> is_touched(elements.size(), false);
  for (size_t i : touched) {
    is_touched[i] = true;
    any_primary = any_primary || IsTrue(FindMember(elements[i], "primary"));
  }
  if (!any_primary) return;
  for (size_t i = 0; i < elements.size(); ++i) {
    if (!is_touched[i] && IsTrue(FindMember(elements[i], "primary"))) EraseMember(elements[i], "primary");
  }
}

// add and replace. Both are upserts on single-valued attributes: Entra sends add for attributes
// that exist and replace for ones that don't [Q8].
Status Patcher::Set(const Target& target, const Json& value, bool is_add) {
  const Attribute& leaf = target.sub ? *target.sub : *target.attr;
  // null, and "" for a reference-like complex attribute (Entra's manager), clear the target.
  bool clears = value.is_null() || (leaf.type == AttrType::kComplex && value.is_string() &&
                                    value.get_ref<const std::string&>().empty());
  if (clears) return Remove(target, nullptr);
  if (target.filter) return SetFiltered(target, value);
  if (target.sub != nullptr) return SetSub(target, value);
  if (target.attr->multi_valued) return is_add ? AddElements(target, value) : ReplaceElements(target, value);
  if (target.attr->type == AttrType::kComplex) return MergeComplex(target, value);
  auto coerced = CoerceSingle(*target.attr, value, target.text, quirks_, limits_.attribute_values);
  if (!coerced) return std::unexpected(coerced.error());
  SetMember(*Holder(target, true), target.attr->name, std::move(*coerced));
  return {};
}

// "name.familyName": sets the sub-attribute, creating the parent. On a multi-valued attribute
// without a filter ("emails.type") it sets the sub-attribute of every element, or creates one.
Status Patcher::SetSub(const Target& target, const Json& value) {
  const Attribute& sub = *target.sub;
  auto coerced = sub.multi_valued ? CoerceMany(sub, value, target.text, quirks_, limits_.attribute_values)
                                  : CoerceSingle(sub, value, target.text, quirks_, limits_.attribute_values);
  if (!coerced) return std::unexpected(coerced.error());
  Json& holder = *Holder(target, true);
  Json* slot = FindMember(holder, target.attr->name);
  if (target.attr->multi_valued) {
    if (slot == nullptr || !slot->is_array() || slot->empty()) {
      SetMember(holder, target.attr->name, Json::array({Json::object({{sub.name, std::move(*coerced)}})}));
      return {};
    }
    for (Json& element : *slot) {
      if (element.is_object()) SetMember(element, sub.name, *coerced);
    }
    return {};
  }
  if (slot == nullptr || !slot->is_object()) {
    SetMember(holder, target.attr->name, Json::object());
    slot = FindMember(holder, target.attr->name);
  }
  SetMember(*slot, sub.name, std::move(*coerced));
  return {};
}

// emails[type eq "work"] or emails[type eq "work"].value: updates every matching element (an
// object value is merged into it). When none matches, and the filter is a chain of `eq` joined by
// `and`, an element is created from the filter's values plus the value [Q7]; otherwise noTarget.
Status Patcher::SetFiltered(const Target& target, const Json& value) {
  const Attribute& attr = *target.attr;
  const Attribute& leaf = target.sub != nullptr ? *target.sub : attr;
  const size_t max_values = limits_.attribute_values;
  Result<Json> coerced = target.sub != nullptr && target.sub->multi_valued
                             ? CoerceMany(leaf, value, target.text, quirks_, max_values)
                             : CoerceSingle(leaf, value, target.text, quirks_, max_values);
  if (!coerced) return std::unexpected(coerced.error());

  Json& holder = *Holder(target, true);
  Json* slot = FindMember(holder, attr.name);
  std::vector<size_t> touched;
  if (slot != nullptr && slot->is_array()) touched = MatchingElements(target, *slot);

  if (touched.empty()) {
    Json element = Json::object();
    if (!AllowQuirk(quirks_, Quirk::kCreateFromFilter, target.text)) {
      return Fail(ErrorType::kNoTarget, "no element of '" + attr.name + "' matches " + Quoted(target.text));
    }
    if (!SeedFromFilter(attr, *target.filter, &element)) {
      return Fail(ErrorType::kNoTarget, "no element of '" + attr.name + "' matches " + Quoted(target.text) +
                                            ", and only a filter of 'eq' comparisons joined by 'and' says what "
                                            "element to create");
    }
    if (attr.type != AttrType::kComplex) {
      element = std::move(*coerced);
    } else if (target.sub != nullptr) {
      SetMember(element, target.sub->name, std::move(*coerced));
    } else {
      MergeInto(element, *coerced);
    }
    if (slot == nullptr || !slot->is_array()) {
      SetMember(holder, attr.name, Json::array());
      slot = FindMember(holder, attr.name);
    }
    slot->push_back(std::move(element));
    if (slot->size() > limits_.attribute_values) return TooManyValues(attr);
    touched.push_back(slot->size() - 1);
  } else {
    for (size_t i : touched) {
      Json& element = (*slot)[i];
      if (attr.type != AttrType::kComplex) {
        element = *coerced;
      } else if (!element.is_object()) {
        continue;
      } else if (target.sub != nullptr) {
        SetMember(element, target.sub->name, *coerced);
      } else {
        MergeInto(element, *coerced);
      }
    }
  }
  ClearOtherPrimaries(*slot, touched);
  return {};
}

// A single-valued complex attribute (name, manager): the given sub-attributes are merged into the
// existing value, for add and for replace, so an IdP that sends only {"givenName": ..} does not
// erase familyName. Exception: when the value names a different referent (its `value` differs
// from the stored `value`, e.g. a new manager), the whole object is replaced, so no stale
// displayName or $ref of the previous referent survives.
Status Patcher::MergeComplex(const Target& target, const Json& value) {
  const Attribute& attr = *target.attr;
  auto coerced = CoerceSingle(attr, value, target.text, quirks_, limits_.attribute_values);
  if (!coerced) return std::unexpected(coerced.error());
  Json& holder = *Holder(target, true);
  Json* slot = FindMember(holder, attr.name);
  bool fresh = slot == nullptr || !slot->is_object();
  if (!fresh && attr.FindSub("value") != nullptr) {
    const Json* old_ref = FindMember(*slot, "value");
    const Json* new_ref = FindMember(*coerced, "value");
    fresh = old_ref != nullptr && new_ref != nullptr && !new_ref->is_null() && !SameJson(*old_ref, *new_ref);
  }
  Json merged = fresh ? Json::object() : *slot;
  MergeInto(merged, *coerced);
  if (merged.empty()) {
    EraseMember(holder, attr.name);
  } else {
    SetMember(holder, attr.name, std::move(merged));
  }
  return {};
}

// add on a multi-valued attribute appends the elements. An element equal to an existing one is
// skipped; one with the same `value` (and no conflicting `type`) as an existing element is merged
// into it (Entra re-adds an email to mark it primary). A new primary element demotes the others.
Status Patcher::AddElements(const Target& target, const Json& value) {
  const Attribute& attr = *target.attr;
  auto coerced = CoerceMany(attr, value, target.text, quirks_, limits_.attribute_values);
  if (!coerced) return std::unexpected(coerced.error());
  Json& holder = *Holder(target, true);
  Json* slot = FindMember(holder, attr.name);
  if (slot == nullptr || !slot->is_array()) {
    SetMember(holder, attr.name, Json::array());
    slot = FindMember(holder, attr.name);
  }
  bool complex = attr.type == AttrType::kComplex;
  const Attribute* value_sub = complex ? attr.FindSub("value") : &attr;
  bool value_case_exact = value_sub != nullptr && value_sub->case_exact;

  // Elements by their `value` (the element itself when simple), so each lookup is O(1) and a
  // large add stays linear; elements without one are compared one by one.
  auto identity = [&](const Json& element) -> std::optional<std::string> {
    const Json* id = complex ? FindMember(element, "value") : &element;
    if (value_sub == nullptr || id == nullptr || id->is_null()) return std::nullopt;
    if (!id->is_string()) return "j:" + DumpJson(*id);
    const std::string& text = id->get_ref<const std::string&>();
    return "s:" + (value_case_exact ? text : ToLower(text));
  };
  std::unordered_map<std::string, std::vector<size_t>> by_identity;
  std::vector<size_t> without_identity;
  for (size_t i = 0; i < slot->size(); ++i) {
    if (auto key = identity((*slot)[i])) {
      by_identity[*key].push_back(i);
    } else {
      without_identity.push_back(i);
    }
  }

  std::vector<size_t> touched;
  for (const Json& item : *coerced) {
    Json element = WithoutNulls(item);
    if (IsEmptyContainer(element)) continue;
    std::optional<std::string> key = identity(element);
    const std::vector<size_t>& candidates = key ? by_identity[*key] : without_identity;
    std::optional<size_t> same;
    for (size_t i : candidates) {
      if (SameValue((*slot)[i], element, value_case_exact)) {
        same = i;
        break;
      }
    }
    if (!same && key && complex) {
      // Same `value`, different details: the same element, merged (unless the types disagree).
      const Json* new_type = FindMember(element, "type");
      for (size_t i : candidates) {
        const Json* old_type = FindMember((*slot)[i], "type");
        if (old_type == nullptr || new_type == nullptr || SameValue(*old_type, *new_type, false)) {
          MergeInto((*slot)[i], element);
          same = i;
          break;
        }
      }
    }
    if (same) {
      touched.push_back(*same);
      continue;
    }
    slot->push_back(std::move(element));
    touched.push_back(slot->size() - 1);
    if (key) {
      by_identity[*key].push_back(slot->size() - 1);
    } else {
      without_identity.push_back(slot->size() - 1);
    }
  }
  if (slot->size() > limits_.attribute_values) return TooManyValues(attr);
  ClearOtherPrimaries(*slot, touched);
  if (slot->empty()) EraseMember(holder, attr.name);
  return {};
}

// replace on a multi-valued attribute without a filter: the elements become exactly the value
// (RFC 7644 §3.5.2.3); an empty array leaves the attribute unassigned.
Status Patcher::ReplaceElements(const Target& target, const Json& value) {
  const Attribute& attr = *target.attr;
  auto coerced = CoerceMany(attr, value, target.text, quirks_, limits_.attribute_values);
  if (!coerced) return std::unexpected(coerced.error());
  Json elements = Json::array();
  for (const Json& item : *coerced) {
    Json element = WithoutNulls(item);
    if (!IsEmptyContainer(element)) elements.push_back(std::move(element));
  }
  Json& holder = *Holder(target, true);
  if (elements.empty()) {
    EraseMember(holder, attr.name);
  } else {
    SetMember(holder, attr.name, std::move(elements));
  }
  return {};
}

// remove. Removing what is already absent, or a filter that matches nothing, is a no-op rather
// than noTarget: an IdP retrying a removal, or removing what another admin removed, should not
// fail the whole request.
Status Patcher::Remove(const Target& target, const Json* value) {
  const Attribute& attr = *target.attr;
  Json* holder = Holder(target, false);
  if (holder == nullptr) return {};
  Json* slot = FindMember(*holder, attr.name);
  if (slot == nullptr) return {};

  auto drop_empty_elements = [](Json& elements) {
    for (size_t i = elements.size(); i-- > 0;) {
      if (IsEmptyContainer(elements[i])) elements.erase(i);
    }
  };
  if (target.filter) {
    if (!slot->is_array()) return {};
    std::vector<size_t> matches = MatchingElements(target, *slot);
    for (size_t n = matches.size(); n-- > 0;) {
      Json& element = (*slot)[matches[n]];
      if (target.sub == nullptr) {
        slot->erase(matches[n]);
      } else {
        EraseMember(element, target.sub->name);
      }
    }
    drop_empty_elements(*slot);
  } else if (target.sub != nullptr) {
    if (slot->is_array()) {
      for (Json& element : *slot) EraseMember(element, target.sub->name);
      drop_empty_elements(*slot);
    } else {
      EraseMember(*slot, target.sub->name);
    }
  } else if (value != nullptr && !value->is_null() && attr.multi_valued) {
    if (!AllowQuirk(quirks_, Quirk::kRemoveWithValue, target.text)) return RemoveTakesNoValue(target);
    if (!slot->is_array()) return {};
    auto removed = RemoveByValue(target, *slot, *value);
    if (!removed) return removed;
  } else {
    EraseMember(*holder, attr.name);
    return {};
  }
  if (IsEmptyContainer(*slot)) EraseMember(*holder, attr.name);
  return {};
}

// remove with a path and a value on a multi-valued attribute: removes the elements whose `value`
// equals one of the given elements' `value` (Entra and OneLogin send members and emails like
// this [Q3]). For a simple multi-valued attribute, the given values themselves.
Status Patcher::RemoveByValue(const Target& target, Json& elements, const Json& value) {
  const Attribute& attr = *target.attr;
  bool complex = attr.type == AttrType::kComplex;
  const Attribute* value_sub = complex ? attr.FindSub("value") : &attr;
  if (value_sub == nullptr) {
    return Fail(ErrorType::kInvalidValue, "'remove' on '" + attr.name + "' takes no value; use a [filter] path");
  }
  std::vector<Json> doomed;
  const Json items = value.is_array() ? value : Json::array({value});
  if (items.size() > limits_.attribute_values) {
    return Fail(ErrorType::kInvalidValue, "'remove' on '" + attr.name + "' may name at most " +
                                              std::to_string(limits_.attribute_values) + " values");
  }
  for (const Json& item : items) {
    const Json* id = complex && item.is_object() ? FindMember(item, "value") : &item;
    if (id == nullptr || id->is_null() || id->is_object() || id->is_array()) {
      return Fail(ErrorType::kInvalidValue,
                  "'remove' on '" + attr.name + "' with a value needs elements like {\"value\": ..}");
    }
    doomed.push_back(*id);
  }
  for (size_t i = elements.size(); i-- > 0;) {
    const Json* element_value = complex ? FindMember(elements[i], "value") : &elements[i];
    if (element_value == nullptr) continue;
    bool hit = std::any_of(doomed.begin(), doomed.end(), [&](const Json& id) {
      return SameValue(*element_value, id, value_sub->case_exact);
    });
    if (hit) elements.erase(i);
  }
  return {};
}

}  // namespace

Result<std::vector<PatchOperation>> ParsePatchRequest(const Json& body, QuirkLog* quirks,
                                                      const DocumentLimits& limits) {
  if (!body.is_object()) return Fail(ErrorType::kInvalidSyntax, "A PATCH body must be a JSON object");
  const Json* schemas = FindMember(body, "schemas");
  bool has_urn = false;
  if (schemas != nullptr && schemas->is_array()) {
    for (const Json& urn : *schemas) {
      has_urn = has_urn || (urn.is_string() && IEquals(urn.get_ref<const std::string&>(), kPatchOpSchema));
    }
  } else if (schemas != nullptr && schemas->is_string()) {
    has_urn = IEquals(schemas->get_ref<const std::string&>(), kPatchOpSchema);
  }
  if (!has_urn) {
    return Fail(ErrorType::kInvalidSyntax,
                "A PATCH body's 'schemas' must contain '" + std::string(kPatchOpSchema) + "'");
  }
  const Json* operations = FindMember(body, "Operations");
  if (operations == nullptr || !operations->is_array() || operations->empty()) {
    return Fail(ErrorType::kInvalidSyntax, "A PATCH body needs 'Operations', a non-empty array");
  }
  if (operations->size() > limits.patch_operations) {
    return Fail(ErrorType::kInvalidValue, "A PATCH body may hold at most " + std::to_string(limits.patch_operations) +
                                              " operations, this one has " +
                                              std::to_string(operations->size()));
  }

  std::vector<PatchOperation> ops;
  ops.reserve(operations->size());
  for (size_t i = 0; i < operations->size(); ++i) {
    std::string prefix = "Operations[" + std::to_string(i) + "]: ";
    const Json& item = (*operations)[i];
    if (!item.is_object()) return Fail(ErrorType::kInvalidSyntax, prefix + "an operation must be a JSON object");

    const Json* op_name = FindMember(item, "op");
    if (op_name == nullptr || !op_name->is_string()) {
      return Fail(ErrorType::kInvalidSyntax, prefix + "'op' (add, remove or replace) is missing");
    }
    const std::string& name = op_name->get_ref<const std::string&>();
    PatchOperation op{PatchOpType::kAdd, std::nullopt, "", std::nullopt};
    if (IEquals(name, "add")) {
      op.op = PatchOpType::kAdd;
    } else if (IEquals(name, "remove")) {
      op.op = PatchOpType::kRemove;
    } else if (IEquals(name, "replace")) {
      op.op = PatchOpType::kReplace;
    } else {
      return Fail(ErrorType::kInvalidSyntax,
                  prefix + "unknown PATCH op " + Quoted(name) + "; expected add, remove or replace");
    }
    if (name != OpName(op.op) && !AllowQuirk(quirks, Quirk::kCapitalisedOp, "Operations[" + std::to_string(i) + "]")) {
      return Fail(ErrorType::kInvalidSyntax, prefix + "op " + Quoted(name) + " must be lower case: " + OpName(op.op));
    }

    const Json* path = FindMember(item, "path");
    if (path != nullptr && !path->is_null()) {
      if (!path->is_string()) return Fail(ErrorType::kInvalidPath, prefix + "'path' must be a string");
      op.path_text = path->get<std::string>();
    }
    // Entra sometimes sends "path": "" on path-less operations.
    if (path != nullptr && path->is_string() && op.path_text.empty() &&
        !AllowQuirk(quirks, Quirk::kEmptyPath, "Operations[" + std::to_string(i) + "]")) {
      return Fail(ErrorType::kInvalidPath, prefix + "'path' is empty; leave it out for a path-less operation");
    }
    if (!op.path_text.empty()) {
      auto parsed = ParsePatchPath(op.path_text, limits);
      if (!parsed) {
        return Fail(ErrorType::kInvalidPath,
                    prefix + "invalid path " + Quoted(op.path_text) + ": " + parsed.error().detail);
      }
      op.path = std::move(*parsed);
    } else if (op.op == PatchOpType::kRemove) {
      return Fail(ErrorType::kNoTarget, prefix + "'remove' needs a 'path'");
    }

    if (const Json* value = FindMember(item, "value")) {
      if (!WithinDepth(*value, kMaxPatchValueDepth)) {
        return Fail(ErrorType::kInvalidValue,
                    prefix + "'value' nests deeper than " + std::to_string(kMaxPatchValueDepth) + " levels");
      }
      op.value = *value;
    }
    if (op.op != PatchOpType::kRemove && !op.value) {
      return Fail(ErrorType::kInvalidValue, prefix + "'" + std::string(OpName(op.op)) + "' needs a 'value'");
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

Result<PatchResult> ApplyPatch(const Json& resource, const std::vector<PatchOperation>& ops,
                               const ResourceType& type, const SchemaRegistry& registry, QuirkLog* quirks,
                               const DocumentLimits& limits) {
  if (!resource.is_object()) return Fail(ErrorType::kInternal, "PATCH target is not a JSON object");
  Patcher patcher(type, registry, resource, quirks, limits);
  for (size_t i = 0; i < ops.size(); ++i) {
    auto applied = patcher.Apply(ops[i]);
    if (!applied) return WithPrefix("Operations[" + std::to_string(i) + "]: ", applied.error());
  }
  PatchResult result;
  result.resource = std::move(patcher.doc());
  result.member_ops = std::move(patcher.member_ops());
  result.changed = !SameJson(result.resource, resource);
  return result;
}

}  // namespace scim::core

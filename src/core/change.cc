#include "core/change.h"

#include <array>
#include <utility>

namespace scim::core {
namespace {

constexpr std::array<std::pair<EventType, std::string_view>, 11> kEventTypes = {{
    {EventType::kUserCreated, "user.created"},
    {EventType::kUserUpdated, "user.updated"},
    {EventType::kUserDeactivated, "user.deactivated"},
    {EventType::kUserReactivated, "user.reactivated"},
    {EventType::kUserDeleted, "user.deleted"},
    {EventType::kGroupCreated, "group.created"},
    {EventType::kGroupUpdated, "group.updated"},
    {EventType::kGroupRenamed, "group.renamed"},
    {EventType::kGroupDeleted, "group.deleted"},
    {EventType::kGroupMemberAdded, "group.member_added"},
    {EventType::kGroupMemberRemoved, "group.member_removed"},
}};

bool IsExtensionUrn(std::string_view key) { return key.rfind("urn:", 0) == 0; }

const Json kAbsent = nullptr;

const Json& MemberOr(const Json& object, const std::string& key) {
  if (!object.is_object()) return kAbsent;
  auto it = object.find(key);
  return it == object.end() ? kAbsent : *it;
}

// Appends changes between the members of two objects; `prefix` names the enclosing extension.
void DiffObjects(const Json& before, const Json& after, const std::string& prefix, std::vector<AttributeChange>& out) {
  auto report = [&](const std::string& key, const Json& previous, const Json& value) {
    if (prefix.empty() && key == "schemas") return;
    if (prefix.empty() && IsExtensionUrn(key) && (previous.is_object() || value.is_object())) {
      DiffObjects(previous, value, key + ":", out);
      return;
    }
    if (previous != value) out.push_back({prefix + key, previous, value});
  };
  if (before.is_object()) {
    for (auto it = before.begin(); it != before.end(); ++it) report(it.key(), it.value(), MemberOr(after, it.key()));
  }
  if (after.is_object()) {
    for (auto it = after.begin(); it != after.end(); ++it) {
      if (!before.is_object() || !before.contains(it.key())) report(it.key(), kAbsent, it.value());
    }
  }
}

const AttributeChange* Find(const std::vector<AttributeChange>& changes, std::string_view attribute) {
  for (const auto& change : changes) {
    if (change.attribute == attribute) return &change;
  }
  return nullptr;
}

// Absent `active` means active (RFC 7643 §4.1.1 leaves the default to the service provider; scimd
// treats a user as active until told otherwise).
bool IsActive(const Json& value) { return !value.is_boolean() || value.get<bool>(); }

}  // namespace

std::string_view EventTypeName(EventType type) {
  for (const auto& [t, name] : kEventTypes) {
    if (t == type) return name;
  }
  return "unknown";
}

std::optional<EventType> ParseEventType(std::string_view name) {
  for (const auto& [t, n] : kEventTypes) {
    if (n == name) return t;
  }
  return std::nullopt;
}

const std::vector<EventType>& AllEventTypes() {
  static const std::vector<EventType> all = [] {
    std::vector<EventType> types;
    for (const auto& [t, name] : kEventTypes) types.push_back(t);
    return types;
  }();
  return all;
}

std::string EventTypeNames() {
  std::string names;
  for (const auto& [t, name] : kEventTypes) names += (names.empty() ? "" : ", ") + std::string(name);
  return names;
}

std::vector<AttributeChange> DiffResources(const Json& before, const Json& after) {
  std::vector<AttributeChange> changes;
  DiffObjects(before, after, "", changes);
  return changes;
}

EventType ClassifyUserUpdate(const std::vector<AttributeChange>& changes) {
  if (const auto* active = Find(changes, "active")) {
    bool was = IsActive(active->previous);
    bool is = IsActive(active->value);
    if (was && !is) return EventType::kUserDeactivated;
    if (!was && is) return EventType::kUserReactivated;
  }
  return EventType::kUserUpdated;
}

EventType ClassifyGroupUpdate(const std::vector<AttributeChange>& changes) {
  return Find(changes, "displayName") ? EventType::kGroupRenamed : EventType::kGroupUpdated;
}

Json ChangesToJson(const std::vector<AttributeChange>& changes) {
  Json out = Json::array();
  for (const auto& change : changes) {
    Json entry = {{"attribute", change.attribute}};
    if (!change.secret) {
      entry["previous"] = change.previous;
      entry["value"] = change.value;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace scim::core

// What a write did to a resource, in the words the host app cares about: which attributes changed
// (with their previous values), and which event that is (created, updated, deactivated, ...), not
// the wire shape the IdP happened to use. Pure: the events layer turns these into outbox rows.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace scim::core {

// The event types of the change feed and webhooks, spelled as in docs/events.md.
enum class EventType {
  kUserCreated,
  kUserUpdated,
  kUserDeactivated,
  kUserReactivated,
  kUserDeleted,
  kGroupCreated,
  kGroupUpdated,
  kGroupRenamed,
  kGroupDeleted,
  kGroupMemberAdded,
  kGroupMemberRemoved,
};

std::string_view EventTypeName(EventType type);  // "user.created", ...
// The type named `name` (exactly as EventTypeName spells it), or nullopt.
std::optional<EventType> ParseEventType(std::string_view name);
// Every type, in declaration order (for docs, validation messages and the CLI).
const std::vector<EventType>& AllEventTypes();
// "user.created, user.updated, ..." for error messages.
std::string EventTypeNames();

// One attribute that differs between two versions of a resource. `attribute` is a top-level name
// ("title", "name", "emails") or, inside an extension, the full path
// ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"). `previous` and `value`
// are null when the attribute was absent on that side. `secret` changes (the password) carry no
// values at all.
struct AttributeChange {
  std::string attribute;
  Json previous;
  Json value;
  bool secret = false;
};

// The attributes that differ between two canonical resource documents (as storage keeps them:
// no id, meta, members or groups). Extension objects are compared attribute by attribute;
// `schemas` is not reported. Order: `before`'s order, then attributes only `after` has.
std::vector<AttributeChange> DiffResources(const Json& before, const Json& after);

// The event a change to an existing user is: deactivated when `active` went from true (or
// absent, which means active) to false, reactivated the other way, otherwise updated.
EventType ClassifyUserUpdate(const std::vector<AttributeChange>& changes);
// renamed when displayName changed, otherwise updated.
EventType ClassifyGroupUpdate(const std::vector<AttributeChange>& changes);

// {"attribute":..,"previous":..,"value":..} objects, as events carry them.
Json ChangesToJson(const std::vector<AttributeChange>& changes);

}  // namespace scim::core

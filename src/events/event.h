// A change event as the host app receives it (docs/events.md), built from what a write did.
// Events name what happened (user.deactivated), not the wire shape the IdP used (a PATCH of
// `active`), and carry the resource after the change, so a receiver needs no read-back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/change.h"
#include "storage/store.h"

namespace scim::events {

struct EventSpec {
  core::EventType type;
  storage::Kind kind = storage::Kind::kUser;  // the resource's kind (a group, for member events)
  std::string resource_id;
  std::string tenant_name;
  std::string time;                           // RFC 3339, the change's
  std::vector<core::AttributeChange> changes;  // updated, deactivated, reactivated, renamed
  std::optional<storage::MemberRef> member;    // member_added, member_removed
  std::string data;          // the resource after the change (before it, for *.deleted) as JSON text
  bool initial_sync = false;  // written during the tenant's initial-sync window
};

// The outbox row for `spec`, with `id` as its stable event id ("evt_…").
storage::EventRow BuildEvent(std::string id, const EventSpec& spec);

}  // namespace scim::events

#include "events/event.h"

#include "core/json.h"

namespace scim::events {

storage::EventRow BuildEvent(std::string id, const EventSpec& spec) {
  storage::EventRow row;
  row.id = std::move(id);
  row.type = std::string(core::EventTypeName(spec.type));
  row.time = spec.time;
  row.kind = spec.kind;
  row.resource_id = spec.resource_id;

  // Written as text around the resource's own JSON text, which is already canonical.
  std::string& body = row.body;
  body.reserve(256 + spec.data.size());
  body += "{\"id\":";
  core::AppendJsonString(body, row.id);
  body += ",\"type\":";
  core::AppendJsonString(body, row.type);
  body += ",\"time\":";
  core::AppendJsonString(body, spec.time);
  body += ",\"tenant\":";
  core::AppendJsonString(body, spec.tenant_name);
  body += ",\"resource\":{\"type\":";
  core::AppendJsonString(body, storage::KindName(spec.kind));
  body += ",\"id\":";
  core::AppendJsonString(body, spec.resource_id);
  body += "}";
  if (!spec.changes.empty()) body += ",\"changes\":" + core::DumpJson(core::ChangesToJson(spec.changes));
  if (spec.member) {
    body += ",\"member\":{\"value\":";
    core::AppendJsonString(body, spec.member->value);
    body += ",\"type\":";
    core::AppendJsonString(body, storage::KindName(spec.member->kind));
    body += "}";
  }
  if (spec.initial_sync) body += ",\"initial_sync\":true";
  if (!spec.data.empty()) body += ",\"data\":" + spec.data;
  body += "}";
  return row;
}

}  // namespace scim::events

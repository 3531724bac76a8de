// The host API (/api/v1/...): what the vendor's own app calls, with a host API key (never a SCIM
// token): a tenant's change feed, its webhooks and their delivery log (docs/events.md).
//
//   GET /api/v1/tenants/{tenant}/events?after=CURSOR&limit=N&wait=SECONDS
//     {"events":[...],"next_cursor":"..."}: the tenant's events after CURSOR (default: from the
//     first), oldest first, at most N (default 100, at most 1000). With wait (1..30) and nothing
//     new, the request is held until an event arrives or the wait is over (long poll). Resume
//     with after=next_cursor: nothing is missed or seen twice.
//
//   GET    /api/v1/tenants/{tenant}/webhooks                 the webhooks (never their secrets)
//   POST   /api/v1/tenants/{tenant}/webhooks                 {"url":..,"events":[..]} -> 201 with "secret"
//   GET    /api/v1/tenants/{tenant}/webhooks/{id}
//   DELETE /api/v1/tenants/{tenant}/webhooks/{id}            204
//   POST   /api/v1/tenants/{tenant}/webhooks/{id}/rotate     200 with the new "secret"
//   GET    /api/v1/tenants/{tenant}/deliveries?webhook=&state=&limit=   newest first
//   GET    /api/v1/tenants/{tenant}/deliveries/{id}          with its "attempts"
//   POST   /api/v1/tenants/{tenant}/deliveries/{id}/redeliver  202
//
//   The directory (directory/directory_view.h; docs/directory.md):
//   GET    /api/v1/tenants/{tenant}/users?filter=&startIndex=&count=&cursor=   users with their
//          resolved manager, departments, groups and effective roles
//   GET    /api/v1/tenants/{tenant}/users/{id}              one, with its management chain and reports
//   GET    /api/v1/tenants/{tenant}/orgchart                the whole tree (cycles reported)
//   GET    /api/v1/tenants/{tenant}/departments[/{id}]
//
// Errors use the SCIM error body (status, detail) so one parser reads both APIs. A key scoped to
// another tenant gets the same 404 as a tenant that does not exist.
#pragma once

#include <functional>
#include <memory>

#include "core/schema.h"
#include "http/server.h"
#include "storage/store.h"

namespace scim::events {
class FeedWaiter;
}

namespace scim::api {

class HostApi {
 public:
  // `deliveries_queued` (may be empty) is called when a request queued a delivery again, so that
  // webhook delivery looks at once.
  // `registry`: the built-in schemas (each tenant's own are read through directory::RegistryCache).
  HostApi(storage::Store& store, events::FeedWaiter& feed_waiter, std::shared_ptr<const core::SchemaRegistry> registry,
          std::function<void()> deliveries_queued = {});
  ~HostApi();

  // Whether `path` is the host API's (starts with /api/v1/).
  static bool Owns(std::string_view path);
  // An http::Handler: runs on an I/O thread; a long poll answers later from the waiter's thread.
  void Handle(http::Request request, http::Responder respond);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scim::api
